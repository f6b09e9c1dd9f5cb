"""The pipeline page, checked through Chromium against the real binary."""

import re
import threading

from playwright.sync_api import expect

from conftest import axe_findings, post_events, screenshot, seed_events, wait_until


def test_the_pipeline_page_shows_a_nonzero_ingest_rate(start_logpipe, page_for):
    instance = start_logpipe()
    page = page_for(instance, "/?page=pipeline", axe=True)
    expect(page.locator(".card").first).to_be_visible()
    stop = threading.Event()

    def keep_posting():
        while not stop.is_set():
            post_events(instance, seed_events(50))
            stop.wait(0.2)

    poster = threading.Thread(target=keep_posting)
    poster.start()
    try:
        ingest = page.locator('.card[data-metric="ingest"] .card-value')
        assert wait_until(lambda: ingest.inner_text() not in ("–", "0/s"), 60), ingest.inner_text()
        expect(page.locator('.card[data-metric="store"] .card-value')).not_to_have_text("0 B")
        expect(page.locator(".settings")).to_contain_text("30 days")
        expect(page.locator(".lag table")).to_contain_text("processor")
        assert page.locator(".spark polyline").count() >= 8
    finally:
        stop.set()
        poster.join()
    assert axe_findings(page) == []
    screenshot(page, "pipeline.png")


def test_a_replay_started_from_the_form_shows_its_progress(start_logpipe, page_for):
    instance = start_logpipe({"BATCH_TIMEOUT_SECONDS": "1"})
    post_events(instance, seed_events(10))
    assert wait_until(lambda: instance.metric("archiver_batches_uploaded_total") > 0, 60)
    page = page_for(instance, "/?page=pipeline")
    page.fill('input[name="from"]', "2025-10-30")
    page.fill('input[name="to"]', "2025-10-30")
    page.get_by_role("button", name="Replay from the archive").click()
    expect(page.locator(".replay-status")).to_contain_text("done", timeout=60_000)
    expect(page.locator(".replay-status")).to_contain_text(
        re.compile(r"done: (\d+)/\1 objects, 10 events indexed, 0 skipped$"))
    expect(page.locator(".replay-status progress")).to_have_attribute("value", "1")
