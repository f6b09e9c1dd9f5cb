#!/usr/bin/env python3
"""Checks bench/event_gen: the same seed gives the same bytes, every line is a valid seed-schema
event of the promised shape, and every count in the needles file is what an independent count
of the events finds (the store benchmark judges each answer against those counts).

Usage: event_gen_check.py PATH_TO_EVENT_GEN [EVENTS]"""

import collections
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

WORD = re.compile(r"[A-Za-z0-9]+")


def fail(message):
    print(f"event_gen_check: {message}", file=sys.stderr)
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def millis(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def main():
    binary = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    with tempfile.TemporaryDirectory() as folder:
        data, needles_path = Path(folder) / "events.ndjson", Path(folder) / "needles.json"
        subprocess.run([binary, "--events", str(events), "--seed", "7", "--output", str(data),
                        "--needles", str(needles_path)], check=True)
        again = subprocess.run([binary, "--events", str(events), "--seed", "7"], check=True,
                               capture_output=True).stdout
        other = subprocess.run([binary, "--events", "1000", "--seed", "8"], check=True,
                               capture_output=True).stdout
        raw = data.read_bytes()
        expect(hashlib.sha256(raw).digest() == hashlib.sha256(again).digest(),
               "the same seed gave different bytes")
        expect(not raw.startswith(other[:200]), "another seed gave the same events")
        needles = json.loads(needles_path.read_text())

    lines = raw.splitlines()
    expect(len(lines) == events == needles["events"], f"{len(lines)} lines for {events} events")
    expect(len(raw) == needles["bytes"], "needles count other bytes than were written")
    average = len(raw) / events
    expect(350 <= average <= 450, f"average event of {average:.0f} bytes, not 350-450")

    levels, services, hosts = collections.Counter(), collections.Counter(), collections.Counter()
    ips, traces = set(), set()
    rare = common = status_5xx = focus_errors = out_of_order = private = 0
    payload_sizes = collections.Counter()
    stamps = []
    previous = 0
    low, high = millis(needles["from"]), millis(needles["to"])
    for line in lines:
        event = json.loads(line)
        expect(set(event) >= {"timestamp", "service", "level", "message", "trace_id", "request_id",
                              "host", "payload", "labels"}, f"missing fields in {line[:200]!r}")
        levels[event["level"]] += 1
        services[event["service"]] += 1
        hosts[event["host"]] += 1
        words = WORD.findall(event["message"])
        rare += needles["rare_token"] in words
        common += needles["common_word"] in words
        payload = event["payload"]
        payload_sizes[len(payload)] += 1
        expect(isinstance(payload["status"], int) and isinstance(payload["duration_ms"], int),
               "status and duration_ms must be numbers")
        status_5xx += payload["status"] >= 500
        focus_errors += (event["service"] == needles["focus_service"] and event["level"] == "ERROR")
        ips.add(payload["ip_address"])
        private += payload["ip_address"].startswith("10.")
        traces.add(event["trace_id"])
        expect({"env", "region"} <= set(event["labels"]), "labels env and region are always there")
        at = millis(event["timestamp"])
        stamps.append(event["timestamp"])
        expect(low <= at <= high, f"timestamp {event['timestamp']} outside the needles' range")
        out_of_order += at < previous
        previous = max(previous, at)

    expect(sorted(stamps)[-100] == needles["newest_100th"], "the 100th newest timestamp differs")
    expect(dict(levels) == needles["levels"], f"levels {dict(levels)} != {needles['levels']}")
    expect(levels["INFO"] > 0.7 * events and all(levels[l] for l in ("DEBUG", "WARN", "ERROR")),
           f"not mostly INFO with some of each other level: {dict(levels)}")
    expect(rare == needles["rare_count"] >= 1, f"rare token in {rare} events")
    expect(common == needles["common_word_count"], f"common word in {common} events")
    expect(0.05 * events < common < 0.5 * events, f"the common word is in {common} events")
    expect(status_5xx == needles["status_5xx"], f"{status_5xx} statuses >= 500")
    expect(services[needles["focus_service"]] == needles["focus_service_count"],
           "focus service count")
    expect(focus_errors == needles["focus_service_errors"], "focus service errors")
    top_services = [{"value": v, "count": c} for v, c in
                    sorted(services.items(), key=lambda item: (-item[1], item[0]))[:10]]
    expect(top_services == needles["top_services"], "top services differ from the needles")
    top_hosts = [{"value": v, "count": c} for v, c in
                 sorted(hosts.items(), key=lambda item: (-item[1], item[0]))[:10]]
    expect(top_hosts == needles["top_hosts"], "top hosts differ from the needles")
    expect(len(services) == needles["services"] == 200, f"{len(services)} services")
    expect(services.most_common(1)[0][1] > 20 * min(services.values()), "service share not skewed")
    expect(len(hosts) == needles["hosts"] and len(hosts) > 2000, f"{len(hosts)} hosts")
    expect(len(traces) == events, "trace ids are not unique")
    expect(len(ips) > min(events, 65536) * 0.6, f"only {len(ips)} client addresses")
    expect(0.1 * events < private < 0.3 * events, f"{private} private client addresses")
    expect(set(payload_sizes) <= set(range(3, 9)) and {3, 8} <= set(payload_sizes),
           f"payload key counts {dict(payload_sizes)}, not 3-8")
    expect(0.01 * events < out_of_order < 0.1 * events, f"{out_of_order} events out of order")
    print(f"event_gen_check: {events} events checked, {average:.0f} bytes on average")


if __name__ == "__main__":
    main()
