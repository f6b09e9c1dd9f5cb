"""PII redaction in the collector (docs/SECURITY.md): a redacted value never reaches the spool,
the search store or the archive; the hash action still correlates; drop_event drops."""

import gzip
import hashlib
import json
import os
import subprocess

import requests
import zstandard

from archives import LocalArchive, archived_lines
from conftest import wait_until


def readable_bytes(path):
    """A stored file's bytes, with every zstd frame in it (the log store's columns) decompressed."""
    data = path.read_bytes()
    if path.suffix != ".lp":
        return data
    readable, start = [data], data.find(zstandard.FRAME_HEADER)
    while start != -1:
        try:
            readable.append(zstandard.ZstdDecompressor().decompressobj().decompress(data[start:]))
        except zstandard.ZstdError:
            pass  # four bytes inside other data that only look like a frame's start
        start = data.find(zstandard.FRAME_HEADER, start + 1)
    return b"".join(readable)

SECRETS = {
    "email": "jane.doe@example.com",
    "card": "4111 1111 1111 1111",
    "iban": "DE89370400440532013000",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "password": "correct-horse-battery-staple",
    "employee": "EMP-424242",
}

RULES = """
[builtin]
email = "hash"

[[rules]]
name = "passwords"
field = "payload.password"
action = "drop_field"

[[rules]]
name = "employee"
pattern = "EMP-[0-9]{6}"
action = "hash"

[[rules]]
name = "canary"
field = "labels.*"
pattern = "DO-NOT-STORE"
action = "drop_event"
"""


def event(number, message, **extra):
    return {"timestamp": f"2025-10-30T12:00:{number:02d}.000Z", "service": "billing",
            "level": "INFO", "message": message, "trace_id": f"trace-{number}", **extra}


def test_a_redacted_value_never_reaches_the_spool_the_store_or_the_archive(start_logpipe, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    key = tmp_path / "hash.key"
    key.write_bytes(b"a-secret-key-for-tests")
    logpipe = start_logpipe(env={"REDACTION_RULES_FILE": str(rules),
                                 "REDACTION_HASH_KEY_FILE": str(key),
                                 "SEARCH_RETENTION_DAYS": "36500", "BATCH_TIMEOUT_SECONDS": "1"})
    events = [
        event(1, f"user {SECRETS['email']} paid with {SECRETS['card']}",
              payload={"iban": SECRETS["iban"], "password": SECRETS["password"],
                       "nested": [{"token": "Bearer " + SECRETS["jwt"]}]},
              labels={"owner": SECRETS["employee"]}),
        event(2, f"key {SECRETS['aws']} used by {SECRETS['email']}"),
        event(3, "canary", labels={"marker": "DO-NOT-STORE"}),
        event(4, "nothing to see here"),
    ]
    body = gzip.compress("\n".join(map(json.dumps, events)).encode())
    answer = logpipe.post(body, "application/x-ndjson", Content_Encoding="gzip")
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 4  # the canary is acknowledged, never stored

    def hits():
        return requests.get(f"{logpipe.query_url}/api/search", params={"limit": 100},
                            timeout=60).json()["hits"]
    assert wait_until(lambda: len(hits()) == 3)
    by_trace = {hit["trace_id"]: hit for hit in hits()}
    first = by_trace["trace-1"]
    assert first["message"].startswith("user hmac:") and first["message"].endswith("paid with ****1111")
    assert "password" not in first["payload"]
    assert first["payload"]["iban"] == "****3000"
    assert first["labels"]["owner"].startswith("hmac:")
    # The same address hashes to the same value in both events: it still correlates.
    email_hash = first["message"].split()[1]
    assert by_trace["trace-2"]["message"] == f"key ****MPLE used by {email_hash}"
    assert by_trace["trace-4"]["message"] == "nothing to see here"
    archive = LocalArchive(logpipe.data_dir / "archive")
    assert wait_until(lambda: len(archived_lines(archive)) == 3)

    series = logpipe.metric_series("redactions_total")
    assert series['{rule="passwords"}'] == 1 and series['{rule="email"}'] == 2
    assert logpipe.metric("redaction_dropped_events_total") == 1
    assert logpipe.stop() == 0

    needles = [value.encode() for value in SECRETS.values()]
    needles += [b"DO-NOT-STORE", SECRETS["card"].replace(" ", "").encode()]
    stored = [path for folder in ("spool", "search") for path in (logpipe.data_dir / folder).rglob("*")
              if path.is_file()]
    assert any(path.suffix == ".log" for path in stored) and any(path.suffix == ".lp" for path in stored)
    # The store's files are read decompressed: what was stored can be found in them.
    assert any(b"nothing to see here" in readable_bytes(path) for path in stored if path.suffix == ".lp")
    for path in stored:
        content = readable_bytes(path)
        for needle in needles:
            assert needle not in content, (needle, path)
    for _, line in archived_lines(archive):
        for needle in needles:
            assert needle.decode() not in line
    assert "correct-horse" not in logpipe.stderr_text()


def test_a_dry_run_shows_what_the_rules_do_and_stores_nothing(start_logpipe, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    key = tmp_path / "hash.key"
    key.write_bytes(b"a-secret-key-for-tests")
    tokens = tmp_path / "tokens.toml"
    tokens.write_text("\n".join(
        f'[[tokens]]\nname = "{name}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
        f'scopes = ["{scope}"]\n' for name, token, scope in
        [("ops", "admin-dry-run-1", "admin"), ("shipper", "ingest-dry-run-2", "ingest")]))
    logpipe = start_logpipe(env={"REDACTION_RULES_FILE": str(rules),
                                 "REDACTION_HASH_KEY_FILE": str(key), "TOKENS_FILE": str(tokens)})
    sample = [event(1, f"paid with {SECRETS['card']}",
                    payload={"password": SECRETS["password"]}),
              event(2, "canary", labels={"marker": "DO-NOT-STORE"}),
              event(3, "nothing to see here")]
    url = f"{logpipe.ingest_url}/api/redaction/dry-run"
    refused = requests.post(url, json=sample, headers={"Authorization": "Bearer ingest-dry-run-2"},
                            timeout=60)
    assert refused.status_code == 403, refused.text
    answer = requests.post(url, json=sample, headers={"Authorization": "Bearer admin-dry-run-1"},
                           timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["redaction"] == "on" and body["accepted"] == 3
    first, canary, untouched = body["events"]
    assert first["outcome"] == "redacted"
    assert first["event"]["message"] == "paid with ****1111"
    assert "password" not in first["event"]["payload"]
    assert {(hit["rule"], hit["path"], hit["action"]) for hit in first["redactions"]} == {
        ("credit_card", "message", "mask"), ("passwords", "payload.password", "drop_field")}
    assert canary == {"outcome": "dropped", "event": None,
                      "redactions": [{"rule": "canary", "path": "labels.marker",
                                      "action": "drop_event"}]}
    assert untouched["outcome"] == "unchanged"
    assert untouched["event"]["message"] == "nothing to see here"

    sample_file = tmp_path / "sample.ndjson"
    sample_file.write_text("\n".join(map(json.dumps, sample)))
    printed = subprocess.run([logpipe.binary, "redaction", "dry-run", str(sample_file),
                              "--server", logpipe.ingest_url],
                             env={**os.environ, "LOGPIPE_TOKEN": "admin-dry-run-1"},
                             capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[:3] == ["# accepted event 1: redacted", "#   message: credit_card (mask)",
                         "#   payload.password: passwords (drop_field)"], lines
    assert json.loads(lines[3])["message"] == "paid with ****1111"
    assert "# accepted event 2: dropped" in lines

    # Nothing was queued, counted or stored.
    assert logpipe.metric("logs_produced_total") == 0
    assert logpipe.metric_series("redactions_total")['{rule="passwords"}'] == 0
    assert logpipe.stop() == 0
    needles = [SECRETS["password"].encode(), b"DO-NOT-STORE", b"nothing to see here"]
    for path in (logpipe.data_dir / "spool").rglob("*"):
        if path.is_file():
            for needle in needles:
                assert needle not in path.read_bytes(), (needle, path)


def test_an_address_is_located_before_it_is_redacted(start_logpipe, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[builtin]\nipv4 = "mask"\n')
    logpipe = start_logpipe(env={"REDACTION_RULES_FILE": str(rules),
                                 "SEARCH_RETENTION_DAYS": "36500"})
    answer = logpipe.post(json.dumps(event(1, "from google dns",
                                           payload={"ip_address": "8.8.8.8"})))
    assert answer.status_code == 202, answer.text

    def hits():
        return requests.get(f"{logpipe.query_url}/api/search", params={"q": "google"},
                            timeout=60).json()["hits"]
    assert wait_until(lambda: len(hits()) == 1)
    hit, = hits()
    assert hit["payload"]["ip_address"] == "****"
    assert hit["geo"]["country_iso_code"] == "US", hit
