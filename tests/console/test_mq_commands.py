"""`mq publish|consume|declare|bind …` lab words beside the `mq <operation>` AWS commands."""

from __future__ import annotations

import pytest

from tui.console import Console

from .conftest import plain

pytestmark = pytest.mark.timeout(60)

CREATE = (
    "mq create-broker --broker-name shop --engine-type RABBITMQ --host-instance-type mq.m5.large "
    "--deployment-mode SINGLE_INSTANCE --no-publicly-accessible "
    "--users Username=admin,Password=lab-password-1"
)


@pytest.fixture
async def shop(run, clock):
    assert (await run(CREATE)).ok
    await clock.advance(5)
    for line in [
        "mq declare shop exchange orders --type topic",
        "mq declare shop exchange dlx --type fanout",
        "mq declare shop queue parked",
        "mq bind shop dlx parked",
        "mq declare shop queue eu --argument x-dead-letter-exchange=dlx",
        'mq bind shop orders eu --routing-key "order.eu.*"',
    ]:
        result = await run(line)
        assert result.ok, result.error
    return "shop"


async def test_aws_operations_still_parse_and_run(run, shop):
    listed = await run("mq list-brokers")
    assert listed.ok
    assert listed.value["BrokerSummaries"][0]["BrokerState"] == "RUNNING"
    described = await run(
        "mq describe-broker --broker-id shop --query BrokerInstances[0].Endpoints[0]"
    )
    assert described.ok


async def test_publish_shows_the_matching_binding_and_consume_settles(run, shop):
    published = await run(
        "mq publish shop --exchange orders --routing-key order.eu.created --header tenant=acme hi"
    )
    assert published.ok, published.error
    assert published.value["Queues"] == ["eu"]
    assert "orders → eu [order.eu.*]" in plain(published.output)
    nacked = await run("mq consume shop eu --nack")
    assert nacked.ok and nacked.value[0]["Body"] == "hi"
    parked = await run("mq consume shop parked")
    assert parked.value[0]["Headers"]["x-death"][0]["reason"] == "rejected"
    assert "rejected@eu" in plain(parked.output)
    empty = await run("mq consume shop eu")
    assert empty.ok and empty.value == []


async def test_requeue_marks_redelivered(run, shop):
    await run("mq publish shop --exchange orders --routing-key order.eu.x again")
    assert (await run("mq consume shop eu --requeue")).value[0]["Redelivered"] is False
    assert (await run("mq consume shop eu")).value[0]["Redelivered"] is True


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (
            "mq publish shop --exchange nope --routing-key k x",
            "AMQP 404 NOT_FOUND - no exchange 'nope'",
        ),
        ("mq publish shop --exchange", "--exchange needs a value"),
        ("mq consume shop missing", "no queue 'missing'"),
        ("mq consume shop eu --ack --nack", "Choose one of"),
        ("mq declare shop exchange orders --type fanout", "AMQP 406 PRECONDITION_FAILED"),
        ("mq declare shop widget w", "usage: mq declare"),
        ("mq bind shop orders eu --colour red", "Unknown option --colour"),
        ("mq queues nobroker", "NotFoundException"),
        ("mq declare shop queue bad --argument x-max-priority=999", "value_too_large"),
        ("mq publish shop --exchange orders --property expiration=soon x", "invalid expiration"),
        ("mq publish shop --exchange orders --property delivery_mode=9 x", "delivery_mode"),
        ("mq publish shop --exchange orders --routing-key " + "k" * 256 + " x", "255 bytes"),
        ("mq declare shop queue bad!name", "cannot be used"),
    ],
)
async def test_bad_input_gets_one_clear_line(run, shop, line, fragment):
    result = await run(line)
    assert not result.ok
    assert fragment in result.error
    assert "\n" not in result.error


async def test_not_running_broker_is_refused(run):
    await run(CREATE)
    result = await run("mq publish shop --exchange orders --routing-key k x")
    assert not result.ok and "CREATION_IN_PROGRESS" in result.error


async def test_listings(run, shop):
    queues = await run("mq queues shop")
    assert {row["name"] for row in queues.value} == {"parked", "eu"}
    bindings = await run("mq bindings shop")
    pairs = {(row["source"], row["destination"], row["routing key"]) for row in bindings.value}
    assert ("orders", "eu", "order.eu.*") in pairs and ("(default)", "eu", "eu") in pairs


def texts(console: Console, line: str) -> list[str]:
    return [c.text for c in console.complete(line)]


async def test_completion_offers_words_brokers_exchanges_and_queues(console, run, shop):
    after_mq = texts(console, "mq ")
    assert "publish" in after_mq and "create-broker" in after_mq
    assert texts(console, "mq publish ") == ["shop"]
    assert "orders" in texts(console, "mq publish shop --exchange ")
    assert "eu" in texts(console, "mq consume shop ")
    assert "orders" in texts(console, "mq bind shop ")
    assert "topic" in texts(console, "mq declare shop exchange x --type ")
    assert "--broker-name" in texts(console, "mq create-broker ")


async def test_help_lists_the_lab_words_beside_the_operations(run):
    from .conftest import plain

    overview = plain((await run("help mq")).output)
    assert "mq publish" in overview and "create-broker" in overview
    publish = await run("help mq publish")
    assert publish.ok and "--routing-key" in publish.value["summary"]


async def test_save_and_open_restore_brokers_topology_and_messages(run, shop, tmp_path):
    await run("mq publish shop --exchange orders --routing-key order.eu.1 rejected-one")
    await run("mq consume shop eu --nack")
    await run("mq publish shop --exchange orders --routing-key order.eu.2 waiting")
    await run("mq create-configuration --name tuned --engine-type RABBITMQ")
    path = tmp_path / "lab.json"
    assert (await run(f"save {path}")).ok
    opened = await run(f"open {path}")
    assert opened.ok, opened.error
    await run("clock advance 1s")
    described = await run("mq describe-broker --broker-id shop")
    assert described.value["BrokerState"] == "RUNNING"
    assert described.value["BrokerInstances"][0]["Endpoints"][0].startswith("amqp://127.0.0.1:")
    assert (await run("mq list-configurations")).value["Configurations"][0]["Name"] == "tuned"
    bindings = await run("mq bindings shop")
    assert any(row["routing key"] == "order.eu.*" for row in bindings.value)
    assert (await run("mq consume shop eu")).value[0]["Body"] == "waiting"
    parked = await run("mq consume shop parked")
    assert parked.value[0]["Headers"]["x-death"][0]["reason"] == "rejected"
