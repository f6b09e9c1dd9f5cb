"""OTLP/HTTP logs with the OpenTelemetry Python SDK's exporter (protobuf) and the OTLP JSON
encoding: the mapping, partial success, errors in OTLP's form, authentication, backpressure."""

import logging

import pytest
import requests
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from protocol_support import (FULL_SPOOL_ENV, READER_TOKEN, SHIPPER_TOKEN, refused_when_full,
                              searchable, tenant_env, tenant_hits)


def python_logger(logpipe, name, headers=None):
    """A Python logger whose records the SDK exports to logpipe over OTLP/HTTP (protobuf)."""
    provider = LoggerProvider(resource=Resource.create(
        {"service.name": "checkout", "host.name": "pod-1", "deployment.environment": "prod"}))
    exporter = OTLPLogExporter(endpoint=f"{logpipe.ingest_url}/v1/logs", headers=headers)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.handlers = [LoggingHandler(level=logging.DEBUG, logger_provider=provider)]
    logger.setLevel(logging.DEBUG)
    return logger, provider


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe(env={"MAX_EVENT_BYTES": "4KiB"})


def test_the_sdk_exporter_delivers_with_the_documented_mapping(logpipe):
    logger, provider = python_logger(logpipe, "shop.cart")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("checkout") as span:
        logger.warning("cart %s emptied", "c-1", extra={"cart.items": 3})
        trace_id = format(span.get_span_context().trace_id, "032x")
        span_id = format(span.get_span_context().span_id, "016x")
    logger.debug("details")
    provider.shutdown()

    hits = searchable(logpipe, 2, service="checkout")
    assert len(hits) == 2
    warning = next(hit for hit in hits if hit["level"] == "WARN")
    assert warning["message"] == "cart c-1 emptied"
    assert warning["host"] == "pod-1"
    assert (warning["trace_id"], warning["span_id"]) == (trace_id, span_id)
    assert warning["labels"]["deployment.environment"] == "prod"
    assert warning["labels"]["otel.scope.name"] == "shop.cart"
    assert warning["payload"]["cart.items"] == 3
    assert {hit["level"] for hit in hits} == {"WARN", "DEBUG"}
    assert logpipe.metric_series("logs_produced_by_protocol_total")['{protocol="otlp"}'] == 2


def json_export(records, service="json-svc"):
    return {"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeLogs": [{"scope": {"name": "lib"}, "logRecords": records}]}]}


def test_the_json_encoding_with_hex_ids_and_partial_success(logpipe):
    records = [
        {"timeUnixNano": "1700000000000000000", "severityNumber": 17,
         "body": {"stringValue": "json hello"}, "traceId": "5B8EFFF798038103D269B633813FC60C",
         "spanId": "EEE19B7EC3C1B174", "attributes": [{"key": "n", "value": {"intValue": "42"}}]},
        {"body": {"stringValue": "x" * 5000}},  # over MAX_EVENT_BYTES: rejected alone
    ]
    response = requests.post(f"{logpipe.ingest_url}/v1/logs", json=json_export(records), timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "1"
    assert "log record 1" in partial["errorMessage"]
    hit, = searchable(logpipe, 1, service="json-svc")
    assert hit["timestamp"] == "2023-11-14T22:13:20.000Z"
    assert hit["level"] == "ERROR"
    assert hit["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert hit["span_id"] == "eee19b7ec3c1b174"
    assert hit["payload"] == {"n": 42}


def test_bad_input_gets_otlp_errors(logpipe):
    response = requests.post(f"{logpipe.ingest_url}/v1/logs", data=b"\xff\xff",
                             headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/x-protobuf"
    response = requests.post(f"{logpipe.ingest_url}/v1/logs", data=b"{", timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == 3
    response = requests.post(f"{logpipe.ingest_url}/v1/logs", data=b"x", timeout=30,
                             headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_the_token_is_required_as_a_bearer_token(start_logpipe):
    logpipe = start_logpipe(env={"COLLECTOR_AUTH_TOKEN": "s3cret"})
    response = requests.post(f"{logpipe.ingest_url}/v1/logs", json=json_export([]), timeout=30)
    assert response.status_code == 401
    logger, provider = python_logger(logpipe, "auth", headers={"Authorization": "Bearer s3cret"})
    logger.info("let in")
    provider.shutdown()
    assert logpipe.metric_series("logs_produced_by_protocol_total")['{protocol="otlp"}'] == 1


def test_backpressure_is_a_503_with_retry_after(start_logpipe):
    logpipe = start_logpipe(env=FULL_SPOOL_ENV)
    response = refused_when_full(
        logpipe,
        lambda: requests.post(f"{logpipe.ingest_url}/v1/logs", timeout=30,
                              json=json_export([{"body": {"stringValue": "m"}}])),
        lambda answer: answer.status_code != 200)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == 14


def test_a_tenant_token_stamps_its_tenant_and_its_rate_is_a_429(start_logpipe, tmp_path):
    logpipe = start_logpipe(env=tenant_env(tmp_path, "events_per_second = 0.01\nevents_burst = 2"))
    logger, provider = python_logger(logpipe, "tenanted",
                                     headers={"Authorization": "Bearer " + SHIPPER_TOKEN})
    logger.info("first")
    logger.info("second")
    provider.shutdown()
    over = requests.post(f"{logpipe.ingest_url}/v1/logs", timeout=30,
                         json=json_export([{"body": {"stringValue": "over"}}]),
                         headers={"Authorization": "Bearer " + SHIPPER_TOKEN})
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert over.json()["code"] == 8  # RESOURCE_EXHAUSTED
    forbidden = requests.post(f"{logpipe.ingest_url}/v1/logs", timeout=30, json=json_export([]),
                              headers={"Authorization": "Bearer " + READER_TOKEN})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == 7
    hits = tenant_hits(logpipe, 2, service="checkout")
    assert sorted(hit["message"] for hit in hits) == ["first", "second"]
    assert {hit["tenant"] for hit in hits} == {"acme"}
