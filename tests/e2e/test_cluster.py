"""scripts/cluster end to end: the distributed topology without Docker, scraped by a real
Prometheus. Every dashboard query and alert expression is accepted and returns series under
load (valid, rejected and poison events); stopping a processor fires the target-down alert;
`down` leaves no process and no data behind."""

import json
import os
import re
import signal
import subprocess

import requests
from confluent_kafka import Producer

from conftest import REPO, wait_until
from seed_events import ndjson, seed_event
from test_observability import alert_expressions, dashboard_expressions

CLUSTER = REPO / "scripts" / "cluster"
STATE = REPO / ".cache" / "cluster"
SELECTOR = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}")


def query(prometheus, expr):
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=30).json()
    assert answer["status"] == "success", (expr, answer)
    return answer["data"]["result"]


def alive(pid):
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_cluster_is_observable_and_alerts_when_a_processor_stops():
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("S3_", "AWS_", "KAFKA_", "ES_"))}
    env["SCRAPE_INTERVAL"] = "5s"
    started = subprocess.run([str(CLUSTER), "up"], env=env, capture_output=True, text=True,
                             timeout=900)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        assert "logpipe cluster up" in started.stdout
        summary = json.loads((STATE / "summary.json").read_text())
        prometheus, ingest = summary["prometheus"], summary["ingest"]
        pids = [process["pid"] for process in summary["processes"].values()]
        assert len(summary["processes"]) == 8  # 1 + 3 + 3 logpipe processes and Prometheus.

        events = [seed_event(n) for n in range(500)]
        for start in range(0, len(events), 100):
            assert requests.post(ingest, data=ndjson(events[start:start + 100]),
                                 headers={"Content-Type": "application/x-ndjson"},
                                 timeout=60).status_code == 202
        rejected = requests.post(ingest, data=ndjson([{"service": "web", "level": "LOUD"}]),
                                 headers={"Content-Type": "application/x-ndjson"}, timeout=60)
        assert rejected.status_code == 400
        producer = Producer({"bootstrap.servers": summary["kafka"]})
        producer.produce("app-logs", key=b"poison", value=b"\xff{not json")
        assert producer.flush(30) == 0

        # Everything has reached a scrape: stored, indexed, archived, dead-lettered.
        for expr in ("sum(logs_produced_total)", "sum(es_write_success_total)",
                     "sum(archiver_batches_uploaded_total)", "sum(dlq_events_total)",
                     "sum(logs_rejected_total)"):
            assert wait_until(lambda: any(float(r["value"][1]) > 0 for r in query(prometheus, expr)),
                              180, interval=1), expr
        # Three scrapes of every target within the last minute, so that rates have samples.
        assert wait_until(lambda: all(float(r["value"][1]) >= 3 for r in
                                      query(prometheus, "count_over_time(up[1m])")), 120,
                          interval=1), "fewer than three scrapes of some target in a minute"

        for where, expr in dashboard_expressions():
            assert query(prometheus, expr), f"{where}: no series for {expr}"
        for alert, expr in alert_expressions():
            query(prometheus, expr)  # Accepted; empty while the alert does not fire.
            for selector in SELECTOR.findall(expr):
                assert query(prometheus, selector), f"{alert}: no series for {selector}"

        stopped = summary["processes"]["processor-1"]
        os.kill(stopped["pid"], signal.SIGTERM)

        def target_down_firing():
            alerts = requests.get(f"{prometheus}/api/v1/alerts", timeout=30).json()["data"]["alerts"]
            return [a for a in alerts if a["labels"]["alertname"] == "LogpipeTargetDown"
                    and a["state"] == "firing"
                    and a["labels"]["instance"] == f"127.0.0.1:{stopped['port']}"]

        assert wait_until(target_down_firing, 240, interval=2), "LogpipeTargetDown did not fire"
    finally:
        stopped_all = subprocess.run([str(CLUSTER), "down"], env=env, capture_output=True,
                                     text=True, timeout=300)
    assert stopped_all.returncode == 0, stopped_all.stderr
    assert not STATE.exists()
    assert not [pid for pid in pids if alive(pid)]
