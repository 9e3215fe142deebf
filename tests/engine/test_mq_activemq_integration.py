"""ActiveMQ in the fabric: Lambda event source mappings (aws:mq), trace and topology."""

from __future__ import annotations

import base64

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq-admin-AbCdEf"
ACCESS = [{"Type": "BASIC_AUTH", "URI": SECRET}]


@pytest.fixture
async def broker(eng, clock):
    mq = eng.client("mq")
    created = await mq.create_broker(
        BrokerName="amq",
        EngineType="ACTIVEMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    return eng.service("mq").activemq(created["BrokerId"])


async def test_lambda_mapping_receives_aws_mq_events_and_acks(eng, clock, broker):
    events: list[dict] = []
    eng.register_function("worker", lambda event, context: events.append(event))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=broker.arn,
        FunctionName="worker",
        Queues=["orders"],
        SourceAccessConfigurations=ACCESS,
        BatchSize=10,
    )
    await clock.advance(1)
    broker.send(
        "orders",
        b'{"id": 1}',
        properties={"tenant": "acme", "attempt": 2},
        priority=7,
        correlation_id="c-1",
    )
    broker.send("orders", b"second", persistent=False, text=False)
    await clock.advance(2)
    (event,) = events
    assert event["eventSource"] == "aws:mq"
    assert event["eventSourceArn"] == broker.arn
    first, second = event["messages"]
    assert base64.b64decode(first["data"]) == b'{"id": 1}'
    assert first["messageID"].startswith("ID:amq-")
    assert first["messageType"] == "jms/text-message"
    assert first["deliveryMode"] == 2 and second["deliveryMode"] == 1
    assert second["messageType"] == "jms/bytes-message"
    assert first["priority"] == 7 and first["correlationId"] == "c-1"
    assert first["destination"] == {"physicalName": "orders"}
    assert first["properties"] == {"tenant": "acme", "attempt": "2"}
    assert first["redelivered"] is False
    stats = broker.core.queues["orders"].stats()
    assert (stats["depth"], stats["dequeued"]) == (0, 2)


async def test_failing_function_redelivers_then_activemq_dlq(eng, clock, broker):
    calls: list[bool] = []

    def failing(event, context):
        calls.append(event["messages"][0]["redelivered"])
        raise RuntimeError("cannot handle")

    eng.register_function("fails", failing)
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=broker.arn,
        FunctionName="fails",
        Queues=["jobs"],
        SourceAccessConfigurations=ACCESS,
    )
    await clock.advance(1)
    with eng.trace.subscribe() as trace:
        broker.send("jobs", b"poison")
        await clock.advance(30)
        kinds = [e.kind for e in trace.drain() if e.service == "mq"]
    assert calls == [False] + [True] * 6
    (dead,) = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert dead.body == b"poison"
    assert kinds.count("redelivered") == 6 and kinds.count("dead-lettered") == 1
    assert kinds[0] == "sent" and "dispatched" in kinds


async def test_mapping_validation_and_rabbit_accessor(eng, broker):
    awslambda = eng.client("lambda")
    eng.register_function("worker", lambda event, context: None)
    with pytest.raises(ServiceError) as caught:
        await awslambda.create_event_source_mapping(
            EventSourceArn=broker.arn,
            FunctionName="worker",
            Queues=["q"],
            SourceAccessConfigurations=[*ACCESS, {"Type": "VIRTUAL_HOST", "URI": "/"}],
        )
    assert "VIRTUAL_HOST" in caught.value.message
    with pytest.raises(ServiceError) as caught:
        eng.service("mq").rabbit(broker.arn)
    assert "not a RabbitMQ broker" in caught.value.message


async def test_topology_shows_queues_topics_virtual_topics_and_selectors(eng, clock, broker):
    broker.subscribe("Consumer.Billing.VirtualTopic.Orders", lambda c, m: None)
    broker.subscribe("topic://VirtualTopic.Orders", lambda c, m: None, selector="amount > 100")
    broker.send("topic://VirtualTopic.Orders", b"{}", properties={"amount": 500})
    nodes, edges = eng.service("mq").topology()
    by_kind = {}
    for node in nodes:
        by_kind.setdefault(node.kind, []).append(node)
    assert [n.name for n in by_kind["jms-queue"]] == ["Consumer.Billing.VirtualTopic.Orders"]
    assert by_kind["jms-queue"][0].counters["dequeued"] == 1
    assert [n.name for n in by_kind["jms-topic"]] == ["VirtualTopic.Orders"]
    assert {(e.kind, e.label) for e in edges} == {
        ("virtual-topic", ""),
        ("jms-subscription", "amount > 100"),
    }


async def test_wildcard_subscriptions_get_a_pattern_node(eng, clock, broker):
    broker.subscribe("topic://stock.>", lambda c, m: None)
    nodes, edges = eng.service("mq").topology()
    ids = {n.id for n in nodes}
    (edge,) = [e for e in edges if e.kind == "jms-subscription"]
    assert edge.source in ids and edge.target in ids
    assert edge.source.endswith("/topic/stock.>")
