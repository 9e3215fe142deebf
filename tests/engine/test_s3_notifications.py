"""S3 event notifications: SQS, SNS, Lambda and EventBridge, filters, test events, validation."""

from __future__ import annotations

import hashlib
import json

import pytest

from engine import Engine, ServiceError

BUCKET = "uploads-bucket"


async def setup_queue(eng: Engine, name: str = "uploads") -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    await eng.client("s3").create_bucket(Bucket=BUCKET)
    return url, f"arn:aws:sqs:us-east-1:123456789012:{name}"


async def messages(eng: Engine, url: str) -> list[dict]:
    response = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def queue_config(arn: str, events: list[str], **rules: str) -> dict:
    config: dict = {"Id": "to-queue", "QueueArn": arn, "Events": events}
    if rules:
        config["Filter"] = {
            "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
        }
    return {"QueueConfigurations": [config]}


async def test_configuring_a_queue_sends_test_event(eng):
    url, arn = await setup_queue(eng)
    await eng.client("s3").put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectCreated:*"])
    )
    [event] = await messages(eng, url)
    assert event["Service"] == "Amazon S3"
    assert event["Event"] == "s3:TestEvent"
    assert event["Bucket"] == BUCKET


async def test_object_created_record_format(eng):
    url, arn = await setup_queue(eng)
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectCreated:*"])
    )
    await messages(eng, url)  # the test event
    await s3.put_object(Bucket=BUCKET, Key="in/my file.csv", Body=b"a,b\n")
    await eng.clock.settle()
    [event] = await messages(eng, url)
    [record] = event["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2026-01-01T00:00:00.000Z"
    assert record["s3"]["configurationId"] == "to-queue"
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    assert record["s3"]["object"]["key"] == "in/my+file.csv"
    assert record["s3"]["object"]["size"] == 4
    assert record["s3"]["object"]["eTag"] == hashlib.md5(b"a,b\n").hexdigest()
    assert "sequencer" in record["s3"]["object"]


async def test_prefix_and_suffix_filters(eng):
    url, arn = await setup_queue(eng)
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration=queue_config(
            arn, ["s3:ObjectCreated:Put"], prefix="in/", suffix=".csv"
        ),
    )
    await messages(eng, url)
    for key in ("in/a.csv", "in/b.txt", "out/c.csv"):
        await s3.put_object(Bucket=BUCKET, Key=key, Body=b"")
    await eng.clock.settle()
    keys = [e["Records"][0]["s3"]["object"]["key"] for e in await messages(eng, url)]
    assert keys == ["in/a.csv"]


async def test_copy_event_not_sent_for_put_only_config(eng):
    url, arn = await setup_queue(eng)
    s3 = eng.client("s3")
    await s3.put_object(Bucket=BUCKET, Key="src", Body=b"x")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectCreated:Copy"])
    )
    await messages(eng, url)
    await s3.put_object(Bucket=BUCKET, Key="plain", Body=b"x")
    await s3.copy_object(Bucket=BUCKET, Key="copy", CopySource=f"{BUCKET}/src")
    await eng.clock.settle()
    names = [e["Records"][0]["eventName"] for e in await messages(eng, url)]
    assert names == ["ObjectCreated:Copy"]


async def test_object_removed_event(eng):
    url, arn = await setup_queue(eng)
    s3 = eng.client("s3")
    await s3.put_object(Bucket=BUCKET, Key="gone", Body=b"x")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectRemoved:*"])
    )
    await messages(eng, url)
    await s3.delete_object(Bucket=BUCKET, Key="gone")
    await eng.clock.settle()
    [event] = await messages(eng, url)
    assert event["Records"][0]["eventName"] == "ObjectRemoved:Delete"


async def test_lambda_notification_is_asynchronous_invoke(eng):
    await eng.client("s3").create_bucket(Bucket=BUCKET)
    seen: list = []
    arn = eng.register_function("on-upload", lambda event, context: seen.append(event))
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    assert seen == []  # no test event for functions
    await s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    await eng.clock.settle()
    assert seen[0]["Records"][0]["s3"]["object"]["key"] == "k"


async def test_sns_notification(eng):
    await eng.client("s3").create_bucket(Bucket=BUCKET)
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="uploads"))["TopicArn"]
    url = (await eng.client("sqs").create_queue(QueueName="fanout"))["QueueUrl"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:fanout",
        Attributes={"RawMessageDelivery": "true"},
    )
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    await s3.put_object(Bucket=BUCKET, Key="via-sns", Body=b"x")
    await eng.clock.advance(1)
    events = await messages(eng, url)
    assert events[0]["Event"] == "s3:TestEvent"
    assert events[1]["Records"][0]["s3"]["object"]["key"] == "via-sns"


async def test_eventbridge_object_created(eng):
    await eng.client("s3").create_bucket(Bucket=BUCKET)
    url = (await eng.client("sqs").create_queue(QueueName="eb"))["QueueUrl"]
    events = eng.client("events")
    await events.put_rule(
        Name="uploads",
        EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}),
    )
    await events.put_targets(
        Rule="uploads", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:eb"}]
    )
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    await s3.put_object(Bucket=BUCKET, Key="eb.txt", Body=b"hey")
    await eng.clock.advance(1)
    [event] = await messages(eng, url)
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == BUCKET
    assert event["detail"]["object"]["key"] == "eb.txt"
    assert event["detail"]["reason"] == "PutObject"


async def test_missing_destination_rejected(eng):
    await eng.client("s3").create_bucket(Bucket=BUCKET)
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration=queue_config(
                "arn:aws:sqs:us-east-1:123456789012:missing", ["s3:ObjectCreated:*"]
            ),
        )
    assert raised.value.code == "InvalidArgument"
    assert raised.value.message == "Unable to validate the following destination configurations"


async def test_unknown_event_rejected(eng):
    _, arn = await setup_queue(eng)
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectEaten:*"])
        )
    assert raised.value.code == "InvalidArgument"
    assert raised.value.message == "The event is not supported for notifications"


async def test_overlapping_configurations_rejected(eng):
    _, arn = await setup_queue(eng)
    config = queue_config(arn, ["s3:ObjectCreated:*"])
    config["QueueConfigurations"].append({"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]})
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration=config
        )
    assert raised.value.message.startswith("Configurations overlap.")


async def test_get_configuration_round_trip(eng):
    _, arn = await setup_queue(eng)
    s3 = eng.client("s3")
    await s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration=queue_config(arn, ["s3:ObjectCreated:*"], prefix="in/"),
    )
    got = await s3.get_bucket_notification_configuration(Bucket=BUCKET)
    [config] = got["QueueConfigurations"]
    assert config["QueueArn"] == arn
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "in/"}]


async def test_notification_edge_in_topology(eng):
    _, arn = await setup_queue(eng)
    await eng.client("s3").put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=queue_config(arn, ["s3:ObjectCreated:*"])
    )
    edges = [e for e in eng.topology().edges if e.kind == "notification"]
    assert [(e.source, e.target) for e in edges] == [(f"arn:aws:s3:::{BUCKET}", arn)]
