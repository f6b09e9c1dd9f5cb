"""Events posted to logpipe run become searchable through the query API (embedded SQLite)."""

import json
import re
import socket
import subprocess

import requests

from conftest import binary, wait_until
from seed_events import ndjson


def event(number, service, level, message, second):
    return {"timestamp": f"2025-10-30T12:00:{second:02d}.000Z", "service": service, "level": level,
            "message": message, "trace_id": f"trace-{number}"}


EVENTS = [
    event(1, "web", "info", "User logged in successfully", 1),
    event(2, "web", "ERROR", "Payment declined for user", 2),
    event(3, "payments", "error", "Card declined by issuer", 3),
    event(4, "payments", "INFO", "Payment accepted", 4),
    event(5, "auth", "warning", "Password retry limit near", 5),
]


# The events are dated 2025-10-30; keep them past the default 30-day search retention.
KEEP = {"SEARCH_RETENTION_DAYS": "36500"}


def search(logpipe, **parameters):
    return requests.get(f"{logpipe.ingest_url}/api/search", params=parameters, timeout=30)


def indexed(logpipe, count):
    return wait_until(lambda: search(logpipe).json()["total"] >= count, 60)


def test_posted_events_become_searchable_newest_first(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    assert logpipe.post(ndjson(EVENTS), "application/x-ndjson").status_code == 202
    assert indexed(logpipe, 5)
    body = search(logpipe).json()
    assert body["total"] == 5 and body["cursor"] is None
    assert [hit["trace_id"] for hit in body["hits"]] == ["trace-5", "trace-4", "trace-3", "trace-2", "trace-1"]
    newest = body["hits"][0]
    assert newest["level"] == "WARN" and newest["timestamp"] == "2025-10-30T12:00:05.000Z"
    assert "ingested_at" in newest
    assert re.fullmatch(r"app-logs-\d+-\d+", newest["_id"]), newest["_id"]

    def traces(**parameters):
        return sorted(hit["trace_id"] for hit in search(logpipe, **parameters).json()["hits"])

    assert traces(q="declined") == ["trace-2", "trace-3"]
    assert traces(q='"card declined"') == ["trace-3"]
    assert traces(q="payment AND declined") == ["trace-2"]
    assert traces(q="declined NOT card") == ["trace-2"]
    assert traces(q="pass*") == ["trace-5"]
    assert traces(service="payments") == ["trace-3", "trace-4"]
    assert traces(level="error") == ["trace-2", "trace-3"]
    assert traces(**{"from": "2025-10-30T12:00:02Z", "to": "2025-10-30T12:00:04Z"}) == ["trace-2", "trace-3"]

    first = search(logpipe, limit=2).json()
    second = search(logpipe, limit=2, cursor=first["cursor"]).json()
    third = search(logpipe, limit=2, cursor=second["cursor"]).json()
    pages = [hit["trace_id"] for page in (first, second, third) for hit in page["hits"]]
    assert pages == ["trace-5", "trace-4", "trace-3", "trace-2", "trace-1"] and third["cursor"] is None

    histogram = requests.get(f"{logpipe.ingest_url}/api/histogram", params={"interval": "2s"},
                             timeout=30).json()
    counts = {(bucket["start"], bucket["level"]): bucket["count"] for bucket in histogram["buckets"]}
    assert counts[("2025-10-30T12:00:02.000Z", "ERROR")] == 2
    assert sum(counts.values()) == 5
    assert logpipe.metric("es_write_success_total") == 5
    assert logpipe.metric("ingested_events_total") == 5


def test_bad_query_parameters_are_refused_naming_the_parameter(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    for parameters, words in [({"level": "LOUD"}, "level"), ({"from": "yesterday"}, "from"),
                              ({"limit": "0"}, "limit"), ({"q": '"unbalanced'}, "invalid query"),
                              ({"cursor": "nonsense"}, "invalid cursor")]:
        response = search(logpipe, **parameters)
        assert response.status_code == 400, parameters
        assert words in response.json()["error"]
    response = requests.get(f"{logpipe.ingest_url}/api/histogram", params={"interval": "soon"}, timeout=30)
    assert response.status_code == 400 and "interval" in response.json()["error"]


def test_restart_keeps_the_index_without_duplicates(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    assert logpipe.post(ndjson(EVENTS), "application/x-ndjson").status_code == 202
    assert indexed(logpipe, 5)
    assert logpipe.stop() == 0
    restarted = start_logpipe(env=KEEP, name="data")
    assert restarted.post(json.dumps(event(6, "web", "INFO", "after restart", 6))).status_code == 202
    assert indexed(restarted, 6)
    assert search(restarted).json()["total"] == 6


def test_search_retention_counts_from_arrival_not_from_the_events_own_date(start_logpipe):
    logpipe = start_logpipe(env={"SEARCH_RETENTION_DAYS": "1"})
    assert logpipe.post(ndjson(EVENTS), "application/x-ndjson").status_code == 202
    assert indexed(logpipe, 5)
    assert logpipe.stop() == 0
    # Retention runs at start (and hourly): the events are dated 2025 but arrived just now, so
    # every one of them stays.
    restarted = start_logpipe(env={"SEARCH_RETENTION_DAYS": "1"}, name="data")
    assert search(restarted).json()["total"] == 5


def test_the_cli_timeout_bounds_a_request_to_a_server_that_never_answers():
    # A listener that takes the connection (the kernel does) and never answers. Each command's
    # --timeout of 1 s must end it; the default (30 s) would outlast the 20 s this test allows.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        server = f"http://127.0.0.1:{silent.getsockname()[1]}"
        for arguments in (["search", "anything"], ["tail", "anything"],
                          ["replay", "--from", "2025-10-30", "--to", "2025-10-30"]):
            result = subprocess.run([binary(), *arguments, "--server", server, "--timeout", "1"],
                                    capture_output=True, text=True, timeout=20)
            assert result.returncode == 1, (arguments, result.stderr)
            assert "127.0.0.1" in result.stderr, (arguments, result.stderr)
