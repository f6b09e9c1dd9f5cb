"""The shipped observability: Grafana provisioning and dashboards load as Grafana expects, and
every metric the dashboards and the alert rules use is one that logpipe really exports."""

import json
import re

import requests
import yaml

from conftest import REPO, wait_until
from seed_events import ndjson, seed_event

DEPLOY = REPO / "deploy"
# A metric reference in our expressions is a name followed by a selector or a range.
REFERENCE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]")
PROMETHEUS_OWN = {"up"}


def dashboards():
    return sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))


def dashboard_expressions():
    for path in dashboards():
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                yield f"{path.name}: {panel['title']}", target["expr"]


def alert_expressions():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield rule["alert"], rule["expr"]


def test_provisioning_and_dashboards_have_the_fields_grafana_reads():
    provisioning = DEPLOY / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert datasources["apiVersion"] == 1
    (datasource,) = datasources["datasources"]
    assert datasource["type"] == "prometheus" and datasource["url"].startswith("http")
    providers = yaml.safe_load((provisioning / "dashboards" / "logpipe.yml").read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]

    assert dashboards(), "no dashboard shipped"
    uids = set()
    for path in dashboards():
        dashboard = json.loads(path.read_text())
        for field in ("uid", "title", "schemaVersion", "panels", "time"):
            assert field in dashboard, (path.name, field)
        assert isinstance(dashboard["schemaVersion"], int)
        assert dashboard["uid"] not in uids
        uids.add(dashboard["uid"])
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            assert all(isinstance(grid[key], int) for key in ("h", "w", "x", "y")), panel["title"]
            assert grid["x"] + grid["w"] <= 24, panel["title"]
            if panel["type"] == "row":
                continue
            assert panel["type"] == "timeseries" and panel["title"]
            assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
            references = [target["refId"] for target in panel["targets"]]
            assert references and len(references) == len(set(references)), panel["title"]
            assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]


def test_every_metric_in_dashboards_and_alerts_is_exported(start_logpipe):
    logpipe = start_logpipe({"BATCH_TIMEOUT_SECONDS": "1", "SEARCH_RETENTION_DAYS": "36500"})
    events = [seed_event(n) for n in range(20)] + [{"service": "web", "level": "LOUD"}]
    assert logpipe.post(ndjson(events), "application/x-ndjson").status_code == 202
    assert wait_until(lambda: logpipe.metric("archiver_batches_uploaded_total") > 0, 60)
    exported = set()
    for line in requests.get(f"{logpipe.metrics_url}/metrics", timeout=30).text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            exported.add(name)
            if kind == "histogram":
                exported.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})

    checked = 0
    for where, expr in [*dashboard_expressions(), *alert_expressions()]:
        names = set(REFERENCE.findall(expr))
        assert names, f"{where}: no metric found in {expr!r}"
        unknown = names - exported - PROMETHEUS_OWN
        assert not unknown, f"{where}: {sorted(unknown)} not exported by logpipe"
        checked += 1
    assert checked >= 30
