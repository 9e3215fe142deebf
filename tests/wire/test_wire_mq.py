"""boto3's `mq` client over the wire, then pika at the endpoint DescribeBroker reports."""

from __future__ import annotations

import asyncio

import pika
import pytest

pytestmark = pytest.mark.timeout(60)


async def test_boto3_creates_a_broker_and_pika_uses_its_endpoint(lab) -> None:
    lab.engine.settings["mq.transition_seconds"] = 0.0
    mq = lab.client("mq")
    created = await lab.call(
        mq.create_broker,
        BrokerName="wired",
        EngineType="RABBITMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    for _ in range(100):
        described = await lab.call(mq.describe_broker, BrokerId=created["BrokerId"])
        if described["BrokerState"] == "RUNNING":
            break
        await asyncio.sleep(0.01)
    assert described["Created"].year >= 2024
    port = int(described["BrokerInstances"][0]["Endpoints"][0].rsplit(":", 1)[1])

    def round_trip() -> bytes:
        connection = pika.BlockingConnection(
            pika.ConnectionParameters(
                "127.0.0.1", port, credentials=pika.PlainCredentials("admin", "lab-password-1")
            )
        )
        channel = connection.channel()
        channel.queue_declare("wired")
        channel.basic_publish("", "wired", b"over the wire")
        body = channel.basic_get("wired", auto_ack=True)[2]
        connection.close()
        return body

    assert await asyncio.to_thread(round_trip) == b"over the wire"
    with pytest.raises(mq.exceptions.NotFoundException):
        await lab.call(mq.describe_broker, BrokerId="b-missing")
    with pytest.raises(mq.exceptions.BadRequestException) as caught:
        await lab.call(
            mq.create_broker,
            BrokerName="amq",
            EngineType="ACTIVEMQ",
            HostInstanceType="mq.t3.micro",
            DeploymentMode="SINGLE_INSTANCE",
            PubliclyAccessible=False,
        )
    assert "ActiveMQ broker" in caught.value.response["Error"]["Message"]
