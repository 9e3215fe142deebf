"""Save/open keeps ActiveMQ brokers: users, destinations, durable subscriptions, persistent
messages and the configuration; non-persistent messages are lost, as on an ActiveMQ restart."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from engine import Engine, VirtualClock
from engine.persistence.keeper import KeptLab
from engine.persistence.labfile import read_file, restore, save_file

pytestmark = pytest.mark.timeout(60)

CONFIG = """<broker xmlns="http://activemq.apache.org/schema/core">
  <destinationPolicy><policyMap><policyEntries>
    <policyEntry queue="&gt;"><deadLetterStrategy>
      <individualDeadLetterStrategy queuePrefix="DLQ."/>
    </deadLetterStrategy></policyEntry>
  </policyEntries></policyMap></destinationPolicy>
</broker>"""


async def _build(eng: Engine, clock: VirtualClock) -> str:
    mq = eng.client("mq")
    config = await mq.create_configuration(Name="amq-conf", EngineType="ACTIVEMQ")
    await mq.update_configuration(
        ConfigurationId=config["Id"], Data=base64.b64encode(CONFIG.encode()).decode()
    )
    created = await mq.create_broker(
        BrokerName="legacy",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Configuration={"Id": config["Id"], "Revision": 2},
        Users=[{"Username": "admin", "Password": "lab-password-1", "Groups": ["ops"]}],
    )
    await clock.advance(5)
    broker_id = created["BrokerId"]
    await mq.create_user(BrokerId=broker_id, Username="later", Password="lab-password-2")
    broker = eng.service("mq").activemq(broker_id)
    broker.send("orders", b"kept", properties={"region": "eu"}, priority=7)
    broker.send("orders", b"lost", persistent=False)
    broker.send("orders", b"stale-later", ttl_ms=60_000)
    sub = broker.lab.subscribe("topic://news", selector="lang = 'en'", durable="reader")
    broker.lab.unsubscribe(sub.id)  # the durable subscription stays and collects
    broker.send("topic://news", b"en-news", properties={"lang": "en"})
    broker.send("topic://news", b"fr-news", properties={"lang": "fr"})
    broker.send("topic://news", b"fleeting", properties={"lang": "en"}, persistent=False)
    holder = broker.lab.subscribe("jobs", ack_mode="client")
    broker.send("jobs", b"unacked")
    assert len(broker.lab.unacked(holder.id)) == 1
    return broker_id


async def _check(eng: Engine, clock: VirtualClock, broker_id: str) -> None:
    mq = eng.client("mq")
    await clock.advance(1)
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["BrokerState"] == "RUNNING"
    assert described["BrokerInstances"][0]["Endpoints"][0].startswith("stomp://127.0.0.1:")
    users = await mq.list_users(BrokerId=broker_id)
    assert {u["Username"]: u.get("PendingChange") for u in users["Users"]} == {
        "admin": None,
        "later": "CREATE",
    }
    broker = eng.service("mq").activemq(broker_id)
    assert broker.authenticate("admin", "lab-password-1")
    orders = broker.lab.subscribe("orders")
    got = broker.lab.take(orders.id)
    assert [(m.body, m.priority, m.properties) for m in got] == [
        (b"kept", 7, {"region": "eu"}),
        (b"stale-later", 4, {}),
    ]
    jobs = broker.lab.subscribe("jobs")
    (again,) = broker.lab.take(jobs.id)
    assert (again.body, again.redeliveries) == (b"unacked", 1)
    reader = broker.lab.subscribe("topic://news", selector="lang = 'en'", durable="reader")
    assert [m.body for m in broker.lab.take(reader.id)] == [b"en-news"]
    # The configuration came back too: its individual dead-letter strategy still applies.
    failing = broker.lab.subscribe("payments", ack_mode="client")
    broker.send("payments", b"poison")
    for _ in range(7):
        broker.lab.nack(failing.id)
        await clock.advance(1)
    assert [m.body for m in broker.core.queues["DLQ.payments"].browse()] == [b"poison"]


async def test_a_lab_file_round_trips_an_activemq_broker(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    broker_id = await _build(eng, clock)
    path = tmp_path / "lab.json"
    save_file(eng, path)
    later = VirtualClock(start=clock.now() + 30)
    async with Engine(clock=later) as fresh:
        await restore(fresh, read_file(path, fresh.available_services()))
        await _check(fresh, later, broker_id)


async def test_time_to_live_resumes_where_the_save_left_it(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    broker_id = await _build(eng, clock)
    path = tmp_path / "lab.json"
    save_file(eng, path)
    later = VirtualClock(start=clock.now() + 3600)  # opened an hour later: the lab's time
    async with Engine(clock=later) as fresh:  # stood still, so 60 s of life remain
        await restore(fresh, read_file(path, fresh.available_services()))
        await later.advance(59)
        broker = fresh.service("mq").activemq(broker_id)
        assert [m.body for m in broker.core.queues["orders"].browse()][-1] == b"stale-later"
        await later.advance(2)
        broker = fresh.service("mq").activemq(broker_id)
        orders = broker.lab.subscribe("orders")
        assert [m.body for m in broker.lab.take(orders.id)] == [b"kept"]


async def test_a_kept_lab_keeps_its_activemq_broker(tmp_path: Path) -> None:
    clock = VirtualClock()
    async with Engine(clock=clock) as eng, KeptLab(eng, "jms", tmp_path):
        broker_id = await _build(eng, clock)
    again = VirtualClock(start=clock.now())
    async with Engine(clock=again) as eng, KeptLab(eng, "jms", tmp_path):
        await _check(eng, again, broker_id)
