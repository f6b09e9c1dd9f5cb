"""The explorer, checked through the page in Chromium: what a user sees and does."""

import gzip
import json
import re
import time
from urllib.parse import parse_qs, urlparse

import requests
from playwright.sync_api import expect

from conftest import axe_findings, post_events, screenshot, seed_events, wait_until

NEWEST = seed_events()[-1]



def rows(page):
    return page.locator(".hit")


def status_count(page):
    """The hit count the status line shows, or None while it shows something else."""
    match = re.search(r"(\d+) hits", page.locator(".status").first.inner_text())
    return int(match.group(1)) if match else None


def test_first_view_shows_the_newest_events_whatever_their_age(seeded, page_for):
    page = page_for(seeded)
    expect(rows(page).first).to_contain_text(NEWEST["message"])
    expect(page.locator(".status").first).to_contain_text("120 hits")
    # Newest first, every column there.
    first = rows(page).first
    expect(first.locator(".c-level")).to_have_text(NEWEST["level"])
    expect(first.locator(".c-service")).to_have_text(NEWEST["service"])
    expect(first.locator(".c-host")).to_have_text(NEWEST["host"])
    # The histogram drew its stacked bars and a legend per level.
    expect(page.locator(".hist-legend")).to_contain_text("ERROR 30")
    expect(page.locator(".hist-plot canvas")).to_have_count(1)
    screenshot(page, "explorer-light.png")
    dark = page_for(seeded, dark=True)
    rows(dark).first.click()
    expect(dark.locator(".detail .json")).to_be_visible()
    screenshot(dark, "explorer-dark.png")


def test_a_query_narrows_the_hits_and_highlights_the_words(seeded, page_for):
    page = page_for(seeded)
    expect(rows(page).first).to_be_visible()
    page.keyboard.press("/")
    expect(page.locator("#query")).to_be_focused()
    page.keyboard.type("payment")
    page.keyboard.press("Enter")
    expect(page.locator(".status").first).to_contain_text("30 hits")
    assert "q=payment" in page.url
    messages = rows(page).locator(".c-message").all_inner_texts()
    assert messages and all("payment" in m for m in messages)
    expect(rows(page).first.locator("mark")).to_have_text("payment")


def test_the_query_bar_completes_field_names_and_top_values(seeded, page_for):
    page = page_for(seeded)
    expect(rows(page).first).to_be_visible()
    query = page.locator("#query")
    query.click()
    page.keyboard.type("serv")
    suggestions = page.locator("#query-suggestions [role=option]")
    expect(suggestions).to_have_text(["service:"])
    page.keyboard.press("Tab")
    expect(query).to_have_value("service:")
    page.keyboard.type("w")
    expect(suggestions).to_have_text(["service:web", "service:worker"])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(query).to_have_value("service:worker ")
    page.keyboard.press("Escape")
    expect(suggestions).to_have_count(0)


def test_a_syntax_error_is_shown_at_its_position(seeded, page_for):
    page = page_for(seeded)
    page.fill("#query", 'payment "failed')
    page.keyboard.press("Enter")
    error = page.locator(".query-error")
    expect(error).to_be_visible()
    expect(page.locator("#query")).to_have_attribute("aria-invalid", "true")
    # The caret line points under the opening quote (position 8).
    expect(error.locator(".error-caret")).to_contain_text('payment "failed\n        ^')
    expect(page.locator(".empty")).to_contain_text("Fix the query")


def test_a_facet_click_includes_its_value(seeded, page_for):
    page = page_for(seeded)
    service = page.locator('.facet[data-field="service"]')
    expect(service).to_contain_text("worker")
    service.locator(".facet-include", has_text="worker").click()
    expect(page.locator(".chip")).to_contain_text("service: worker")
    expect(page.locator(".status").first).to_contain_text("40 hits")
    assert set(rows(page).locator(".c-service").all_inner_texts()) == {"worker"}
    assert "f=service%3Aworker" in page.url
    # Removing the filter brings every hit back.
    page.locator('.chip button[aria-label="Remove filter service worker"]').click()
    expect(page.locator(".status").first).to_contain_text("120 hits")


def test_the_minus_button_of_a_facet_excludes_its_value(seeded, page_for):
    page = page_for(seeded, "/?f=service:worker")
    expect(page.locator(".status").first).to_contain_text("40 hits")
    page.locator('.facet[data-field="level"] .facet-exclude[aria-label="Exclude level ERROR"]').click()
    expect(page.locator(".chip-ex")).to_contain_text("NOT level: ERROR")
    assert "f=-level%3AERROR" in page.url
    expect(page.locator(".status").first).to_contain_text("30 hits", timeout=10_000)
    assert "ERROR" not in rows(page).locator(".c-level").all_inner_texts()


def test_a_relative_range_without_events_says_so_and_newest_brings_them_back(seeded, page_for):
    page = page_for(seeded)
    expect(page.locator(".status").first).to_contain_text("120 hits")
    page.get_by_label("Time range").select_option("7d")
    # The seed events are dated 2025: none in the last 7 days, and the page says what to do.
    expect(page.locator(".empty")).to_contain_text("No events match in this time range")
    assert "range=7d" in page.url
    page.get_by_label("Auto-refresh").select_option("5")
    assert "refresh=5" in page.url
    page.get_by_label("Time range").select_option("")
    expect(page.locator(".status").first).to_contain_text("120 hits")
    expect(page.locator(".empty")).to_be_hidden()


def test_dragging_over_the_histogram_narrows_the_range_and_zooms_back(seeded, page_for):
    page = page_for(seeded)
    expect(page.locator(".status").first).to_contain_text("120 hits")
    over = page.locator(".hist-plot .u-over")
    box = over.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r"range=abs"))
    expect(page.locator(".zoom-back")).to_be_visible()
    assert wait_until(lambda: 0 < (status_count(page) or 0) < 120, 30), status_count(page)
    narrowed = status_count(page)
    # The count is the API's for the range the URL names.
    url = page.url
    view = parse_qs(urlparse(url).query)
    assert len(seeded.search_all(**{"from": view["from"][0], "to": view["to"][0]})) == narrowed
    page.locator(".zoom-back").click()
    expect(page.locator(".status").first).to_contain_text("120 hits")
    page.go_back()
    page.wait_for_url(url)
    expect(page.locator(".status").first).to_contain_text(f"{narrowed} hits")


def test_context_shows_the_neighbours_of_an_event(seeded, page_for):
    page = page_for(seeded)
    rows(page).nth(5).click()
    page.get_by_role("tab", name="Context").click()
    context = page.locator("ol.context")
    context.wait_for(timeout=10_000)
    expect(context.locator(".ctx-self")).to_have_count(1)
    selected = rows(page).nth(5).locator(".c-message").inner_text()
    expect(context.locator(".ctx-self")).to_contain_text(selected)
    assert context.locator(".ctx-row").count() > 1


def test_a_row_expands_to_its_json_with_copy_and_the_keyboard_moves(seeded, page_for):
    page = page_for(seeded)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    expect(rows(page).first).to_be_visible()
    page.locator("body").press("j")
    detail = page.locator(".detail")
    expect(detail.locator(".json")).to_contain_text(f'"message": "{NEWEST["message"]}"')
    expect(rows(page).first).to_have_class(re.compile("selected"))
    page.locator("body").press("j")
    expect(rows(page).nth(1)).to_have_class(re.compile("selected"))
    page.locator("body").press("k")
    expect(rows(page).first).to_have_class(re.compile("selected"))
    page.get_by_role("button", name="Copy JSON").click()
    copied = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert copied["message"] == NEWEST["message"] and copied["_id"]
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()


def test_the_url_restores_the_view_after_reload_and_back_forward(seeded, page_for):
    page = page_for(seeded)
    page.fill("#query", "cache")
    page.keyboard.press("Enter")
    expect(page.locator(".status").first).to_contain_text("30 hits")
    page.locator('.facet[data-field="service"] .facet-include', has_text="web").click()
    expect(page.locator(".chip")).to_contain_text("service: web")
    expect(page.locator(".status").first).to_contain_text("10 hits")
    rows(page).nth(2).click()
    selected = rows(page).nth(2).locator(".c-message").inner_text()
    page.reload()
    expect(page.locator("#query")).to_have_value("cache")
    expect(page.locator(".chip")).to_contain_text("service: web")
    expect(page.locator(".hit.selected .c-message")).to_have_text(selected)
    expect(page.locator(".detail .detail-message")).to_contain_text(selected)
    page.go_back()
    expect(page.locator(".chip")).to_have_count(0)
    expect(page.locator("#query")).to_have_value("cache")
    page.go_forward()
    expect(page.locator(".chip")).to_contain_text("service: web")


def test_live_tail_shows_an_event_posted_after_it_was_opened(start_logpipe, page_for):
    # An instance of its own: the event posted here is newer than every seeded one, and the
    # other tests expect the seeded events to be the newest.
    instance = start_logpipe({})
    post_events(instance, seed_events())
    page = page_for(instance)
    page.get_by_role("button", name="● Live").click()
    expect(page.locator(".live-bar")).to_be_visible()
    # The stream opens with the newest 10 matching events (DESIGN §3: `/api/tail`), then follows.
    expect(page.locator(".live-bar")).to_contain_text("streaming")
    expect(page.locator(".live-rows")).to_have_text("10 rows")
    # The tail follows timestamp order, so the new event is stamped after every seeded one.
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    fresh = dict(seed_events(1)[0], service="tailer", message="tail sees quokka", timestamp=now)
    post_events(instance, [fresh])
    expect(rows(page).first).to_contain_text("tail sees quokka", timeout=60_000)
    expect(page.locator(".live-rows")).to_have_text("11 rows")
    page.get_by_role("button", name="⏸ Pause").click()
    expect(page.locator(".live-dot")).to_have_text("Paused")


def test_the_page_is_compiled_in_small_and_cached(seeded):
    page = requests.get(seeded.query_url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    assets = re.findall(r'(?:src|href)="(/assets/app-[0-9a-f]{12}\.(?:js|css))"', page.text)
    assert len(assets) == 2
    size = len(gzip.compress(page.content))
    for path in assets:
        asset = requests.get(seeded.query_url + path, timeout=30)
        assert asset.status_code == 200
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        size += len(gzip.compress(asset.content))
    assert size <= 300 * 1024, size
    # Clients that do not ask for HTML (shippers' Elasticsearch probes) get Elasticsearch's answer.
    probe = requests.get(seeded.query_url + "/", headers={"Accept": "application/json"}, timeout=30)
    assert probe.status_code == 200 and probe.headers["X-Elastic-Product"] == "Elasticsearch"
    assert probe.json()["version"]["number"].startswith("8.")


def test_no_serious_accessibility_findings_in_light_and_dark(seeded, page_for):
    for dark in (False, True):
        page = page_for(seeded, dark=dark, axe=True)
        expect(rows(page).first).to_be_visible()
        expect(page.locator(".facet").first).to_be_visible()
        assert axe_findings(page) == [], f"dark={dark}"
        rows(page).first.click()
        expect(page.locator(".detail .json")).to_be_visible()
        assert axe_findings(page) == [], f"dark={dark}, detail open"


def test_readable_on_a_phone(seeded, page_for):
    page = page_for(seeded, width=390, height=844)
    expect(rows(page).first).to_contain_text(NEWEST["message"])
    # Nothing wider than the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows(page).first.click()
    expect(page.locator(".detail .json")).to_be_visible()
    screenshot(page, "explorer-phone.png")
    page.keyboard.press("Escape")
    # The fields panel opens over the hits; picking a value closes it.
    expect(page.locator(".facets")).to_be_hidden()
    page.get_by_role("button", name="Fields").click()
    page.locator('.facet[data-field="service"] .facet-include', has_text="api").click()
    expect(page.locator(".facets")).to_be_hidden()
    expect(page.locator(".status").first).to_contain_text("40 hits")


def test_an_unreachable_store_shows_what_is_wrong(start_logpipe, page_for):
    instance = start_logpipe()
    page = page_for(instance)
    expect(page.locator(".empty")).to_contain_text("No events yet")
    instance.stop()
    page.fill("#query", "anything")
    page.keyboard.press("Enter")
    expect(page.locator(".status").first).to_contain_text("unreachable")


def test_the_page_asks_for_the_token_and_keeps_it_for_the_session(start_logpipe, page_for):
    instance = start_logpipe({"COLLECTOR_AUTH_TOKEN": "s3cret-token"})
    post_events_with_token(instance, "s3cret-token")
    page = page_for(instance)
    dialog = page.locator("dialog.token-dialog")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog).to_contain_text("requires a token")
    page.fill("#token-input", "wrong")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("rejected")
    page.fill("#token-input", "s3cret-token")
    page.keyboard.press("Enter")
    expect(rows(page).first).to_be_visible()
    page.reload()
    expect(rows(page).first).to_be_visible()
    expect(dialog).to_be_hidden()


def post_events_with_token(instance, token):
    events = seed_events(3)
    answer = instance.post("\n".join(json.dumps(e) for e in events), "application/x-ndjson",
                           Authorization=f"Bearer {token}")
    assert answer.status_code == 202, answer.text
    wait_until(lambda: requests.get(f"{instance.query_url}/api/search", timeout=30,
                                    headers={"Authorization": f"Bearer {token}"}).json().get("total") == 3, 60)
