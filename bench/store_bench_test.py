#!/usr/bin/env python3
"""Tests of bench/store_bench.py's own parts: the loader delivers every event exactly once
through backpressure, bodies are cut at line ends, and the answer checks tell a right answer from
a wrong one and from a query the store cannot express yet."""

import http.server
import json
import tempfile
import threading
import unittest
from pathlib import Path

import store_bench as sb


class Collector(http.server.BaseHTTPRequestHandler):
    """Counts the lines it accepts; answers every third POST 503 first, as a full spool does."""

    lock = threading.Lock()
    lines = []
    posts = 0

    def do_POST(self):  # noqa: N802 (the name http.server calls)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with Collector.lock:
            Collector.posts += 1
            refuse = Collector.posts % 3 == 0
            if not refuse:
                Collector.lines.extend(body.splitlines())
        self.send_response(503 if refuse else 202)
        if refuse:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class LoaderTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.data = Path(self.folder.name) / "events.ndjson"
        self.events = [json.dumps({"n": n, "message": "x" * (n % 300)}).encode()
                       for n in range(5000)]
        self.data.write_bytes(b"\n".join(self.events) + b"\n")

    def tearDown(self):
        self.folder.cleanup()

    def test_bodies_are_cut_at_line_ends_and_cover_the_file(self):
        bodies = list(sb.chunks(self.data, 4096))
        self.assertGreater(len(bodies), 10)
        for body in bodies:
            self.assertTrue(body.endswith(b"\n"))
            for line in body.splitlines():
                json.loads(line)
        self.assertEqual(b"".join(bodies), self.data.read_bytes())

    def test_every_event_arrives_once_through_backpressure(self):
        Collector.lines, Collector.posts = [], 0
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            sent, _, retries = sb.post_all(sb.Http(server.server_address[1]), "/logs", self.data,
                                           connections=3, body_bytes=8192)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
        self.assertEqual(sent, len(self.events))
        self.assertGreater(retries, 0)
        self.assertEqual(sorted(Collector.lines), sorted(self.events))


class ChecksTest(unittest.TestCase):
    def answer(self, total, hits, relation=None, stamp="2026-11-30T00:00:00.000Z"):
        body = {"total": total, "hits": [{"timestamp": stamp}] * hits}
        if relation:
            body["total_relation"] = relation
        return json.dumps(body).encode()

    def test_search_check(self):
        exact = sb.search_check(870, exact=True)
        self.assertEqual(exact(200, self.answer(870, 100))[0], True)
        self.assertEqual(exact(200, self.answer(869, 100))[0], False)
        self.assertEqual(exact(404, b"")[0], None)
        self.assertEqual(exact(200, self.answer(10000, 100, "gte"))[0], False)
        common = sb.search_check(127388)
        self.assertEqual(common(200, self.answer(10000, 100, "gte"))[0], True)
        self.assertEqual(common(200, self.answer(200000, 100, "gte"))[0], False)
        self.assertEqual(common(200, self.answer(0, 0))[0], None)  # e.g. payload.status>=500
        self.assertEqual(common(200, self.answer(127388, 50))[0], False)
        self.assertEqual(common(500, b"")[0], False)
        newest = sb.search_check(1000, newest="2026-11-29T23:00:00.5Z")
        self.assertEqual(newest(200, self.answer(1000, 100, stamp="2026-11-29T23:00:00.500Z"))[0],
                         True)
        self.assertEqual(newest(200, self.answer(1000, 100, stamp="2026-11-29T23:00:00.499Z"))[0],
                         False)

    def test_millis_reads_any_fraction(self):
        self.assertEqual(sb.millis("1970-01-01T00:00:01Z"), 1000)
        self.assertEqual(sb.millis("1970-01-01T00:00:01.5Z"), 1500)
        self.assertEqual(sb.millis("1970-01-01T00:00:01.123456789Z"), 1123)

    def test_histogram_and_facet_checks(self):
        buckets = [{"start": "a", "level": "INFO", "count": 7}, {"start": "b", "level": "ERROR",
                                                                 "count": 3}]
        body = json.dumps({"interval_ms": 1, "buckets": buckets}).encode()
        self.assertEqual(sb.histogram_check(10, {"INFO": 7, "ERROR": 3})(200, body)[0], True)
        self.assertEqual(sb.histogram_check(10, {"INFO": 8, "ERROR": 2})(200, body)[0], False)
        self.assertEqual(sb.histogram_check(11)(200, body)[0], False)
        self.assertEqual(sb.histogram_check(10)(400, b"interval: ...")[0], None)
        expected = [{"value": "api", "count": 5}]
        facets = json.dumps({"field": "service", "values": expected, "other": 0}).encode()
        self.assertEqual(sb.facet_check(expected)(200, facets)[0], True)
        self.assertEqual(sb.facet_check([{"value": "api", "count": 6}])(200, facets)[0], False)
        self.assertEqual(sb.facet_check(expected)(404, b"")[0], None)

    def test_victorialogs_checks(self):
        hits = json.dumps({"hits": [{"fields": {"level": "INFO"}, "values": [3, 4]},
                                    {"fields": {"level": "WARN"}, "values": [1]}]}).encode()
        self.assertEqual(sb.hits_check(8, {"INFO": 7, "WARN": 1})(200, hits)[0], True)
        self.assertEqual(sb.hits_check(9)(200, hits)[0], False)
        top = b'{"host":"b","hits":"5"}\n{"host":"a","hits":"5"}\n'
        expected = [{"value": "a", "count": 5}, {"value": "b", "count": 5}]
        self.assertEqual(sb.top_check("host", expected)(200, top)[0], True)
        lines = b'{"_time":"2026-11-30T00:00:00Z"}\n' * 3
        self.assertEqual(sb.lines_check(3)(200, lines)[0], True)
        self.assertEqual(sb.lines_check(4)(200, lines)[0], False)
        self.assertEqual(sb.lines_check(3, "2026-11-30T00:00:00.001Z")(200, lines)[0], False)

    def test_slowest_window(self):
        steady = [(t / 5, t * 200) for t in range(1, 151)]  # 1,000 events/s for 30 s
        self.assertAlmostEqual(sb.slowest_window(steady, 10), 1000)
        stall = [(t, 1000 * min(t, 10) + 100 * max(0, t - 10)) for t in range(1, 31)]
        self.assertAlmostEqual(sb.slowest_window(stall, 10), 100)
        self.assertAlmostEqual(sb.slowest_window([(2.0, 500)], 10), 250)


if __name__ == "__main__":
    unittest.main()
