"""Issue 4's example architecture end to end, with the whole journey under one trace id.

An object lands in S3 → a notification invokes a function → it queues a job in SQS → an event
source mapping invokes a second function (the write-item demo) → the item lands in DynamoDB.
"""

from __future__ import annotations

import json

from engine import Engine

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs"


async def build(eng: Engine) -> str:
    """Create the pipeline; returns the queue URL."""
    await eng.client("dynamodb").create_table(
        TableName="uploads",
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    url = (await eng.client("sqs").create_queue(QueueName="jobs"))["QueueUrl"]

    async def on_upload(event, context):
        sqs = eng.client("sqs")
        for record in event["Records"]:
            obj = record["s3"]["object"]
            job = {"key": obj["key"], "size": obj["size"], "bucket": record["s3"]["bucket"]["name"]}
            await sqs.send_message(QueueUrl=url, MessageBody=json.dumps(job))
        return {"queued": len(event["Records"])}

    on_upload_arn = eng.register_function("on-upload", on_upload)
    lam = eng.service("lambda")
    lam.create_demo(
        "store-item", "write-item", Environment={"Variables": {"TABLE_NAME": "uploads"}}
    )
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=QUEUE_ARN, FunctionName="store-item", BatchSize=10
    )
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="incoming-files")
    await s3.put_bucket_notification_configuration(
        Bucket="incoming-files",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": on_upload_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ]
        },
    )
    return url


async def test_upload_becomes_a_dynamodb_item(eng):
    await build(eng)
    await eng.client("s3").put_object(Bucket="incoming-files", Key="in/report.csv", Body=b"a,b,c\n")
    await eng.clock.advance(2)
    item = await eng.client("dynamodb").get_item(
        TableName="uploads", Key={"key": {"S": "in/report.csv"}}
    )
    assert item["Item"] == {
        "key": {"S": "in/report.csv"},
        "size": {"N": "6"},
        "bucket": {"S": "incoming-files"},
    }


async def test_whole_journey_shares_one_trace_id(eng):
    await build(eng)
    recorder = eng.trace.record()
    await eng.client("s3").put_object(Bucket="incoming-files", Key="in/photo.jpg", Body=b"\xff\xd8")
    await eng.clock.advance(2)
    put = next(e for e in recorder.events if e.kind == "put" and e.service == "s3")
    journey = recorder.journey(put.trace_id)
    hops = [(e.service, e.kind) for e in journey]
    for hop in [
        ("s3", "put"),
        ("s3", "delivered"),
        ("lambda", "invoked"),
        ("sqs", "sent"),
        ("lambda", "succeeded"),
        ("dynamodb", "written"),
    ]:
        assert hop in hops, hop
    invoked = [e.resource.rsplit(":", 1)[1] for e in journey if e.kind == "invoked"]
    assert invoked == ["on-upload", "store-item"]


async def test_objects_outside_the_prefix_are_ignored(eng):
    await build(eng)
    await eng.client("s3").put_object(Bucket="incoming-files", Key="tmp/scratch", Body=b"x")
    await eng.clock.advance(2)
    scanned = await eng.client("dynamodb").scan(TableName="uploads")
    assert scanned["Count"] == 0
