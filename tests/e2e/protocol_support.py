"""What the shipper protocol tests share: an instance whose spool is full, to see each
protocol's own backpressure answer, and waiting for events to become searchable."""

from conftest import wait_until
from seed_events import ndjson, seed_event

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
    answers = []
    assert wait_until(lambda: refused(answers.append(send()) or answers[-1]), 60, interval=0)
    return answers[-1]


def searchable(logpipe, count, **parameters):
    """The hits of a search once it finds `count` events (or what it found at the deadline)."""
    hits = wait_until(lambda: (lambda found: found if len(found) >= count else None)(
        logpipe.search_all(**parameters)), 60, interval=0.2)
    return hits or logpipe.search_all(**parameters)
