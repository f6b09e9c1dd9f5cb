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
median of N pairs, since a shared machine's load changes between runs.

With --protocols, the events are bench/event_gen's (varied services, hosts, messages, payloads)
and `POST /logs` is measured before and after each shipper protocol (docs/PROTOCOLS.md) on the
same events in that protocol's form (bench/protocol_bodies.py; run it with the test venv's
Python), each protocol's events/s given as a ratio of the mean of the two `POST /logs` runs
around it, and each decoder alone in one thread (bench/protocol_decode_bench); then syslog over
TCP (RFC 5424, octet counting) is measured in lines/s into the spool, read from logpipe's
metrics; --only-syslog measures that alone. The machine's load average is printed with the
results."""

import argparse
import hashlib
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
import urllib.request
from pathlib import Path

SERVICES = ["webapp-frontend", "payment-service", "auth-service", "inventory", "search-api",
            "notification-worker", "checkout", "user-profile", "billing", "recommendations"]
LEVELS = ["INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
READY = re.compile(r"https?://127\.0\.0\.1:(\d+)/logs")
METRICS = re.compile(r"metrics: (https?://127\.0\.0\.1:\d+/metrics)")
SYSLOG = re.compile(r"syslog on tcp and udp 127\.0\.0\.1:(\d+)")
SYSLOG_PRODUCED = re.compile(r'^logs_produced_by_protocol_total\{protocol="syslog"\} (\S+)$', re.M)
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


class Load:
    """What wrk sends: `bodies` in turn, each holding `events_per_body` events, to `path`."""

    def __init__(self, scratch, name, bodies, events_per_body, path="/logs",
                 content_type="application/x-ndjson"):
        self.path, self.content_type, self.events_per_body = path, content_type, events_per_body
        self.bytes_per_body = sum(map(len, bodies)) / len(bodies)
        self.body_file = Path(scratch) / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.bodies"
        with self.body_file.open("wb") as out:
            for body in bodies:
                out.write(f"{len(body)}\n".encode() + body)


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def start(command, env):
    """Starts `command` and reads its start-up lines up to the one naming the ingest URL;
    returns the process, that port and all the lines read."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    lines = ""
    for line in process.stdout:
        lines += line
        match = READY.search(line)
        if match:
            return process, int(match.group(1)), lines
    raise RuntimeError(f"{command[0]} did not start")


def run_wrk(url, load, seconds, connections, threads, rate=0, authorization=""):
    env = dict(os.environ, BODY_FILE=str(load.body_file), CONNECTIONS=str(connections),
               RATE=str(rate), REQUEST_PATH=load.path, CONTENT_TYPE=load.content_type,
               AUTHORIZATION=authorization)
    script = Path(__file__).parent / "wrk" / "post_logs.lua"
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         url], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def fresh_data_dir(env):
    """The environment with a new, empty LOGPIPE_DATA_DIR under the benchmark's scratch folder."""
    return dict(env, LOGPIPE_DATA_DIR=tempfile.mkdtemp(dir=env["SCRATCH"]))


def stop(process, env):
    process.send_signal(signal.SIGTERM)
    process.wait(60)
    shutil.rmtree(env["LOGPIPE_DATA_DIR"], ignore_errors=True)


def measure(name, command, env, load, args, rate=0, broker_pid=None, authorization=""):
    env = fresh_data_dir(env)
    process, port, _ = start(command, env)
    url = f"{'https' if env.get('TLS_CERT_FILE') else 'http'}://127.0.0.1:{port}"
    try:
        run_wrk(url, load, 2, args.connections, args.wrk_threads,  # Warm-up.
                authorization=authorization)
        cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
        broker_before = cpu_seconds(broker_pid) if broker_pid else 0
        result = run_wrk(url, load, args.seconds, args.connections, args.wrk_threads, rate,
                         authorization)
        wall = time.monotonic() - wall_before
        cpu = (cpu_seconds(process.pid) - cpu_before) / wall
        broker_cpu = (cpu_seconds(broker_pid) - broker_before) / wall if broker_pid else None
        rss = peak_rss(process.pid)
    finally:
        stop(process, env)
    requests_per_second = result["requests"] / result["seconds"]
    events_per_second = requests_per_second * load.events_per_body
    return {
        "name": name,
        "events_per_s": events_per_second,
        "mb_per_s": requests_per_second * load.bytes_per_body / 1e6,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "cpu_percent": cpu * 100,
        "cpu_us_per_event": cpu * 1e6 / events_per_second,
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


def syslog_produced(metrics_url):
    with urllib.request.urlopen(metrics_url, timeout=30) as answer:
        match = SYSLOG_PRODUCED.search(answer.read().decode())
    return float(match.group(1)) if match else 0.0


def measure_syslog(command, env, frames, lines_per_frames, args):
    """Lines/s that `args.syslog_connections` TCP senders, each writing `frames` (octet-counted
    RFC 5424 messages) over and over as fast as logpipe reads them, get into the spool."""
    env = fresh_data_dir(dict(env, SYSLOG_PORT="0"))
    process, _, lines = start(command, env)
    metrics_url, syslog_port = METRICS.search(lines).group(1), int(SYSLOG.search(lines).group(1))
    sending = threading.Event()
    sending.set()

    def send():
        with socket.create_connection(("127.0.0.1", syslog_port)) as connection:
            try:
                while sending.is_set():
                    connection.sendall(frames)
            except OSError:  # logpipe stopped while a write was under way.
                pass

    senders = [threading.Thread(target=send) for _ in range(args.syslog_connections)]
    try:
        for sender in senders:
            sender.start()
        time.sleep(2)  # Warm-up.
        produced_before, cpu_before = syslog_produced(metrics_url), cpu_seconds(process.pid)
        wall_before = time.monotonic()
        time.sleep(args.seconds)
        produced = syslog_produced(metrics_url) - produced_before
        wall = time.monotonic() - wall_before
        cpu = (cpu_seconds(process.pid) - cpu_before) / wall
        rss = peak_rss(process.pid)
    finally:
        sending.clear()
        stop(process, env)  # The senders' last writes fail or end once logpipe is gone.
        for sender in senders:
            sender.join(60)
    return {"name": f"syslog TCP, {args.syslog_connections} connections",
            "events_per_s": produced / wall, "mb_per_s": produced / wall * len(frames)
            / lines_per_frames / 1e6, "cpu_percent": cpu * 100,
            "cpu_us_per_event": cpu * 1e6 * wall / produced, "peak_rss_mib": rss / (1 << 20)}


def generated_events(args):
    output = Path(args.scratch) / "events.ndjson"
    subprocess.run([f"{args.build}/bench/event_gen", "--events", str(args.events), "--output",
                    str(output), "--end", str(int(time.time()))], check=True)
    return [json.loads(line) for line in output.read_text().splitlines()]


def measure_protocols(logpipe, env, args):
    """POST /logs, then each protocol followed by POST /logs again, on the same events; then
    syslog over TCP. Returns the rows and each protocol's ratio to the POST /logs runs around
    it."""
    import protocol_bodies  # Needs the test venv's packages: only imported for --protocols.
    events = generated_events(args)
    batches = [events[i:i + args.events_per_body]
               for i in range(0, len(events), args.events_per_body)]
    frames = b"".join(protocol_bodies.syslog_rfc5424_octet_counted(batch) for batch in batches)
    if args.only_syslog:
        return [measure_syslog(logpipe, env, frames, len(events), args)], [], []
    native = Load(args.scratch, "logs", [protocol_bodies.native(batch) for batch in batches],
                  args.events_per_body)
    rows, ratios = [measure("POST /logs", logpipe, env, native, args)], []
    for name, path, headers, encode in protocol_bodies.encodings():
        load = Load(args.scratch, name, [encode(batch) for batch in batches], args.events_per_body,
                    path, headers["Content-Type"])
        protocol = measure(name, logpipe, env, load, args)
        rows += [protocol, measure("POST /logs", logpipe, env, native, args)]
        ratios.append((name, protocol["events_per_s"] * 2
                       / (rows[-3]["events_per_s"] + rows[-1]["events_per_s"])))
    (Path(args.scratch) / "syslog.stream").write_bytes(frames)
    decoders = subprocess.run([f"{args.build}/bench/protocol_decode_bench", "--bodies",
                               args.scratch], capture_output=True, text=True, check=True)
    rows.append(measure_syslog(logpipe, env, frames, len(events), args))
    return rows, ratios, [json.loads(line) for line in decoders.stdout.splitlines()]


def print_rows(rows, kafka):
    header = (f"{'run':48} {'events/s':>12} {'MB/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU %':>7} "
              f"{'CPU us/event':>13} {'RSS MiB':>8} {'errors':>7}")
    if kafka:
        header += f" {'broker CPU %':>13}"
    print(header)
    for row in rows:
        latency = (f"{row['p50_ms']:8.2f} {row['p99_ms']:8.2f}" if "p50_ms" in row
                   else f"{'-':>8} {'-':>8}")
        line = (f"{row['name']:48} {row['events_per_s']:12,.0f} {row['mb_per_s']:8.1f} "
                f"{latency} {row['cpu_percent']:7.0f} {row['cpu_us_per_event']:13.2f} "
                f"{row['peak_rss_mib']:8.1f} {row.get('errors', 0):7d}")
        if kafka:
            broker_cpu = row["broker_cpu_percent"]
            line += f" {broker_cpu:13.0f}" if broker_cpu is not None else f" {'-':>13}"
        print(line)


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
    parser.add_argument("--protocols", action="store_true",
                        help="measure each shipper protocol and syslog over TCP against POST /logs "
                        "on bench/event_gen's events")
    parser.add_argument("--events", type=int, default=20000,
                        help="with --protocols: events generated (sent in turn, in bodies of "
                        "--events-per-body)")
    parser.add_argument("--syslog-connections", type=int, default=4,
                        help="with --protocols: TCP connections sending syslog")
    parser.add_argument("--only-syslog", action="store_true",
                        help="with --protocols: measure syslog over TCP only")
    args = parser.parse_args()
    broker_pid = None
    if args.kafka:
        repo = Path(__file__).resolve().parents[1]
        started = subprocess.run([str(repo / "scripts" / "backends" / "kafka"), "start"],
                                 capture_output=True, text=True, check=True)
        brokers = started.stdout.strip().rsplit("=", 1)[1]
        broker_pid = int((repo / ".cache" / "backends" / "kafka" / "pid").read_text())

    variants = [name for name in VARIANTS if getattr(args, name)]
    ratios = {name: [] for name in variants}
    cpu_ratios = {name: [] for name in variants}  # logpipe's CPU per event, variant / plain
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
        args.scratch = scratch
        env = dict(os.environ, SCRATCH=scratch, COLLECTOR_PORT="0", METRICS_PORT="0",
                   LISTEN_ADDRESS="127.0.0.1", LOG_LEVEL="warn")
        logpipe = [f"{args.build}/logpipe", "run"]
        target = "logpipe run -> spool"
        if args.kafka:
            logpipe = [f"{args.build}/logpipe", "collector"]
            target = "logpipe collector -> Kafka"
            env.update(KAFKA_BROKERS=brokers, KAFKA_INPUT_TOPIC=f"bench-{os.getpid()}-{int(time.time())}")
        if args.protocols:
            rows, ratios, decoders = measure_protocols(logpipe, env, args)
            payload = f"{args.events} bench/event_gen events in bodies of {args.events_per_body}"
        else:
            body = make_body(args.events_per_body)
            load = Load(scratch, "logs", [body], args.events_per_body)
            bare = measure("bare endpoint (ceiling)", [f"{args.build}/bench/bare_endpoint"], env,
                           load, args)
            full = measure(target, logpipe, env, load, args, broker_pid=broker_pid)
            half_rate = full["requests_per_s"] / 2
            half = measure("logpipe at half its max rate", logpipe, env, load, args,
                           rate=half_rate, broker_pid=broker_pid)
            rows = [bare, full, half]
            setups = {name: VARIANTS[name][1](Path(scratch), env) for name in variants}
            plain = full
            for _ in range(args.repeat):
                for name in variants:
                    if plain is None:
                        plain = measure(f"{target} (again)", logpipe, env, load, args,
                                        broker_pid=broker_pid)
                        rows.append(plain)
                    variant_env, authorization = setups[name]
                    row = measure(f"{target} {VARIANTS[name][0]}", logpipe, variant_env, load,
                                  args, broker_pid=broker_pid, authorization=authorization)
                    rows.append(row)
                    ratios[name].append(row["events_per_s"] / plain["events_per_s"])
                    cpu_ratios[name].append(row["cpu_us_per_event"] / plain["cpu_us_per_event"])
                    plain = None  # Each variant against a plain run just before it.
            payload = (f"{args.events_per_body} events/body, {len(body)} bytes/body, "
                       f"{len(body) / args.events_per_body:.0f} bytes/event")

    print(f"payload: {payload}; {args.connections} connections, wrk -t{args.wrk_threads}, "
          f"{args.seconds}s per run; {os.cpu_count()} cores; load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print_rows(rows, args.kafka)
    if args.protocols:
        for name, ratio in ratios:
            print(f"{name} / POST /logs around it: {ratio:.2f}")
        if decoders:
            print("decoders alone, one thread (bench/protocol_decode_bench), ratio to POST "
                  "/logs's:")
        for decoder in decoders:
            print(f"  {decoder['name']:40} {decoder['events_per_s']:12,.0f} events/s "
                  f"{decoder['events_per_s'] / decoders[0]['events_per_s']:6.2f}"
                  f"  (rejected {decoder['rejected']})")
    else:
        print(f"logpipe / bare endpoint: {full['events_per_s'] / bare['events_per_s']:.2f}")
        for name in variants:
            each = ", ".join(f"{ratio:.3f}" for ratio in ratios[name])
            print(f"logpipe {VARIANTS[name][0]} / plain: {statistics.median(ratios[name]):.3f} "
                  f"(median of {len(ratios[name])}: {each}); CPU per event: "
                  f"{statistics.median(cpu_ratios[name]):.3f}")
    if any(row.get("errors") for row in (rows if args.protocols else rows[1:])):
        sys.exit("errors during the benchmark")


if __name__ == "__main__":
    main()
