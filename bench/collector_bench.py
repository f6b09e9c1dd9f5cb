#!/usr/bin/env python3
"""Collector benchmark: wrk posts 100-event NDJSON bodies over keep-alive connections on loopback
to `logpipe run` (spool in a temporary folder) and, in the same run, to a bare endpoint on the
same HTTP stack that only reads the body. Prints events/s, MB/s, latency, logpipe's CPU and peak
RSS, and logpipe's throughput as a ratio of the bare endpoint's.

With --kafka, the collector is `logpipe collector` producing to a real broker
(scripts/backends/kafka, started if needed) on a topic of its own, and the broker's CPU is shown
beside logpipe's.

--tls, --auth and --redaction each add a full-speed run of the same logpipe with that security
feature on, shown as a ratio of the plain full-speed run measured just before it: --tls over
HTTPS (a throwaway certificate made with openssl, TLS_CERT_FILE/TLS_KEY_FILE); --auth with a
tokens file (wrk sends an ingest token; its tenant has events/s and bytes/s limits far above
what the machine can do, so they are checked on every request and never refuse); --redaction
with REDACTION=on (the built-in detectors). Each variant run follows a plain run of its own
(its pair; every run starts with an empty data folder), and with --repeat N each ratio is the
median of N pairs, since a shared machine's load changes between runs. The load average is printed before and after."""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVICES = ["webapp-frontend", "payment-service", "auth-service", "inventory", "search-api",
            "notification-worker", "checkout", "user-profile", "billing", "recommendations"]
LEVELS = ["INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
READY = re.compile(r"https?://127\.0\.0\.1:(\d+)/logs")
TICKS = os.sysconf("SC_CLK_TCK")


def make_body(events_per_body):
    lines = []
    for n in range(events_per_body):
        event = {
            "timestamp": f"2025-10-30T12:{n % 60:02d}:56.{n % 1000:03d}Z",
            "service": SERVICES[n % len(SERVICES)],
            "level": LEVELS[n % len(LEVELS)],
            "message": f"User logged in successfully from the mobile app, session {n:06d}",
            "trace_id": f"trace-{n:012x}",
            "request_id": f"req-{n:010d}",
            "host": f"app-node-{n % 7}",
            "payload": {"user_id": f"user-{9876 + n}", "ip_address": f"8.8.{n % 256}.{n % 200}",
                        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
            "labels": {"env": "production", "region": "ap-south-1"},
        }
        lines.append(json.dumps(event, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def start(command, env):
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    for line in process.stdout:
        match = READY.search(line)
        if match:
            return process, int(match.group(1))
    raise RuntimeError(f"{command[0]} did not start")


def run_wrk(url, body_file, seconds, connections, threads, rate=0, authorization=""):
    env = dict(os.environ, BODY_FILE=str(body_file), CONNECTIONS=str(connections), RATE=str(rate),
               AUTHORIZATION=authorization)
    script = Path(__file__).parent / "wrk" / "post_logs.lua"
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         url], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(name, command, env, body_file, body, args, rate=0, broker_pid=None, authorization=""):
    # A data folder of its own: a run after another must not start with its spool and store.
    data_dir = tempfile.mkdtemp(dir=Path(env["LOGPIPE_DATA_DIR"]).parent, prefix="data-")
    env = dict(env, LOGPIPE_DATA_DIR=data_dir)
    process, port = start(command, env)
    url = f"{'https' if env.get('TLS_CERT_FILE') else 'http'}://127.0.0.1:{port}/logs"
    try:
        run_wrk(url, body_file, 2, args.connections, args.wrk_threads,  # Warm-up.
                authorization=authorization)
        cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
        broker_before = cpu_seconds(broker_pid) if broker_pid else 0
        result = run_wrk(url, body_file, args.seconds, args.connections, args.wrk_threads, rate,
                         authorization)
        wall = time.monotonic() - wall_before
        cpu = (cpu_seconds(process.pid) - cpu_before) / wall
        broker_cpu = (cpu_seconds(broker_pid) - broker_before) / wall if broker_pid else None
        rss = peak_rss(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        shutil.rmtree(data_dir)
    requests_per_second = result["requests"] / result["seconds"]
    events = body.count(b"\n")
    return {
        "name": name,
        "events_per_s": requests_per_second * events,
        "mb_per_s": requests_per_second * len(body) / 1e6,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "cpu_percent": cpu * 100,
        "cpu_us_per_event": cpu / (requests_per_second * events) * 1e6 if result["requests"] else 0,
        "broker_cpu_percent": broker_cpu * 100 if broker_cpu is not None else None,
        "peak_rss_mib": rss / (1 << 20),
        "errors": result["errors"] + result["non2xx"],
        "requests_per_s": requests_per_second,
    }


def tls_variant(scratch, env):
    certificate, key = scratch / "server.pem", scratch / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(certificate)], check=True, capture_output=True)
    return dict(env, TLS_CERT_FILE=str(certificate), TLS_KEY_FILE=str(key)), ""


def auth_variant(scratch, env):
    token = "bench-" + os.urandom(12).hex()
    tokens = scratch / "tokens.toml"
    tokens.write_text(f"""[[tokens]]
name = "bench-shipper"
sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"
scopes = ["ingest"]
tenant = "bench"

[tenants.bench]
events_per_second = 1000000000
bytes_per_second = 1000000000000
""")
    return dict(env, TOKENS_FILE=str(tokens)), f"Bearer {token}"


def redaction_variant(scratch, env):
    return dict(env, REDACTION="on"), ""


VARIANTS = {"tls": ("over TLS", tls_variant), "auth": ("with tokens + rate limits", auth_variant),
            "redaction": ("with redaction", redaction_variant)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--events-per-body", type=int, default=100)
    parser.add_argument("--data-dir", help="parent folder for the spool (default: a temporary "
                        "folder under $TMPDIR); point it at tmpfs to take the disk out")
    parser.add_argument("--kafka", action="store_true",
                        help="measure `logpipe collector` into a real Kafka broker")
    parser.add_argument("--tls", action="store_true",
                        help="also measure logpipe over HTTPS at full speed, in the same run")
    parser.add_argument("--auth", action="store_true",
                        help="also measure logpipe with tokens and per-tenant rate limits on")
    parser.add_argument("--redaction", action="store_true",
                        help="also measure logpipe with REDACTION=on (built-in detectors)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the plain run and the variants this many times")
    args = parser.parse_args()
    broker_pid = None
    if args.kafka:
        repo = Path(__file__).resolve().parents[1]
        started = subprocess.run([str(repo / "scripts" / "backends" / "kafka"), "start"],
                                 capture_output=True, text=True, check=True)
        brokers = started.stdout.strip().rsplit("=", 1)[1]
        broker_pid = int((repo / ".cache" / "backends" / "kafka" / "pid").read_text())

    variants = [name for name in VARIANTS if getattr(args, name)]
    load_before = os.getloadavg()
    body = make_body(args.events_per_body)
    ratios = {name: [] for name in variants}
    cpu_ratios = {name: [] for name in variants}  # logpipe's CPU per event, variant / plain
    with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
        body_file = Path(scratch) / "body.ndjson"
        body_file.write_bytes(body)
        env = dict(os.environ, LOGPIPE_DATA_DIR=str(Path(scratch) / "data"), COLLECTOR_PORT="0",
                   METRICS_PORT="0", LISTEN_ADDRESS="127.0.0.1", LOG_LEVEL="warn")
        logpipe = [f"{args.build}/logpipe", "run"]
        target = "logpipe run -> spool"
        if args.kafka:
            logpipe = [f"{args.build}/logpipe", "collector"]
            target = "logpipe collector -> Kafka"
            env.update(KAFKA_BROKERS=brokers, KAFKA_INPUT_TOPIC=f"bench-{os.getpid()}-{int(time.time())}")
        bare = measure("bare endpoint (ceiling)", [f"{args.build}/bench/bare_endpoint"], env,
                       body_file, body, args)
        full = measure(target, logpipe, env, body_file, body, args, broker_pid=broker_pid)
        half_rate = full["requests_per_s"] / 2
        half = measure("logpipe at half its max rate", logpipe, env, body_file, body, args,
                       rate=half_rate, broker_pid=broker_pid)
        rows = [bare, full, half]
        setups = {name: VARIANTS[name][1](Path(scratch), env) for name in variants}
        plain = full
        for repeat in range(args.repeat):
            for name in variants:
                if plain is None:
                    plain = measure(f"{target} (again)", logpipe, env, body_file, body, args,
                                    broker_pid=broker_pid)
                    rows.append(plain)
                variant_env, authorization = setups[name]
                row = measure(f"{target} {VARIANTS[name][0]}", logpipe, variant_env, body_file,
                              body, args, broker_pid=broker_pid, authorization=authorization)
                rows.append(row)
                ratios[name].append(row["events_per_s"] / plain["events_per_s"])
                cpu_ratios[name].append(row["cpu_us_per_event"] / plain["cpu_us_per_event"])
                plain = None  # Each variant against a plain run just before it.

    print(f"payload: {args.events_per_body} events/body, {len(body)} bytes/body, "
          f"{len(body) / args.events_per_body:.0f} bytes/event; {args.connections} connections, "
          f"wrk -t{args.wrk_threads}, {args.seconds}s per run; {os.cpu_count()} cores")
    header = f"{'run':48} {'events/s':>12} {'MB/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU %':>7} {'µs/ev':>6} {'RSS MiB':>8} {'errors':>7}"
    if args.kafka:
        header += f" {'broker CPU %':>13}"
    print(header)
    for row in rows:
        line = (f"{row['name']:48} {row['events_per_s']:12,.0f} {row['mb_per_s']:8.1f} "
                f"{row['p50_ms']:8.2f} {row['p99_ms']:8.2f} {row['cpu_percent']:7.0f} "
                f"{row['cpu_us_per_event']:6.2f} "
                f"{row['peak_rss_mib']:8.1f} {row['errors']:7d}")
        if args.kafka:
            broker_cpu = row["broker_cpu_percent"]
            line += f" {broker_cpu:13.0f}" if broker_cpu is not None else f" {'-':>13}"
        print(line)
    print(f"logpipe / bare endpoint: {full['events_per_s'] / bare['events_per_s']:.2f}")
    for name in variants:
        each = ", ".join(f"{ratio:.3f}" for ratio in ratios[name])
        print(f"logpipe {VARIANTS[name][0]} / plain: {statistics.median(ratios[name]):.3f} "
              f"(median of {len(ratios[name])}: {each}); CPU per event: "
              f"{statistics.median(cpu_ratios[name]):.3f}")
    print("load average (1, 5, 15 min) before: " + " ".join(f"{x:.2f}" for x in load_before) +
          "; after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if any(row["errors"] for row in rows[1:]):
        sys.exit("errors during the benchmark")


if __name__ == "__main__":
    main()
