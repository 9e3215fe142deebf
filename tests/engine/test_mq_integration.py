"""RabbitMQ in the fabric: Lambda event source mappings (aws:rmq), Pipes, trace and topology."""

from __future__ import annotations

import base64
import json

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq-admin-AbCdEf"
ACCESS = [{"Type": "BASIC_AUTH", "URI": SECRET}]


@pytest.fixture
async def broker(eng, clock):
    mq = eng.client("mq")
    created = await mq.create_broker(
        BrokerName="lab",
        EngineType="RABBITMQ",
        HostInstanceType="mq.m5.large",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        Users=[{"Username": "admin", "Password": "lab-password-1"}],
    )
    await clock.advance(5)
    return eng.service("mq").rabbit(created["BrokerId"])


async def test_lambda_mapping_receives_rmq_events_and_acks(eng, clock, broker):
    broker.vhost().declare_queue("orders")
    events: list[dict] = []
    eng.register_function("worker", lambda event, context: events.append(event))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=broker.arn,
        FunctionName="worker",
        Queues=["orders"],
        SourceAccessConfigurations=ACCESS,
        BatchSize=10,
    )
    broker.publish(
        "",
        "orders",
        b'{"id": 1}',
        headers={"tenant": "acme", "attempt": 2},
        properties={"content_type": "application/json", "delivery_mode": 2},
    )
    await clock.advance(2)
    (event,) = events
    assert event["eventSource"] == "aws:rmq"
    assert event["eventSourceArn"] == broker.arn
    (message,) = event["rmqMessagesByQueue"]["orders::/"]
    assert json.loads(base64.b64decode(message["data"])) == {"id": 1}
    properties = message["basicProperties"]
    assert properties["contentType"] == "application/json"
    assert properties["deliveryMode"] == 2
    assert properties["headers"]["tenant"] == {"bytes": list(b"acme")}
    assert properties["headers"]["attempt"] == 2
    assert properties["bodySize"] == 9
    assert message["redelivered"] is False
    queue = broker.vhost().queue("orders")
    assert (queue.ready_count, queue.unacked, queue.acked) == (0, 0, 1)


async def test_failing_function_requeues_until_the_quorum_limit_dead_letters(eng, clock, broker):
    vhost = broker.vhost()
    vhost.declare_exchange("dlx", "fanout")
    vhost.declare_queue("parked")
    vhost.bind("dlx", "parked", "queue", "")
    vhost.declare_queue(
        "jobs",
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": 2,
            "x-dead-letter-exchange": "dlx",
        },
    )
    calls: list[bool] = []

    def failing(event, context):
        calls.append(event["rmqMessagesByQueue"]["jobs::/"][0]["redelivered"])
        raise RuntimeError("cannot handle")

    eng.register_function("fails", failing)
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=broker.arn,
        FunctionName="fails",
        Queues=["jobs"],
        SourceAccessConfigurations=ACCESS,
    )
    broker.publish("", "jobs", b"poison")
    await clock.advance(10)
    assert calls == [False, True, True]
    assert vhost.queue("parked").ready_count == 1


async def test_mapping_validation(eng, broker):
    awslambda = eng.client("lambda")
    eng.register_function("worker", lambda event, context: None)
    with pytest.raises(ServiceError) as caught:
        await awslambda.create_event_source_mapping(
            EventSourceArn=broker.arn, FunctionName="worker", Queues=["q"]
        )
    assert "BASIC_AUTH" in caught.value.message
    with pytest.raises(ServiceError):
        await awslambda.create_event_source_mapping(
            EventSourceArn=broker.arn + "x",
            FunctionName="worker",
            Queues=["q"],
            SourceAccessConfigurations=ACCESS,
        )


async def test_pipe_from_a_rabbitmq_queue_to_sqs(eng, clock, broker):
    broker.vhost().declare_queue("events")
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="out"))["QueueUrl"]
    await eng.client("pipes").create_pipe(
        Name="bridge",
        Source=broker.arn,
        SourceParameters={
            "RabbitMQBrokerParameters": {
                "Credentials": {"BasicAuth": SECRET},
                "QueueName": "events",
                "BatchSize": 1,
            }
        },
        Target="arn:aws:sqs:us-east-1:123456789012:out",
        RoleArn="arn:aws:iam::123456789012:role/pipe",
    )
    await clock.advance(1)
    broker.publish("", "events", b"hello")
    await clock.advance(2)
    received = await sqs.receive_message(QueueUrl=url)
    (message,) = received["Messages"]
    record = json.loads(message["Body"])
    assert record["eventSource"] == "aws:rmq"
    assert record["eventSourceKey"] == "events::/"
    assert base64.b64decode(record["data"]) == b"hello"
    assert broker.vhost().queue("events").acked == 1


async def test_trace_shows_route_and_topology_draws_bindings(eng, clock, broker):
    recorded = eng.trace.record()
    vhost = broker.vhost()
    vhost.declare_exchange("orders", "topic")
    vhost.declare_queue("eu")
    vhost.declare_queue("audit")
    vhost.bind("orders", "eu", "queue", "order.eu.*")
    vhost.bind("orders", "audit", "queue", "#")
    sent = broker.publish("orders", "order.eu.created", b"x")
    session = broker.session()
    tag, _ = session.get(vhost.queue("eu"), no_ack=False)
    session.ack(tag)
    kinds = [e.kind for e in recorded.events if e.message_id == sent["MessageId"]]
    assert kinds[:2] == ["published", "routed"]
    assert "delivered" in kinds and "acked" in kinds
    routed = next(e for e in recorded.events if e.kind == "routed")
    assert set(routed.detail["matched"]) == {"orders → eu [order.eu.*]", "orders → audit [#]"}
    topology = eng.topology()
    edges = {(e.target.rsplit("/", 1)[-1], e.label) for e in topology.edges if e.kind == "binding"}
    assert edges == {("eu", "order.eu.*"), ("audit", "#")}
    eu = next(n for n in topology.nodes if n.id.endswith("/queue/eu"))
    assert eu.counters["ready"] == 0 and eu.counters["acked"] == 1
