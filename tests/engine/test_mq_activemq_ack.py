"""Client-acknowledged lab subscriptions: ack (cumulative or individual) and nack (rollback)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def broker(eng, clock):
    created = await eng.client("mq").create_broker(
        BrokerName="amq",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    return eng.service("mq").activemq(created["BrokerId"])


async def test_client_ack_is_cumulative(broker):
    sub = broker.lab.subscribe("orders", ack_mode="client")
    ids = [broker.send("orders", f"m{i}".encode())["MessageId"] for i in range(3)]
    assert [m.id for m in broker.lab.unacked(sub.id)] == ids
    acked = broker.lab.ack(sub.id, ids[1])
    assert [m.id for m in acked] == ids[:2]
    assert [m.id for m in broker.lab.unacked(sub.id)] == ids[2:]
    assert broker.core.queues["orders"].stats()["depth"] == 1


async def test_client_individual_ack_takes_just_one(broker):
    sub = broker.lab.subscribe("orders", ack_mode="client-individual")
    ids = [broker.send("orders", f"m{i}".encode())["MessageId"] for i in range(3)]
    assert [m.id for m in broker.lab.ack(sub.id, ids[1])] == [ids[1]]
    assert [m.id for m in broker.lab.unacked(sub.id)] == [ids[0], ids[2]]
    assert len(broker.lab.ack(sub.id)) == 2  # no id: everything delivered
    assert broker.core.queues["orders"].stats()["depth"] == 0


async def test_unacked_messages_return_when_the_subscription_closes(broker):
    sub = broker.lab.subscribe("orders", ack_mode="client")
    broker.send("orders", b"kept")
    broker.lab.unsubscribe(sub.id)
    again = broker.lab.subscribe("orders")
    (message,) = broker.lab.take(again.id)
    assert (message.body, message.redeliveries) == (b"kept", 1)


async def test_nack_redelivers_until_the_policy_sends_it_to_the_dlq(broker, clock):
    sub = broker.lab.subscribe("orders", ack_mode="client")
    broker.send("orders", b"poison")
    for _ in range(6):
        assert len(broker.lab.nack(sub.id)) == 1
        await clock.advance(60)  # past any redelivery delay
    assert broker.lab.unacked(sub.id)[0].redeliveries == 6
    broker.lab.nack(sub.id)  # the seventh rollback exceeds maximumRedeliveries (6)
    assert broker.lab.unacked(sub.id) == []
    (dead,) = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert dead.body == b"poison"


async def test_settling_an_auto_subscription_or_an_unknown_id_is_refused(broker):
    auto = broker.lab.subscribe("orders")
    with pytest.raises(ValueError, match="acknowledges automatically"):
        broker.lab.ack(auto.id)
    client = broker.lab.subscribe("jobs", ack_mode="client")
    with pytest.raises(ValueError, match="not waiting for an acknowledgement"):
        broker.lab.nack(client.id, "ID:nope")
    with pytest.raises(ValueError, match="ack mode must be one of"):
        broker.lab.subscribe("jobs", ack_mode="dups-ok")
