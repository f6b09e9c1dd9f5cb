"""The query API of logpipe run (embedded store): the query language, totals with "gte", facets,
histograms by any field, context, the tail as Server-Sent Events, and the query port."""

import json
import signal
import subprocess

import requests

from conftest import wait_until
from seed_events import ndjson

# The events are dated 2025-10-30; keep them past the default 30-day search retention.
KEEP = {"SEARCH_RETENTION_DAYS": "36500"}


def event(number, service, level, message, second, host="app-1", **extra):
    return {"timestamp": f"2025-10-30T12:{second // 60:02d}:{second % 60:02d}.000Z",
            "service": service, "level": level, "message": message, "host": host,
            "trace_id": f"trace-{number}", **extra}


EVENTS = [
    event(1, "web", "INFO", "User logged in", 1, payload={"status": 200, "duration_ms": 12},
          labels={"env": "production"}),
    event(2, "web", "ERROR", "Payment declined for user", 2, payload={"status": 502, "duration_ms": 250},
          labels={"env": "staging"}),
    event(3, "payments", "ERROR", "Card declined by issuer", 3, host="pay-1",
          payload={"status": 500, "duration_ms": 480, "http": {"method": "POST"}}),
    event(4, "payments", "INFO", "Payment accepted", 4, host="pay-1", payload={"status": "500"}),
    event(5, "auth", "WARN", "Password retry limit near", 5, host="auth-1"),
    event(6, "web", "INFO", "User logged out", 6),
]


def get(logpipe, path, **parameters):
    return requests.get(f"{logpipe.query_url}{path}", params=parameters, timeout=60)


def traces(logpipe, q):
    response = get(logpipe, "/api/search", q=q)
    assert response.status_code == 200, response.text
    return sorted(int(hit["trace_id"].split("-")[1]) for hit in response.json()["hits"])


def started_with_events(start_logpipe, events=EVENTS, env=None):
    logpipe = start_logpipe(env={**KEEP, **(env or {})})
    assert logpipe.post(ndjson(events), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: get(logpipe, "/api/search").json()["total"] >= len(events), 60)
    return logpipe


def test_the_query_language_over_http(start_logpipe):
    logpipe = started_with_events(start_logpipe)
    assert traces(logpipe, "service:web level:error") == [2]
    assert traces(logpipe, "payload.status>=500") == [2, 3]
    assert traces(logpipe, "payload.status:500") == [3, 4]
    assert traces(logpipe, "payload.duration_ms:[100 TO 300]") == [2]
    assert traces(logpipe, "payload.http.method:POST") == [3]
    assert traces(logpipe, "labels.env:prod*") == [1]
    assert traces(logpipe, "host:pay-1 OR service:auth") == [3, 4, 5]
    assert traces(logpipe, "(declined OR logged) -service:payments") == [1, 2, 6]
    assert traces(logpipe, "timestamp>=2025-10-30T12:00:05Z") == [5, 6]
    assert traces(logpipe, '"logged in"') == [1]
    response = get(logpipe, "/api/search", q="service:web AND")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "q: invalid query at character 16: the query ends where a search term is needed")
    body = get(logpipe, "/api/search", q="web").json()
    assert body["total_relation"] == "eq"


def test_facets_histograms_and_context(start_logpipe):
    logpipe = started_with_events(start_logpipe)
    facets = get(logpipe, "/api/facets", field="service", size=2).json()
    assert facets == {"field": "service", "values": [{"value": "web", "count": 3},
                                                     {"value": "payments", "count": 2}],
                      "other": 1, "total_relation": "eq"}
    facets = get(logpipe, "/api/facets", field="host", q="level:ERROR").json()
    assert facets["values"] == [{"value": "app-1", "count": 1}, {"value": "pay-1", "count": 1}]
    assert get(logpipe, "/api/facets", field="message").status_code == 400

    histogram = get(logpipe, "/api/histogram", interval="2s", by="service").json()
    assert histogram["interval_ms"] == 2000
    assert {(b["start"][-10:], b["value"], b["count"]) for b in histogram["buckets"]} == {
        ("00:00.000Z", "web", 1), ("00:02.000Z", "payments", 1), ("00:02.000Z", "web", 1),
        ("00:04.000Z", "auth", 1), ("00:04.000Z", "payments", 1), ("00:06.000Z", "web", 1)}
    by_level = get(logpipe, "/api/histogram", interval="auto").json()
    # Six seconds of events: one-second buckets keep it under 120.
    assert by_level["interval_ms"] == 1000
    assert sum(b["count"] for b in by_level["buckets"]) == 6 and "level" in by_level["buckets"][0]
    day = get(logpipe, "/api/histogram", interval="auto",
              **{"from": "2025-10-30T00:00:00Z", "to": "2025-10-31T00:00:00Z"}).json()
    assert day["interval_ms"] == 900_000  # 96 buckets of 15 minutes.

    middle = get(logpipe, "/api/search", q="trace_id:trace-2").json()["hits"][0]
    context = get(logpipe, "/api/context", id=middle["_id"], before=5, after=5).json()
    # The same service and host (web on app-1): 1 before, 6 after.
    assert context["event"]["trace_id"] == "trace-2"
    assert [hit["trace_id"] for hit in context["before"]] == ["trace-1"]
    assert [hit["trace_id"] for hit in context["after"]] == ["trace-6"]
    assert get(logpipe, "/api/context", id="app-logs-0-999999").status_code == 404


def test_totals_are_exact_up_to_ten_thousand(start_logpipe):
    events = [event(n, "bulk", "INFO", f"bulk event {n}", n % 3600) for n in range(10_050)]
    logpipe = start_logpipe(env=KEEP)
    for start in range(0, len(events), 5000):
        assert logpipe.post(ndjson(events[start:start + 5000]),
                            "application/x-ndjson").status_code == 202
    assert wait_until(
        lambda: get(logpipe, "/api/search", track_total="true").json()["total"] == 10_050, 120)
    body = get(logpipe, "/api/search", q="bulk", limit=1).json()
    assert (body["total"], body["total_relation"]) == (10_000, "gte")
    exact = get(logpipe, "/api/search", q="bulk", limit=1, track_total="true").json()
    assert (exact["total"], exact["total_relation"]) == (10_050, "eq")
    printed = logpipe.cli("search", "bulk", "--limit", "3", "--server", logpipe.query_url)
    assert printed.returncode == 0, printed.stderr
    assert "3 of at least 10000 matching events" in printed.stderr


def read_events(lines, count):
    """The next `count` events of an event stream, as (id, document)."""
    events, event_id = [], None
    for line in lines:
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            events.append((event_id, json.loads(line[6:])))
            if len(events) == count:
                return events
    raise AssertionError(f"the stream ended after {len(events)} events")


def test_tail_streams_new_events_and_resumes_after_the_last_id(start_logpipe):
    logpipe = started_with_events(start_logpipe)
    with requests.get(f"{logpipe.query_url}/api/tail", params={"q": "service:web", "limit": 2},
                      stream=True, timeout=60) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        lines = stream.iter_lines(decode_unicode=True)
        first = read_events(lines, 2)
        assert [document["trace_id"] for _, document in first] == ["trace-2", "trace-6"]
        assert logpipe.post(json.dumps(event(7, "web", "INFO", "new one", 7))).status_code == 202
        assert logpipe.post(json.dumps(event(8, "auth", "INFO", "not for this tail", 8))).status_code == 202
        assert logpipe.post(json.dumps(event(9, "web", "INFO", "and another", 9))).status_code == 202
        (seven_id, seven), = read_events(lines, 1)
        assert seven["trace_id"] == "trace-7"
    with requests.get(f"{logpipe.query_url}/api/tail", params={"q": "service:web"},
                      headers={"Last-Event-ID": seven_id}, stream=True, timeout=60) as resumed:
        (_, nine), = read_events(resumed.iter_lines(decode_unicode=True), 1)
        assert nine["trace_id"] == "trace-9"

    printed = logpipe.cli("tail", "service:web", "-n", "2", "--server", logpipe.query_url)
    assert printed.returncode == 0, printed.stderr
    assert [line.split()[-1] for line in printed.stdout.splitlines()] == ["one", "another"]

    # As a terminal starts it: a run in the background of a non-interactive shell (as CI may be)
    # hands every child SIGINT ignored, and an ignored signal stays ignored across exec.
    follower = subprocess.Popen([logpipe.binary, "tail", "service:auth", "-f", "--json", "-n", "1",
                                 "--server", logpipe.query_url],
                                stdout=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert json.loads(follower.stdout.readline())["trace_id"] == "trace-8"
        assert logpipe.post(json.dumps(event(10, "auth", "ERROR", "followed", 10))).status_code == 202
        assert json.loads(follower.stdout.readline())["trace_id"] == "trace-10"
        # Ctrl-C stops it: only the servers keep SIGINT and SIGTERM for a thread of their own.
        follower.send_signal(signal.SIGINT)
        assert follower.wait(30) == -signal.SIGINT
    finally:
        follower.kill()
        follower.wait(60)


def test_the_query_api_on_its_own_port(start_logpipe):
    logpipe = started_with_events(start_logpipe, env={"QUERY_PORT": "0"})
    assert logpipe.query_url != logpipe.ingest_url
    assert get(logpipe, "/api/search").json()["total"] == 6
    assert requests.get(f"{logpipe.ingest_url}/api/search", timeout=30).status_code == 404
