"""logpipe distributed on a real Kafka broker: 1 collector, 3 processors and 3 archivers as
separate processes. An independent client (confluent-kafka) reads the topic; the processors'
search stores and the shared archive folder are read back; faults are a kill -9 of consumers and
the broker stopped for 20 s under load."""

import json
import threading
import time
import uuid
from collections import Counter

import requests

from archives import LocalArchive, archived_lines
from conftest import wait_until
from seed_events import ndjson, seed_event
from kafka_support import (broker, java_partition, kafka_brokers, read_topic,  # noqa: F401
                           topic_retention_ms)

PROCESSORS = 3
ARCHIVERS = 3
PARTITIONS = 6
SERVICES = 24  # More keys than partitions, so that every partition gets records.


def event(run, number):
    record = seed_event(number, service=f"service-{number % SERVICES}")
    record["request_id"] = f"{run}-{number}"
    # Recent, so that search retention (30 days by event time) keeps it.
    record["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return record


class Topology:
    """The distributed deployment on one topic and two consumer groups of its own."""

    def __init__(self, start_logpipe, brokers, tmp_path, release=False):
        self.run = uuid.uuid4().hex[:10]
        self.topic = f"logs-{self.run}"
        self.start_logpipe = start_logpipe
        self.brokers = brokers
        self.archive = LocalArchive(tmp_path / "archive")
        self.common = {
            "KAFKA_INPUT_TOPIC": self.topic,
            "DLQ_TOPIC": f"dlq-{self.run}",
            "KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            "PROCESSOR_GROUP_ID": f"processor-{self.run}",
            "ARCHIVER_GROUP_ID": f"archiver-{self.run}",
            "ARCHIVE_DIR": str(tmp_path / "archive"),
            "BATCH_SIZE": "200",
            "BATCH_TIMEOUT_SECONDS": "2",
        }
        self.collector = start_logpipe({**self.common, "KAFKA_BROKERS": brokers},
                                       name="collector", command="collector", release=release)
        self.processors = [self.start_processor(i) for i in range(PROCESSORS)]
        self.archivers = [
            start_logpipe({**self.common, "KAFKA_BOOTSTRAP_SERVERS": brokers},
                          name=f"archiver-{i}", command="archiver")
            for i in range(ARCHIVERS)]

    def start_processor(self, index):
        # The seed's consumers name the cluster KAFKA_BOOTSTRAP_SERVERS.
        return self.start_logpipe({**self.common, "KAFKA_BOOTSTRAP_SERVERS": self.brokers},
                                  name=f"processor-{index}", command="processor")

    def wait_until_every_member_holds_partitions(self):
        consumers = self.processors + self.archivers
        assert wait_until(lambda: all(self.partitions_held(c) for c in consumers), 120), \
            "not every consumer got partitions"

    @staticmethod
    def partitions_held(instance):
        """Partitions this process has reported lag for (ever held, as lag series stay)."""
        return {int(labels.split('partition="')[1].split('"')[0])
                for labels in instance.metric_series("consumer_lag_messages")}


def request_ids_by_document(processors):
    """Counter of request_id over distinct document ids, and how many each store holds."""
    ids, per_store = {}, []
    for processor in processors:
        hits = processor.search_all()
        per_store.append(len(hits))
        for hit in hits:
            ids[hit["_id"]] = hit["request_id"]
    return Counter(ids.values()), per_store


def post_batches(collector, events, batch=100):
    for start in range(0, len(events), batch):
        response = collector.post(ndjson(events[start:start + batch]), "application/x-ndjson")
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == len(events[start:start + batch])


class Load:
    """Threads posting batches of fresh events until stopped; remembers what was acknowledged
    and every answer's status."""

    def __init__(self, collector, run, threads=4, batch=20, pause=0.05):
        self.collector, self.run, self.batch, self.pause = collector, run, batch, pause
        self.acknowledged, self.statuses, self.missing_retry_after = [], Counter(), 0
        self.lock, self.stop_event, self.counter = threading.Lock(), threading.Event(), 0
        self.threads = [threading.Thread(target=self.post_until_stopped) for _ in range(threads)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(120)

    def post_until_stopped(self):
        session = requests.Session()
        while not self.stop_event.is_set():
            with self.lock:
                first, self.counter = self.counter, self.counter + self.batch
            events = [event(self.run, n) for n in range(first, first + self.batch)]
            try:
                response = self.collector.post(ndjson(events), "application/x-ndjson",
                                               session=session)
                status = response.status_code
            except requests.RequestException as error:
                status = type(error).__name__
            with self.lock:
                self.statuses[status] += 1
                if status == 202:
                    self.acknowledged.extend(e["request_id"] for e in events)
                elif status == 503 and "Retry-After" not in response.headers:
                    self.missing_retry_after += 1
            # Pacing, not a wait: the pause ends at once when the load is stopped.
            self.stop_event.wait(self.pause if status == 202 else 0.2)

    def acknowledged_count(self):
        with self.lock:
            return len(self.acknowledged)


def check_topic(brokers, topic, acknowledged, allow_extra=()):
    """Every acknowledged event is in the topic exactly once, keyed by its service, on the
    partition Java's partitioner picks for that key."""
    records, partitions = read_topic(brokers, topic)
    assert partitions == PARTITIONS
    seen = Counter()
    for partition, _, key, value in records:
        document = json.loads(value)
        assert key == document["service"].encode()
        assert partition == java_partition(key, partitions), (key, partition)
        seen[document["request_id"]] += 1
    missing = [r for r in acknowledged if seen[r] == 0]
    assert not missing, f"{len(missing)} acknowledged events not in Kafka, e.g. {missing[:3]}"
    twice = [r for r in acknowledged if seen[r] > 1]
    assert not twice, f"{len(twice)} acknowledged events twice in Kafka, e.g. {twice[:3]}"
    unexpected = set(seen) - set(acknowledged) - set(allow_extra)
    assert not unexpected, f"{len(unexpected)} events in Kafka nobody sent, e.g. {list(unexpected)[:3]}"
    return records


def check_archive_once(archive, acknowledged):
    lines = archived_lines(archive)
    counts = Counter(json.loads(line)["request_id"] for _, line in lines)
    missing = [r for r in acknowledged if counts[r] == 0]
    assert not missing, f"{len(missing)} acknowledged events not archived, e.g. {missing[:3]}"
    twice = [r for r, n in counts.items() if n > 1]
    assert not twice, f"{len(twice)} events archived twice, e.g. {twice[:3]}"
    return lines


def check_documents_once(processors, acknowledged):
    by_request, per_store = request_ids_by_document(processors)
    missing = [r for r in acknowledged if by_request[r] == 0]
    assert not missing, (f"{len(missing)} of {len(acknowledged)} acknowledged events not indexed, "
                         f"e.g. {missing[:3]}; stores hold {per_store}; lag "
                         f"{[p.metric_series('consumer_lag_messages') for p in processors]}")
    twice = [r for r, n in by_request.items() if n > 1]
    assert not twice, f"{len(twice)} events under two document ids, e.g. {twice[:3]}"
    return per_store


def test_collector_processors_and_archivers_as_separate_processes(start_logpipe, kafka_brokers,
                                                                    tmp_path):
    topology = Topology(start_logpipe, kafka_brokers, tmp_path)
    topology.wait_until_every_member_holds_partitions()
    events = [event(topology.run, n) for n in range(3000)]
    post_batches(topology.collector, events)
    acknowledged = [e["request_id"] for e in events]

    records = check_topic(kafka_brokers, topology.topic, acknowledged)
    assert topic_retention_ms(kafka_brokers, topology.topic) == 7 * 24 * 3600 * 1000
    # The queue carries each event as received, and the archive holds those bytes.
    assert {value.decode() for *_, value in records} == \
        {json.dumps(e, separators=(",", ":")) for e in events}

    assert wait_until(lambda: sum(request_ids_by_document(topology.processors)[1]) >= 3000, 120)
    per_store = check_documents_once(topology.processors, acknowledged)
    assert all(count > 0 for count in per_store), f"a processor indexed nothing: {per_store}"

    assert wait_until(lambda: len(archived_lines(topology.archive)) >= 3000, 120)
    lines = check_archive_once(topology.archive, acknowledged)
    assert {line for _, line in lines} == {value.decode() for *_, value in records}
    for key, _ in lines:
        assert f"/{topology.topic}-" in key

    assert topology.collector.metric("logs_produced_total") == 3000
    assert topology.collector.metric("producer_errors_total") == 0
    assert topology.collector.metric("produce_latency_seconds_count") == 30
    for process in [topology.collector, *topology.processors, *topology.archivers]:
        assert requests.get(f"{process.metrics_url}/readyz", timeout=30).status_code == 200
        assert process.stop() == 0, process.stderr_text()[-3000:]


def test_kill_9_of_a_processor_and_an_archiver_under_load_loses_and_duplicates_nothing(
        start_logpipe, kafka_brokers, tmp_path):
    topology = Topology(start_logpipe, kafka_brokers, tmp_path)
    topology.wait_until_every_member_holds_partitions()
    survivors = topology.processors[1:] + topology.archivers[1:]
    with Load(topology.collector, topology.run) as load:
        assert wait_until(lambda: load.acknowledged_count() >= 2000, 120)
        topology.processors[0].kill()
        topology.archivers[0].kill()
        # The group hands the dead members' partitions to the survivors after the session
        # timeout, while the load goes on.
        every_partition = set(range(PARTITIONS))
        for group in (topology.processors[1:], topology.archivers[1:]):
            assert wait_until(
                lambda: set().union(*(topology.partitions_held(p) for p in group)) == every_partition,
                120), "the survivors did not take over every partition"
        settled = load.acknowledged_count()
        assert wait_until(lambda: load.acknowledged_count() >= settled + 2000, 120)
    assert set(load.statuses) == {202}, load.statuses
    acknowledged = load.acknowledged

    # The killed processor's store keeps what it indexed; restarting it (as an operator would)
    # makes it readable again, and it rejoins the group.
    topology.processors[0] = topology.start_processor(0)
    processors = topology.processors
    wait_until(lambda: len(request_ids_by_document(processors)[0]) >= len(acknowledged), 180)
    check_documents_once(processors, acknowledged)
    wait_until(lambda: len(archived_lines(topology.archive)) >= len(acknowledged), 180)
    check_archive_once(topology.archive, acknowledged)
    check_topic(kafka_brokers, topology.topic, acknowledged)
    for process in survivors:
        assert process.stop() == 0, process.stderr_text()[-3000:]


def test_broker_stopped_under_load(start_logpipe, kafka_brokers, tmp_path):
    run = uuid.uuid4().hex[:10]
    topic = f"logs-{run}"
    collector = start_logpipe({"KAFKA_BROKERS": kafka_brokers, "KAFKA_INPUT_TOPIC": topic,
                               "DLQ_TOPIC": f"dlq-{run}"},
                              name="collector", command="collector", release=True)
    try:
        with Load(collector, run) as load:
            assert wait_until(lambda: load.acknowledged_count() >= 2000, 120)
            broker("down")
            assert wait_until(lambda: load.statuses[503] > 0, 60), load.statuses
            before_outage = load.acknowledged_count()
            # The outage lasts until the producer has given up on records (each refusal waits
            # out its message timeout, 10 s) and a good number of requests were refused, however
            # slowly a loaded machine gets there.
            assert wait_until(lambda: load.statuses[503] >= 20
                              and collector.metric("producer_errors_total") > 0, 240), \
                load.statuses
            during_outage = load.acknowledged_count() - before_outage
            broker("up")
            assert wait_until(lambda: load.acknowledged_count() >= before_outage + during_outage
                              + 2000, 120), f"ingest did not resume: {load.statuses}"
    finally:
        broker("up")  # Idempotent; the broker must serve the other tests whatever happened.
    assert load.missing_retry_after == 0
    assert set(load.statuses) <= {202, 503}, load.statuses
    assert during_outage == 0, "acknowledged while no broker could store the events"
    sent = [f"{run}-{n}" for n in range(load.counter)]
    check_topic(kafka_brokers, topic, load.acknowledged, allow_extra=sent)
    assert collector.metric("producer_errors_total") > 0


def test_readiness_follows_the_broker_without_asking_it_per_probe(start_logpipe, kafka_brokers):
    run = uuid.uuid4().hex[:10]
    collector = start_logpipe({"KAFKA_BROKERS": kafka_brokers, "KAFKA_INPUT_TOPIC": f"logs-{run}",
                               "DLQ_TOPIC": f"dlq-{run}"}, name="collector", command="collector")
    readyz = f"{collector.metrics_url}/readyz"
    assert wait_until(lambda: requests.get(readyz, timeout=10).status_code == 200, 60)
    try:
        broker("down")
        # Published by the background check (or librdkafka's error callback), not asked for:
        # each probe answers at once, well inside its 2 s timeout, while the broker is gone.
        assert wait_until(lambda: requests.get(readyz, timeout=2).status_code == 503, 60)
        reason = requests.get(readyz, timeout=2).json()["reason"]
        assert reason.startswith("queue: Kafka brokers ") and "unreachable" in reason, reason
        assert "(since " in reason, reason
    finally:
        broker("up")
    assert wait_until(lambda: requests.get(readyz, timeout=10).status_code == 200, 120)


def test_dead_letters_are_listed_and_re_driven_on_kafka(start_logpipe, kafka_brokers):
    # A processor whose event size limit is below the events' size dead-letters them; restarted
    # with the limit fixed, it re-drives them (group dlq-redrive on the DLQ topic) and indexes
    # them under the ids of the records that first carried them.
    run = uuid.uuid4().hex[:10]
    common = {"KAFKA_INPUT_TOPIC": f"logs-{run}", "DLQ_TOPIC": f"dlq-{run}",
              "PROCESSOR_GROUP_ID": f"processor-{run}", "KAFKA_BOOTSTRAP_SERVERS": kafka_brokers}
    collector = start_logpipe({**common, "KAFKA_BROKERS": kafka_brokers}, name="collector",
                              command="collector")
    events = [dict(seed_event(n), message="x" * 2000, request_id=f"{run}-{n}") for n in range(5)]
    assert collector.post("\n".join(json.dumps(e) for e in events),
                          "application/x-ndjson").status_code == 202
    strict = start_logpipe({**common, "MAX_EVENT_BYTES": "1024"}, name="processor",
                           command="processor")
    assert wait_until(lambda: strict.metric("dlq_events_total") == 5, 120)
    listed = requests.get(f"{strict.metrics_url}/api/dlq", timeout=60).json()
    assert listed["pending"] == 5 and len(listed["records"]) == 5, listed
    assert {r["stage"] for r in listed["records"]} == {"validate"}
    assert all(r["source_topic"] == f"logs-{run}" for r in listed["records"])
    assert strict.stop() == 0, strict.stderr_text()[-3000:]

    fixed = start_logpipe(common, name="processor", command="processor")
    answer = requests.post(f"{fixed.metrics_url}/api/dlq/redrive", timeout=120)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"redriven": 5, "pending": 0}
    assert requests.post(f"{fixed.metrics_url}/api/dlq/redrive", timeout=120).json() == \
        {"redriven": 0, "pending": 0}
    assert wait_until(lambda: len(fixed.search_all()) == 5, 120)
    original_ids = {f"{r['source_topic']}-{r['source_partition']}-{r['source_offset']}"
                    for r in listed["records"]}
    assert {hit["_id"] for hit in fixed.search_all()} == original_ids
    assert fixed.metric("dlq_events_total") == 0
