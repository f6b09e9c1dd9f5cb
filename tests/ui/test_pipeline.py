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
        parts = page.locator('.card[data-metric="parts"] .card-value')
        assert wait_until(lambda: parts.inner_text() not in ("–", "0"), 60), parts.inner_text()
        expect(page.locator(".settings")).to_contain_text("30 days")
        expect(page.locator(".lag table")).to_contain_text("processor")
        assert page.locator(".spark polyline").count() >= 9
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
        re.compile(r"done: (\d+)/\1 objects, 10 events queued, 0 skipped$"))
    expect(page.locator(".replay-status progress")).to_have_attribute("value", "1")


def test_dead_letters_are_listed_and_re_driven_once_their_cause_is_fixed(start_logpipe, page_for):
    # Events queued while consumers stall, then read by a processor whose event size limit is
    # lower than they are: they become dead letters (stage validate). Raising the limit again
    # fixes the cause, and the page re-drives them.
    large = [dict(e, message=e["message"] + " " + "x" * 2000) for e in seed_events(5)]
    stalled = start_logpipe({"LOGPIPE_FAULT_STALL_CONSUMERS": "1"})
    post_events(stalled, large)
    assert stalled.stop() == 0, stalled.stderr_text()[-3000:]

    strict = start_logpipe({"MAX_EVENT_BYTES": "1024"})
    assert wait_until(lambda: strict.metric("dlq_events_total") == 5, 60)
    page = page_for(strict, "/?page=pipeline", axe=True)
    rows = page.locator(".dead-letters tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("validate")
    expect(rows.first).to_contain_text("app-logs/")
    expect(page.locator(".dead-letters")).to_contain_text("5 waiting in dlq")
    assert axe_findings(page) == []
    page.locator(".dead-letters").scroll_into_view_if_needed()
    screenshot(page, "pipeline-dead-letters.png")
    assert strict.stop() == 0, strict.stderr_text()[-3000:]

    fixed = start_logpipe()
    page = page_for(fixed, "/?page=pipeline")
    button = page.get_by_role("button", name="Re-drive 5 into the queue")
    button.click()
    expect(page.locator(".redrive-status")).to_have_text(
        "Re-drove 5 into the queue; 0 still waiting.")
    expect(page.locator(".dead-letters")).to_contain_text("None waiting in dlq")
    expect(page.get_by_role("button", name="Re-drive into the queue")).to_be_disabled()
    assert wait_until(lambda: len(fixed.search_all()) == 5, 60)
    # Indexed under the ids of the records that first carried them.
    assert all(re.fullmatch(r"app-logs-\d+-\d+", hit["_id"]) for hit in fixed.search_all())
    assert fixed.metric("dlq_events_total") == 0
