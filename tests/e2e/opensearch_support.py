"""A real OpenSearch node for end-to-end tests, read back with opensearch-py."""

import pytest
from opensearchpy import OpenSearch

from conftest import backend, running_backend


@pytest.fixture(scope="session")
def es_hosts():
    """The node scripts/test started, or one of this session's own."""
    yield from running_backend("opensearch", "ES_HOSTS")


def node(action):
    """`down` stops the node keeping its data and port; `up` starts it again."""
    backend("opensearch", action)


def client(hosts):
    return OpenSearch(hosts=[hosts], timeout=60)


def search_env(hosts, prefix):
    """A logpipe instance's settings for indices of its own on the node."""
    return {"ES_HOSTS": hosts, "ES_INDEX_PREFIX": prefix, "ES_INDEX_ALIAS": f"{prefix}-write",
            "ES_REPLICAS": "0"}


def count(hosts, alias):
    opensearch = client(hosts)
    opensearch.indices.refresh(index=alias)
    return opensearch.count(index=alias)["count"]


def request_ids(hosts, alias):
    """{document id: request_id} of every document behind the alias."""
    opensearch = client(hosts)
    opensearch.indices.refresh(index=alias)
    found = {}
    page = opensearch.search(index=alias, body={"size": 10000, "_source": ["request_id"],
                                                "sort": ["_doc"]}, scroll="2m")
    while page["hits"]["hits"]:
        for hit in page["hits"]["hits"]:
            found[hit["_id"]] = hit["_source"].get("request_id")
        page = opensearch.scroll(scroll_id=page["_scroll_id"], scroll="2m")
    return found
