"""The archiver end to end, on the local folder and on a real S3 server (versitygw, read back
with boto3): every acknowledged event in exactly one object under its own date, byte for byte."""

import json
import os
import subprocess
import threading
from collections import Counter

import pytest
import requests

from archives import LocalArchive, S3Archive, archived_lines
from conftest import REPO, wait_until
from seed_events import seed_event

DATES = ["2025-10-30", "2025-10-31", "2025-11-01"]


def dated_events(count, first=0):
    """Compact JSON lines (the bytes an archive must hold) of events spread over three dates."""
    lines = []
    for n in range(first, first + count):
        event = seed_event(n)
        event["timestamp"] = f"{DATES[n % 3]}T{n % 24:02d}:00:00.000Z"
        lines.append(json.dumps(event, separators=(",", ":")))
    return lines


def check_exactly_once(lines, expected_lines):
    counts = Counter(line for _, line in lines)
    duplicated = [line for line, seen in counts.items() if seen > 1]
    assert not duplicated, f"{len(duplicated)} events archived twice, e.g. {duplicated[:2]}"
    missing = [line for line in expected_lines if counts[line] == 0]
    assert not missing, f"{len(missing)} acknowledged events not archived, e.g. {missing[:2]}"
    for key, line in lines:
        date = json.loads(line)["timestamp"][:10]
        assert key.startswith(date.replace("-", "/") + "/app-logs-"), (key, date)


@pytest.fixture(scope="module")
def s3_server():
    if os.environ.get("S3_ENDPOINT"):
        env = {name: os.environ[name] for name in
               ("S3_ENDPOINT", "S3_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        yield env
        return
    script = REPO / "scripts" / "backends" / "s3"
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, timeout=900)
    assert started.returncode == 0, started.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
               if line.startswith("export "))
    yield env
    subprocess.run([str(script), "stop"], timeout=60)


def archive_for(kind, logpipe_env, s3_server, tmp_path, name):
    if kind == "local":
        return {**logpipe_env, "ARCHIVE_DIR": str(tmp_path / "archive")}, LocalArchive(tmp_path / "archive")
    env = {**logpipe_env, **s3_server, "S3_BUCKET": f"archive-{name}"}
    return env, S3Archive(env)


@pytest.fixture(params=["local", "s3"])
def archive_kind(request):
    return request.param


FAST = {"BATCH_TIMEOUT_SECONDS": "1", "SEARCH_RETENTION_DAYS": "36500"}


def test_events_land_under_their_dates_exactly_once_byte_for_byte(start_logpipe, s3_server, tmp_path,
                                                                   archive_kind):
    env, archive = archive_for(archive_kind, FAST, s3_server, tmp_path, "dates")
    logpipe = start_logpipe(env=env)
    lines = dated_events(600)
    with requests.Session() as session:
        for start in range(0, 600, 150):
            body = "\n".join(lines[start:start + 150]) + "\n"
            assert logpipe.post(body, "application/x-ndjson", session=session).status_code == 202
    assert wait_until(lambda: len(archived_lines(archive)) >= 600, 120)
    archived = archived_lines(archive)
    assert len(archived) == 600
    check_exactly_once(archived, lines)
    assert {key[:10] for key, _ in archived} == {"2025/10/30", "2025/10/31", "2025/11/01"}
    # Objects appear a moment before the archiver counts them.
    assert wait_until(lambda: logpipe.metric("archiver_messages_archived_total") == 600, 30)
    assert wait_until(lambda: all(v == 0 for labels, v in logpipe.metric_series("consumer_lag_messages").items()
                                  if 'group="archiver"' in labels), 30)


def test_zstd_objects_when_asked(start_logpipe, s3_server, tmp_path):
    env, archive = archive_for("local", {**FAST, "ARCHIVE_COMPRESSION": "zstd"}, s3_server, tmp_path, "zstd")
    logpipe = start_logpipe(env=env)
    lines = dated_events(30)
    assert logpipe.post("\n".join(lines), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: len(archived_lines(archive)) >= 30, 120)
    assert all(key.endswith(".ndjson.zst") for key in archive.objects())
    check_exactly_once(archived_lines(archive), lines)


def post_until_stopped(logpipe, acknowledged, in_flight, stop):
    number = 0
    with requests.Session() as session:
        while not stop.is_set():
            in_flight[:] = dated_events(100, number)
            try:
                response = logpipe.post("\n".join(in_flight) + "\n", "application/x-ndjson", session=session)
            except requests.RequestException:
                return
            if response.status_code == 202:
                acknowledged.extend(in_flight)
            in_flight[:] = []
            number += 100


def test_kill_9_during_load_archives_every_acknowledged_event_once(start_logpipe, s3_server, tmp_path,
                                                                   archive_kind):
    env, archive = archive_for(archive_kind, {**FAST, "BATCH_SIZE": "50"}, s3_server, tmp_path, "crash")
    logpipe = start_logpipe(env=env)
    acknowledged, in_flight, stop = [], [], threading.Event()
    client = threading.Thread(target=post_until_stopped, args=(logpipe, acknowledged, in_flight, stop))
    client.start()
    # Kill while batches are being uploaded and committed.
    assert wait_until(lambda: len(acknowledged) >= 5000 and len(archived_lines(archive)) > 500, 300)
    logpipe.kill()
    stop.set()
    client.join(60)

    restarted = start_logpipe(env=env, name="data")
    assert wait_until(lambda: len(archived_lines(archive)) >= len(acknowledged), 300)
    archived = archived_lines(archive)
    check_exactly_once(archived, acknowledged)
    extra = {line for _, line in archived} - set(acknowledged)
    assert extra <= set(in_flight), f"{len(extra)} archived events were never posted"
    assert restarted.stop() == 0


def test_a_wrong_secret_is_reported_and_loses_nothing_once_fixed(start_logpipe, s3_server, tmp_path):
    env, archive = archive_for("s3", FAST, s3_server, tmp_path, "secret")
    wrong = start_logpipe(env={**env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    lines = dated_events(120)
    assert wrong.post("\n".join(lines), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in wrong.stderr_text(), 60)
    assert wait_until(lambda: wrong.metric("archiver_upload_errors_total") > 0, 60)
    assert archive.objects() == {}
    assert wrong.stop() == 0

    fixed = start_logpipe(env=env, name="data")
    assert wait_until(lambda: len(archived_lines(archive)) >= 120, 120)
    check_exactly_once(archived_lines(archive), lines)
    assert fixed.stop() == 0


def test_replay_into_a_fresh_instance_twice_gives_the_archived_total(start_logpipe, s3_server, tmp_path,
                                                                     archive_kind):
    env, archive = archive_for(archive_kind, FAST, s3_server, tmp_path, "replay")
    source = start_logpipe(env=env, name="source")
    lines = dated_events(900)
    assert source.post("\n".join(lines), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: len(archived_lines(archive)) >= 900, 120)
    assert wait_until(lambda: len(source.search_all()) >= 900, 120)
    source_ids = {hit["_id"] for hit in source.search_all()}
    assert source.stop() == 0

    fresh = start_logpipe(env=env, name="fresh")
    assert fresh.search_all() == []
    keys = list(archive.objects())
    for _ in range(2):
        replayed = fresh.cli("replay", "--from", "2025-10-30", "--to", "2025-11-01",
                             "--server", fresh.ingest_url)
        assert replayed.returncode == 0, replayed.stderr
        assert f"{len(keys)}/{len(keys)} objects, 900 events queued, 0 skipped" in replayed.stderr
        # The processor indexes them as it catches up, under the ids the source gave them.
        assert wait_until(lambda: len(fresh.search_all()) >= 900, 120)
        hits = fresh.search_all()
        assert len(hits) == len(archived_lines(archive)) == 900
        assert {hit["_id"] for hit in hits} == source_ids
        assert len({hit["request_id"] for hit in hits}) == 900
    assert hits[0]["geo"]["country_iso_code"] == "US"

    one_day = fresh.cli("replay", "--from", "2025-10-31", "--to", "2025-10-31", "--service", "checkout",
                        "--server", fresh.ingest_url)
    day_keys = [key for key in keys if key.startswith("2025/10/31/")]
    assert one_day.returncode == 0, one_day.stderr
    checkout_that_day = sum(1 for line in map(json.loads, lines)
                            if line["timestamp"].startswith("2025-10-31") and line["service"] == "checkout")
    assert f"{len(day_keys)}/{len(day_keys)} objects, {checkout_that_day} events queued" in one_day.stderr
    assert wait_until(lambda: fresh.metric("ingested_events_total") >= 1800 + checkout_that_day, 120)
    assert len(fresh.search_all()) == 900  # The same ids again: nothing new.
    assert len(archived_lines(archive)) == 900  # Copies are not archived again.
    bad = fresh.cli("replay", "--from", "2025-13-01", "--to", "2025-10-31", "--server", fresh.ingest_url)
    assert bad.returncode == 1 and "from" in bad.stderr and "2025-13-01" in bad.stderr
