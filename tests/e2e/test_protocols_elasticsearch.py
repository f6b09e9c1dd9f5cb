"""The Elasticsearch bulk API with the official Python clients (elasticsearch, opensearch-py):
their start-up probes, helpers.bulk, the ECS field mapping, per-item errors, authentication
and backpressure."""

import json

import elasticsearch
import opensearchpy
import pytest
import requests
from elasticsearch import Elasticsearch, helpers

from conftest import wait_until
from protocol_support import (FULL_SPOOL_ENV, READER_TOKEN, SHIPPER_TOKEN, refused_when_full,
                              searchable, tenant_env, tenant_hits)


def ecs_document(number):
    return {
        "@timestamp": f"2025-10-30T12:34:{number % 60:02d}.000Z",
        "message": f"order {number} paid",
        "log": {"level": "warning", "logger": "billing.pay"},
        "service": {"name": "billing", "version": "1.2.3"},
        "host": {"name": "node-7", "ip": "10.0.0.7"},
        "trace": {"id": f"trace-{number}"},
        "labels": {"env": "prod"},
        "order": {"total": 12.5, "currency": "EUR"},
    }


@pytest.fixture
def logpipe(start_logpipe):
    return start_logpipe()


def test_the_official_client_passes_its_product_check_and_bulk_indexes(logpipe):
    es = Elasticsearch(logpipe.ingest_url)
    info = es.info()
    assert info["version"]["number"].startswith("8.")
    assert es.ping()
    assert es.cluster.health()["status"] == "green"
    actions = [{"_index": "shop", "_id": f"order-{n}", "_source": ecs_document(n)} for n in range(50)]
    succeeded, errors = helpers.bulk(es, actions)
    assert (succeeded, errors) == (50, [])

    hits = searchable(logpipe, 50, service="billing")
    assert len(hits) == 50
    first = next(hit for hit in hits if hit["message"] == "order 1 paid")
    assert first["level"] == "WARN"
    assert first["host"] == "node-7"
    assert first["trace_id"] == "trace-1"
    assert first["timestamp"] == "2025-10-30T12:34:01.000Z"
    assert first["labels"] == {"env": "prod"}
    assert first["payload"]["order"] == {"total": 12.5, "currency": "EUR"}
    assert first["payload"]["host"] == {"ip": "10.0.0.7"}
    assert logpipe.metric_series("logs_produced_by_protocol_total")[
        '{protocol="elasticsearch"}'] == 50


def test_the_index_is_the_service_when_the_document_names_none(logpipe):
    es = Elasticsearch(logpipe.ingest_url)
    helpers.bulk(es, [{"_index": "checkout-logs", "_source": {"message": "plain"}}])
    hits = searchable(logpipe, 1, service="checkout-logs")
    assert hits[0]["level"] == "INFO" and hits[0]["message"] == "plain"


def test_each_item_is_answered_and_bad_ones_do_not_stop_the_others(logpipe):
    es = Elasticsearch(logpipe.ingest_url)
    actions = [
        {"_index": "a", "_id": "good", "_source": {"message": "fine"}},
        {"_index": "a", "_id": "bad-time", "_source": {"message": "x", "@timestamp": "yesterday"}},
        {"_op_type": "delete", "_index": "a", "_id": "gone"},
    ]
    succeeded, errors = helpers.bulk(es, actions, raise_on_error=False)
    assert succeeded == 1
    assert [list(error)[0] for error in errors] == ["index", "delete"]
    assert errors[0]["index"]["status"] == 400
    assert errors[0]["index"]["error"]["type"] == "document_parsing_exception"
    assert "RFC 3339" in errors[0]["index"]["error"]["reason"]
    assert logpipe.metric_series("logs_rejected_by_protocol_total")[
        '{protocol="elasticsearch"}'] == 2


def test_a_malformed_body_gets_an_elasticsearch_error(logpipe):
    response = requests.post(f"{logpipe.ingest_url}/_bulk", data=b'{"index":{}}\nnot json\n',
                             headers={"Content-Type": "application/x-ndjson"}, timeout=30)
    assert response.status_code == 200  # the source line is the item's problem
    assert response.json()["errors"] is True
    response = requests.post(f"{logpipe.ingest_url}/_bulk", data=b"nonsense\n",
                             headers={"Content-Type": "application/x-ndjson"}, timeout=30)
    assert response.status_code == 400
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    assert response.json()["error"]["type"] == "illegal_argument_exception"


def test_the_action_id_is_carried_as_the_event_id(start_logpipe):
    logpipe = start_logpipe(env={"LOGPIPE_FAULT_STALL_CONSUMERS": "1"})
    es = Elasticsearch(logpipe.ingest_url)
    helpers.bulk(es, [{"_index": "a", "_id": "retry-me", "_source": {"message": "once"}},
                      {"_index": "a", "_source": {"message": "made-up id"}}])
    assert logpipe.stop() == 0
    values = [json.loads(record["value"]) for record in logpipe.read_spool("check")]
    assert [value["_id"] for value in values if value["message"] == "once"] == ["retry-me"]
    made_up = [value["_id"] for value in values if value["message"] == "made-up id"]
    assert len(made_up) == 1 and len(made_up[0]) == 20


def test_the_same_id_sent_twice_is_one_document(logpipe):
    es = Elasticsearch(logpipe.ingest_url)
    for message in ["first try", "retried"]:
        assert helpers.bulk(es, [{"_index": "retries", "_id": "order-42",
                                  "_source": {"message": message}}]) == (1, [])

    def retried_answer():
        answer = requests.get(f"{logpipe.query_url}/api/search", timeout=60,
                              params={"service": "retries", "track_total": "true"})
        hits = answer.json()["hits"]
        return answer if hits and hits[0]["message"] == "retried" else None

    answer = wait_until(retried_answer, 60, interval=0.2)
    assert answer, "the retried document never became searchable"
    page = answer.json()
    assert page["total"] == 1 and page["total_relation"] == "eq"
    assert page["hits"][0]["_id"] == "order-42"
    assert answer.text.count('"_id"') == 1  # the hit's id, not the event's member again


def test_shipper_probes_and_the_es_prefix(logpipe):
    probe = {"Accept": "application/json"}
    for path in ["/", "/es/", "/_license", "/es/_license", "/_cluster/health", "/_nodes/_all/http",
                 "/_xpack"]:
        response = requests.get(logpipe.ingest_url + path, headers=probe, timeout=30)
        assert response.status_code == 200, path
        assert response.headers["X-Elastic-Product"] == "Elasticsearch", path
    assert requests.head(logpipe.ingest_url + "/", timeout=30).status_code == 200
    # Templates and lifecycle policies: asking finds none, setting one is acknowledged.
    assert requests.get(f"{logpipe.ingest_url}/_index_template/logs", timeout=30).status_code == 404
    assert requests.put(f"{logpipe.ingest_url}/_index_template/logs", json={},
                        timeout=30).json() == {"acknowledged": True}
    assert requests.put(f"{logpipe.ingest_url}/es/_ilm/policy/logs", json={},
                        timeout=30).json() == {"acknowledged": True}
    # Browsers still get the web UI at /.
    page = requests.get(logpipe.ingest_url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    es = Elasticsearch(logpipe.ingest_url + "/es")
    assert helpers.bulk(es, [{"_index": "prefixed", "_source": {"message": "via /es"}}]) == (1, [])
    assert searchable(logpipe, 1, service="prefixed")


def test_opensearch_py_bulk_indexes(logpipe):
    client = opensearchpy.OpenSearch(logpipe.ingest_url)
    succeeded, errors = opensearchpy.helpers.bulk(
        client, [{"_index": "os-app", "_source": {"message": f"os {n}"}} for n in range(5)])
    assert (succeeded, errors) == (5, [])
    assert len(searchable(logpipe, 5, service="os-app")) == 5


def test_the_token_is_required_as_api_key_basic_or_bearer(start_logpipe):
    logpipe = start_logpipe(env={"COLLECTOR_AUTH_TOKEN": "s3cret"})
    document = [{"_index": "auth", "_source": {"message": "m"}}]
    with pytest.raises(elasticsearch.AuthenticationException):
        helpers.bulk(Elasticsearch(logpipe.ingest_url), document)
    with pytest.raises(elasticsearch.AuthenticationException):
        Elasticsearch(logpipe.ingest_url, basic_auth=("elastic", "wrong")).info()
    assert helpers.bulk(Elasticsearch(logpipe.ingest_url, api_key=("id", "s3cret")), document)[0] == 1
    assert helpers.bulk(Elasticsearch(logpipe.ingest_url, basic_auth=("elastic", "s3cret")),
                        document)[0] == 1
    assert helpers.bulk(Elasticsearch(logpipe.ingest_url, bearer_auth="s3cret"), document)[0] == 1


def test_backpressure_is_a_429_with_retry_after(start_logpipe):
    logpipe = start_logpipe(env=FULL_SPOOL_ENV)
    es = Elasticsearch(logpipe.ingest_url, max_retries=0)

    def send():
        try:
            es.bulk(operations=[{"index": {"_index": "a"}}, {"message": "m"}])
        except elasticsearch.ApiError as refusal:
            return refusal
        return None

    refusal = refused_when_full(logpipe, send, lambda answer: answer is not None)
    assert refusal.meta.status == 429
    assert refusal.meta.headers["Retry-After"] == "1"
    assert refusal.body["error"]["type"] == "es_rejected_execution_exception"


def test_a_tenant_token_stamps_its_tenant_and_its_rate_is_a_429(start_logpipe, tmp_path):
    logpipe = start_logpipe(env=tenant_env(tmp_path, "events_per_second = 0.01\nevents_burst = 3"))
    es = Elasticsearch(logpipe.ingest_url, api_key=("shipper", SHIPPER_TOKEN), max_retries=0)
    documents = [{"_index": "tenanted", "_source": {"message": f"m{n}", "tenant": "forged"}}
                 for n in range(3)]
    assert helpers.bulk(es, documents) == (3, [])
    with pytest.raises(elasticsearch.ApiError) as refused:
        es.bulk(operations=[{"index": {"_index": "tenanted"}}, {"message": "over"}])
    assert refused.value.meta.status == 429
    assert int(refused.value.meta.headers["Retry-After"]) >= 1
    assert refused.value.body["error"]["type"] == "es_rejected_execution_exception"
    assert "over its events per second limit" in refused.value.body["error"]["reason"]
    # A token without the ingest scope: Elasticsearch's 403.
    with pytest.raises(elasticsearch.AuthorizationException):
        Elasticsearch(logpipe.ingest_url, bearer_auth=READER_TOKEN).info()
    hits = tenant_hits(logpipe, 3, service="tenanted")
    assert sorted(hit["message"] for hit in hits) == ["m0", "m1", "m2"]
    assert {hit["tenant"] for hit in hits} == {"acme"}
