"""Drives the web UI in Debian's Chromium through Playwright, against the real binary.

No browser is downloaded: Playwright launches /usr/bin/chromium (scripts/setup installs it).
Instances start the way the end-to-end tests start them (tests/e2e/conftest.py)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("e2e_conftest", REPO / "tests" / "e2e" / "conftest.py")
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
Logpipe = e2e.Logpipe
wait_until = e2e.wait_until

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Written by every run; one of each is copied into docs/ for the README.
SCREENSHOTS = Path(os.environ.get("UI_SCREENSHOTS_DIR", REPO / "build" / "ui-screenshots"))
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"

SERVICES = ["api", "web", "worker"]
LEVELS = ["INFO", "INFO", "WARN", "ERROR"]
MESSAGES = ["user login ok", "payment failed for order {i}", "cache miss for key k{i}",
            "request served in {i} ms"]


def seed_events(count=120):
    """Events dated 2025 (older than any default window), one second apart, newest last."""
    events = []
    for i in range(count):
        events.append({
            "timestamp": f"2025-10-30T12:{i // 60:02d}:{i % 60:02d}.000Z",
            "service": SERVICES[i % 3], "level": LEVELS[i % 4], "host": f"node-{i % 2 + 1}",
            "message": MESSAGES[i % 4].format(i=i), "trace_id": f"trace-{i}",
            "labels": {"team": "payments" if i % 4 == 1 else "platform"},
            "payload": {"status": 500 if i % 4 == 3 else 200, "ip_address": "8.8.8.8"},
        })
    return events


def post_events(instance, events):
    answer = instance.post("\n".join(json.dumps(e) for e in events), "application/x-ndjson")
    assert answer.status_code == 202, answer.text


def wait_indexed(instance, count):
    assert wait_until(lambda: len(instance.search_all()) >= count, 120), "events not indexed"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One instance with the seed events indexed, shared by a module's read-only tests."""
    instance = Logpipe(tmp_path_factory.mktemp("ui") / "data").start()
    post_events(instance, seed_events())
    wait_indexed(instance, 120)
    yield instance
    assert instance.stop() == 0, instance.stderr_text()[-4000:]


@pytest.fixture
def start_logpipe(tmp_path):
    started = []

    def start(env=None, name="data"):
        instance = Logpipe(tmp_path / name, env=env).start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.process.poll() is None:
            assert instance.stop() == 0, instance.stderr_text()[-4000:]


@pytest.fixture
def page_for(browser):
    """page_for(instance, path="/", dark=False, width=1280): a fresh page on the instance's UI.
    `axe=True` lets the test inject axe-core, which the page's Content-Security-Policy refuses."""
    contexts = []

    def open_page(instance, path="/", dark=False, width=1280, height=800, axe=False):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      color_scheme="dark" if dark else "light", bypass_csp=axe)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(instance.query_url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def axe_findings(page):
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))
