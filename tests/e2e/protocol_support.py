"""What the shipper protocol tests share: an instance whose spool is full, to see each
protocol's own backpressure answer, waiting for events to become searchable, and a tenant's
tokens."""

import json

import requests

from conftest import wait_until
from seed_events import ndjson, seed_event
from test_security import tokens_toml

SHIPPER_TOKEN = "ingest-acme-4d1c"  # scope ingest, tenant acme
READER_TOKEN = "query-acme-98be"  # scope query, tenant acme

# Consumers stalled (test builds' fault injection) and a small spool: it fills for certain.
FULL_SPOOL_ENV = {
    "LOGPIPE_FAULT_STALL_CONSUMERS": "1",
    "SPOOL_MAX_BYTES": "2MiB",
    "SPOOL_SEGMENT_BYTES": "128KiB",
    "MAX_BODY_BYTES": "4MiB",
}


def refused_when_full(logpipe, send, refused):
    """Fills the spool with native events, then sends the protocol's request (`send()`) until
    `refused(answer)`: its last bytes of room may still take a small request. Returns the
    refusing answer."""
    body = ndjson(seed_event(n) for n in range(200))
    full = wait_until(lambda: logpipe.post(body, "application/x-ndjson").status_code == 503, 120,
                      interval=0)
    assert full, "the spool never reported full"
    # The room left is less than that body: smaller and smaller events take it, so that a few
    # protocol requests are refused however slow the machine is.
    for size in [16384, 2048, 256, 32]:
        event = json.dumps(dict(seed_event(0), message="x" * size))
        assert wait_until(lambda: logpipe.post(event).status_code == 503, 60, interval=0), size
    answers = []
    assert wait_until(lambda: refused(answers.append(send()) or answers[-1]), 60, interval=0)
    return answers[-1]


def searchable(logpipe, count, **parameters):
    """The hits of a search once it finds `count` events (or what it found at the deadline)."""
    hits = wait_until(lambda: (lambda found: found if len(found) >= count else None)(
        logpipe.search_all(**parameters)), 60, interval=0.2)
    return hits or logpipe.search_all(**parameters)


def tenant_env(tmp_path, limits=""):
    """Settings for an instance with tenant acme's shipper and reader tokens; `limits` holds
    the body of its `[tenants.acme]` table (events_per_second = ...)."""
    tokens_file = tmp_path / "tokens.toml"
    tokens_file.write_text(tokens_toml({"shipper": (SHIPPER_TOKEN, ["ingest"], "acme"),
                                        "reader": (READER_TOKEN, ["query"], "acme")})
                           + (f"\n[tenants.acme]\n{limits}\n" if limits else ""))
    return {"TOKENS_FILE": str(tokens_file)}


def tenant_hits(logpipe, count, **parameters):
    """What acme's reader finds once it finds `count` events (or at the deadline)."""
    def search():
        answer = requests.get(f"{logpipe.query_url}/api/search", params=parameters, timeout=60,
                              headers={"Authorization": "Bearer " + READER_TOKEN}).json()
        return answer["hits"] if len(answer["hits"]) >= count else None
    return wait_until(search, 60, interval=0.2) or []
