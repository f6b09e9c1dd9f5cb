"""Scoped tokens with tenants (DESIGN §3's route x credential table, docs/SECURITY.md): each
scope on each route, the shippers' credential forms, tenant isolation in search, SIGHUP reload
and the audit log, and the refusal to listen openly without credentials."""

import base64
import gzip
import hashlib
import json
import signal
import subprocess

import requests

from archives import LocalArchive, archived_lines
from conftest import binary, wait_until

KEEP = {"SEARCH_RETENTION_DAYS": "36500"}

TOKENS = {
    "acme-shipper": ("ingest-acme-7f3a", ["ingest"], "acme"),
    "globex-shipper": ("ingest-globex-91c2", ["ingest"], "globex"),
    "acme-reader": ("query-acme-0d44", ["query"], "acme"),
    "globex-reader": ("query-globex-5be1", ["query"], "globex"),
    "ops": ("admin-ops-e8a0", ["admin"], "default"),
}


def tokens_toml(tokens):
    entries = []
    for name, (token, scopes, tenant) in tokens.items():
        entries.append(f'[[tokens]]\nname = "{name}"\n'
                       f'sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
                       f'scopes = {json.dumps(scopes)}\ntenant = "{tenant}"\n')
    return "\n".join(entries)


BULK = {"bulk-shipper": ("ingest-bulk-3c9d", ["ingest"], "bulk"),
        "bulk-reader": ("query-bulk-77e0", ["query"], "bulk")}


def bearer(name):
    return {"Authorization": "Bearer " + {**TOKENS, **BULK}[name][0]}


def event(number, message):
    return {"timestamp": f"2025-10-30T12:00:{number:02d}.000Z", "service": "web", "level": "INFO",
            "message": message, "trace_id": f"trace-{number}"}


def started(start_logpipe, tmp_path, env=None, tokens=TOKENS, tenants=""):
    tokens_file = tmp_path / "tokens.toml"
    tokens_file.write_text(tokens_toml(tokens) + tenants)
    return start_logpipe(env={**KEEP, "TOKENS_FILE": str(tokens_file), **(env or {})}), tokens_file


def search(logpipe, name, **parameters):
    return requests.get(f"{logpipe.query_url}/api/search", params=parameters, headers=bearer(name),
                        timeout=60)


def test_each_scope_on_each_route(start_logpipe, tmp_path):
    logpipe, _ = started(start_logpipe, tmp_path)
    body = json.dumps(event(1, "scoped"))
    routes = [("POST", logpipe.ingest_url, "/logs", "ingest"),
              ("GET", logpipe.query_url, "/api/search", "query"),
              ("GET", logpipe.query_url, "/api/histogram", "query"),
              ("GET", logpipe.query_url, "/api/facets?field=service", "query"),
              ("GET", logpipe.query_url, "/api/context?id=none", "query"),
              ("POST", logpipe.query_url, "/api/replay?from=2025-10-30&to=2025-10-30", "admin"),
              ("GET", logpipe.query_url, "/api/replay?id=replay-1", "admin"),
              ("GET", logpipe.query_url, "/api/pipeline", "admin")]
    token_of_scope = {"ingest": "acme-shipper", "query": "acme-reader", "admin": "ops"}
    for method, base, path, scope in routes:
        def call(**headers):
            return requests.request(method, base + path, data=body if method == "POST" else None,
                                    headers={"Content-Type": "application/json", **headers},
                                    timeout=60)
        assert call().status_code == 401, path
        assert call(Authorization="Bearer not-a-token").status_code == 401, path
        for other_scope, name in token_of_scope.items():
            answer = call(**bearer(name))
            if other_scope == scope:
                assert answer.status_code not in (401, 403), (path, name, answer.text)
            else:
                assert answer.status_code == 403, (path, name, answer.text)
                assert name in answer.text and scope in answer.text
    # Probes stay open, and /metrics too unless METRICS_AUTH says otherwise.
    for path in ("/healthz", "/readyz", "/metrics"):
        assert requests.get(logpipe.metrics_url + path, timeout=30).status_code == 200, path
    assert "acme-shipper" not in logpipe.stderr_text()
    for token, _, _ in TOKENS.values():
        assert token not in logpipe.stderr_text()
    refused = logpipe.metric_series("auth_requests_refused_total")
    assert refused['{reason="missing"}'] >= 8 and refused['{reason="scope"}'] >= 16


def test_shippers_credential_forms(start_logpipe, tmp_path):
    logpipe, _ = started(start_logpipe, tmp_path)
    token = TOKENS["acme-shipper"][0]
    forms = {
        "Splunk": "Splunk " + token,
        "ApiKey": "ApiKey " + base64.b64encode(f"key-id:{token}".encode()).decode(),
        "Basic": "Basic " + base64.b64encode(f"filebeat:{token}".encode()).decode(),
    }
    for number, (form, header) in enumerate(forms.items(), start=1):
        assert logpipe.post(json.dumps(event(number, form)), Authorization=header).status_code == 202
    # requests' own basic authentication, as shippers configured with a user and password send it.
    answer = requests.post(f"{logpipe.ingest_url}/logs", data=json.dumps(event(4, "auth=")),
                           auth=("anyone", token), timeout=60)
    assert answer.status_code == 202
    assert wait_until(lambda: search(logpipe, "acme-reader").json()["total"] == 4)


def test_a_tenant_sees_only_its_own_events(start_logpipe, tmp_path):
    logpipe, _ = started(start_logpipe, tmp_path)
    forged = [dict(event(number, f"acme event {number}"), tenant="globex") for number in range(3)]
    assert logpipe.post("\n".join(map(json.dumps, forged)), "application/x-ndjson",
                        **bearer("acme-shipper")).status_code == 202
    globex = [event(number, f"globex event {number}") for number in range(10, 12)]
    assert logpipe.post("\n".join(map(json.dumps, globex)), "application/x-ndjson",
                        **bearer("globex-shipper")).status_code == 202
    assert wait_until(lambda: search(logpipe, "acme-reader").json()["total"] == 3)
    assert wait_until(lambda: search(logpipe, "globex-reader").json()["total"] == 2)
    acme_hits = search(logpipe, "acme-reader", q="event OR tenant:globex").json()["hits"]
    assert sorted(hit["message"] for hit in acme_hits) == [f"acme event {n}" for n in range(3)]
    assert {hit["tenant"] for hit in acme_hits} == {"acme"}  # the forged value was overwritten
    globex_hits = search(logpipe, "globex-reader", q="acme").json()
    assert globex_hits["total"] == 0
    facets = requests.get(f"{logpipe.query_url}/api/facets", params={"field": "tenant"},
                          headers=bearer("globex-reader"), timeout=60).json()
    assert facets["values"] == [{"value": "globex", "count": 2}]
    other_id = acme_hits[0]["_id"]
    context = requests.get(f"{logpipe.query_url}/api/context", params={"id": other_id},
                           headers=bearer("globex-reader"), timeout=60)
    assert context.status_code == 404
    assert logpipe.stop() == 0
    stored = [json.loads(record["value"]) for record in logpipe.read_spool("tenant-check")]
    assert sorted(record["tenant"] for record in stored) == ["acme"] * 3 + ["globex"] * 2


def test_sighup_reloads_the_tokens_and_admin_actions_are_audited(start_logpipe, tmp_path):
    logpipe, tokens_file = started(start_logpipe, tmp_path)
    late = {"late-shipper": ("ingest-late-42aa", ["ingest"], "acme")}
    assert logpipe.post(json.dumps(event(1, "late")), Authorization="Bearer ingest-late-42aa") \
        .status_code == 401
    tokens_file.write_text(tokens_toml({**TOKENS, **late}))
    logpipe.process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: logpipe.post(json.dumps(event(1, "late")),
                                           Authorization="Bearer ingest-late-42aa").status_code == 202)
    # A broken file keeps the tokens in use.
    tokens_file.write_text("[[tokens]]\nname = \"broken\"\n")
    logpipe.process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "tokens not reloaded" in logpipe.stderr_text())
    assert logpipe.post(json.dumps(event(2, "still")), Authorization="Bearer ingest-late-42aa") \
        .status_code == 202
    replay = requests.post(f"{logpipe.query_url}/api/replay",
                           params={"from": "2025-10-30", "to": "2025-10-30"}, headers=bearer("ops"),
                           timeout=60)
    assert replay.status_code == 202, replay.text
    audit_file = logpipe.data_dir / "audit.jsonl"
    lines = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert [line["action"] for line in lines] == ["reload tokens", "reload tokens",
                                                  "POST /api/replay"]
    assert lines[0]["result"] == "6 tokens"
    assert lines[1]["result"].startswith("failed: ")
    assert lines[2]["token"] == "ops" and lines[2]["status"] == 202
    assert lines[2]["query"] == "from=2025-10-30&to=2025-10-30"
    assert "ingest-late-42aa" not in audit_file.read_text() + logpipe.stderr_text()


def test_metrics_can_require_a_token(start_logpipe, tmp_path):
    logpipe, _ = started(start_logpipe, tmp_path, env={"METRICS_AUTH": "admin"})
    assert requests.get(f"{logpipe.metrics_url}/metrics", timeout=30).status_code == 401
    assert requests.get(f"{logpipe.metrics_url}/metrics", headers=bearer("acme-reader"),
                        timeout=30).status_code == 403
    assert requests.get(f"{logpipe.metrics_url}/metrics", headers=bearer("ops"),
                        timeout=30).status_code == 200
    assert requests.get(f"{logpipe.metrics_url}/healthz", timeout=30).status_code == 200


def test_the_legacy_token_has_every_scope_in_the_default_tenant(start_logpipe):
    logpipe = start_logpipe(env={**KEEP, "COLLECTOR_AUTH_TOKEN": "legacy-s3cret"})
    good = {"Authorization": "Bearer legacy-s3cret"}
    assert logpipe.post(json.dumps(event(1, "legacy")), **good).status_code == 202
    assert wait_until(lambda: requests.get(f"{logpipe.query_url}/api/search", headers=good,
                                           timeout=60).json()["total"] == 1)
    hit = requests.get(f"{logpipe.query_url}/api/search", headers=good, timeout=60).json()["hits"][0]
    assert hit["tenant"] == "default"
    assert requests.get(f"{logpipe.query_url}/api/pipeline", headers=good, timeout=60).ok


def test_an_open_logpipe_listens_on_loopback_only(start_logpipe, tmp_path):
    refused = subprocess.run([binary(), "run"], capture_output=True, text=True, timeout=60,
                             env={"LOGPIPE_DATA_DIR": str(tmp_path / "open"), "LISTEN_ADDRESS": "0.0.0.0",
                                  "COLLECTOR_PORT": "0", "METRICS_PORT": "0"})
    assert refused.returncode == 2
    assert "TOKENS_FILE" in refused.stderr and "ALLOW_UNAUTHENTICATED=true" in refused.stderr
    logpipe = start_logpipe()
    assert "listens on loopback only" in logpipe.stderr_text()


def test_a_tenant_over_its_rate_gets_429_and_nothing_acknowledged_is_lost(start_logpipe, tmp_path):
    tokens = {**TOKENS, **BULK}
    limits = ("\n[tenants.acme]\nevents_per_second = 5\nevents_burst = 10\n"
              "[tenants.bulk]\nbytes_per_second = 1\nbytes_burst = 1000\n")
    logpipe, _ = started(start_logpipe, tmp_path, tokens=tokens, tenants=limits)
    accepted = {"acme": 0, "globex": 0}
    refusals = []
    for batch in range(20):
        for tenant in accepted:
            events = [event(n % 60, f"{tenant} rated {batch}-{n}") for n in range(5)]
            answer = logpipe.post("\n".join(map(json.dumps, events)), "application/x-ndjson",
                                  **bearer(f"{tenant}-shipper"))
            if answer.status_code == 202:
                accepted[tenant] += answer.json()["accepted"]
            else:
                assert answer.status_code == 429 and tenant == "acme", answer.text
                assert int(answer.headers["Retry-After"]) >= 1
                refusals.append(answer.json()["error"])
    assert refusals and 'tenant "acme" is over its events per second limit' in refusals[0]
    assert accepted["globex"] == 100  # the other tenant is unaffected
    assert 10 <= accepted["acme"] < 100
    for tenant, count in accepted.items():
        assert wait_until(lambda: search(logpipe, f"{tenant}-reader").json()["total"] == count), tenant
    assert logpipe.metric_series("rate_limited_requests_total")[
        '{tenant="acme",limit="events"}'] == len(refusals)

    # The bytes limit counts the body as received: two compressed bodies of 30 KB of events cost
    # their compressed size; the same events uncompressed are over what is left.
    many = "\n".join([json.dumps(event(1, "compressible " * 20))] * 100).encode()
    compressed = gzip.compress(many)
    assert len(compressed) < 450 and len(many) > 1000
    for _ in range(2):
        assert logpipe.post(compressed, "application/x-ndjson", Content_Encoding="gzip",
                            **bearer("bulk-shipper")).status_code == 202
    refused = logpipe.post(many, "application/x-ndjson", **bearer("bulk-shipper"))
    assert refused.status_code == 429
    assert "bytes per second" in refused.json()["error"]
    assert wait_until(lambda: search(logpipe, "bulk-reader").json()["total"] == 200)


def test_archives_are_keyed_by_tenant_and_replay_reads_every_tenant(start_logpipe, tmp_path):
    default_shipper = ("ingest-default-11aa", ["ingest"], "default")
    logpipe, _ = started(start_logpipe, tmp_path, env={"BATCH_TIMEOUT_SECONDS": "1"},
                         tokens={**TOKENS, "default-shipper": default_shipper})
    for number, (name, token) in enumerate((("acme-shipper", TOKENS["acme-shipper"][0]),
                                            ("globex-shipper", TOKENS["globex-shipper"][0]),
                                            ("default-shipper", default_shipper[0]))):
        answer = logpipe.post(json.dumps(event(number, f"archived for {name}")),
                              Authorization=f"Bearer {token}")
        assert answer.status_code == 202, answer.text
    archive = LocalArchive(logpipe.data_dir / "archive")
    assert wait_until(lambda: len(archived_lines(archive)) == 3)
    folders = {key.rsplit("/", 1)[0]: json.loads(line)["tenant"]
               for key, line in archived_lines(archive)}
    # The default tenant keeps the layout of an archive without tenants.
    assert folders == {"tenant=acme/2025/10/30": "acme", "tenant=globex/2025/10/30": "globex",
                       "2025/10/30": "default"}, folders

    replay = requests.post(f"{logpipe.query_url}/api/replay",
                           params={"from": "2025-10-30", "to": "2025-10-30"}, headers=bearer("ops"),
                           timeout=60)
    assert replay.status_code == 202, replay.text

    def finished():
        status = requests.get(f"{logpipe.query_url}/api/replay", params={"id": replay.json()["id"]},
                              headers=bearer("ops"), timeout=60).json()
        return status if status["state"] != "running" else None
    status = wait_until(finished)
    assert status["state"] == "done" and status["objects_total"] == 3, status
    assert status["events_queued"] == 3, status
    # Replayed events keep their tenant (and their ids): each reader still sees only its own.
    assert wait_until(lambda: logpipe.metric("es_write_success_total") >= 6)
    hits = search(logpipe, "acme-reader").json()["hits"]
    assert [hit["message"] for hit in hits] == ["archived for acme-shipper"]
