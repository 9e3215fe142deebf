"""`mq send|subscribe|received|unsubscribe|destinations`: ActiveMQ lab words beside the AWS commands."""

from __future__ import annotations

import pytest

from tui.console import Console

from .conftest import plain

pytestmark = pytest.mark.timeout(60)

CREATE = (
    "mq create-broker --broker-name legacy --engine-type ACTIVEMQ --host-instance-type mq.m5.large "
    "--deployment-mode SINGLE_INSTANCE --no-publicly-accessible "
    "--users Username=admin,Password=lab-password-1"
)


@pytest.fixture
async def legacy(run, clock):
    assert (await run(CREATE)).ok
    await clock.advance(5)
    return "legacy"


async def test_send_and_subscribe_with_a_selector(run, legacy):
    sent = await run("mq send legacy orders --prop region=eu --prop amount=250 --priority 7 first")
    assert sent.ok, sent.error
    assert sent.value["Destinations"] == ["queue://orders"]
    await run("mq send legacy orders --prop region=us --prop amount=10 second")
    sub = await run("mq subscribe legacy orders --selector \"region = 'eu' AND amount > 100\"")
    assert sub.ok, sub.error
    assert [m["Body"] for m in sub.value["Messages"]] == ["first"]
    assert sub.value["Messages"][0]["Properties"] == {"region": "eu", "amount": 250}
    assert "where region = 'eu' AND amount > 100" in plain(sub.output)
    sub_id = sub.value["Subscription"]
    await run("mq send legacy orders --prop region=eu --prop amount=101 third")
    received = await run(f"mq received legacy {sub_id}")
    assert [m["Body"] for m in received.value] == ["third"]
    assert (await run(f"mq received legacy {sub_id}")).value == []
    listed = await run("mq destinations legacy")
    (orders,) = [r for r in listed.value if r["Destination"] == "queue://orders"]
    assert orders["depth"] == 1 and orders["dequeued"] == 2  # "second" waits for its selector


async def test_topics_durable_subscriptions_and_virtual_topics(run, legacy):
    durable = await run("mq subscribe legacy topic://prices --durable audit")
    sub_id = durable.value["Subscription"]
    assert (await run(f"mq unsubscribe legacy {sub_id}")).ok
    sent = await run("mq send legacy topic://prices p1")
    assert sent.value["Reached"][0].endswith("/subscription/pipework-lab:audit")
    again = await run("mq subscribe legacy topic://prices --durable audit")
    assert [m["Body"] for m in again.value["Messages"]] == ["p1"]
    vt = await run("mq subscribe legacy Consumer.Billing.VirtualTopic.Orders")
    await run("mq send legacy topic://VirtualTopic.Orders o1")
    got = await run(f"mq received legacy {vt.value['Subscription']}")
    assert [m["Destination"] for m in got.value] == ["queue://Consumer.Billing.VirtualTopic.Orders"]


async def test_bad_input_gets_one_clear_line(run, legacy):
    for line, fragment in [
        ("mq subscribe legacy orders --selector 'a = = 1'", "Invalid selector"),
        ("mq send legacy orders --priority 12 x", "--priority must be between 0 and 9"),
        ("mq send legacy orders --prop novalue x", "--prop takes key=value"),
        ("mq send legacy half,topic://a.* x", "wildcard"),
        ("mq received legacy lab-sub-99", "No lab subscription"),
        ("mq send nowhere orders x", "NotFoundException"),
        ("mq publish legacy --exchange x y", "ActiveMQ broker: use mq send"),
        ("mq send legacy", "usage: mq send"),
    ]:
        result = await run(line)
        assert not result.ok, line
        assert fragment in result.error, (line, result.error)
    listed = await run("mq destinations legacy")
    assert listed.value == []  # nothing half-applied (the composite's first part was not sent)


def texts(console: Console, line: str) -> list[str]:
    return [c.text for c in console.complete(line)]


async def test_completion_offers_activemq_brokers_and_destinations(console, run, legacy):
    assert "send" in texts(console, "mq ") and "subscribe" in texts(console, "mq ")
    assert texts(console, "mq send ") == ["legacy"]
    await run("mq send legacy orders x")
    assert "orders" in texts(console, "mq subscribe legacy ")
    assert "--selector" in texts(console, "mq subscribe legacy orders ")


async def test_client_ack_from_the_console(console, run, legacy):
    sub = await run("mq subscribe legacy jobs --ack client")
    assert sub.ok, sub.error
    assert sub.value["AckMode"] == "client"
    sub_id = sub.value["Subscription"]
    first = (await run("mq send legacy jobs one")).value["MessageId"]
    await run("mq send legacy jobs two")
    assert first in texts(console, f"mq ack legacy {sub_id} ")
    acked = await run(f"mq ack legacy {sub_id} {first}")
    assert acked.ok and acked.value["MessageIds"] == [first]
    rolled = await run(f"mq nack legacy {sub_id}")
    assert rolled.ok and len(rolled.value["MessageIds"]) == 1
    assert "redelivery policy" in plain(rolled.output)
    bad = await run(f"mq ack legacy {sub_id} ID:nope")
    assert not bad.ok and "\n" not in bad.error
    assert "client" in texts(console, "mq subscribe legacy jobs --ack ")
    assert "jobs" in texts(console, "mq subscribe legacy ")  # destinations still complete
    assert sub_id in texts(console, "mq nack legacy ")
