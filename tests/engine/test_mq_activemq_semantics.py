"""Amazon MQ for ActiveMQ: the control plane and the JMS model (queues, topics, selectors, DLQ)."""

from __future__ import annotations

import pytest

from engine import ServiceError
from engine.services.mq.activemq.selector import SelectorError, compile_selector

pytestmark = pytest.mark.timeout(60)

USERS = [{"Username": "admin", "Password": "lab-password-1"}]


async def make_broker(eng, clock, name="amq"):
    mq = eng.client("mq")
    created = await mq.create_broker(
        BrokerName=name,
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.t3.micro",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=USERS,
    )
    await clock.advance(5)
    return created["BrokerId"], eng.service("mq").activemq(created["BrokerId"])


class Inbox:
    """A lab-side consumer's received messages."""

    def __init__(self):
        self.messages = []
        self.counts = []

    def __call__(self, consumer, message):
        self.messages.append(message)
        self.counts.append(message.redeliveries)

    @property
    def bodies(self):
        return [m.body for m in self.messages]


async def test_activemq_broker_runs_with_a_stomp_endpoint_and_users(eng, clock):
    mq = eng.client("mq")
    broker_id, _broker = await make_broker(eng, clock)
    described = await mq.describe_broker(BrokerId=broker_id)
    assert described["EngineType"] == "ACTIVEMQ"
    assert described["EngineVersion"] == "5.18"
    (instance,) = described["BrokerInstances"]
    assert [e.split(":")[0] for e in instance["Endpoints"]] == ["stomp", "mqtt"]
    assert instance["Endpoints"][0].startswith("stomp://127.0.0.1:")
    assert described["Users"] == [{"Username": "admin"}]


async def test_activemq_needs_a_user_and_a_known_version(eng):
    mq = eng.client("mq")
    base = dict(
        BrokerName="amq",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.t3.micro",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
    )
    with pytest.raises(ServiceError, match="At least one user"):
        await mq.create_broker(**base)
    with pytest.raises(ServiceError, match="engine version"):
        await mq.create_broker(**base, Users=USERS, EngineVersion="5.15.0")
    assert (await mq.list_brokers())["BrokerSummaries"] == []


async def test_user_changes_are_pending_until_reboot(eng, clock):
    mq = eng.client("mq")
    broker_id, broker = await make_broker(eng, clock)
    await mq.create_user(
        BrokerId=broker_id, Username="app", Password="app-password-1", Groups=["apps"]
    )
    with pytest.raises(ServiceError) as caught:
        await mq.create_user(BrokerId=broker_id, Username="app", Password="app-password-1")
    assert caught.value.code == "ConflictException"
    described = await mq.describe_user(BrokerId=broker_id, Username="app")
    assert described["Pending"] == {
        "ConsoleAccess": False,
        "Groups": ["apps"],
        "PendingChange": "CREATE",
    }
    listed = await mq.list_users(BrokerId=broker_id)
    assert {"Username": "app", "PendingChange": "CREATE"} in listed["Users"]
    assert not broker.authenticate("app", "app-password-1")
    await mq.delete_user(BrokerId=broker_id, Username="admin")
    await mq.reboot_broker(BrokerId=broker_id)
    await clock.advance(5)
    assert broker.authenticate("app", "app-password-1")
    assert not broker.authenticate("admin", "lab-password-1")
    assert (await mq.list_users(BrokerId=broker_id))["Users"] == [{"Username": "app"}]
    with pytest.raises(ServiceError) as caught:
        await mq.describe_user(BrokerId=broker_id, Username="admin")
    assert caught.value.code == "NotFoundException"


async def test_queue_competing_consumers_round_robin_and_client_ack(eng, clock):
    _, broker = await make_broker(eng, clock)
    first, second = Inbox(), Inbox()
    a = broker.subscribe("work", first, ack_mode="client-individual", prefetch=2)
    broker.subscribe("work", second, ack_mode="client-individual", prefetch=2)
    for n in range(6):
        broker.send("work", f"m{n}".encode())
    assert first.bodies == [b"m0", b"m2"]
    assert second.bodies == [b"m1", b"m3"]
    assert broker.core.queues["work"].ready_count == 2
    broker.core.ack(a, first.messages[0].id)
    assert first.bodies == [b"m0", b"m2", b"m4"]


async def test_topic_pub_sub_non_durable_and_durable(eng, clock):
    _, broker = await make_broker(eng, clock)
    live, durable = Inbox(), Inbox()
    live_consumer = broker.subscribe("topic://prices", live)
    durable_consumer = broker.subscribe("topic://prices", durable, durable="audit")
    broker.send("topic://prices", b"p1")
    assert live.bodies == [b"p1"] and durable.bodies == [b"p1"]
    broker.core.close_consumer(live_consumer)
    broker.core.close_consumer(durable_consumer)
    broker.send("topic://prices", b"p2")  # only the offline durable subscription keeps it
    again, back = Inbox(), Inbox()
    broker.subscribe("topic://prices", again)
    broker.subscribe("topic://prices", back, durable="audit")
    assert again.bodies == [] and back.bodies == [b"p2"]


async def test_selectors_on_headers_and_properties(eng, clock):
    _, broker = await make_broker(eng, clock)
    eu, urgent = Inbox(), Inbox()
    broker.subscribe("orders", eu, selector="region = 'eu' AND amount BETWEEN 10 AND 100")
    broker.subscribe("orders", urgent, selector="JMSPriority > 6 OR kind LIKE 'rush!_%' ESCAPE '!'")
    broker.send("orders", b"1", properties={"region": "eu", "amount": 50})
    broker.send("orders", b"2", properties={"region": "us", "amount": 50}, priority=9)
    broker.send("orders", b"3", properties={"kind": "rush_x"})
    broker.send("orders", b"4", properties={"kind": "rushx"})  # nobody selects it: it waits
    assert eu.bodies == [b"1"]
    assert urgent.bodies == [b"2", b"3"]
    assert broker.core.queues["orders"].ready_count == 1
    late = Inbox()
    broker.subscribe("orders", late)
    assert late.bodies == [b"4"]


def test_selector_parser_three_valued_logic_and_errors():
    values = {"n": 10, "s": "abc", "f": 2.5}.get
    assert compile_selector("n * 2 + 1 = 21 AND f / 2 < 2").matches(values)
    assert compile_selector("missing IS NULL AND s IN ('abc', 'x')").matches(values)
    assert not compile_selector("missing = 3").matches(values)
    assert not compile_selector("NOT missing = 3").matches(values)  # unknown stays unknown
    assert compile_selector("missing = 3 OR n = 10").matches(values)
    assert not compile_selector("s = 1").matches(values)  # unlike types never match
    assert compile_selector("n NOT BETWEEN 1 AND 5 AND s NOT LIKE 'x%'").matches(values)
    assert compile_selector("") is None
    for bad in ("n =", "AND", "s LIKE 'a' ESCAPE 'ab'", "n > > 1", "(n = 1"):
        with pytest.raises(SelectorError):
            compile_selector(bad)


async def test_wildcards_virtual_topics_and_composites(eng, clock):
    _, broker = await make_broker(eng, clock)
    one, deep = Inbox(), Inbox()
    broker.subscribe("topic://stock.*", one)
    broker.subscribe("topic://stock.>", deep)
    a, b = Inbox(), Inbox()
    broker.subscribe("Consumer.A.VirtualTopic.Orders", a)
    broker.subscribe("Consumer.B.VirtualTopic.Orders", b)
    broker.send("topic://stock.nyse", b"s1")
    broker.send("topic://stock.nyse.ibm", b"s2")
    broker.send("topic://VirtualTopic.Orders", b"o1")
    sent = broker.send("audit,topic://stock.lse", b"both")
    assert one.bodies == [b"s1", b"both"]
    assert deep.bodies == [b"s1", b"s2", b"both"]
    assert a.bodies == [b"o1"] and b.bodies == [b"o1"]
    assert sent["Destinations"] == ["queue://audit", "topic://stock.lse"]
    assert broker.core.queues["audit"].ready_count == 1


async def test_message_groups_priority_and_expiration(eng, clock):
    _, broker = await make_broker(eng, clock)
    for n, group in enumerate(["g1", "g2", "g1", "g2", "g1"]):
        broker.send("grouped", f"{group}-{n}".encode(), properties={"JMSXGroupID": group})
    first, second = Inbox(), Inbox()
    broker.subscribe("grouped", first)
    broker.subscribe("grouped", second)
    broker.send("grouped", b"g2-late", properties={"JMSXGroupID": "g2"})
    broker.send("grouped", b"g1-late", properties={"JMSXGroupID": "g1"})
    assert first.bodies == [b"g1-0", b"g2-1", b"g1-2", b"g2-3", b"g1-4", b"g2-late", b"g1-late"]
    # new groups are spread round-robin; each then sticks to its consumer
    for body in (b"g3", b"g4", b"g3", b"g4"):
        broker.send("grouped", body, properties={"JMSXGroupID": body.decode()})
    assert first.bodies[-2:] == [b"g3", b"g3"]
    assert second.bodies == [b"g4", b"g4"]

    broker.send("prio", b"low", priority=1)
    broker.send("prio", b"high", priority=9)
    broker.send("prio", b"short", ttl_ms=1000)
    await clock.advance(2)
    got = Inbox()
    broker.subscribe("prio", got)
    assert got.bodies == [b"high", b"low"]
    dead = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert [m.body for m in dead] == [b"short"]
    assert dead[0].properties["dlqDeliveryFailureCause"] == "Message expired"


async def test_redelivery_policy_then_dlq_and_non_persistent_discarded(eng, clock):
    _, broker = await make_broker(eng, clock)
    inbox = Inbox()
    consumer = broker.subscribe("jobs", inbox, ack_mode="client-individual", prefetch=1)
    broker.send("jobs", b"poison", persistent=True)
    for _ in range(7):  # the first delivery and 6 redeliveries, 1 s apart (the default policy)
        broker.core.redeliver(consumer, inbox.messages[-1].id)
        await clock.advance(1)
    assert len(inbox.messages) == 7
    assert inbox.counts == [0, 1, 2, 3, 4, 5, 6]
    (dead,) = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert dead.properties["originalDestination"] == "queue://jobs"
    assert "maximumRedeliveries = 6" in dead.properties["dlqDeliveryFailureCause"]
    broker.send("jobs", b"fleeting", persistent=False)
    for _ in range(7):
        broker.core.redeliver(consumer, inbox.messages[-1].id)
        await clock.advance(1)
    assert len(broker.core.queues["ActiveMQ.DLQ"].browse()) == 1  # non-persistent: discarded


async def test_trace_and_topology_show_destinations_and_selectors(eng, clock):
    _, broker = await make_broker(eng, clock)
    with eng.trace.subscribe() as subscription:
        inbox = Inbox()
        consumer = broker.subscribe(
            "topic://news", inbox, selector="lang = 'en'", durable="reader", ack_mode="client"
        )
        broker.send("topic://news", b"hello", properties={"lang": "en"}, persistent=True)
        broker.core.redeliver(consumer, inbox.messages[0].id)
        await clock.advance(1)  # ActiveMQ's default redelivery delay
        broker.core.ack(consumer, inbox.messages[1].id)
        events = [(e.kind, e.resource.rsplit("/", 1)[-1]) for e in subscription.drain()]
    assert ("sent", "news") in events
    assert ("dispatched", "pipework-lab:reader") in events
    assert ("redelivered", "pipework-lab:reader") in events
    assert ("acked", "pipework-lab:reader") in events
    nodes, edges = eng.service("mq").topology()
    kinds = {n.kind for n in nodes}
    assert {"broker", "jms-topic", "jms-subscription"} <= kinds
    (edge,) = [e for e in edges if e.kind == "jms-subscription"]
    assert edge.label == "lang = 'en'"


async def test_reboot_keeps_messages_and_delete_releases_listeners(eng, clock):
    import asyncio

    mq = eng.client("mq")
    broker_id, broker = await make_broker(eng, clock)
    broker.send("kept", b"survives")
    port = broker.stomp.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"CONNECT\naccept-version:1.2\nlogin:admin\npasscode:lab-password-1\n\n\0")
    assert (await reader.readuntil(b"\0")).startswith(b"CONNECTED")
    await mq.reboot_broker(BrokerId=broker_id)
    assert b"Broker reboot" in await reader.read()  # an ERROR frame, then the connection closes
    await clock.advance(5)
    assert broker.core.queues["kept"].ready_count == 1
    await mq.delete_broker(BrokerId=broker_id)
    assert broker.core.queues == {}
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await clock.advance(5)
    assert eng.listeners.all() == []


async def test_scheduled_delivery_delay_period_and_repeat(eng, clock):
    _, broker = await make_broker(eng, clock)
    inbox = Inbox()
    broker.subscribe("later", inbox)
    broker.send("later", b"in 10s", properties={"AMQ_SCHEDULED_DELAY": 10_000})
    broker.send(
        "later",
        b"tick",
        properties={"AMQ_SCHEDULED_PERIOD": "5000", "AMQ_SCHEDULED_REPEAT": "2"},
    )
    await clock.advance(4)
    assert inbox.bodies == []
    await clock.advance(2)  # t=6: the first tick
    assert inbox.bodies == [b"tick"]
    await clock.advance(5)  # t=11: the delayed one and the second tick
    assert sorted(inbox.bodies) == sorted([b"tick", b"in 10s", b"tick"])
    await clock.advance(30)
    assert inbox.bodies.count(b"tick") == 3  # the first delivery and 2 repeats
    with pytest.raises(ValueError, match="AMQ_SCHEDULED_DELAY"):
        broker.send("later", b"x", properties={"AMQ_SCHEDULED_DELAY": "soon"})


async def test_advisory_topics_for_consumers_expiry_and_dlq(eng, clock):
    _, broker = await make_broker(eng, clock)
    consumers, expired, dlqd = Inbox(), Inbox(), Inbox()
    broker.subscribe("topic://ActiveMQ.Advisory.Consumer.Queue.>", consumers)
    broker.subscribe("topic://ActiveMQ.Advisory.Expired.Queue.watched", expired)
    broker.subscribe("topic://ActiveMQ.Advisory.MessageDLQd.>", dlqd)
    first = broker.subscribe("watched", Inbox(), ack_mode="client", prefetch=1)
    assert [m.destination.name for m in consumers.messages] == [
        "ActiveMQ.Advisory.Consumer.Queue.watched"
    ]
    assert consumers.messages[0].properties["consumerCount"] == 1
    broker.core.close_consumer(first)
    assert consumers.messages[-1].properties["consumerCount"] == 0
    sent = broker.send("watched", b"stale", ttl_ms=1000)
    await clock.advance(2)
    broker.subscribe("watched", Inbox())
    (advisory,) = expired.messages
    assert advisory.properties["orignalMessageId"] == sent["MessageId"]
    assert advisory.type == "Advisory"
    assert [m.properties["dlqDeliveryFailureCause"] for m in dlqd.messages] == ["Message expired"]


async def test_dead_lettering_frees_prefetch_for_the_next_message(eng, clock):
    _, broker = await make_broker(eng, clock)
    inbox = Inbox()
    consumer = broker.subscribe("line", inbox, ack_mode="client-individual", prefetch=1)
    broker.send("line", b"poison")
    broker.send("line", b"next")
    broker.core.poison(consumer, inbox.messages[0].id)
    assert inbox.bodies == [b"poison", b"next"]
    broker.send("line", b"after")
    for _ in range(7):
        broker.core.redeliver(consumer, inbox.messages[-1].id)
    assert inbox.bodies[-2:] == [b"next", b"after"]  # the limit dead-lettered "next", freed room
