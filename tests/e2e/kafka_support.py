"""A real Kafka broker for end-to-end tests, and an independent reader of its topics
(confluent-kafka, which brings its own librdkafka)."""

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from conftest import backend, running_backend


def murmur2(data):
    """Kafka's Java murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed int."""
    length, m = len(data), 0x5BD1E995
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(length // 4):
        k = int.from_bytes(data[i * 4:i * 4 + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail, extra = length & ~3, length % 4
    if extra == 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h = ((h ^ data[tail]) * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h >= 1 << 31 else h


def java_partition(key, partitions):
    """The partition Java's default partitioner picks for a keyed record."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# Kafka's own test vectors (UtilsTest.testMurmur2), so this reader is checked before it judges.
assert murmur2(b"21") == -973932308
assert murmur2(b"foobar") == -790332482
assert murmur2(b"a-little-bit-long-string") == -985981536
assert murmur2(b"abc") == 479470107


@pytest.fixture(scope="session")
def kafka_brokers():
    """The broker scripts/test started, or one of this session's own."""
    yield from running_backend("kafka", "KAFKA_BROKERS")


def broker(action):
    """`down` stops the broker keeping its data and port; `up` starts it again."""
    backend("kafka", action)


def read_topic(brokers, topic, with_headers=False):
    """Every record of every partition of `topic`, from the start to the end as of now:
    [(partition, offset, key, value)], with a dict of headers appended when asked."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "e2e-independent-reader",
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(topic, timeout=30)
        partitions = sorted(metadata.topics[topic].partitions)
        ends = {}
        for partition in partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            ends[partition] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        records, remaining = [], {p for p in partitions if ends[p] > 0}
        while remaining:
            message = consumer.poll(10)
            assert message is not None, f"reading {topic} stalled; left: {remaining}"
            assert message.error() is None, message.error()
            if message.offset() < ends[message.partition()]:
                record = (message.partition(), message.offset(), message.key(), message.value())
                if with_headers:
                    record += ({name: value.decode() for name, value in message.headers() or []},)
                records.append(record)
            if message.offset() + 1 >= ends[message.partition()]:
                remaining.discard(message.partition())
        return records, len(partitions)
    finally:
        consumer.close()


def topic_retention_ms(brokers, topic):
    """The topic's retention.ms as the broker reports it."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    admin = AdminClient({"bootstrap.servers": brokers})  # Must outlive the answer.
    described = admin.describe_configs([resource])
    return int(described[resource].result(timeout=30)["retention.ms"].value)
