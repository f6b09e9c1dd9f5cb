"""Regression tests for the faults an attack on the running binary found (issue 13): each one
reproduces the attack against the real binary and checks that the pipeline keeps serving and
keeps every acknowledged event."""

import json
import socket
import subprocess
import time
from pathlib import Path

import requests

from conftest import Logpipe, binary, wait_until
from seed_events import ndjson, seed_event as dated_seed_event


def seed_event(number):
    """A seed event stamped now, so that no retention setting can count it old."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return dict(dated_seed_event(number), timestamp=now)


def sequence(hit):
    return int(hit["request_id"].removeprefix("req-"))


def host_port(url):
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def raw_exchange(url, data, timeout=30):
    """Sends raw bytes and returns what the server answers until it closes."""
    with socket.create_connection(host_port(url), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
        return received


def status_of(answer):
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_aborted_uploads_never_lock_the_port_out(start_logpipe):
    logpipe = start_logpipe(env={"HTTP_BODY_TIMEOUT": "1s", "MAX_INFLIGHT_BYTES": "64MiB"})
    address = host_port(logpipe.ingest_url)
    # Chunked uploads closed before any body, as shippers timing out mid-upload leave them.
    for _ in range(40):
        with socket.create_connection(address, timeout=10) as connection:
            connection.sendall(b"POST /logs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                               b"Content-Type: application/json\r\n\r\n")
    # Declared bodies that never come, left open until the body deadline closes them.
    stalled = []
    for _ in range(5):
        connection = socket.create_connection(address, timeout=10)
        connection.sendall(b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n{")
        stalled.append(connection)

    def serving():
        answers = (logpipe.post(json.dumps(seed_event(1))).status_code,
                   requests.get(f"{logpipe.ingest_url}/api/search", timeout=10).status_code,
                   requests.get(f"{logpipe.ingest_url}/healthz", timeout=10).status_code)
        return answers == (202, 200, 200)

    assert wait_until(serving, 60, interval=0.2), "the port kept refusing after aborted uploads"
    for connection in stalled:
        connection.settimeout(30)
        assert connection.recv(1) == b"", "the body deadline did not close a stalled upload"
        connection.close()
    assert logpipe.metric_series("http_timeouts_total").get('{phase="body"}', 0) >= 5


def test_idle_and_slow_connections_never_lock_either_port_out(start_logpipe):
    logpipe = start_logpipe(env={"MAX_CONNECTIONS": "64"})
    hogs = []
    for url in (logpipe.ingest_url, logpipe.metrics_url):
        for number in range(80):
            connection = socket.create_connection(host_port(url), timeout=10)
            if number % 2:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # A header trickled in.
            hogs.append(connection)
    try:
        health = requests.get(f"{logpipe.metrics_url}/healthz", timeout=10)
        assert health.status_code == 200
        assert logpipe.post(json.dumps(seed_event(2))).status_code == 202
        assert logpipe.metric("http_connections_evicted_total") > 0
    finally:
        for connection in hogs:
            connection.close()


def test_malformed_http_is_answered_before_the_connection_closes(start_logpipe):
    logpipe = start_logpipe()
    chunked = b"POST /logs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    cases = [
        (chunked + b"zz\r\n{}\r\n0\r\n\r\n", 400),
        (b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /logs HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"POST /logs HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"GE\x01T / HTTP/1.1\r\n\r\n", 400),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
        (b"POST /logs HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"GET /api/search?q=" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    ]
    for request, expected in cases:
        answer = raw_exchange(logpipe.ingest_url, request)
        assert status_of(answer) == expected, (request[:60], answer[:200])
        assert b'{"error":' in answer
    assert requests.get(f"{logpipe.ingest_url}/healthz", timeout=10).status_code == 200


def test_every_api_route_needs_the_token_when_one_is_set(start_logpipe):
    logpipe = start_logpipe(env={"COLLECTOR_AUTH_TOKEN": "s3cret"})
    good = {"Authorization": "Bearer s3cret"}
    for method, path in [("GET", "/api/search"), ("GET", "/api/histogram"),
                         ("POST", "/api/replay?from=2025-10-30&to=2025-10-30"),
                         ("GET", "/api/replay?id=replay-1")]:
        refused = requests.request(method, logpipe.ingest_url + path, timeout=10)
        assert refused.status_code == 401, path
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        wrong = requests.request(method, logpipe.ingest_url + path, timeout=10,
                                 headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401, path
    assert requests.get(f"{logpipe.ingest_url}/api/search", headers=good, timeout=10).ok
    assert requests.get(f"{logpipe.ingest_url}/healthz", timeout=10).ok
    assert requests.get(f"{logpipe.metrics_url}/readyz", timeout=10).ok


def threads_of(process):
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def test_replays_run_one_at_a_time_are_reaped_and_stop_with_the_process(start_logpipe):
    logpipe = start_logpipe()
    before = threads_of(logpipe.process)
    answers = []
    for _ in range(60):
        answer = requests.post(f"{logpipe.ingest_url}/api/replay",
                               params={"from": "0001-01-01", "to": "9999-12-31"}, timeout=30)
        answers.append(answer.status_code)
        if answer.status_code == 409:
            assert answer.headers["Retry-After"]
            assert "one replay runs at a time" in answer.json()["error"]
    assert set(answers) <= {202, 409} and 202 in answers
    assert threads_of(logpipe.process) <= before + 2
    started = time.monotonic()
    assert logpipe.stop(timeout=60) == 0
    assert time.monotonic() - started < 30


def run_expecting_refusal(tmp_path, env):
    instance = Logpipe(tmp_path / "refused", env=env)
    instance.data_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([binary(), "run"], env=instance.env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0, done.stdout
    return done.stderr


def test_settings_that_would_fail_late_fail_at_start(tmp_path):
    for value in ("7", "0s"):
        stderr = run_expecting_refusal(tmp_path, {"SPOOL_RETENTION": value})
        assert "SPOOL_RETENTION" in stderr, stderr
    assert "S3_BUCKET" in run_expecting_refusal(tmp_path, {"S3_BUCKET": "Not_A_Bucket"})
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    stderr = run_expecting_refusal(tmp_path, {"ARCHIVE_DIR": str(a_file / "archive")})
    assert "archive-dir (ARCHIVE_DIR)" in stderr, stderr


def test_a_misspelled_setting_is_named_with_its_closest_match(start_logpipe):
    logpipe = start_logpipe(env={"SPOOL_RETENTON": "30d"})
    assert wait_until(lambda: "did you mean SPOOL_RETENTION?" in logpipe.stderr_text(), 10)


def test_numbers_past_64_bits_and_byte_order_marks_are_accepted(start_logpipe):
    logpipe = start_logpipe()
    big = ('{"service":"numbers","level":"INFO","message":"big numbers",'
           '"payload":{"id":123456789012345678901234567890,"ratio":1e999}}')
    bom = "\ufeff".encode()
    assert logpipe.post(bom + big.encode()).status_code == 202
    lines = bom + json.dumps(seed_event(3)).encode() + b"\n" + bom + json.dumps(seed_event(4)).encode()
    assert logpipe.post(lines, "application/x-ndjson").json()["accepted"] == 2
    lone = logpipe.post('{"service":"a","level":"INFO","message":"\\ud800"}')
    assert lone.status_code == 400
    assert "half of a UTF-16 surrogate pair" in lone.text
    found = wait_until(lambda: logpipe.search_all(service="numbers"), 60)
    assert found, "the event with large numbers never became searchable"
    assert found[0]["payload"]["id"] == 123456789012345678901234567890


def segments_with_records(data_dir):
    return [path for path in sorted((data_dir / "spool" / "app-logs").glob("*/*.log"))
            if path.stat().st_size > 0]


def test_a_cut_spool_tail_never_hides_or_overwrites_events(start_logpipe):
    logpipe = start_logpipe(name="cut")
    events = [seed_event(n) for n in range(2000)]
    assert logpipe.post(ndjson(events), "application/x-ndjson").json()["accepted"] == 2000
    assert wait_until(lambda: len(logpipe.search_all()) == 2000, 120)
    assert logpipe.stop() == 0

    # A power loss tears the last record of every partition: the processor had already indexed
    # them (and committed past them).
    for segment in segments_with_records(logpipe.data_dir):
        with open(segment, "r+b") as file:
            file.truncate(segment.stat().st_size - 7)

    again = start_logpipe(name="cut")
    later = [seed_event(n) for n in range(10_000, 11_000)]
    assert again.post(ndjson(later), "application/x-ndjson").json()["accepted"] == 1000

    def all_searchable():
        hits = again.search_all()
        return len(hits) == 3000 and hits

    hits = wait_until(all_searchable, 120)
    assert hits, f"{len(again.search_all())} of 3000 events searchable"
    numbers = sorted(sequence(hit) for hit in hits)
    assert numbers == list(range(2000)) + list(range(10_000, 11_000))
    assert again.metric("spool_records_lost_total") >= 1
    assert "segment tail cut off" in again.stderr_text()


def test_committed_offsets_past_the_end_never_skip_new_events(start_logpipe):
    logpipe = start_logpipe(name="offsets")
    assert logpipe.post(ndjson(seed_event(n) for n in range(500)),
                        "application/x-ndjson").json()["accepted"] == 500
    assert wait_until(lambda: len(logpipe.search_all()) == 500, 120)
    assert logpipe.stop() == 0
    # Segments restored from an older copy: the spool holds less than the groups committed.
    for segment in segments_with_records(logpipe.data_dir):
        segment.write_bytes(b"")

    again = start_logpipe(name="offsets")
    assert again.post(ndjson(seed_event(n) for n in range(20_000, 20_300)),
                      "application/x-ndjson").json()["accepted"] == 300
    assert wait_until(lambda: len(again.search_all()) == 800, 120), \
        f"{len(again.search_all())} of 800 events searchable"
    assert again.metric("spool_offsets_skipped_total") > 0
