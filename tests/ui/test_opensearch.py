"""The same explorer with a real OpenSearch node as the search store (scripts/test starts it;
alone, this module starts one with scripts/backends/opensearch)."""

import uuid

import pytest
from playwright.sync_api import expect

from conftest import e2e, post_events, seed_events, wait_indexed


@pytest.fixture(scope="module")
def es_hosts():
    yield from e2e.running_backend("opensearch", "ES_HOSTS")


def test_the_explorer_works_on_opensearch(start_logpipe, page_for, es_hosts):
    prefix = f"ui-{uuid.uuid4().hex[:8]}"
    instance = start_logpipe({"ES_HOSTS": es_hosts, "ES_INDEX_PREFIX": prefix,
                              "ES_INDEX_ALIAS": f"{prefix}-write", "ES_REPLICAS": "0"})
    post_events(instance, seed_events())
    wait_indexed(instance, 120)
    page = page_for(instance)
    expect(page.locator(".hit").first).to_contain_text(seed_events()[-1]["message"])
    expect(page.locator(".hist-legend")).to_contain_text("ERROR 30")
    page.fill("#query", "payment")
    page.keyboard.press("Enter")
    expect(page.locator(".status").first).to_contain_text("30 hits")
    page.locator('.facet[data-field="service"] .facet-include', has_text="api").click()
    expect(page.locator(".status").first).to_contain_text("10 hits")
    assert set(page.locator(".hit .c-service").all_inner_texts()) == {"api"}
