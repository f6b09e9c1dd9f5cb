"""The processor end to end: enrichment, the search CLI, lag, and indexing thousands of events."""

import json
import time

import requests
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from conftest import wait_until
from seed_events import ndjson, seed_event

# Seed events are dated 2025-10-30; keep them past the default 30-day search retention.
KEEP = {"SEARCH_RETENTION_DAYS": "36500"}


def total(logpipe, **parameters):
    return requests.get(f"{logpipe.ingest_url}/api/search", params=parameters, timeout=30).json()["total"]


def test_the_seed_event_comes_back_located_and_the_cli_finds_it(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    located = seed_event(1, service="checkout")
    private = dict(seed_event(2, service="checkout"), payload={"ip_address": "10.1.2.3"})
    invalid = dict(seed_event(3, service="checkout"), payload={"ip_address": "not-an-address"})
    assert logpipe.post(ndjson([located, private, invalid]), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: total(logpipe) == 3, 60)
    assert logpipe.metric("dlq_events_total") == 0

    by_request = {hit["request_id"]: hit for hit in logpipe.search_all()}
    geo = by_request["req-00000001"]["geo"]
    assert geo["country_iso_code"] == "US"
    assert geo["city_name"] and abs(geo["location"]["lat"] - 37.4) < 2 and abs(geo["location"]["lon"] + 122.1) < 2
    assert "geo" not in by_request["req-00000002"] and "geo" not in by_request["req-00000003"]

    server = ["--server", logpipe.ingest_url]
    found = logpipe.cli("search", '"logged in" AND evt', "--service", "checkout", "--json", *server)
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert sorted(hit["request_id"] for hit in hits) == ["req-00000001", "req-00000002", "req-00000003"]
    assert "3 of 3 matching events" in found.stderr

    table = logpipe.cli("search", "evt-1", "--level", "info", "--from", "2025-10-30T00:00:00Z", *server)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert len(lines) == 1 and lines[0].split()[:3] == ["2025-10-30T12:34:56.789Z", "INFO", "checkout"]
    assert lines[0].endswith("User logged in successfully evt-1")

    # The last 15 minutes hold none of these 2025 events.
    recent = logpipe.cli("search", "--since", "15m", *server)
    assert recent.returncode == 0 and recent.stdout == "" and "0 of 0" in recent.stderr

    bad = logpipe.cli("search", "--level", "LOUD", *server)
    assert bad.returncode == 1 and "level" in bad.stderr and "400" in bad.stderr
    unreachable = logpipe.cli("search", "--server", "http://127.0.0.1:1")
    assert unreachable.returncode == 1 and "127.0.0.1:1" in unreachable.stderr


def test_a_maxmind_layout_database_gives_country_names_too(start_logpipe, tmp_path):
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
    writer.insert_network(IPSet(["198.51.100.0/24"]), {
        "country": {"iso_code": "NZ", "names": {"en": "New Zealand"}},
        "city": {"names": {"en": "Wellington"}},
        "location": {"latitude": -41.2865, "longitude": 174.7762},
    })
    database = tmp_path / "GeoLite2-City.mmdb"
    writer.to_db_file(str(database))

    logpipe = start_logpipe(env=dict(KEEP, GEOIP_DB_PATH=str(database)))
    event = dict(seed_event(1), payload={"ip_address": "198.51.100.7"})
    assert logpipe.post(json.dumps(event)).status_code == 202
    assert wait_until(lambda: total(logpipe) == 1, 60)
    assert logpipe.search_all()[0]["geo"] == {
        "country_iso_code": "NZ", "country_name": "New Zealand", "city_name": "Wellington",
        "location": {"lat": -41.2865, "lon": 174.7762}}


def test_without_a_database_events_are_indexed_without_geo_and_it_is_said_once(start_logpipe, tmp_path):
    logpipe = start_logpipe(env=dict(KEEP, GEOIP_DB_PATH=str(tmp_path / "missing.mmdb")))
    assert logpipe.post(ndjson([seed_event(n) for n in range(20)]), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: total(logpipe) == 20, 60)
    assert all("geo" not in hit for hit in logpipe.search_all())
    assert logpipe.stderr_text().count("GeoIP enrichment skipped") == 1
    assert "missing.mmdb" in logpipe.stderr_text()


def test_thousands_of_events_become_searchable_and_lag_drains(start_logpipe):
    logpipe = start_logpipe(env=KEEP)
    count = 5000
    with requests.Session() as session:
        for start in range(0, count, 500):
            body = ndjson([seed_event(n) for n in range(start, start + 500)])
            assert logpipe.post(body, "application/x-ndjson", session=session).status_code == 202
    acknowledged_at = time.monotonic()
    # The figure this measures belongs to benchmarks; the deadline only catches a stall.
    assert wait_until(lambda: total(logpipe) == count, 120, interval=0.02)
    print(f"{count} events searchable {time.monotonic() - acknowledged_at:.2f} s after the last 202")

    assert total(logpipe, service="payment-service") == count // 8
    assert total(logpipe, level="ERROR") == count // 6 + (1 if count % 6 > 5 else 0)
    assert total(logpipe, q="evt-4321") == 1
    request_ids = [hit["request_id"] for hit in logpipe.search_all()]
    assert len(request_ids) == count and len(set(request_ids)) == count

    def lag_drained():
        lags = {labels: value for labels, value in logpipe.metric_series("consumer_lag_messages").items()
                if 'group="processor"' in labels}
        return lags and all(value == 0 for value in lags.values())

    assert wait_until(lag_drained, 30)
    assert logpipe.metric("ingested_events_total") == count
    assert logpipe.metric("es_write_success_total") == count
