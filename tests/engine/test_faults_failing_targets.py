"""`failure` on a delivery target: SNS, EventBridge and Pipes retry by their own policies."""

from __future__ import annotations

import json

import pytest

from engine import Engine, VirtualClock

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/lab"


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    attrs = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attrs["Attributes"]["QueueArn"]


async def _count(eng: Engine, url: str) -> int:
    attrs = await eng.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


async def test_sns_retries_a_failing_queue_by_the_aws_managed_policy(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "ledger")
    dlq_url, dlq = await _queue(eng, "ledger-dlq")
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="payments"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
    )
    recorder = eng.trace.record()
    eng.faults.configure(arn, failure=1.0)
    await sns.publish(TopicArn=topic, Message="m")
    await clock.settle()
    retried = [e.detail["delay"] for e in recorder.events if e.kind == "retried"]
    assert retried == [0.0, 0.0, 0.0, 1.0]  # three immediate, then the pre-backoff phase
    await clock.advance(300)
    assert await _count(eng, dlq_url) == 0  # SQS endpoints are retried for 23 days, not dropped
    assert await _count(eng, url) == 0
    eng.faults.clear(arn)
    await clock.advance(20)  # the post-backoff phase: one retry every 20 s
    assert await _count(eng, url) == 1
    delivered = [e for e in recorder.events if e.kind == "delivered"]
    assert delivered and delivered[-1].detail["retry"] > 10


async def test_eventbridge_retries_a_failing_target_then_dead_letters(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "audit")
    dlq_url, dlq = await _queue(eng, "audit-dlq")
    events = eng.client("events")
    await events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
    await events.put_targets(
        Rule="all",
        Targets=[
            {
                "Id": "t",
                "Arn": arn,
                "RetryPolicy": {"MaximumRetryAttempts": 2},
                "DeadLetterConfig": {"Arn": dlq},
            }
        ],
    )
    eng.faults.configure("audit", failure=1.0)
    await events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
    await clock.advance(600)
    assert await _count(eng, url) == 0
    assert await _count(eng, dlq_url) == 1


async def _pipe_from_table(eng: Engine, target: str, **source: object) -> None:
    created = await eng.client("dynamodb").create_table(
        TableName="outbox",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    await eng.client("pipes").create_pipe(
        Name="relay",
        Source=created["TableDescription"]["LatestStreamArn"],
        Target=target,
        RoleArn=ROLE,
        SourceParameters={
            "DynamoDBStreamParameters": {"StartingPosition": "TRIM_HORIZON", **source}
        },
    )


async def test_a_pipe_retries_its_failing_target_and_delivers_once_it_recovers(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "published")
    await _pipe_from_table(eng, arn)
    eng.faults.configure(arn, failure=1.0)
    await eng.client("dynamodb").put_item(TableName="outbox", Item={"id": {"S": "o-1"}})
    await clock.advance(30)
    assert await _count(eng, url) == 0
    eng.faults.clear()
    await clock.advance(30)
    assert await _count(eng, url) == 1  # the event still arrives, later


async def test_a_pipe_gives_up_after_its_retries_into_its_dead_letter_queue(
    eng: Engine, clock: VirtualClock
) -> None:
    url, arn = await _queue(eng, "published")
    dlq_url, dlq = await _queue(eng, "relay-dlq")
    await _pipe_from_table(eng, arn, MaximumRetryAttempts=2, DeadLetterConfig={"Arn": dlq})
    eng.faults.configure("published", failure=1.0)
    await eng.client("dynamodb").put_item(TableName="outbox", Item={"id": {"S": "o-1"}})
    await clock.advance(60)
    assert await _count(eng, url) == 0
    (message,) = (await eng.client("sqs").receive_message(QueueUrl=dlq_url))["Messages"]
    info = json.loads(message["Body"])
    assert info["context"]["approximateInvokeCount"] == 3
    assert info["DDBStreamBatchInfo"]["batchSize"] == 1


async def test_a_failing_function_target_fails_once_not_twice(
    eng: Engine, clock: VirtualClock
) -> None:
    calls: list[int] = []
    eng.register_function("sink", lambda event, context: calls.append(1))
    eng.faults.configure("sink", failure=1.0)
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="t"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint="arn:aws:lambda:us-east-1:123456789012:function:sink",
    )
    recorder = eng.trace.record()
    await sns.publish(TopicArn=topic, Message="m")
    await clock.advance(1)
    # SNS hands the event to Lambda (asynchronous invoke); the function's own failure follows.
    assert [e.kind for e in recorder.events if e.service == "sns" and e.kind == "retried"] == []
    assert any(e.kind == "delivered" and e.service == "sns" for e in recorder.events)


async def test_a_failing_http_endpoint_gets_the_default_http_policy_then_the_dlq(
    eng: Engine, clock: VirtualClock
) -> None:
    url = "http://hooks.lab/payments"
    eng.service("sns").http_sink.register(url, auto_confirm=True)
    dlq_url, dlq = await _queue(eng, "hooks-dlq")
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="hooked"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=url,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
    )
    await clock.settle()
    eng.faults.configure(url, failure=1.0)
    recorder = eng.trace.record()
    await sns.publish(TopicArn=topic, Message="m")
    await clock.advance(59)
    assert await _count(eng, dlq_url) == 0
    await clock.advance(2)
    assert await _count(eng, dlq_url) == 1  # three retries 20 s apart, then the DLQ
    failed = [e.detail["reason"] for e in recorder.events if e.kind == "delivery-failed"]
    assert failed == ["HTTP status 500 (fault injection)"] * 4
