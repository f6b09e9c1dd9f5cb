"""The container deployment, checked without a Docker engine (there is none here): the compose
topology, its wiring to the settings logpipe really reads, and a Dockerfile whose packages exist
in Debian."""

import json
import re
import subprocess

import jsonschema
import yaml

from conftest import REPO, binary

DEPLOY = REPO / "deploy"
ROLE_PORTS = {"collector": "8080", "processor": "8001", "archiver": "8002"}


def compose():
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def logpipe_settings():
    """The environment variables logpipe reads, from its own help."""
    shown = subprocess.run([binary(), "run", "--help"], capture_output=True, text=True,
                           timeout=60).stdout
    return set(re.findall(r"\[env: ([A-Z0-9_]+)[;\]]", shown))


def test_compose_runs_the_seed_topology_with_health_checks_and_limits():
    services = compose()["services"]
    expected = {"kafka", "elasticsearch", "minio", "prometheus", "grafana", "collector",
                *(f"processor-{i}" for i in (1, 2, 3)), *(f"archiver-{i}" for i in (1, 2, 3))}
    assert expected <= set(services)
    known = logpipe_settings()
    for name, service in services.items():
        if not name.endswith("-setup"):
            assert "healthcheck" in service, name
        if "image" in service and "build" not in service:
            tag = service["image"].rsplit(":", 1)
            assert len(tag) == 2 and tag[1] != "latest", f"{name}: pin the image"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name}: {port} exposes more than loopback"
        for variable, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET", variable):
                assert str(value).startswith("${"), f"{name}: {variable} must come from deploy/.env"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source} missing"
        if "build" in service:
            role = service["command"][0]
            assert service["mem_limit"] == "512m", name
            environment = service["environment"]
            assert set(environment) <= known, f"{name}: {set(environment) - known} unknown"
            assert environment["METRICS_PORT"] == ROLE_PORTS[role], name
            assert f":{ROLE_PORTS[role]}/readyz" in " ".join(service["healthcheck"]["test"])
            for dependency, condition in service["depends_on"].items():
                assert dependency in services
                assert condition["condition"] in ("service_healthy",
                                                  "service_completed_successfully")


def test_prometheus_scrapes_every_logpipe_service_of_the_compose_file():
    services = compose()["services"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {target for job in config["scrape_configs"]
               for static in job["static_configs"] for target in static["targets"]}
    logpipe = {f"{name}:{service['environment']['METRICS_PORT']}"
               for name, service in services.items() if "build" in service}
    assert targets == logpipe
    assert config["global"]["scrape_interval"] == "15s"


def test_dockerfile_builds_on_debian_and_runs_as_a_user():
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert len(stages) >= 2 and all(image.startswith("debian:") for image in stages)
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), path
    setup = (REPO / "scripts" / "setup").read_text()
    installs = re.findall(r"--no-install-recommends \\\n((?:\s+[a-z0-9+.\- ]+\\\n)+)", dockerfile)
    assert len(installs) == 2  # The build stage's packages, then the runtime's.
    build, runtime = installs[0].split(), installs[1].split()
    for package in [p for p in build if p != "\\"]:
        assert package in setup.split(), f"{package} not in scripts/setup"
    for package in [p for p in runtime if p != "\\"]:
        shown = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True)
        assert shown.returncode == 0 and "Package: " + package in shown.stdout, package


def test_compose_file_matches_the_compose_specification_schema():
    # The Compose Specification's JSON schema as the dclint package ships it, pinned through npm
    # (package-lock.json): Docker cannot run here to check the file itself.
    schema = json.loads((REPO / "node_modules" / "dclint" / "schemas" / "compose.schema.json")
                        .read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
    # The schema really rejects what compose would: a check that cannot pass by accident.
    broken = compose()
    broken["services"]["collector"]["mem_limit"] = ["512m"]
    assert list(validator.iter_errors(broken))
