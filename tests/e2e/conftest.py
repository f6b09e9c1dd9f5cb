"""Starts the real logpipe binary for end-to-end tests and stops it afterwards."""

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
# Installed by scripts/setup from npm (package-lock.json).
GEOIP_DB = REPO / "node_modules" / "@ip-location-db" / "dbip-city-mmdb"

# A sanitizer's report in a process's stderr fails the test that started it, whatever its exit code.
SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|"
                              r"runtime error: |SUMMARY: \w+Sanitizer")

READY_LINE = re.compile(r"POST events to (https?://\S+)/logs\s+\(metrics: (https?://\S+)/metrics\)")
ROLE_READY_LINE = re.compile(r"logpipe \w+ ready\s+\(metrics: (https?://\S+)/metrics\)")
QUERY_LINE = re.compile(r"query API on (https?://\S+)/api/")
SYSLOG_LINE = re.compile(r"syslog on tcp and udp \S+:(\d+)")
SYSLOG_TLS_LINE = re.compile(r"syslog over TLS on tcp \S+:(\d+)")


def binary(release=False):
    name = "LOGPIPE_RELEASE_BIN" if release else "LOGPIPE_BIN"
    path = os.environ.get(name)
    if not path:
        raise RuntimeError(f"{name} must point at a built logpipe binary (scripts/test sets it)")
    return path


class Logpipe:
    """One logpipe process (`run`, or a role: `collector`, `processor`, `archiver`) on free
    loopback ports, with its own data folder."""

    def __init__(self, data_dir, env=None, release=False, command="run"):
        self.command = command
        self.data_dir = Path(data_dir)
        self.binary = binary(release)
        # scripts/test exports the S3 server's settings for the contract tests; an instance
        # archives into S3 only when its test asks for it.
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith(("S3_", "AWS_", "KAFKA_", "ES_"))}
        self.env.update({
            "LOGPIPE_DATA_DIR": str(self.data_dir),
            "COLLECTOR_PORT": "0",
            "METRICS_PORT": "0",
            "LISTEN_ADDRESS": "127.0.0.1",
            "GEOIP_DB_PATH": str(GEOIP_DB),
        })
        self.env.update(env or {})
        self.process = None
        self.killed = False  # Set by kill(): SIGKILL is then the expected way out.
        self.stderr_path = self.data_dir.parent / f"{self.data_dir.name}.stderr"
        self.ingest_url = None
        self.metrics_url = None

    def start(self, deadline_seconds=60):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stderr = open(self.stderr_path, "ab")
        self.process = subprocess.Popen([self.binary, self.command], env=self.env,
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        found = {}

        def read_ready_line():
            for line in self.process.stdout:
                match = QUERY_LINE.search(line)
                if match:
                    found["query_url"] = match.group(1)
                    continue
                match = SYSLOG_LINE.search(line)
                if match:
                    found["syslog_port"] = int(match.group(1))
                    continue
                match = SYSLOG_TLS_LINE.search(line)
                if match:
                    found["syslog_tls_port"] = int(match.group(1))
                    continue
                match = READY_LINE.search(line)
                if match:
                    found["urls"] = match.groups()
                    return
                match = ROLE_READY_LINE.search(line)
                if match:
                    found["urls"] = (None, match.group(1))
                    return

        reader = threading.Thread(target=read_ready_line, daemon=True)
        reader.start()
        reader.join(deadline_seconds)
        if "urls" not in found:
            self.process.kill()
            raise AssertionError(f"logpipe did not become ready:\n{self.stderr_text()}")
        self.ingest_url, self.metrics_url = found["urls"]
        # `run` serves the query API with ingest, a processor on its metrics port, either on
        # QUERY_PORT when that is set.
        self.query_url = found.get("query_url") or self.ingest_url or self.metrics_url
        self.syslog_port = found.get("syslog_port")  # with SYSLOG_PORT set
        self.syslog_tls_port = found.get("syslog_tls_port")  # with SYSLOG_TLS_PORT set
        return self

    def stderr_text(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def post(self, body, content_type="application/json", session=None, **headers):
        if isinstance(body, str):
            body = body.encode()
        headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
        return (session or requests).post(f"{self.ingest_url}/logs", data=body, headers=headers,
                                          timeout=60)

    def metric(self, name):
        text = requests.get(f"{self.metrics_url}/metrics", timeout=30).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"metric {name} not exported")

    def stop(self, timeout=60):
        """SIGTERM, then expect a clean exit (sanitizers report through a non-zero code)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self.stderr.close()
        return code

    def kill(self):
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(60)
        self.stderr.close()

    def check_exit(self):
        """At teardown: stops the process if it still runs, then fails when it exited with an
        error or a signal it was not sent by kill(), or when its stderr holds a sanitizer
        report."""
        if self.process.poll() is None:
            self.stop()
        code = self.process.returncode
        stderr = self.stderr_text()
        assert code == 0 or (self.killed and code == -signal.SIGKILL), \
            f"logpipe {self.command} ({self.data_dir.name}) exited with {code}:\n{stderr[-4000:]}"
        report = SANITIZER_REPORT.search(stderr)
        assert not report, \
            f"logpipe {self.command} ({self.data_dir.name}) has a sanitizer report:\n" \
            f"{stderr[max(0, report.start() - 200):report.start() + 4000]}"

    def peak_rss_bytes(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM")

    def cli(self, *arguments, timeout=120):
        """Runs another logpipe command with this instance's settings; returns the result."""
        return subprocess.run([self.binary, *arguments], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def search_all(self, **parameters):
        """Every hit of a search, following cursors."""
        hits, cursor = [], None
        while True:
            page_parameters = dict(parameters, limit=10000, **({"cursor": cursor} if cursor else {}))
            page = requests.get(f"{self.query_url}/api/search", params=page_parameters,
                                timeout=120).json()
            hits.extend(page["hits"])
            cursor = page["cursor"]
            if not cursor:
                return hits

    def metric_series(self, name):
        """Every series of a metric, as {label text: value}."""
        text = requests.get(f"{self.metrics_url}/metrics", timeout=30).text
        series = {}
        for line in text.splitlines():
            if line.startswith(name + "{"):
                labels, value = line[len(name):].rsplit(" ", 1)
                series[labels] = float(value)
        return series

    def read_spool(self, group, *extra):
        """Reads the (stopped) instance's spool through a consumer group, as NDJSON records."""
        result = subprocess.run([self.binary, "spool", "read", "--group", group, *extra],
                                env=self.env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        import json
        return [json.loads(line) for line in result.stdout.splitlines() if line]


@pytest.fixture
def start_logpipe(tmp_path):
    started = []

    def start(env=None, release=False, name="data", command="run"):
        instance = Logpipe(tmp_path / name, env=env, release=release, command=command).start()
        started.append(instance)
        return instance

    yield start
    failures = []
    for instance in started:
        try:
            instance.check_exit()
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) a skipped test is a failure: it did not test what it stands for."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


def running_backend(name, variable):
    """Yields the value of `variable` for backend `name`: the one scripts/test started (exported
    in the environment), or one this session starts with scripts/backends/<name> and stops."""
    if os.environ.get(variable):
        yield os.environ[variable]
        return
    started = backend(name, "start", timeout=900)
    yield started.stdout.strip().rsplit("=", 1)[1]
    try:
        backend(name, "check")  # Still running, and no fatal error in its log.
    finally:
        backend(name, "stop")


def backend(name, action, timeout=600):
    """Runs scripts/backends/<name> <action> (start, stop, down, up) and expects it to work."""
    done = subprocess.run([str(REPO / "scripts" / "backends" / name), action],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done


def wait_until(condition, deadline_seconds=60, interval=0.05):
    """Polls `condition` until it is truthy or the deadline passes; returns its last value."""
    end = time.monotonic() + deadline_seconds
    while True:
        value = condition()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)
