"""Probe (not committed): does Debian's librdkafka 2.0.2 (through logpipe) authenticate with
SCRAM against the Kafka 4 broker? confluent-kafka's bundled librdkafka is the control."""
import json
import subprocess
import uuid

import confluent_kafka

from conftest import REPO, wait_until
from test_tls import authority, free_port, openssl, running, event  # noqa: F401


def test_scram_probe(authority, tmp_path, start_logpipe):
    resolved = subprocess.run([str(REPO / "scripts" / "backends" / "kafka"), "lib"],
                              capture_output=True, text=True, timeout=900)
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
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
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
    formatted = subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c",
                    str(properties), "--standalone",
                    "--add-scram", f"SCRAM-SHA-512=[name=logpipe,password={user_password}]",
                    "--add-scram", f"SCRAM-SHA-256=[name=logpipe,password={user_password}]"],
                    capture_output=True, text=True, timeout=300)
    print("FORMAT", formatted.returncode, formatted.stdout[-2000:], formatted.stderr[-2000:])
    assert formatted.returncode == 0
    log_path = folder / "broker.log"
    with running([*java, "kafka.Kafka", properties], log_path) as broker:
        started = wait_until(lambda: broker.poll() is not None or
                             "Kafka Server started" in log_path.read_text(errors="replace"),
                             deadline_seconds=180)
        assert started and broker.poll() is None
        brokers = f"127.0.0.1:{client_port}"
        results = {}
        for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
            producer = confluent_kafka.Producer({
                "bootstrap.servers": brokers, "security.protocol": "SASL_SSL",
                "sasl.mechanisms": mechanism, "sasl.username": "logpipe",
                "sasl.password": user_password, "ssl.ca.location": str(authority.certificate)})
            delivered = []
            producer.produce("probe", b"x", callback=lambda err, msg: delivered.append(err))
            producer.flush(60)
            results["confluent " + mechanism] = delivered
            env = {"KAFKA_BROKERS": brokers, "KAFKA_TOPIC_PARTITIONS": "2",
                   "SEARCH_RETENTION_DAYS": "36500"}
            for role in ("PRODUCER", "CONSUMER"):
                env.update({f"KAFKA_{role}_SECURITY_PROTOCOL": "SASL_SSL",
                            f"KAFKA_{role}_SASL_MECHANISMS": mechanism,
                            f"KAFKA_{role}_SASL_USERNAME": "logpipe",
                            f"KAFKA_{role}_SASL_PASSWORD": user_password,
                            f"KAFKA_{role}_SSL_CA_LOCATION": str(authority.certificate),
                            f"KAFKA_{role}_DEBUG": "security"})
            try:
                logpipe = start_logpipe(env=env, name="lp-" + mechanism, command="collector")
                answer = logpipe.post(json.dumps(event("scram")))
                results["logpipe " + mechanism] = answer.status_code
                logpipe.kill()
                stderr = logpipe.stderr_text()
            except Exception as error:  # noqa: BLE001
                results["logpipe " + mechanism] = repr(error)[:3000]
                stderr = ""
            (tmp_path.parent / f"scram-{mechanism}.stderr").write_text(stderr)
        print("RESULTS", results)
        print("BROKER LOG", "\n".join(line for line in log_path.read_text(errors="replace").splitlines()
                                      if "SCRAM" in line or "authentication" in line.lower())[-6000:])
