"""kill -9 of logpipe run under steady load: what was acknowledged is searchable, exactly once."""

import subprocess
import threading
from collections import Counter
from pathlib import Path

import requests

from conftest import wait_until
from seed_events import ndjson, seed_event

KEEP = {"SEARCH_RETENTION_DAYS": "36500"}
BATCH = 100


def post_until_stopped(logpipe, acknowledged, in_flight, stop, first=0):
    number = first
    with requests.Session() as session:
        while not stop.is_set():
            in_flight[:] = range(number, number + BATCH)
            try:
                response = logpipe.post(ndjson([seed_event(n) for n in in_flight]),
                                        "application/x-ndjson", session=session)
            except requests.RequestException:
                return  # Killed mid-request: this batch was never acknowledged.
            if response.status_code == 202:
                acknowledged.extend(in_flight)
            in_flight[:] = []
            number += BATCH


def test_kill_9_of_run_keeps_every_acknowledged_event_searchable_once(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    acknowledged, in_flight, stop = [], [], threading.Event()
    client = threading.Thread(target=post_until_stopped, args=(logpipe, acknowledged, in_flight, stop))
    client.start()
    # Kill while the processor is busy: some events indexed, some still waiting in the spool.
    assert wait_until(lambda: len(acknowledged) >= 20_000, 300)
    logpipe.kill()
    stop.set()
    client.join(60)

    restarted = start_logpipe(env=KEEP, name="data")
    assert restarted.data_dir == logpipe.data_dir

    def searchable():
        # track_total: past 10,000 the total is otherwise a lower bound ("gte").
        return requests.get(f"{restarted.ingest_url}/api/search",
                            params={"limit": 1, "track_total": "true"}, timeout=30).json()["total"]

    assert wait_until(lambda: searchable() >= len(acknowledged), 300), (searchable(), len(acknowledged))
    request_ids = Counter(hit["request_id"] for hit in restarted.search_all())
    duplicated = [request_id for request_id, seen in request_ids.items() if seen > 1]
    assert not duplicated, f"{len(duplicated)} events indexed twice, e.g. {duplicated[:5]}"
    missing = [n for n in acknowledged if f"req-{n:08d}" not in request_ids]
    assert not missing, f"{len(missing)} acknowledged events not searchable, e.g. {missing[:5]}"
    # Beyond the acknowledged ones, at most the request that was in flight at the kill.
    extra = set(request_ids) - {f"req-{n:08d}" for n in acknowledged}
    assert extra <= {f"req-{n:08d}" for n in in_flight}, sorted(extra)[:5]


def total(instance, **parameters):
    """The exact number of matches (past 10,000 the API's total is otherwise a lower bound)."""
    return requests.get(f"{instance.ingest_url}/api/search",
                        params={"limit": 1, "track_total": "true", **parameters},
                        timeout=30).json()["total"]


def check_exactly_once(instance, acknowledged, in_flight):
    request_ids = Counter(hit["request_id"] for hit in instance.search_all())
    duplicated = [request_id for request_id, seen in request_ids.items() if seen > 1]
    assert not duplicated, f"{len(duplicated)} events indexed twice, e.g. {duplicated[:5]}"
    missing = [n for n in acknowledged if f"req-{n:08d}" not in request_ids]
    assert not missing, f"{len(missing)} acknowledged events not searchable, e.g. {missing[:5]}"
    extra = set(request_ids) - {f"req-{n:08d}" for n in acknowledged}
    assert extra <= {f"req-{n:08d}" for n in in_flight}, sorted(extra)[:5]


def test_three_kills_during_ingest_and_merges_lose_and_duplicate_nothing(start_logpipe):
    # The log store writes a part every second and merges once there are more than six, so the
    # kills land among part writes and merges (the last one after a merge has happened).
    acknowledged, in_flight_at_kills = [], []
    logpipe = start_logpipe()
    for kill in range(3):
        round_acknowledged, in_flight, stop = [], [], threading.Event()
        client = threading.Thread(target=post_until_stopped,
                                  args=(logpipe, round_acknowledged, in_flight, stop,
                                        kill * 1_000_000))
        client.start()
        assert wait_until(lambda: len(round_acknowledged) >= 15_000, 300)
        if kill == 2:
            assert wait_until(lambda: logpipe.metric("logstore_merges_total") >= 1, 120)
        logpipe.kill()
        stop.set()
        client.join(60)
        acknowledged.extend(round_acknowledged)
        in_flight_at_kills.extend(in_flight)
        logpipe = start_logpipe(name="data")
    assert wait_until(lambda: total(logpipe) >= len(acknowledged), 300), \
        (total(logpipe), len(acknowledged))
    check_exactly_once(logpipe, acknowledged, in_flight_at_kills)


def post_numbered(instance, numbers):
    response = instance.post(ndjson([seed_event(n) for n in numbers]), "application/x-ndjson")
    assert response.status_code == 202, response.text


def test_events_dated_years_ago_survive_retention_by_arrival(start_logpipe):
    # Default SEARCH_RETENTION_DAYS (30); the seed events are dated 2025-10-30, long before.
    logpipe = start_logpipe()
    post_numbered(logpipe, range(500))
    assert wait_until(lambda: total(logpipe) == 500, 120)
    assert logpipe.stop() == 0
    restarted = start_logpipe(name="data")  # Retention runs at start.
    assert total(restarted) == 500
    assert len({hit["request_id"] for hit in restarted.search_all()}) == 500


def test_a_corrupt_part_is_set_aside_and_its_events_rebuilt_from_the_spool(start_logpipe):
    logpipe = start_logpipe()
    post_numbered(logpipe, range(2000))
    assert wait_until(lambda: total(logpipe) == 2000, 120)
    assert logpipe.stop() == 0
    parts = sorted((logpipe.data_dir / "search" / "logstore").glob("part-*.lp"))
    assert parts
    damaged = parts[-1]
    content = bytearray(damaged.read_bytes())
    content[len(content) // 2] ^= 0xFF
    damaged.write_bytes(bytes(content))

    restarted = start_logpipe(name="data")
    assert restarted.metric("logstore_corrupt_parts_total") == 1
    assert "part is corrupt or missing: set aside" in restarted.stderr_text()
    assert Path(str(damaged) + ".corrupt").exists()
    assert wait_until(lambda: total(restarted) == 2000, 120), total(restarted)
    request_ids = Counter(hit["request_id"] for hit in restarted.search_all())
    assert len(request_ids) == 2000 and max(request_ids.values()) == 1


def test_a_data_dir_of_the_sqlite_store_starts_and_its_events_move_over(start_logpipe):
    old = start_logpipe(env={"SEARCH_STORE": "sqlite"})
    post_numbered(old, range(300))
    assert wait_until(lambda: total(old) == 300, 120)
    assert old.stop() == 0
    assert (old.data_dir / "search" / "search.db").exists()

    new = start_logpipe(name="data")
    # The new store re-reads the spool into itself; search.db is left alone.
    assert wait_until(lambda: total(new) == 300, 120), total(new)
    assert (new.data_dir / "search" / "search.db").exists()


def test_a_full_disk_under_the_log_store_stops_commits_and_everything_resumes(start_logpipe, tmp_path):
    # The log store's folder on a tiny tmpfs: parts cannot be written, so the processor commits
    # nothing, the spool cannot reclaim space and fills, and the collector answers 503.
    store_dir = tmp_path / "data" / "search" / "logstore"
    store_dir.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(store_dir)], check=True)
    try:
        logpipe = start_logpipe(env={"SPOOL_MAX_BYTES": "2MiB", "SPOOL_SEGMENT_BYTES": "128KiB"})
        acknowledged, number = [], 0
        refused = None
        while refused is None:
            numbers = list(range(number, number + BATCH))
            response = logpipe.post(ndjson([seed_event(n) for n in numbers]), "application/x-ndjson")
            number += BATCH
            if response.status_code == 202:
                acknowledged.extend(numbers)
            elif response.status_code == 503:
                refused = response
            else:
                raise AssertionError(response.text)
            assert number < 1_000_000, "the spool never filled"
        assert refused.headers["Retry-After"] == "1"
        assert wait_until(lambda: logpipe.metric("logstore_flush_errors_total") > 0, 60)
        assert "cannot write a part; retrying" in logpipe.stderr_text()
        # Still full: nothing became durable, so nothing was committed and nothing reclaimed.
        batch = ndjson([seed_event(n) for n in range(number, number + BATCH)])
        assert logpipe.post(batch, "application/x-ndjson").status_code == 503

        # Space returns: parts are written, offsets committed, the spool reclaims and takes
        # twenty more batches (more than it could hold when full).
        subprocess.run(["mount", "-o", "remount,size=512m", str(store_dir)], check=True)
        for _ in range(20):
            numbers = list(range(number, number + BATCH))
            batch = ndjson([seed_event(n) for n in numbers])
            assert wait_until(lambda: logpipe.post(batch, "application/x-ndjson").status_code == 202,
                              120)
            acknowledged.extend(numbers)
            number += BATCH
        assert wait_until(lambda: total(logpipe) >= len(acknowledged), 300), \
            (total(logpipe), len(acknowledged))
        check_exactly_once(logpipe, acknowledged, [])
        assert logpipe.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(store_dir)], check=False)
