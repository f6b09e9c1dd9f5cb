"""Limits and shutdown paths no other test reached: the 1,000-error cap of an ingest answer,
MAX_CONNECTIONS, BATCH_MAX_BYTES, and SIGTERM in the middle of a full load."""

import json
import signal
import socket
import threading
from collections import Counter

import requests

from archives import LocalArchive, archived_lines
from conftest import wait_until
from seed_events import ndjson, seed_event


def test_an_ingest_answer_lists_the_first_1000_errors_and_counts_the_rest(start_logpipe):
    logpipe = start_logpipe(env={"MAX_BODY_BYTES": "4MiB"})
    bad = {"service": "x", "level": "LOUD", "message": "m"}
    events = [seed_event(0)] + [bad] * 1500 + [seed_event(1)]
    response = logpipe.post(ndjson(events), "application/x-ndjson")
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["accepted"] == 2 and answer["rejected"] == 1500
    assert len(answer["errors"]) == 1000
    assert [error["index"] for error in answer["errors"]] == list(range(1, 1001))
    assert answer["errors_not_listed"] == 500
    assert logpipe.metric("logs_produced_total") == 2


def open_idle_connection(url):
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def closed_by_server(connection):
    """True when the server closed the connection (no request was sent on it)."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def open_busy_connection(url):
    """A connection about to send a request body: busy, so never closed to make room. The
    server's 100 Continue says it read the header."""
    connection = open_idle_connection(url)
    connection.sendall(b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                       b"Expect: 100-continue\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = connection.recv(1024)
        assert chunk, "closed instead of answering 100 Continue"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 100"), answer
    return connection


def test_connections_past_max_connections_are_closed_and_counted(start_logpipe):
    # Idle connections make room for new ones (test_attack.py); busy ones do not.
    logpipe = start_logpipe(env={"MAX_CONNECTIONS": "4"})
    held = [open_busy_connection(logpipe.ingest_url) for _ in range(4)]
    try:
        # The server counts a connection once it accepted it: wait until all four are, by
        # seeing a fifth refused.
        def fifth_refused():
            extra = open_idle_connection(logpipe.ingest_url)
            try:
                return closed_by_server(extra)
            finally:
                extra.close()

        assert wait_until(fifth_refused, 60)
        assert logpipe.metric("http_connections_rejected_total") >= 1
    finally:
        for connection in held:
            connection.close()
    # Freed slots serve again.
    assert wait_until(lambda: logpipe.post(json.dumps(seed_event(1))).status_code == 202, 60)


def test_an_archive_batch_closes_at_batch_max_bytes(start_logpipe, tmp_path):
    archive_dir = tmp_path / "archive"
    # Only the byte limit can close a batch: the count and the timeout are far away.
    logpipe = start_logpipe(env={"ARCHIVE_DIR": str(archive_dir), "BATCH_SIZE": "100000",
                                 "BATCH_TIMEOUT_SECONDS": "3600", "BATCH_MAX_BYTES": "4096",
                                 "SPOOL_PARTITIONS": "1"})
    events = [seed_event(n) for n in range(200)]
    assert logpipe.post(ndjson(events), "application/x-ndjson").status_code == 202
    archive = LocalArchive(archive_dir)
    event_bytes = max(len(json.dumps(event)) for event in events) + 200  # Normalized, a bit more.
    assert wait_until(lambda: len(archived_lines(archive)) >= len(events) - 4096 // 100, 120), \
        "batches did not close at BATCH_MAX_BYTES"
    objects = archive.objects()
    assert len(objects) >= 2
    for key, (body, metadata) in objects.items():
        lines = [line for line_key, line in archived_lines(archive) if line_key == key]
        size = sum(len(line) + 1 for line in lines)
        # A batch closes on the event that reaches the limit: at most one event past it.
        assert size < 4096 + event_bytes, (key, size)


def test_sigterm_under_full_load_keeps_every_acknowledged_event_and_exits(start_logpipe):
    logpipe = start_logpipe(env={"SPOOL_FSYNC": "always", "DRAIN_TIMEOUT_SECONDS": "10"})
    acknowledged_per_client = [[] for _ in range(4)]
    stop = threading.Event()

    def post_until_stopped(first, acknowledged):
        number = first
        with requests.Session() as session:
            while not stop.is_set():
                events = [seed_event(n) for n in range(number, number + 50)]
                try:
                    response = logpipe.post(ndjson(events), "application/x-ndjson",
                                            session=session)
                except requests.RequestException:
                    return  # Refused or cut off by the shutdown: not acknowledged.
                if response.status_code == 202:
                    acknowledged.extend(range(number, number + 50))
                number += 50

    clients = [threading.Thread(target=post_until_stopped, args=(index * 10_000_000, numbers))
               for index, numbers in enumerate(acknowledged_per_client)]
    for client in clients:
        client.start()
    assert wait_until(lambda: sum(map(len, acknowledged_per_client)) >= 5000, 300)
    logpipe.process.send_signal(signal.SIGTERM)
    # Bounded: the ingest drain is capped at 10 s; the rest of the margin is for a loaded machine.
    code = logpipe.process.wait(120)
    stop.set()
    for client in clients:
        client.join(60)
    assert code == 0, logpipe.stderr_text()[-4000:]
    assert "stopped" in logpipe.stderr_text()

    records = logpipe.read_spool("sigterm-check")
    numbers = Counter(int(json.loads(record["value"])["message"].rsplit("-", 1)[1])
                      for record in records)
    acknowledged = [number for numbers in acknowledged_per_client for number in numbers]
    missing = [number for number in acknowledged if numbers[number] == 0]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
