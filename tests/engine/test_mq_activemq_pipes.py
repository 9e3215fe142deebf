"""EventBridge Pipes from an ActiveMQ queue: AWS's `aws:amq` records, batching, redelivery and DLQ."""

from __future__ import annotations

import base64
import json

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mq-admin-AbCdEf"
ROLE = "arn:aws:iam::123456789012:role/pipe"


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


def _parameters(**extra) -> dict:
    return {
        "ActiveMQBrokerParameters": {
            "Credentials": {"BasicAuth": SECRET},
            "QueueName": "orders",
            **extra,
        }
    }


async def test_records_have_the_aws_amq_shape_and_are_acked(eng, clock, broker):
    batches: list[list[dict]] = []
    eng.register_function("sink", lambda event, context: batches.append(event))
    await eng.client("pipes").create_pipe(
        Name="jms-bridge",
        Source=broker.arn,
        SourceParameters=_parameters(BatchSize=5, MaximumBatchingWindowInSeconds=2),
        Target="arn:aws:lambda:us-east-1:123456789012:function:sink",
        RoleArn=ROLE,
    )
    await clock.advance(1)
    broker.send("orders", b'{"id": 1}', properties={"tenant": "acme"})
    await clock.advance(1)
    assert batches == []  # the batching window is still open
    broker.send("orders", b"raw", persistent=False, text=False)
    await clock.advance(2)
    (batch,) = batches
    first, second = batch
    assert first["eventSource"] == "aws:amq"
    assert first["eventSourceArn"] == broker.arn
    assert first["messageID"].startswith("ID:amq-")
    assert first["messageType"] == "jms/text-message"
    assert second["messageType"] == "jms/bytes-message"
    assert base64.b64decode(first["data"]) == b'{"id": 1}'
    assert first["destination"] == {"physicalname": "orders"}
    assert first["properties"] == {"tenant": "acme"}
    assert (first["redelivered"], second["persistent"]) == (False, False)
    stats = broker.core.queues["orders"].stats()
    assert (stats["depth"], stats["dequeued"]) == (0, 2)


async def test_batch_size_caps_each_batch_and_filters_see_the_record(eng, clock, broker):
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="out"))["QueueUrl"]
    await eng.client("pipes").create_pipe(
        Name="filtered",
        Source=broker.arn,
        SourceParameters={
            **_parameters(BatchSize=2),
            "FilterCriteria": {
                "Filters": [{"Pattern": json.dumps({"properties": {"tenant": ["acme"]}})}]
            },
        },
        Target="arn:aws:sqs:us-east-1:123456789012:out",
        RoleArn=ROLE,
    )
    await clock.advance(1)
    recorder = eng.trace.record()
    for index in range(3):
        broker.send("orders", f"m{index}".encode(), properties={"tenant": "acme"})
    broker.send("orders", b"other", properties={"tenant": "globex"})
    await clock.advance(3)
    received = [e.detail["count"] for e in recorder.events if e.kind == "received"]
    assert received == [2, 2]
    messages = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    bodies = sorted(base64.b64decode(json.loads(m["Body"])["data"]) for m in messages)
    assert bodies == [b"m0", b"m1", b"m2"]
    assert broker.core.queues["orders"].stats()["depth"] == 0  # filtered-out is acked too


async def test_a_failing_target_redelivers_then_the_broker_dead_letters(eng, clock, broker):
    calls: list[bool] = []

    def failing(event, context):
        calls.append(event[0]["redelivered"])
        raise RuntimeError("cannot handle")

    eng.register_function("fails", failing)
    await eng.client("pipes").create_pipe(
        Name="poisoned",
        Source=broker.arn,
        SourceParameters=_parameters(BatchSize=1),
        Target="arn:aws:lambda:us-east-1:123456789012:function:fails",
        RoleArn=ROLE,
    )
    await clock.advance(1)
    broker.send("orders", b"poison")
    await clock.advance(60)
    assert calls == [False] + [True] * 6  # ActiveMQ's maximumRedeliveries: 6
    (dead,) = broker.core.queues["ActiveMQ.DLQ"].browse()
    assert dead.body == b"poison"


async def test_parameters_must_match_the_broker_engine(eng, clock, broker):
    pipes = eng.client("pipes")
    with pytest.raises(ServiceError) as refused:
        await pipes.create_pipe(
            Name="wrong",
            Source=broker.arn,
            SourceParameters={
                "RabbitMQBrokerParameters": {
                    "Credentials": {"BasicAuth": SECRET},
                    "QueueName": "orders",
                }
            },
            Target="arn:aws:sqs:us-east-1:123456789012:out",
            RoleArn=ROLE,
        )
    assert refused.value.code == "ValidationException"
    assert "ActiveMQBrokerParameters" in refused.value.message


async def test_deleting_the_pipe_releases_its_consumer(eng, clock, broker):
    eng.register_function("sink", lambda event, context: None)
    pipes = eng.client("pipes")
    await pipes.create_pipe(
        Name="short",
        Source=broker.arn,
        SourceParameters=_parameters(),
        Target="arn:aws:lambda:us-east-1:123456789012:function:sink",
        RoleArn=ROLE,
    )
    await clock.advance(1)
    assert len(broker.core.queues["orders"].consumers) == 1
    await pipes.delete_pipe(Name="short")
    await clock.advance(1)
    assert broker.core.queues["orders"].consumers == []


async def test_update_pipe_changes_the_batch_size_and_keeps_the_queue(eng, clock, broker):
    batches: list[int] = []
    eng.register_function("sink", lambda event, context: batches.append(len(event)))
    pipes = eng.client("pipes")
    target = "arn:aws:lambda:us-east-1:123456789012:function:sink"
    await pipes.create_pipe(
        Name="tuned",
        Source=broker.arn,
        SourceParameters=_parameters(BatchSize=1),
        Target=target,
        RoleArn=ROLE,
    )
    await clock.advance(1)
    await pipes.update_pipe(
        Name="tuned",
        RoleArn=ROLE,
        SourceParameters={
            "ActiveMQBrokerParameters": {"Credentials": {"BasicAuth": SECRET}, "BatchSize": 3}
        },
    )
    await clock.advance(1)
    described = await pipes.describe_pipe(Name="tuned")
    assert described["SourceParameters"]["ActiveMQBrokerParameters"]["QueueName"] == "orders"
    for index in range(3):
        broker.send("orders", f"m{index}".encode())
    await clock.advance(2)
    assert batches == [3]
