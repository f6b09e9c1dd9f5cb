"""TLS end to end (docs/SECURITY.md): every listener over HTTPS with certificates made at test time
by the openssl CLI (no key is committed), checked by real clients (requests, Python's ssl, boto3);
plain HTTP refused, untrusted, expired and wrong-host certificates refused by the client, mutual
TLS, a certificate reloaded on SIGHUP, and the archive written to a real S3 server (versitygw)
over HTTPS verified against S3_CA_FILE."""

import contextlib
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from archives import S3Archive, archived_lines
from conftest import REPO, Logpipe, wait_until
from opensearch_support import count, es_hosts, search_env  # noqa: F401 (es_hosts: a fixture)
from tls_support import Authority, authority, openssl, tls_env  # noqa: F401 (authority: a fixture)


@contextlib.contextmanager
def running(command, log_path, **options):
    """A server process for the block, stopped when the block ends however it ends (a fixture
    whose start-up check fails leaves nothing running)."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(part) for part in command], stdout=log,
                                   stderr=subprocess.STDOUT, **options)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)


def event(message):
    return {"timestamp": "2025-10-30T12:00:00.000Z", "service": "web", "level": "INFO",
            "message": message}


def served_name(url, ca_file):
    """The common name of the certificate a new connection to `url` is shown."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as connection:
            subject = dict(item[0] for item in connection.getpeercert()["subject"])
            return subject["commonName"]


def negotiated(url, ca_file):
    """(protocol, cipher suite) of a new connection to `url` from Python's default client."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca_file))
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as connection:
            name, protocol, _ = connection.cipher()
            return protocol, name


def test_ingest_search_and_metrics_over_https_verified_against_the_ca(start_logpipe, authority):
    # The query API on a port of its own: each of the three listeners speaks HTTPS.
    logpipe = start_logpipe(env={**tls_env(*authority.issue("logpipe")), "QUERY_PORT": "0"})
    ca = str(authority.certificate)
    urls = {logpipe.ingest_url, logpipe.metrics_url, logpipe.query_url}
    assert len(urls) == 3 and all(url.startswith("https://127.0.0.1:") for url in urls), urls

    answer = requests.post(f"{logpipe.ingest_url}/logs", json=event("over tls"), verify=ca,
                           timeout=60)
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 1

    def found():
        result = requests.get(f"{logpipe.query_url}/api/search", params={"q": '"over tls"'},
                              verify=ca, timeout=60).json()
        return result["hits"]
    hits = wait_until(found)
    assert [hit["message"] for hit in hits] == ["over tls"]

    metrics = requests.get(f"{logpipe.metrics_url}/metrics", verify=ca, timeout=30)
    assert metrics.status_code == 200
    assert "tls_certificate_expiry_timestamp_seconds " in metrics.text
    assert requests.get(f"{logpipe.metrics_url}/healthz", verify=ca, timeout=30).status_code == 200
    # The client offers AES-256-GCM first (OpenSSL's default); the server's order picks the
    # cheaper AES-128-GCM.
    assert negotiated(logpipe.ingest_url, ca) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256")


def test_the_command_line_tools_speak_https_with_a_ca_file(start_logpipe, authority):
    logpipe = start_logpipe(env=tls_env(*authority.issue("logpipe")))
    answer = requests.post(f"{logpipe.ingest_url}/logs", json=event("for the cli"),
                           verify=str(authority.certificate), timeout=60)
    assert answer.status_code == 202, answer.text
    ca = ["--server", logpipe.ingest_url, "--ca-file", str(authority.certificate)]

    def searched():
        result = logpipe.cli("search", '"for the cli"', *ca)
        return result.returncode == 0 and "for the cli" in result.stdout
    assert wait_until(searched)

    tail = subprocess.Popen([logpipe.binary, "tail", "-f", "-n", "1", "--json", *ca],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = tail.stdout.readline()  # The newest event, through the Server-Sent Events stream.
        assert json.loads(line)["message"] == "for the cli", line
        tail.terminate()
        assert tail.wait(30) == -signal.SIGTERM
    finally:
        tail.kill()
        tail.wait(30)

    untrusted = logpipe.cli("search", "cli", "--server", logpipe.ingest_url)
    assert untrusted.returncode != 0
    assert "certificate" in untrusted.stderr, untrusted.stderr


def test_plain_http_on_a_tls_port_is_answered_400_in_clear_text(start_logpipe, authority,
                                                                 monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(authority.certificate))  # For metric_series.
    logpipe = start_logpipe(env=tls_env(*authority.issue("logpipe")))
    for url in (logpipe.ingest_url, logpipe.metrics_url):
        plain = url.replace("https://", "http://")
        answer = requests.post(f"{plain}/logs", json=event("in clear"), timeout=30)
        assert answer.status_code == 400
        assert "https://" in answer.json()["error"]
    series = logpipe.metric_series("tls_handshake_failures_total")
    assert series['{reason="plaintext"}'] == 2


def test_clients_refuse_an_untrusted_an_expired_and_a_wrong_host_certificate(start_logpipe,
                                                                              authority, tmp_path):
    stranger = Authority(authority.folder, "someone-elses-ca")
    trusted = start_logpipe(env=tls_env(*authority.issue("logpipe")), name="trusted")
    with pytest.raises(requests.exceptions.SSLError, match="certificate verify failed"):
        requests.post(f"{trusted.ingest_url}/logs", json=event("x"),
                      verify=str(stranger.certificate), timeout=30)
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f"{trusted.ingest_url}/logs", json=event("x"), timeout=30)  # system CAs

    expired = start_logpipe(env=tls_env(*authority.issue("expired", days=-1)), name="expired")
    with pytest.raises(requests.exceptions.SSLError, match="expired"):
        requests.post(f"{expired.ingest_url}/logs", json=event("x"),
                      verify=str(authority.certificate), timeout=30)

    elsewhere = start_logpipe(env=tls_env(*authority.issue("elsewhere", hosts="DNS:elsewhere.example")),
                              name="elsewhere")
    with pytest.raises(requests.exceptions.SSLError, match="match"):
        requests.post(f"{elsewhere.ingest_url}/logs", json=event("x"),
                      verify=str(authority.certificate), timeout=30)


def test_mutual_tls_serves_only_clients_with_a_certificate_from_the_client_ca(start_logpipe,
                                                                               authority):
    clients = Authority(authority.folder, "shippers-ca")
    shipper = clients.issue("shipper")
    outsider = authority.issue("outsider")  # Trusted for servers, not for clients.
    logpipe = start_logpipe(env=tls_env(*authority.issue("logpipe"), client_ca=clients.certificate))
    ca = str(authority.certificate)

    for certificate in (None, tuple(map(str, outsider))):
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(f"{logpipe.ingest_url}/logs", json=event("refused"), verify=ca,
                          cert=certificate, timeout=30)
    answer = requests.post(f"{logpipe.ingest_url}/logs", json=event("mutual"), verify=ca,
                           cert=tuple(map(str, shipper)), timeout=30)
    assert answer.status_code == 202, answer.text
    metrics = requests.get(f"{logpipe.metrics_url}/metrics", verify=ca,
                           cert=tuple(map(str, shipper)), timeout=30)
    assert metrics.status_code == 200
    failures = {line.split()[0]: float(line.split()[1]) for line in metrics.text.splitlines()
                if line.startswith("tls_handshake_failures_total{")}
    assert failures['tls_handshake_failures_total{reason="handshake"}'] >= 2


def test_the_command_line_tools_present_a_client_certificate_and_a_token(start_logpipe, authority,
                                                                        tmp_path):
    clients = Authority(authority.folder, "operators-ca")
    operator = tuple(map(str, clients.issue("operator")))
    token = "admin-cli-5d1e"
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(f'[[tokens]]\nname = "ops"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
                      'scopes = ["ingest", "query", "admin"]\n')
    logpipe = start_logpipe(env={**tls_env(*authority.issue("logpipe"), client_ca=clients.certificate),
                                 "TOKENS_FILE": str(tokens), "REDACTION": "on"})
    ca = str(authority.certificate)
    answer = requests.post(f"{logpipe.ingest_url}/logs", json=event("mutual cli"), verify=ca,
                           cert=operator, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 202, answer.text
    server = ["--server", logpipe.ingest_url, "--ca-file", ca]
    certificate = ["--cert", operator[0], "--key", operator[1]]
    environment = {**os.environ, "LOGPIPE_TOKEN": token}

    def cli(*arguments, env=environment):
        return subprocess.run([logpipe.binary, *arguments], env=env, capture_output=True,
                              text=True, timeout=120)

    def searched():
        result = cli("search", '"mutual cli"', *server, *certificate)
        return result.returncode == 0 and "mutual cli" in result.stdout
    assert wait_until(searched)
    tail = subprocess.Popen([logpipe.binary, "tail", "-f", "-n", "1", "--json", *server,
                             *certificate], env=environment, stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(tail.stdout.readline())["message"] == "mutual cli"
    finally:
        tail.kill()
        tail.wait(30)
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(event("mail ops@example.com")))
    dry_run = cli("redaction", "dry-run", str(sample), *server, *certificate)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "message: email (mask)" in dry_run.stdout, dry_run.stdout

    without_certificate = cli("search", "mutual", *server)
    assert without_certificate.returncode != 0
    assert "cannot talk to logpipe" in without_certificate.stderr, without_certificate.stderr
    without_token = cli("search", "mutual", *server, *certificate,
                        env={key: value for key, value in os.environ.items()
                             if key != "LOGPIPE_TOKEN"})
    assert without_token.returncode != 0
    assert "401" in without_token.stderr, without_token.stderr
    half = cli("search", "mutual", *server, "--cert", operator[0])
    assert half.returncode != 0 and "--cert and --key" in half.stderr, half.stderr


def test_sighup_serves_a_new_certificate_and_keeps_the_old_one_when_the_new_is_broken(
        start_logpipe, authority):
    certificate, key = authority.issue("first")
    logpipe = start_logpipe(env=tls_env(certificate, key))
    ca = authority.certificate
    assert served_name(logpipe.ingest_url, ca) == "first"

    second_certificate, second_key = authority.issue("second")
    certificate.write_bytes(second_certificate.read_bytes())
    key.write_bytes(second_key.read_bytes())
    logpipe.process.send_signal(signal.SIGHUP)
    assert wait_until(lambda: served_name(logpipe.ingest_url, ca) == "second")
    assert served_name(logpipe.metrics_url, ca) == "second"

    # A key that is not the certificate's: the reload fails, "second" stays.
    key.write_bytes(authority.key.read_bytes())
    logpipe.process.send_signal(signal.SIGHUP)

    def reloads(result):
        return requests.get(f"{logpipe.metrics_url}/metrics", verify=str(ca), timeout=30).text \
            .count(f'tls_certificate_reloads_total{{result="{result}"}} 1')
    assert wait_until(lambda: reloads("failed"))
    assert reloads("ok")
    assert served_name(logpipe.ingest_url, ca) == "second"
    assert requests.post(f"{logpipe.ingest_url}/logs", json=event("still served"), verify=str(ca),
                         timeout=30).status_code == 202

    audit = [json.loads(line) for line in
             (logpipe.data_dir / "audit.jsonl").read_text().splitlines()]
    results = [entry["result"] for entry in audit if entry["action"] == "reload TLS certificate"]
    assert results[0] == "ok" and results[1].startswith("failed: key file"), results


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def https_s3(authority, tmp_path):
    """versitygw (a real S3 server) on a free loopback port, over HTTPS with a certificate from
    the test's CA."""
    binary = subprocess.run([str(REPO / "scripts" / "backends" / "s3"), "binary"],
                            capture_output=True, text=True, timeout=900)
    assert binary.returncode == 0, binary.stderr
    certificate, key = authority.issue("s3")
    port = free_port()
    (tmp_path / "s3-data").mkdir()
    (tmp_path / "s3-sidecar").mkdir()
    secret = uuid.uuid4().hex
    endpoint = f"https://127.0.0.1:{port}"

    def healthy():
        try:
            return requests.get(f"{endpoint}/health", verify=str(authority.certificate),
                                timeout=5).ok
        except requests.exceptions.ConnectionError:
            return False
    with running([binary.stdout.strip(), "--port", f"127.0.0.1:{port}", "--health", "/health",
                  "--cert", certificate, "--key", key,
                  "posix", "--sidecar", tmp_path / "s3-sidecar", tmp_path / "s3-data"],
                 tmp_path / "s3.log",
                 env={"ROOT_ACCESS_KEY": "logpipe-tls", "ROOT_SECRET_KEY": secret}):
        assert wait_until(healthy, deadline_seconds=30), (tmp_path / "s3.log").read_text()
        yield {"S3_ENDPOINT": endpoint, "S3_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "logpipe-tls", "AWS_SECRET_ACCESS_KEY": secret}


def test_the_archive_goes_to_s3_over_https_verified_against_s3_ca_file(https_s3, authority,
                                                                        start_logpipe):
    env = {**https_s3, "S3_BUCKET": "archive-tls", "S3_CA_FILE": str(authority.certificate),
           "BATCH_TIMEOUT_SECONDS": "1", "SEARCH_RETENTION_DAYS": "36500"}
    logpipe = start_logpipe(env=env, name="verified")
    lines = [json.dumps(event(f"archived {n}"), separators=(",", ":")) for n in range(5)]
    answer = logpipe.post("\n".join(lines), content_type="application/x-ndjson")
    assert answer.status_code == 202, answer.text
    archive = S3Archive(env)
    assert wait_until(lambda: len(archived_lines(archive)) == 5), archived_lines(archive)
    assert sorted(line for _, line in archived_lines(archive)) == sorted(lines)


def test_an_s3_certificate_from_another_ca_is_refused(https_s3, authority, start_logpipe):
    stranger = Authority(authority.folder, "someone-elses-ca")
    env = {**https_s3, "S3_BUCKET": "archive-refused", "S3_CA_FILE": str(stranger.certificate),
           "BATCH_TIMEOUT_SECONDS": "1", "SEARCH_RETENTION_DAYS": "36500"}
    logpipe = start_logpipe(env=env, name="refused")
    assert logpipe.post(json.dumps(event("never archived"))).status_code == 202
    assert wait_until(lambda: logpipe.metric("archiver_upload_errors_total") > 0)
    assert "certificate" in logpipe.stderr_text()
    verified = S3Archive({**env, "S3_CA_FILE": str(authority.certificate)})
    assert archived_lines(verified) == []


@pytest.fixture
def sasl_ssl_kafka(authority, tmp_path):
    """A real Kafka broker (KRaft, one node) whose client listener is SASL_SSL: a certificate
    from the test's CA in a PKCS12 keystore made with openssl, and a SASL PLAIN user. (Not
    SCRAM: Debian 12's librdkafka 2.0.2 computes a SCRAM proof Kafka 4 brokers refuse, fixed in
    librdkafka 2.6.1, confluentinc/librdkafka#4895; docs/SECURITY.md.) Yields what a client
    needs."""
    resolved = subprocess.run([str(REPO / "scripts" / "backends" / "kafka"), "lib"],
                              capture_output=True, text=True, timeout=900)
    assert resolved.returncode == 0, resolved.stderr
    lib = resolved.stdout.strip().splitlines()[-1]
    folder = tmp_path / "kafka"
    (folder / "data").mkdir(parents=True)
    certificate, key = authority.issue("kafka-broker")
    store_password, user_password = uuid.uuid4().hex, uuid.uuid4().hex
    openssl("pkcs12", "-export", "-in", certificate, "-inkey", key, "-name", "broker",
            "-out", folder / "broker.p12", "-passout", f"pass:{store_password}")
    client_port, internal_port, controller_port = free_port(), free_port(), free_port()
    properties = folder / "server.properties"
    properties.write_text(f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=SASL_SSL://127.0.0.1:{client_port},PLAINTEXT://127.0.0.1:{internal_port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=SASL_SSL://127.0.0.1:{client_port},PLAINTEXT://127.0.0.1:{internal_port},CONTROLLER://127.0.0.1:{controller_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_logpipe="{user_password}";
ssl.keystore.type=PKCS12
ssl.keystore.location={folder / "broker.p12"}
ssl.keystore.password={store_password}
ssl.key.password={store_password}
log.dirs={folder / "data"}
num.partitions=2
offsets.topic.replication.factor=1
offsets.topic.num.partitions=2
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
""")
    java = ["java", "-Xmx512m", "-Xms256m", "-cp", f"{lib}/*",
            f"-Dlog4j2.configurationFile={REPO / 'tests' / 'backends' / 'kafka' / 'log4j2.properties'}"]
    cluster_id = subprocess.run([*java, "kafka.tools.StorageTool", "random-uuid"], check=True,
                                capture_output=True, text=True, timeout=300).stdout.split()[-1]
    subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c",
                    str(properties), "--standalone"], check=True, capture_output=True, timeout=300)
    log_path = folder / "broker.log"
    with running([*java, "kafka.Kafka", properties], log_path) as broker:
        started = wait_until(lambda: broker.poll() is not None or
                             "Kafka Server started" in log_path.read_text(errors="replace"),
                             deadline_seconds=180)
        assert started and broker.poll() is None, log_path.read_text(errors="replace")[-4000:]
        yield {"brokers": f"127.0.0.1:{client_port}", "ca_file": str(authority.certificate),
               "username": "logpipe", "password": user_password}


def kafka_sasl_ssl_env(kafka, password=None):
    """The documented variables (docs/SECURITY.md) for both the producer and the consumers."""
    env = {"KAFKA_BROKERS": kafka["brokers"], "KAFKA_TOPIC_PARTITIONS": "2",
           "SEARCH_RETENTION_DAYS": "36500"}
    for role in ("PRODUCER", "CONSUMER"):
        env.update({f"KAFKA_{role}_SECURITY_PROTOCOL": "SASL_SSL",
                    f"KAFKA_{role}_SASL_MECHANISMS": "PLAIN",
                    f"KAFKA_{role}_SASL_USERNAME": kafka["username"],
                    f"KAFKA_{role}_SASL_PASSWORD": password or kafka["password"],
                    f"KAFKA_{role}_SSL_CA_LOCATION": kafka["ca_file"]})
    return env


def test_kafka_over_sasl_ssl(sasl_ssl_kafka, start_logpipe):
    # The broker fixture first, so that it stops after logpipe has drained.
    logpipe = start_logpipe(env=kafka_sasl_ssl_env(sasl_ssl_kafka))
    answer = logpipe.post(json.dumps([event(f"through sasl_ssl {n}") for n in range(3)]))
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 3

    def found():
        result = requests.get(f"{logpipe.query_url}/api/search",
                              params={"q": '"through sasl_ssl"'}, timeout=60).json()
        return len(result["hits"]) == 3
    assert wait_until(found, deadline_seconds=120)
    assert sasl_ssl_kafka["password"] not in logpipe.stderr_text()


@pytest.fixture
def https_opensearch(es_hosts, authority, tmp_path):
    """The real OpenSearch node behind Debian's nginx as a TLS proxy (the node itself has no
    security plugin): one port checks basic authentication, another an `ApiKey` header."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    certificate, key = authority.issue("opensearch-proxy")
    password, api_key = uuid.uuid4().hex, uuid.uuid4().hex
    hashed = subprocess.run(["openssl", "passwd", "-apr1", password], check=True,
                            capture_output=True, text=True, timeout=60).stdout.strip()
    (folder / "htpasswd").write_text(f"logpipe:{hashed}\n")
    basic_port, api_key_port = free_port(), free_port()
    upstream = urlsplit(es_hosts.split(",")[0]).netloc
    proxy = f"""
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "";
            proxy_buffering off;
            proxy_request_buffering off;
        }}"""
    # Started as root, nginx would run its workers as nobody, who cannot enter the test's folder.
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(f"""
{user}
pid {folder}/nginx.pid;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 64m;
    client_body_buffer_size 64m;
    server {{
        listen 127.0.0.1:{basic_port} ssl;
        auth_basic "opensearch";
        auth_basic_user_file {folder}/htpasswd;
        {proxy}
    }}
    server {{
        listen 127.0.0.1:{api_key_port} ssl;
        if ($http_authorization != "ApiKey {api_key}") {{ return 401; }}
        {proxy}
    }}
}}
""")
    ca = str(authority.certificate)

    def answers():
        try:
            return requests.get(f"https://127.0.0.1:{basic_port}/", auth=("logpipe", password),
                                verify=ca, timeout=5).ok
        except requests.exceptions.ConnectionError:
            return False
    with running(["nginx", "-p", folder, "-e", folder / "error.log", "-c", folder / "nginx.conf",
                  "-g", "daemon off;"], folder / "nginx.out"):
        assert wait_until(answers, deadline_seconds=30), (folder / "error.log").read_text()
        yield {"basic": f"https://127.0.0.1:{basic_port}",
               "api_key": f"https://127.0.0.1:{api_key_port}", "password": password,
               "key": api_key, "ca_file": ca, "node": es_hosts}


def test_opensearch_over_https_with_basic_auth_or_an_api_key(https_opensearch, start_logpipe):
    for name, credentials in (("basic", {"ES_USERNAME": "logpipe",
                                         "ES_PASSWORD": https_opensearch["password"]}),
                              ("api_key", {"ES_API_KEY": https_opensearch["key"]})):
        prefix = f"tls-{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
        env = {**search_env(https_opensearch[name], prefix), **credentials,
               "ES_CA_FILE": https_opensearch["ca_file"], "SEARCH_RETENTION_DAYS": "36500"}
        logpipe = start_logpipe(env=env, name=name)
        answer = logpipe.post(json.dumps([event(f"{name} over https {n}") for n in range(3)]))
        assert answer.status_code == 202, answer.text

        def searched():
            result = requests.get(f"{logpipe.query_url}/api/search",
                                  params={"q": f'"{name} over https"'}, timeout=60).json()
            return len(result["hits"]) == 3
        assert wait_until(searched, deadline_seconds=120), logpipe.stderr_text()[-3000:]
        # Read on the node itself, past the proxy: the documents are there.
        assert count(https_opensearch["node"], f"{prefix}-write") == 3
        assert https_opensearch["password"] not in logpipe.stderr_text()
        assert https_opensearch["key"] not in logpipe.stderr_text()


def test_opensearch_refuses_a_wrong_password_and_an_untrusted_certificate_at_start(
        https_opensearch, start_logpipe, authority, tmp_path):
    stranger = Authority(authority.folder, "someone-elses-ca")
    base = {**search_env(https_opensearch["basic"], f"tls-refused-{uuid.uuid4().hex[:8]}"),
            "ES_USERNAME": "logpipe", "ES_CA_FILE": https_opensearch["ca_file"]}
    with pytest.raises(AssertionError, match="ES_USERNAME and ES_PASSWORD"):
        start_logpipe(env={**base, "ES_PASSWORD": "wrong"}, name="wrong-password")
    # An untrusted certificate is retried like an unreachable cluster (a renewed certificate may
    # fix it), each attempt logging why; the instance never becomes ready.
    untrusted = Logpipe(tmp_path / "untrusted", env={**base, "ES_PASSWORD": https_opensearch["password"],
                                                     "ES_CA_FILE": str(stranger.certificate)})
    with pytest.raises(AssertionError, match="SSL certificate problem: unable to get local issuer"):
        untrusted.start(deadline_seconds=15)
    untrusted.process.wait(30)
    untrusted.stderr.close()
