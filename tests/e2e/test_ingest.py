"""POST /logs end to end: every body form, every class of bad input, health and metrics."""

import gzip
import json
import subprocess

import pytest
import requests
import zstandard

from conftest import binary
from seed_events import ndjson, seed_event

SEED = seed_event(1)


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe(env={"MAX_BODY_BYTES": "1MiB"})


def test_accepts_every_body_form_with_the_right_counts(logpipe):
    accepted = 0
    forms = [
        (json.dumps(SEED), "application/json", {}, 1),
        (json.dumps([seed_event(i) for i in range(5)]), "application/json", {}, 5),
        (ndjson(seed_event(i) for i in range(7)), "application/x-ndjson", {}, 7),
        (ndjson(seed_event(i) for i in range(3)), "application/json", {}, 3),
        (json.dumps(SEED, indent=2), "application/json; charset=utf-8", {}, 1),
        (gzip.compress(ndjson(seed_event(i) for i in range(4)).encode()), "application/x-ndjson",
         {"Content-Encoding": "gzip"}, 4),
        (zstandard.ZstdCompressor().compress(json.dumps([SEED, SEED]).encode()), "application/json",
         {"Content-Encoding": "zstd"}, 2),
    ]
    for body, content_type, headers, expected in forms:
        response = requests.post(f"{logpipe.ingest_url}/logs", data=body,
                                 headers={"Content-Type": content_type, **headers}, timeout=30)
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": expected, "rejected": 0, "errors": []}
        accepted += expected
    assert logpipe.metric("logs_produced_total") == accepted


def test_lists_rejected_events_of_a_partly_bad_batch_by_index(logpipe):
    bad = {"service": "x", "level": "LOUD", "message": "m"}
    response = logpipe.post(json.dumps([SEED, bad, SEED, {"service": "x"}]))
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2 and body["rejected"] == 2
    assert [error["index"] for error in body["errors"]] == [1, 3]
    assert 'unknown value "LOUD"' in body["errors"][0]["error"]
    assert 'missing required field "level"' in body["errors"][1]["error"]
    assert logpipe.metric("logs_produced_total") == 2


def deep_event(depth):
    return ('{"service":"a","level":"INFO","message":"m","payload":' + '{"a":' * (depth - 2) + "{}"
            + "}" * (depth - 2) + "}")


BAD_INPUTS = [
    # name, body, content type, extra headers, status, words the message must contain
    ("truncated JSON", '{"service":"a","level":"INFO","mess', "application/json", {}, 400, "invalid JSON"),
    ("missing field", '{"service":"a","message":"m"}', "application/json", {}, 400,
     'missing required field \\"level\\"'),
    ("wrong type", '{"service":"a","level":"INFO","message":42}', "application/json", {}, 400,
     'field \\"message\\" must be a string, not a number'),
    ("bad level", '{"service":"a","level":"LOUD","message":"m"}', "application/json", {}, 400,
     'field \\"level\\" has unknown value'),
    ("bad timestamp", '{"service":"a","level":"INFO","message":"m","timestamp":"yesterday"}',
     "application/json", {}, 400, "not an RFC 3339 time"),
    ("invalid UTF-8", b'{"service":"a","level":"INFO","message":"\xff\xfe"}', "application/x-ndjson",
     {}, 400, "invalid UTF-8"),
    ("nesting deeper than 64", deep_event(65), "application/json", {}, 400,
     "nesting deeper than 64 levels"),
    ("not an object", "[1, \"two\"]", "application/json", {}, 400, "must be a JSON object, not a number"),
    ("empty array", "[]", "application/json", {}, 400, "empty array"),
    ("empty body", "", "application/json", {}, 400, "empty body"),
    ("body over the limit", "[" + ",".join([json.dumps(SEED)] * 4000) + "]", "application/json", {},
     413, "1048576-byte limit"),
    ("unknown Content-Encoding", json.dumps(SEED), "application/json", {"Content-Encoding": "br"}, 415,
     'unsupported Content-Encoding \\"br\\"'),
    ("corrupt gzip", b"\x1f\x8b\x08\x00garbage", "application/json", {"Content-Encoding": "gzip"}, 400,
     "corrupt gzip body"),
    ("corrupt zstd", b"\x28\xb5\x2f\xfdgarbage", "application/json", {"Content-Encoding": "zstd"}, 400,
     "corrupt zstd body"),
    ("gzip bomb", gzip.compress(b" " * (4 << 20)), "application/json", {"Content-Encoding": "gzip"}, 413,
     "exceeds the limit"),
    ("unsupported Content-Type", json.dumps(SEED), "text/csv", {}, 415, "unsupported Content-Type"),
]


@pytest.mark.parametrize("name,body,content_type,headers,status,words", BAD_INPUTS,
                         ids=[case[0] for case in BAD_INPUTS])
def test_refuses_bad_input_with_a_specific_error_and_keeps_serving(logpipe, name, body, content_type,
                                                                   headers, status, words):
    response = requests.post(f"{logpipe.ingest_url}/logs", data=body,
                             headers={"Content-Type": content_type, **headers}, timeout=30)
    assert response.status_code == status, response.text
    assert words in response.text, response.text
    assert response.json()  # Every refusal is JSON.
    assert requests.get(f"{logpipe.ingest_url}/healthz", timeout=30).status_code == 200
    good = logpipe.post(json.dumps(SEED))
    assert good.status_code == 202
    assert logpipe.metric("logs_produced_total") == 1


def test_metrics_count_exactly_what_was_accepted(logpipe):
    accepted = 0
    with requests.Session() as session:
        for batch in range(20):
            events = [seed_event(batch * 10 + i) for i in range(10)]
            if batch % 3 == 0:
                events[4] = {"service": "broken"}
            response = logpipe.post(ndjson(events), "application/x-ndjson", session=session)
            assert response.status_code == 202
            accepted += response.json()["accepted"]
    assert accepted == 193
    assert logpipe.metric("logs_produced_total") == accepted
    assert logpipe.metric("logs_rejected_total") == 7
    text = requests.get(f"{logpipe.metrics_url}/metrics", timeout=30).text
    assert 'http_requests_total{route="/logs",code="202"} 20' in text
    assert "produce_latency_seconds_count 20" in text


def test_health_and_readiness_on_both_ports(logpipe):
    for base in (logpipe.ingest_url, logpipe.metrics_url):
        assert requests.get(f"{base}/healthz", timeout=30).json() == {"status": "ok"}
        assert requests.get(f"{base}/readyz", timeout=30).json() == {"status": "ready"}


def test_requires_the_token_when_authentication_is_configured(start_logpipe):
    logpipe = start_logpipe(env={"COLLECTOR_AUTH_TOKEN": "s3cret-token"})
    assert logpipe.post(json.dumps(SEED)).status_code == 401
    assert logpipe.post(json.dumps(SEED), Authorization="Bearer nope").status_code == 401
    assert logpipe.post(json.dumps(SEED), Authorization="Bearer s3cret-token").status_code == 202
    assert "s3cret-token" not in logpipe.stderr_text()


def test_accepted_events_reach_the_spool_as_received(start_logpipe):
    logpipe = start_logpipe()
    pretty = json.dumps(SEED, indent=2)
    assert logpipe.post(pretty).status_code == 202
    assert logpipe.stop() == 0
    records = logpipe.read_spool("e2e-check")
    assert len(records) == 1
    assert records[0]["key"] == SEED["service"]
    assert json.loads(records[0]["value"]) == SEED
    assert records[0]["value"] == json.dumps(SEED, separators=(",", ":"))


@pytest.mark.parametrize("env,words", [
    ({"COLLECTOR_PORT": "eighty"}, "collector-port (environment variable COLLECTOR_PORT)"),
    ({"SPOOL_FSYNC": "sometimes"}, "spool-fsync (environment variable SPOOL_FSYNC)"),
    ({"MAX_BODY_BYTES": "huge"}, "max-body-bytes (environment variable MAX_BODY_BYTES)"),
    ({"SEARCH_RETENTION_DAYS": "0"}, "search-retention-days (environment variable SEARCH_RETENTION_DAYS)"),
])
def test_bad_configuration_fails_at_start_naming_the_setting(tmp_path, env, words):
    result = subprocess.run([binary(), "run"], env={"LOGPIPE_DATA_DIR": str(tmp_path), **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert words in result.stderr


def test_version_and_help():
    version = subprocess.run([binary(), "version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("logpipe ")
    for command in (["--help"], ["run", "--help"], ["spool", "read", "--help"]):
        result = subprocess.run([binary(), *command], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "Usage" in result.stdout
