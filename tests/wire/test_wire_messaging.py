"""boto3 against the lab for the messaging flows: SNS → SQS fan-out and EventBridge → SQS."""

from __future__ import annotations

import json

import pytest


async def _queue(lab, name: str) -> tuple[str, str]:
    sqs = lab.client("sqs")
    url = (await lab.call(sqs.create_queue, QueueName=name))["QueueUrl"]
    attributes = await lab.call(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    return url, attributes["Attributes"]["QueueArn"]


async def _receive_one(lab, url: str) -> dict:
    sqs = lab.client("sqs")
    for _ in range(5):  # delivery runs in the engine while boto3 waits
        received = await lab.call(
            sqs.receive_message, QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        if received.get("Messages"):
            return received["Messages"][0]
    raise AssertionError("nothing was delivered")


async def test_sns_fans_out_to_two_queues(lab) -> None:
    sns = lab.client("sns")
    topic = (await lab.call(sns.create_topic, Name="orders"))["TopicArn"]
    queues = [await _queue(lab, name) for name in ("billing", "shipping")]
    for _, arn in queues:
        await lab.call(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=arn)
    published = await lab.call(
        sns.publish,
        TopicArn=topic,
        Message="order 1",
        Subject="new",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    for url, _ in queues:
        envelope = json.loads((await _receive_one(lab, url))["Body"])
        assert envelope["Message"] == "order 1"
        assert envelope["MessageId"] == published["MessageId"]
        assert envelope["MessageAttributes"]["kind"]["Value"] == "order"


async def test_sns_raw_delivery_and_filter_policy(lab) -> None:
    sns = lab.client("sns")
    topic = (await lab.call(sns.create_topic, Name="events"))["TopicArn"]
    url, arn = await _queue(lab, "raw")
    subscription = await lab.call(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"kind": ["keep"]}'},
        ReturnSubscriptionArn=True,
    )
    attributes = await lab.call(
        sns.get_subscription_attributes, SubscriptionArn=subscription["SubscriptionArn"]
    )
    assert attributes["Attributes"]["RawMessageDelivery"] == "true"
    for kind in ("drop", "keep"):
        await lab.call(
            sns.publish,
            TopicArn=topic,
            Message=kind,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
        )
    message = await _receive_one(lab, url)
    assert message["Body"] == "keep"
    assert message["MessageAttributes"]["kind"]["StringValue"] == "keep"


async def test_sns_errors_and_paginators(lab) -> None:
    sns = lab.client("sns")
    with pytest.raises(sns.exceptions.NotFoundException):
        await lab.call(
            sns.publish, TopicArn="arn:aws:sns:us-east-1:123456789012:missing", Message="x"
        )
    with pytest.raises(sns.exceptions.InvalidParameterException):
        await lab.call(sns.create_topic, Name="bad name!")
    for index in range(3):
        await lab.call(sns.create_topic, Name=f"t{index}")
    paginator = sns.get_paginator("list_topics")

    def collect() -> list[str]:
        return [t["TopicArn"] for page in paginator.paginate() for t in page["Topics"]]

    assert len(await lab.call(collect)) == 3


async def test_eventbridge_rule_routes_to_sqs(lab) -> None:
    events = lab.client("events")
    url, arn = await _queue(lab, "matched")
    await lab.call(
        events.put_rule,
        Name="orders",
        EventPattern=json.dumps(
            {"source": ["shop"], "detail": {"total": [{"numeric": [">", 10]}]}}
        ),
    )
    await lab.call(events.put_targets, Rule="orders", Targets=[{"Id": "q", "Arn": arn}])
    answer = await lab.call(
        events.put_events,
        Entries=[
            {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"total": 5})},
            {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"total": 50})},
        ],
    )
    assert answer["FailedEntryCount"] == 0
    event = json.loads((await _receive_one(lab, url))["Body"])
    assert event["detail"] == {"total": 50}
    assert event["detail-type"] == "order"


async def test_eventbridge_test_event_pattern_and_errors(lab) -> None:
    events = lab.client("events")
    answer = await lab.call(
        events.test_event_pattern,
        EventPattern='{"source": ["a"]}',
        Event=json.dumps(
            {
                "id": "1",
                "account": "123456789012",
                "source": "a",
                "time": "2026-01-01T00:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail-type": "x",
                "detail": {},
            }
        ),
    )
    assert answer["Result"] is True
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        await lab.call(events.describe_rule, Name="missing")
