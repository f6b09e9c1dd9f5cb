"""Splunk's HTTP Event Collector with a real client (splunk-handler, the event endpoint) and
requests in HEC's documented form for the raw and health endpoints: the mapping, HEC's answer
codes, authentication, tenants and rate limits, backpressure."""

import json
import logging

import pytest
import requests
from splunk_handler import SplunkHandler

from protocol_support import (FULL_SPOOL_ENV, SHIPPER_TOKEN, refused_when_full, searchable,
                              tenant_env, tenant_hits)


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe()


def splunk_logger(logpipe, name, token="any", source="checkout"):
    port = int(logpipe.ingest_url.rsplit(":", 1)[1])
    handler = SplunkHandler(host="127.0.0.1", port=port, protocol="http", verify=False,
                            token=token, index="main", hostname="web-1", source=source,
                            sourcetype="text", flush_interval=0.2, retry_count=0)
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    return logger, handler


def hec(logpipe, path, body, token=None, **parameters):
    headers = {"Authorization": f"Splunk {token}"} if token else {}
    return requests.post(f"{logpipe.ingest_url}/services/collector/{path}", data=body,
                         params=parameters, headers=headers, timeout=30)


def test_the_splunk_handler_delivers_with_the_documented_mapping(logpipe):
    logger, handler = splunk_logger(logpipe, "shop")
    for n in range(3):
        logger.warning("order %d paid", n)
    handler.close()  # sends what is queued
    hits = searchable(logpipe, 3, service="checkout")
    assert sorted(hit["message"] for hit in hits) == ["order 0 paid", "order 1 paid",
                                                       "order 2 paid"]
    assert hits[0]["host"] == "web-1"
    assert hits[0]["labels"] == {"source": "checkout", "sourcetype": "text", "index": "main"}
    assert logpipe.metric_series("logs_produced_by_protocol_total")[
        '{protocol="splunk_hec"}'] == 3


def test_event_objects_raw_lines_and_health(logpipe):
    events = "".join(json.dumps(event) for event in [
        {"time": 1700000000.5, "host": "n1", "source": "api", "fields": {"region": "eu"},
         "event": {"message": "GET /a", "log.level": "error", "user": "u-1"}},
        {"event": "plain", "source": "api", "fields": {"level": "debug"}}])
    answer = hec(logpipe, "event", events)
    assert answer.status_code == 200 and answer.json() == {"text": "Success", "code": 0}
    raw = hec(logpipe, "raw", "line one\nline two\n", source="nginx", host="edge-2")
    assert raw.json() == {"text": "Success", "code": 0}
    hits = searchable(logpipe, 2, service="api")
    mapped = next(hit for hit in hits if hit["message"] == "GET /a")
    assert mapped["level"] == "ERROR" and mapped["payload"] == {"user": "u-1"}
    assert mapped["timestamp"] == "2023-11-14T22:13:20.500Z" and mapped["host"] == "n1"
    assert mapped["labels"] == {"region": "eu", "source": "api"}
    assert next(hit for hit in hits if hit["message"] == "plain")["level"] == "DEBUG"
    lines = searchable(logpipe, 2, service="nginx")
    assert sorted(hit["message"] for hit in lines) == ["line one", "line two"]
    assert {hit["host"] for hit in lines} == {"edge-2"}
    for path in ["health", "health/1.0"]:
        health = requests.get(f"{logpipe.ingest_url}/services/collector/{path}", timeout=30)
        assert health.json() == {"text": "HEC is healthy", "code": 17}


def test_bad_input_gets_hecs_codes(logpipe):
    assert hec(logpipe, "event", "").json()["code"] == 5
    assert hec(logpipe, "event", '{"event": "a"} {"event":').json()["code"] == 6
    answer = hec(logpipe, "event", '{"event":"kept"} {"host":"h"} {"event":"also kept"}')
    assert answer.status_code == 400
    assert answer.json() == {"text": "Event field is required", "code": 12,
                             "invalid-event-number": 1}
    assert len(searchable(logpipe, 2, q="kept")) == 2


def test_a_tenant_token_stamps_its_tenant_and_its_rate_is_a_429(start_logpipe, tmp_path):
    logpipe = start_logpipe(env=tenant_env(tmp_path, "events_per_second = 0.01\nevents_burst = 2"))
    logger, handler = splunk_logger(logpipe, "tenanted", token=SHIPPER_TOKEN, source="shop")
    logger.info("one")
    logger.info("two")
    handler.close()
    over = hec(logpipe, "event", '{"event":"over","source":"shop"}', token=SHIPPER_TOKEN)
    assert over.status_code == 429 and over.json()["code"] == 9
    assert int(over.headers["Retry-After"]) >= 1
    assert hec(logpipe, "event", '{"event":"x"}').json() == {"text": "Token is required",
                                                              "code": 2}
    refused = hec(logpipe, "event", '{"event":"x"}', token="wrong")
    assert refused.status_code == 403 and refused.json()["code"] == 4
    hits = tenant_hits(logpipe, 2, service="shop")
    assert sorted(hit["message"] for hit in hits) == ["one", "two"]
    assert {hit["tenant"] for hit in hits} == {"acme"}


def test_backpressure_is_a_503_with_retry_after(start_logpipe):
    logpipe = start_logpipe(env=FULL_SPOOL_ENV)
    answer = refused_when_full(logpipe, lambda: hec(logpipe, "event", '{"event":"m"}'),
                               lambda answer: answer.status_code != 200)
    assert answer.status_code == 503 and answer.json()["code"] == 9
    assert answer.headers["Retry-After"] == "1"
    # The health check tells load balancers and forwarders so before they send.
    health = requests.get(f"{logpipe.ingest_url}/services/collector/health", timeout=30)
    assert health.status_code == 503
    assert health.json() == {"text": "HEC is unhealthy, queues are full", "code": 18}
