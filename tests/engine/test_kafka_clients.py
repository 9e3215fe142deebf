"""Real Kafka clients (kafka-python, aiokafka, confluent-kafka/librdkafka) against the lab's broker.

These run on a RealClock with real sockets: each test is a few seconds at most.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from engine import Engine, RealClock
from engine.services.kafka.topics import partition_for_key

from .kafka_lab import active_cluster, topic

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def real() -> Engine:
    async with Engine(clock=RealClock()) as engine:
        yield engine


async def test_kafka_python_produces_keyed_records_and_a_group_consumes_them(real: Engine) -> None:
    arn, brokers = await active_cluster(real)
    await topic(real, arn, "orders", 3)

    def client() -> list:
        from kafka import KafkaConsumer, KafkaProducer

        producer = KafkaProducer(bootstrap_servers=brokers, linger_ms=5)
        futures = [producer.send("orders", key=b"k%d" % i, value=b"v%d" % i) for i in range(20)]
        producer.flush()
        metadata = [f.get(timeout=5) for f in futures]
        producer.close()
        consumer = KafkaConsumer(
            "orders",
            bootstrap_servers=brokers,
            group_id="billing",
            auto_offset_reset="earliest",
            consumer_timeout_ms=1500,
        )
        records = list(consumer)
        consumer.commit()
        consumer.close()
        return [metadata, records]

    metadata, records = await asyncio.to_thread(client)
    # kafka-python's default partitioner is murmur2, as the lab's
    for i, meta in enumerate(metadata):
        assert meta.partition == partition_for_key(b"k%d" % i, 3)
    assert sorted(r.value for r in records) == sorted(b"v%d" % i for i in range(20))
    service = real.service("kafka")
    cluster = service.resolve(arn)
    lag = service.group_lag(cluster, "billing")
    assert sum(row[4] for row in lag) == 0 and sum(row[3] for row in lag) == 20


async def test_aiokafka_idempotent_producer_headers_and_timestamps(real: Engine) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    arn, brokers = await active_cluster(real)
    await topic(real, arn, "events", 2)
    producer = AIOKafkaProducer(bootstrap_servers=brokers, enable_idempotence=True, acks="all")
    await producer.start()
    sent = []
    for i in range(10):
        sent.append(
            await producer.send_and_wait(
                "events",
                key=b"user-%d" % (i % 3),
                value=b"e%d" % i,
                headers=[("n", b"%d" % i)],
                timestamp_ms=1_700_000_000_000 + i,
            )
        )
    await producer.stop()
    cluster = real.service("kafka").resolve(arn)
    # the broker saw a producer id and sequence numbers
    partition = cluster.data.topics["events"].partitions[sent[0].partition]
    assert partition.log.producers, "the idempotent producer registered its id"
    consumer = AIOKafkaConsumer(
        "events", bootstrap_servers=brokers, group_id="g", auto_offset_reset="earliest"
    )
    await consumer.start()
    got = []
    deadline = time.monotonic() + 10
    while len(got) < 10 and time.monotonic() < deadline:
        for messages in (await consumer.getmany(timeout_ms=500)).values():
            got.extend(messages)
    await consumer.stop()
    by_value = {m.value: m for m in got}
    assert len(by_value) == 10
    assert by_value[b"e4"].headers == (("n", b"4"),)
    assert by_value[b"e4"].timestamp == 1_700_000_000_004
    assert by_value[b"e4"].key == b"user-1"


async def test_confluent_kafka_librdkafka_produces_and_consumes(real: Engine) -> None:
    arn, brokers = await active_cluster(real)
    await topic(real, arn, "clicks", 3)

    def client() -> tuple[int, list]:
        from confluent_kafka import Consumer, Producer

        producer = Producer(
            {
                "bootstrap.servers": brokers,
                "enable.idempotence": True,
                "linger.ms": 5,
                "partitioner": "murmur2_random",
            }
        )
        delivered = []
        for i in range(15):
            producer.produce(
                "clicks",
                key=b"c%d" % i,
                value=b"click %d" % i,
                headers=[("source", b"web")],
                on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())),
            )
        left = producer.flush(10)
        consumer = Consumer(
            {
                "bootstrap.servers": brokers,
                "group.id": "analytics",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "fetch.wait.max.ms": 100,
            }
        )
        consumer.subscribe(["clicks"])
        got = []
        deadline = time.monotonic() + 15
        while len(got) < 15 and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            got.append((message.key(), message.value(), message.headers(), message.partition()))
        consumer.commit(asynchronous=False)
        consumer.close()
        assert all(err is None for err, _, _ in delivered)
        return left, got

    left, got = await asyncio.to_thread(client)
    assert left == 0
    assert len(got) == 15
    for key, _value, headers, partition in got:
        assert headers == [("source", b"web")]
        assert partition == partition_for_key(key, 3)  # librdkafka's murmur2_random = Java's
    service = real.service("kafka")
    rows = service.group_lag(service.resolve(arn), "analytics")
    assert sum(r[4] for r in rows) == 0


async def test_a_group_of_three_rebalances_when_one_member_leaves(real: Engine) -> None:
    from aiokafka import AIOKafkaConsumer

    arn, brokers = await active_cluster(real)
    await topic(real, arn, "work", 6)
    recorder = real.trace.record()

    def consumer() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            "work",
            bootstrap_servers=brokers,
            group_id="workers",
            session_timeout_ms=6000,
            heartbeat_interval_ms=100,
            auto_offset_reset="earliest",
        )

    members = [consumer() for _ in range(3)]
    for member in members:
        await member.start()

    async def settled(expected: int) -> list[set]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            await asyncio.gather(*(m.getmany(timeout_ms=50) for m in members))
            sets = [{tp.partition for tp in m.assignment()} for m in members]
            union = set().union(*sets)
            if union == set(range(6)) and all(sets) and len(sets) == expected:
                sizes = sorted(len(s) for s in sets)
                if sizes == [6 // expected] * expected:
                    return sets
        raise AssertionError(f"no balanced assignment: {[m.assignment() for m in members]}")

    first = await settled(3)
    assert sum(len(s) for s in first) == 6
    leaving = members.pop()
    await leaving.stop()  # sends LeaveGroup
    second = await settled(2)
    assert sorted(len(s) for s in second) == [3, 3]
    for member in members:
        await member.stop()
    cluster = real.service("kafka").resolve(arn)
    group = cluster.groups.group("workers")
    assert group is not None and group.rebalances >= 2
    kinds = [e.kind for e in recorder.events]
    assert "member-left" in kinds and "rebalanced" in kinds


async def test_kafka_python_admin_client_manages_topics_configs_groups_and_records(
    real: Engine,
) -> None:
    arn, brokers = await active_cluster(real)

    def admin() -> dict:
        from kafka import KafkaConsumer, KafkaProducer, TopicPartition
        from kafka.admin import (
            ConfigResource,
            ConfigResourceType,
            KafkaAdminClient,
            NewPartitions,
            NewTopic,
        )

        client = KafkaAdminClient(bootstrap_servers=brokers)
        client.create_topics([NewTopic("audit", 2, 3, topic_configs={"cleanup.policy": "compact"})])
        out: dict = {"topics": sorted(client.list_topics())}
        configs = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "audit")])
        out["configs"] = repr(configs)
        client.create_partitions({"audit": NewPartitions(4)})
        producer = KafkaProducer(bootstrap_servers=brokers)
        for i in range(6):
            producer.send("audit", key=b"k", value=b"%d" % i, partition=0)
        producer.flush()
        producer.close()
        consumer = KafkaConsumer(
            "audit",
            bootstrap_servers=brokers,
            group_id="auditors",
            auto_offset_reset="earliest",
            consumer_timeout_ms=1000,
        )
        out["read"] = len(list(consumer))
        consumer.commit()
        out["groups"] = repr(client.list_groups())
        out["described"] = repr(client.describe_groups(["auditors"]))
        out["offsets"] = repr(client.list_group_offsets("auditors"))
        consumer.close()
        deleted = client.delete_records({TopicPartition("audit", 0): 4})
        out["low"] = repr(deleted)
        client.delete_topics(["audit"])
        out["after"] = sorted(client.list_topics())
        client.close()
        return out

    out = await asyncio.to_thread(admin)
    assert "audit" in out["topics"] and "audit" not in out["after"]
    assert "compact" in out["configs"]
    assert out["read"] == 6
    assert "auditors" in out["groups"] and "auditors" in out["described"]
    assert "partition=0): OffsetAndMetadata(offset=6" in out["offsets"]
    assert "'low_watermark': 4" in out["low"]


async def test_librdkafka_cooperative_sticky_rebalance_moves_only_some_partitions(
    real: Engine,
) -> None:
    arn, brokers = await active_cluster(real)
    await topic(real, arn, "coop", 4)
    recorder = real.trace.record()

    def client() -> tuple[list, list, list]:
        from confluent_kafka import Consumer

        def consumer() -> Consumer:
            made = Consumer(
                {
                    "bootstrap.servers": brokers,
                    "group.id": "coop-group",
                    "partition.assignment.strategy": "cooperative-sticky",
                    "session.timeout.ms": 6000,
                    "heartbeat.interval.ms": 100,
                    "fetch.wait.max.ms": 50,
                }
            )
            made.subscribe(["coop"])
            return made

        def owned(c: Consumer) -> list[int]:
            return sorted(tp.partition for tp in c.assignment())

        first = consumer()
        deadline = time.monotonic() + 10
        while len(owned(first)) < 4 and time.monotonic() < deadline:
            first.poll(0.05)
        alone = owned(first)
        second = consumer()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            first.poll(0.05)
            second.poll(0.05)
            if len(owned(first)) == 2 and len(owned(second)) == 2:
                break
        result = (alone, owned(first), owned(second))
        second.close()
        first.close()
        return result

    alone, kept, moved = await asyncio.to_thread(client)
    assert alone == [0, 1, 2, 3]
    assert len(kept) == 2 and len(moved) == 2 and set(kept) | set(moved) == {0, 1, 2, 3}
    protocols = {e.detail["protocol"] for e in recorder.events if e.kind == "rebalanced"}
    assert protocols == {"cooperative-sticky"}


async def test_aiokafka_transactions_commit_and_abort_for_read_committed_consumers(
    real: Engine,
) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    arn, brokers = await active_cluster(real)
    await topic(real, arn, "payments", 2)
    producer = AIOKafkaProducer(bootstrap_servers=brokers, transactional_id="payer-1")
    await producer.start()
    async with producer.transaction():
        await producer.send_and_wait("payments", b"committed-1", partition=0)
        await producer.send_and_wait("payments", b"committed-2", partition=1)
    await producer.begin_transaction()
    await producer.send_and_wait("payments", b"aborted", partition=0)
    await producer.abort_transaction()
    async with producer.transaction():
        await producer.send_and_wait("payments", b"committed-3", partition=0)
    await producer.stop()

    async def read(isolation: str) -> list[bytes]:
        consumer = AIOKafkaConsumer(
            "payments",
            bootstrap_servers=brokers,
            group_id=f"readers-{isolation}",
            auto_offset_reset="earliest",
            isolation_level=isolation,
        )
        await consumer.start()
        got: list[bytes] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            got.extend(m.value for messages in batch.values() for m in messages)
            if len(got) >= 4 or (isolation == "read_committed" and len(got) >= 3 and not batch):
                break
        await consumer.stop()
        return sorted(got)

    assert await read("read_committed") == [b"committed-1", b"committed-2", b"committed-3"]
    assert await read("read_uncommitted") == [
        b"aborted",
        b"committed-1",
        b"committed-2",
        b"committed-3",
    ]


async def test_librdkafka_transaction_commits_consumed_offsets_with_its_records(
    real: Engine,
) -> None:
    arn, brokers = await active_cluster(real)
    await topic(real, arn, "ledger", 1)

    def run() -> list[bytes]:
        from confluent_kafka import Consumer, Producer, TopicPartition

        producer = Producer({"bootstrap.servers": brokers, "transactional.id": "ledger-writer"})
        producer.init_transactions(10)
        producer.begin_transaction()
        producer.produce("ledger", b"ok")
        producer.commit_transaction(10)
        producer.begin_transaction()
        producer.produce("ledger", b"bad")
        producer.flush()
        producer.abort_transaction(10)
        consumer = Consumer(
            {
                "bootstrap.servers": brokers,
                "group.id": "ledger-readers",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe(["ledger"])
        got: list[bytes] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not got:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                got.append(message.value())
        producer.begin_transaction()
        producer.produce("ledger", b"ok2")
        producer.send_offsets_to_transaction(
            [TopicPartition("ledger", 0, 2)], consumer.consumer_group_metadata(), 10
        )
        producer.commit_transaction(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(got) < 2:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                got.append(message.value())
        consumer.close()
        return got

    assert await asyncio.to_thread(run) == [b"ok", b"ok2"]
    committed = real.service("kafka").resolve(arn).groups.committed("ledger-readers", "ledger", 0)
    assert committed is not None and committed.offset >= 2


async def test_kafka_python_finds_offsets_by_timestamp(real: Engine) -> None:
    arn, brokers = await active_cluster(real)
    await topic(real, arn, "history", 1)

    def run() -> tuple:
        from kafka import KafkaConsumer, KafkaProducer, TopicPartition

        producer = KafkaProducer(bootstrap_servers=brokers)
        for i in range(10):
            producer.send("history", b"%d" % i, partition=0, timestamp_ms=1_000_000 + i * 1000)
        producer.flush()
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=brokers)
        tp = TopicPartition("history", 0)
        found = consumer.offsets_for_times({tp: 1_004_500})[tp]
        ends = consumer.end_offsets([tp])[tp], consumer.beginning_offsets([tp])[tp]
        late = consumer.offsets_for_times({tp: 9_999_999})[tp]
        consumer.close()
        return found.offset, found.timestamp, ends, late

    offset, timestamp, ends, late = await asyncio.to_thread(run)
    assert (offset, timestamp) == (5, 1_005_000)
    assert ends == (10, 0)
    assert late is None  # no record at or after that time
