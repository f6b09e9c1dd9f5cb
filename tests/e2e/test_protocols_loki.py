"""Loki's push API with a real client (python-logging-loki, JSON) and a protobuf+snappy push
built with the Python protobuf and snappy packages from logpipe's push.proto (no maintained
Python client speaks the protobuf encoding): the mapping, Loki's answers, /ready,
authentication, tenants and rate limits, backpressure."""

import logging
import subprocess
import time

import logging_loki
import pytest
import requests
import snappy
from google.protobuf import descriptor_pb2, message_factory

from conftest import REPO
from protocol_support import (FULL_SPOOL_ENV, SHIPPER_TOKEN, refused_when_full, searchable,
                              tenant_env, tenant_hits)


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe()


@pytest.fixture(scope="module")
def push_request(tmp_path_factory):
    """logpipe.loki.PushRequest, built from the .proto the collector is built from."""
    descriptor_file = tmp_path_factory.mktemp("loki") / "push.pb"
    subprocess.run(["protoc", f"-I{REPO / 'src'}", "-I/usr/include", "--include_imports",
                    f"--descriptor_set_out={descriptor_file}",
                    "collector/protocols/loki_push.proto"], check=True)
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_file.read_bytes())
    return message_factory.GetMessages(files.file)["logpipe.loki.PushRequest"]


def loki_logger(logpipe, name, auth=None, tags=None):
    handler = logging_loki.LokiHandler(url=f"{logpipe.ingest_url}/loki/api/v1/push", version="1",
                                       tags=tags or {"service_name": "shop", "env": "prod"},
                                       auth=auth)
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    return logger


def protobuf_push(push_request, labels, lines, metadata=None):
    request = push_request()
    stream = request.streams.add(labels=labels)
    for n, line in enumerate(lines):
        entry = stream.entries.add(line=line)
        entry.timestamp.FromNanoseconds(1_700_000_000_000_000_000 + n * 1_000_000)
        for name, value in (metadata or {}).items():
            entry.structured_metadata.add(name=name, value=value)
    return snappy.compress(request.SerializeToString())


def test_the_python_client_pushes_json_with_the_documented_mapping(logpipe):
    logger = loki_logger(logpipe, "shop.cart")
    logger.warning("cart emptied")
    logger.error("payment failed")
    hits = searchable(logpipe, 2, service="shop")
    assert len(hits) == 2
    warning = next(hit for hit in hits if hit["message"] == "cart emptied")
    assert warning["level"] == "WARN"
    assert warning["labels"] == {"service_name": "shop", "env": "prod", "severity": "warning",
                                 "logger": "shop.cart"}
    assert next(hit for hit in hits if hit["message"] == "payment failed")["level"] == "ERROR"
    assert logpipe.metric_series("logs_produced_by_protocol_total")['{protocol="loki"}'] == 2


def test_a_snappy_protobuf_push_with_structured_metadata(logpipe, push_request):
    body = protobuf_push(push_request, '{job="api", host="node-3"}', ["GET /a 200", "GET /b 500"],
                         {"trace_id": "t-42", "route": "/a", "level": "debug"})
    answer = requests.post(f"{logpipe.ingest_url}/loki/api/v1/push", data=body, timeout=30,
                           headers={"Content-Type": "application/x-protobuf"})
    assert answer.status_code == 204, answer.text
    hits = searchable(logpipe, 2, service="api")
    first = next(hit for hit in hits if hit["message"] == "GET /a 200")
    assert first["host"] == "node-3" and first["level"] == "DEBUG" and first["trace_id"] == "t-42"
    assert first["payload"] == {"route": "/a"}
    assert first["timestamp"] == "2023-11-14T22:13:20.000Z"


def test_bad_input_gets_lokis_answers_and_ready_is_served(logpipe):
    push = f"{logpipe.ingest_url}/loki/api/v1/push"
    not_push = requests.post(push, data="{}", timeout=30,
                             headers={"Content-Type": "application/json"})
    assert not_push.status_code == 400 and "streams" in not_push.text
    assert requests.post(push, data="x", timeout=30,
                         headers={"Content-Type": "text/plain"}).status_code == 415
    assert requests.post(push, data=b"\xff\xff\xff", timeout=30,
                         headers={"Content-Type": "application/x-protobuf"}).status_code == 400
    some_bad = {"streams": [{"stream": {"job": "mixed"},
                             "values": [["1700000000000000000", "fine"], ["soon", "bad time"]]}]}
    answer = requests.post(push, json=some_bad, timeout=30)
    assert answer.status_code == 400 and "entry 1:" in answer.text
    assert [hit["message"] for hit in searchable(logpipe, 1, service="mixed")] == ["fine"]
    assert requests.get(f"{logpipe.ingest_url}/ready", timeout=30).status_code == 200


def test_a_tenant_token_stamps_its_tenant_and_its_rate_is_a_429(start_logpipe, tmp_path):
    logpipe = start_logpipe(env=tenant_env(tmp_path, "events_per_second = 0.01\nevents_burst = 2"))
    logger = loki_logger(logpipe, "tenanted", auth=("shipper", SHIPPER_TOKEN))
    logger.info("one")
    logger.info("two")
    over = requests.post(f"{logpipe.ingest_url}/loki/api/v1/push", timeout=30,
                         auth=("shipper", SHIPPER_TOKEN),
                         json={"streams": [{"stream": {"service_name": "shop"},
                                            "values": [[str(time.time_ns()), "over"]]}]})
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert requests.post(f"{logpipe.ingest_url}/loki/api/v1/push", json={"streams": []},
                         timeout=30).status_code == 401
    hits = tenant_hits(logpipe, 2, service="shop")
    assert sorted(hit["message"] for hit in hits) == ["one", "two"]
    assert {hit["tenant"] for hit in hits} == {"acme"}


def test_backpressure_is_a_503_with_retry_after(start_logpipe, push_request):
    logpipe = start_logpipe(env=FULL_SPOOL_ENV)
    body = protobuf_push(push_request, '{job="full"}', ["m"])
    answer = refused_when_full(
        logpipe,
        lambda: requests.post(f"{logpipe.ingest_url}/loki/api/v1/push", data=body, timeout=30,
                              headers={"Content-Type": "application/x-protobuf"}),
        lambda answer: answer.status_code != 204)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
