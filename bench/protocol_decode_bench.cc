// Events/s of each collector decoder alone, one thread, on the request bodies that
// bench/collector_bench.py --protocols writes (the same bench/event_gen events in each protocol's
// form): POST /logs's RequestDecoder and each shipper protocol's, from the body as received to
// validated events ready for the queue, with no HTTP, queue or processor around them. Prints one
// JSON line per decoder: {"name", "events_per_s", "events", "rejected"}.
// Run: build/release/bench/protocol_decode_bench --bodies DIR [--seconds S]
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "collector/protocols/es_bulk.h"
#include "collector/protocols/loki_push.h"
#include "collector/protocols/otlp_logs.h"
#include "collector/protocols/splunk_hec.h"
#include "collector/protocols/syslog.h"
#include "collector/request_decoder.h"

namespace {

using Clock = std::chrono::steady_clock;
using lp::collector::DecodedBatch;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The bodies of a file of `<decimal length>\n<bytes>` records (bench/wrk/post_logs.lua's form),
// each with the padding the HTTP server gives a body.
std::vector<std::string> ReadBodies(const std::filesystem::path& path) {
  const std::string content = ReadFile(path);
  std::vector<std::string> bodies;
  size_t at = 0;
  while (at < content.size()) {
    const size_t line_end = content.find('\n', at);
    const size_t length = std::stoul(content.substr(at, line_end - at));
    std::string body = content.substr(line_end + 1, length);
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    bodies.push_back(std::move(body));
    at = line_end + 1 + length;
  }
  return bodies;
}

struct Totals {
  size_t events = 0;
  size_t rejected = 0;
};

// Decodes the bodies in turn for `seconds`; `decode` adds what one body gave to the totals.
// Skipped unless `name` starts with `only`.
void Measure(const char* name, std::string_view only, const std::vector<std::string>& bodies,
             double seconds, const std::function<void(const std::string&, Totals&)>& decode) {
  if (!std::string_view(name).starts_with(only)) return;
  Totals totals;
  const auto start = Clock::now();
  double elapsed = 0;
  for (size_t n = 0; elapsed < seconds; ++n) {
    decode(bodies[n % bodies.size()], totals);
    if (n % bodies.size() == bodies.size() - 1 || n % 64 == 0) {
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
  }
  std::printf(R"({"name":"%s","events_per_s":%.0f,"events":%zu,"rejected":%zu})"
              "\n",
              name, static_cast<double>(totals.events) / elapsed, totals.events, totals.rejected);
  std::fflush(stdout);
}

void Count(const DecodedBatch& batch, Totals& totals) {
  totals.events += batch.events.size();
  totals.rejected += batch.rejected;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Events/s of each collector decoder alone, one thread.");
  std::filesystem::path dir;
  double seconds = 3;
  app.add_option("--bodies", dir, "Folder of collector_bench.py --protocols' body files.")
      ->required();
  app.add_option("--seconds", seconds, "Time per decoder.");
  std::string only;
  app.add_option("--only", only, "Only the decoders whose name starts with this (to profile one).");
  CLI11_PARSE(app, argc, argv);

  using lp::collector::WireEncoding;
  DecodedBatch batch;
  const auto bodies_of = [&](const char* file) { return ReadBodies(dir / file); };

  lp::collector::RequestDecoder native;
  Measure("POST /logs", only, bodies_of("logs.bodies"), seconds,
          [&](const auto& body, Totals& totals) {
            (void)native.Decode("application/x-ndjson", "", body, batch);
            Count(batch, totals);
          });
  lp::collector::EsBulkDecoder bulk;
  lp::collector::BulkBatch bulk_batch;
  Measure("Elasticsearch _bulk", only, bodies_of("elasticsearch-bulk.bodies"), seconds,
          [&](const auto& body, Totals& totals) {
            (void)bulk.Decode("", "", body, bulk_batch);
            Count(bulk_batch.events, totals);
          });
  // The decoders that read either wire encoding, each in both.
  const auto measure_encodings = [&](auto& decoder, const char* protobuf_name,
                                     const char* protobuf_file, const char* json_name,
                                     const char* json_file) {
    for (const auto& [name, file, encoding] :
         {std::tuple{protobuf_name, protobuf_file, WireEncoding::kProtobuf},
          std::tuple{json_name, json_file, WireEncoding::kJson}}) {
      Measure(name, only, bodies_of(file), seconds, [&](const auto& body, Totals& totals) {
        (void)decoder.Decode(encoding, "", body, batch);
        Count(batch, totals);
      });
    }
  };
  lp::collector::OtlpLogsDecoder otlp;
  measure_encodings(otlp, "OTLP protobuf", "otlp-protobuf.bodies", "OTLP JSON", "otlp-json.bodies");
  lp::collector::LokiPushDecoder loki;
  measure_encodings(loki, "Loki protobuf+snappy", "loki-protobuf-snappy.bodies", "Loki JSON",
                    "loki-json.bodies");
  lp::collector::HecDecoder hec;
  Measure("Splunk HEC", only, bodies_of("splunk-hec.bodies"), seconds,
          [&](const auto& body, Totals& totals) {
            (void)hec.DecodeEvents("", body, batch);
            Count(batch, totals);
          });
  // Syslog: the TCP stream as sent, split by the framer, each message decoded into batches of
  // up to 1000 as the syslog server does.
  lp::collector::SyslogDecoder syslog;
  const std::vector<std::string> streams = {ReadFile(dir / "syslog.stream")};
  Measure("syslog TCP (RFC 5424, octet counting)", only, streams, seconds,
          [&](const auto& stream, Totals& totals) {
            lp::collector::SyslogFramer framer(lp::EventLimits{}.max_event_bytes);
            std::copy(stream.begin(), stream.end(), framer.Prepare(stream.size()));
            framer.Commit(stream.size());
            batch.Clear();
            while (const auto frame = framer.Next()) {
              syslog.Add(frame->message, 1'700'000'000'000, batch);
              if (batch.events.size() + batch.rejected == 1000) {
                Count(batch, totals);
                batch.Clear();
              }
            }
            Count(batch, totals);
          });
  return 0;
}
