"""MSK over `pipework serve`: boto3's kafka client, then a Kafka client at the reported broker."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import Lab

pytestmark = pytest.mark.timeout(30)


async def test_boto3_creates_a_cluster_and_kafka_python_uses_its_bootstrap_brokers(
    lab: Lab,
) -> None:
    lab.engine.settings["kafka.transition_seconds"] = 0
    msk = lab.client("kafka")
    created = await lab.call(
        msk.create_cluster_v2,
        ClusterName="wired",
        Provisioned={
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {
                "InstanceType": "kafka.m5.large",
                "ClientSubnets": ["a", "b", "c"],
            },
        },
    )
    arn = created["ClusterArn"]
    for _ in range(100):
        state = (await lab.call(msk.describe_cluster_v2, ClusterArn=arn))["ClusterInfo"]["State"]
        if state == "ACTIVE":
            break
        await asyncio.sleep(0.02)
    brokers = (await lab.call(msk.get_bootstrap_brokers, ClusterArn=arn))["BootstrapBrokerString"]
    await lab.call(
        msk.create_topic, ClusterArn=arn, TopicName="wired", PartitionCount=1, ReplicationFactor=3
    )
    with pytest.raises(msk.exceptions.NotFoundException):
        await lab.call(msk.describe_cluster, ClusterArn=arn + "x")

    def roundtrip() -> list[bytes]:
        from kafka import KafkaConsumer, KafkaProducer

        producer = KafkaProducer(bootstrap_servers=brokers)
        producer.send("wired", b"over the wire").get(timeout=5)
        producer.close()
        consumer = KafkaConsumer(
            "wired",
            bootstrap_servers=brokers,
            auto_offset_reset="earliest",
            consumer_timeout_ms=1000,
        )
        values = [m.value for m in consumer]
        consumer.close()
        return values

    assert await asyncio.to_thread(roundtrip) == [b"over the wire"]


async def test_a_garbage_frame_ends_only_that_connection(lab: Lab) -> None:
    from tests.engine.kafka_lab import active_cluster

    _, brokers = await active_cluster(lab.engine)
    host, port = brokers.split(",")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"\x7f\xff\xff\xffnot kafka")  # a 2 GB frame size
    await writer.drain()
    assert await reader.read() == b""
    writer.close()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"\x00\x00\x00\x0a\x00\x12\x00\x63\x00\x00\x00\x01\x00\x00")  # ApiVersions v99
    await writer.drain()
    size = int.from_bytes(await reader.readexactly(4), "big")
    body = await reader.readexactly(size)
    assert body[:4] == b"\x00\x00\x00\x01" and body[4:6] == b"\x00\x23"  # UNSUPPORTED_VERSION
    writer.close()
