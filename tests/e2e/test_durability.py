"""Acknowledged events survive kill -9; a full spool pushes back instead of growing or dropping."""

import json
import threading
from collections import Counter

import pytest
import requests

from conftest import wait_until
from seed_events import ndjson, seed_event


def post_batches_until_stopped(logpipe, first_number, acknowledged, stop, batch_size=50):
    """Posts NDJSON batches of numbered events; records the numbers of acknowledged events."""
    number = first_number
    with requests.Session() as session:
        while not stop.is_set():
            events = [seed_event(n) for n in range(number, number + batch_size)]
            try:
                response = logpipe.post(ndjson(events), "application/x-ndjson", session=session)
            except requests.RequestException:
                return  # The server died under us: this batch was never acknowledged.
            if response.status_code == 202:
                acknowledged.extend(range(number, number + batch_size))
            number += batch_size


@pytest.mark.parametrize("fsync", ["interval", "always"])
def test_kill_9_during_load_loses_no_acknowledged_event(start_logpipe, fsync):
    # Consumers that receive nothing never commit, so retention cannot reclaim what the check
    # below reads back from the spool.
    logpipe = start_logpipe(env={"SPOOL_FSYNC": fsync, "SPOOL_SEGMENT_BYTES": "256KiB",
                                 "LOGPIPE_FAULT_STALL_CONSUMERS": "1"})
    acknowledged_per_client = [[] for _ in range(4)]
    stop = threading.Event()
    clients = [threading.Thread(target=post_batches_until_stopped,
                                args=(logpipe, index * 10_000_000, acknowledged, stop))
               for index, acknowledged in enumerate(acknowledged_per_client)]
    for client in clients:
        client.start()
    assert wait_until(lambda: sum(map(len, acknowledged_per_client)) >= 20_000, 300)
    logpipe.kill()
    stop.set()
    for client in clients:
        client.join(60)
    acknowledged = [number for numbers in acknowledged_per_client for number in numbers]

    restarted = start_logpipe(env={"SPOOL_FSYNC": fsync, "LOGPIPE_FAULT_STALL_CONSUMERS": "1"},
                              name="data")
    assert restarted.data_dir == logpipe.data_dir
    after = seed_event(99_999_999)
    assert restarted.post(json.dumps(after)).status_code == 202
    assert restarted.stop() == 0

    records = restarted.read_spool("crash-check")
    numbers = Counter(int(json.loads(record["value"])["message"].rsplit("-", 1)[1])
                      for record in records)
    missing = [number for number in acknowledged if numbers[number] == 0]
    duplicated = [number for number, count in numbers.items() if count > 1]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
    assert not duplicated, f"{len(duplicated)} events stored twice, e.g. {duplicated[:5]}"
    assert numbers[99_999_999] == 1, "ingest after the restart did not land"
    # Offsets stay dense per partition: recovery cut the torn tail and appended after it.
    for partition in {record["partition"] for record in records}:
        offsets = sorted(r["offset"] for r in records if r["partition"] == partition)
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))


def test_full_spool_answers_503_and_recovers(start_logpipe):
    # The spool fills for certain: the test build's fault injection stalls every consumer, so
    # nothing read frees space (retention by age still does).
    logpipe = start_logpipe(env={
        "LOGPIPE_FAULT_STALL_CONSUMERS": "1",
        "SPOOL_MAX_BYTES": "4MiB",
        "SPOOL_SEGMENT_BYTES": "128KiB",
        "SPOOL_RETENTION": "5s",
        "SPOOL_ALLOW_SHORT_RETENTION": "true",
        "MAX_BODY_BYTES": "4MiB",
    })
    body = ndjson(seed_event(n) for n in range(100))

    refusals = []

    def full():
        response = logpipe.post(body, "application/x-ndjson")
        if response.status_code == 503:
            refusals.append(response)
        return refusals

    assert wait_until(full, 120, interval=0), "the spool never reported full"
    refused = refusals[0]
    assert refused.headers["Retry-After"] == "1"
    assert "spool is full" in refused.json()["error"]

    # Overload: many clients with large bodies against the full spool for a while.
    big_body = ndjson(seed_event(n) for n in range(8000))
    codes = Counter()
    stop = threading.Event()

    def hammer():
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    codes[logpipe.post(big_body, "application/x-ndjson", session=session).status_code] += 1
                except requests.RequestException:
                    codes["error"] += 1

    hammers = [threading.Thread(target=hammer) for _ in range(16)]
    for thread in hammers:
        thread.start()
    # Until the full spool has turned many large bodies away (peak memory under this load is a
    # figure for the collector benchmark, not an assertion here).
    refused_enough = wait_until(lambda: codes[503] >= 200, 300)
    stop.set()
    for thread in hammers:
        thread.join(120)
    assert refused_enough, codes
    assert codes["error"] == 0, codes
    produced_before = logpipe.metric("logs_produced_total")

    # Retention frees space by age; ingest resumes without a restart.
    accepted = wait_until(lambda: logpipe.post(body, "application/x-ndjson").status_code == 202, 120,
                          interval=0.2)
    assert accepted, "ingest did not resume after retention freed space"
    assert logpipe.metric("logs_produced_total") >= produced_before + 100
    assert logpipe.metric("spool_reclaimed_bytes_total") > 0
    assert logpipe.metric("spool_full_rejections_total") > 0
