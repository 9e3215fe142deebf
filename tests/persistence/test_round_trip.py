"""A lab holding each kind of state is saved, opened into a fresh lab and compared field by field."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from engine import Engine, VirtualClock
from engine.persistence.labfile import read_file, restore, save_file

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/lab"
HANDLER = "def handler(event, context):\n    return {'echo': event, 'from': 'zip'}\n"


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


WAITING = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": 100, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "woke", "End": True},
    },
}


def _callback(queue_url: str) -> dict[str, Any]:
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$$.Task.Token"},
                "End": True,
            }
        },
    }


async def _build(eng: Engine) -> dict[str, Any]:
    """One of each kind of state; returns the handles the checks need."""
    sqs, sns, s3 = eng.client("sqs"), eng.client("sns"), eng.client("s3")
    kinesis, ddb, sfn = eng.client("kinesis"), eng.client("dynamodb"), eng.client("stepfunctions")
    lam = eng.client("lambda")
    url = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    tokens = (await sqs.create_queue(QueueName="tokens"))["QueueUrl"]
    topic = (await sns.create_topic(Name="news"))["TopicArn"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    await sns.publish(
        TopicArn=topic,
        Message="hi",
        MessageAttributes={"raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
    )
    await s3.create_bucket(Bucket="blobs")
    await s3.put_object(Bucket="blobs", Key="b.bin", Body=bytes(range(256)))
    await s3.create_bucket(Bucket="lake")
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks-to-lake",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::lake",
            "Prefix": "raw/",
            "BufferingHints": {"IntervalInSeconds": 300},
        },
    )
    await firehose.put_record(DeliveryStreamName="clicks-to-lake", Record={"Data": b"\x00buffered"})
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    put = await kinesis.put_record(StreamName="clicks", Data=b"\x01\x02", PartitionKey="k")
    await ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    await ddb.put_item(TableName="t", Item={"id": {"S": "a"}, "blob": {"B": b"\x00\x01"}})
    await lam.create_function(
        FunctionName="echo",
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code={"ZipFile": _zip(HANDLER)},
    )
    waiting = (
        await sfn.create_state_machine(name="waiting", definition=json.dumps(WAITING), roleArn=ROLE)
    )["stateMachineArn"]
    callback = (
        await sfn.create_state_machine(
            name="callback", definition=json.dumps(_callback(tokens)), roleArn=ROLE
        )
    )["stateMachineArn"]
    waits = (await sfn.start_execution(stateMachineArn=waiting, input='{"n": 1}'))["executionArn"]
    calls = (await sfn.start_execution(stateMachineArn=callback))["executionArn"]
    return {
        "url": url,
        "tokens": tokens,
        "topic": topic,
        "sequence": put["SequenceNumber"],
        "waits": waits,
        "calls": calls,
    }


async def _describe(eng: Engine, handles: dict[str, Any]) -> dict[str, Any]:
    """What the public clients say about each piece of state (without consuming anything)."""
    sqs, sns, s3 = eng.client("sqs"), eng.client("sns"), eng.client("s3")
    kinesis, ddb, sfn = eng.client("kinesis"), eng.client("dynamodb"), eng.client("stepfunctions")
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="clicks", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    records = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    histories = {}
    for key in ("waits", "calls"):
        events = (await sfn.get_execution_history(executionArn=handles[key]))["events"]
        histories[key] = [(e["id"], e["type"]) for e in events]
    described = {
        "queues": sorted((await sqs.list_queues())["QueueUrls"]),
        "inbox": (await sqs.get_queue_attributes(QueueUrl=handles["url"], AttributeNames=["All"]))[
            "Attributes"
        ]["ApproximateNumberOfMessages"],
        "subscriptions": [
            (s["Protocol"], s["Endpoint"])
            for s in (await sns.list_subscriptions_by_topic(TopicArn=handles["topic"]))[
                "Subscriptions"
            ]
        ],
        "object": (await s3.get_object(Bucket="blobs", Key="b.bin"))["Body"].read(),
        "records": [(r["SequenceNumber"], r["Data"], r["PartitionKey"]) for r in records],
        "item": (await ddb.get_item(TableName="t", Key={"id": {"S": "a"}}))["Item"],
        "function": (await eng.client("lambda").get_function(FunctionName="echo"))["Configuration"][
            "CodeSha256"
        ],
        "executions": [
            (await sfn.describe_execution(executionArn=handles[k]))["status"]
            for k in ("waits", "calls")
        ],
        "histories": histories,
    }
    return described


async def test_everything_round_trips_and_behaves_the_same(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    handles = await _build(eng)
    await clock.advance(30)  # the Wait state has 70 s left
    before = await _describe(eng, handles)
    assert before["executions"] == ["RUNNING", "RUNNING"]
    path = tmp_path / "lab.json"
    save_file(eng, path)

    fresh_clock = VirtualClock(start=clock.now() + 3600)  # opened an hour later
    async with Engine(clock=fresh_clock) as fresh:
        await restore(fresh, read_file(path, fresh.available_services()))
        assert await _describe(fresh, handles) == before

        # The SNS message delivered before the save carries its binary attribute as bytes.
        got = await fresh.client("sqs").receive_message(
            QueueUrl=handles["url"], MessageAttributeNames=["All"]
        )
        envelope = json.loads(got["Messages"][0]["Body"])
        assert envelope["Message"] == "hi"
        assert envelope["MessageAttributes"]["raw"]["Type"] == "Binary"

        # Lambda code came back and runs.
        answer = await fresh.client("lambda").invoke(FunctionName="echo", Payload=b'{"x": 1}')
        assert json.loads(answer["Payload"].read()) == {"echo": {"x": 1}, "from": "zip"}

        # The waiting execution finishes after the 70 s it had left, not sooner.
        sfn = fresh.client("stepfunctions")
        await fresh_clock.advance(69)
        assert (await sfn.describe_execution(executionArn=handles["waits"]))["status"] == "RUNNING"
        await fresh_clock.advance(2)
        done = await sfn.describe_execution(executionArn=handles["waits"])
        assert done["status"] == "SUCCEEDED" and done["output"] == '"woke"'

        # The callback execution still waits for the same token, which still works.
        message = (await fresh.client("sqs").receive_message(QueueUrl=handles["tokens"]))[
            "Messages"
        ][0]
        await sfn.send_task_success(taskToken=message["Body"], output='{"ok": true}')
        await fresh_clock.advance(1)
        finished = await sfn.describe_execution(executionArn=handles["calls"])
        assert finished["status"] == "SUCCEEDED" and json.loads(finished["output"]) == {"ok": True}
        history = (await sfn.get_execution_history(executionArn=handles["calls"]))["events"]
        types = [e["type"] for e in history]
        assert types.count("TaskScheduled") == 1  # resumed, not called again
        assert types[-1] == "ExecutionSucceeded"
        assert [e["id"] for e in history] == list(range(1, len(history) + 1))

        # The Firehose buffer came back and is delivered when its interval is up.
        lake = fresh.client("s3")
        assert "Contents" not in await lake.list_objects_v2(Bucket="lake")
        await fresh_clock.advance(300 - 72)  # 72 s have passed already
        (key,) = [o["Key"] for o in (await lake.list_objects_v2(Bucket="lake"))["Contents"]]
        body = (await lake.get_object(Bucket="lake", Key=key))["Body"].read()
        assert key.startswith("raw/") and body == b"\x00buffered"


async def test_a_stream_mapping_resumes_from_its_checkpoint(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    kinesis, lam = eng.client("kinesis"), eng.client("lambda")
    await kinesis.create_stream(StreamName="s", ShardCount=1)
    stream_arn = (await kinesis.describe_stream(StreamName="s"))["StreamDescription"]["StreamARN"]
    await lam.create_function(
        FunctionName="reader",
        Runtime="python3.12",
        Role=ROLE,
        Handler="pipework.demos.echo",
        Code={},
    )
    await lam.create_event_source_mapping(
        FunctionName="reader",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=1,
    )
    for n in range(3):
        await kinesis.put_record(StreamName="s", Data=f"old-{n}".encode(), PartitionKey="k")
    await clock.advance(10)
    path = tmp_path / "lab.json"
    save_file(eng, path)

    async with Engine(clock=VirtualClock(start=clock.now())) as fresh:
        recorder = fresh.trace.record()
        await restore(fresh, read_file(path, fresh.available_services()))
        for n in range(2):
            await fresh.client("kinesis").put_record(
                StreamName="s", Data=f"new-{n}".encode(), PartitionKey="k"
            )
        await fresh.clock.advance(10)
        invoked = [e for e in recorder.events if e.kind == "invoked"]
        assert len(invoked) == 2  # only the records put after the checkpoint, not all five


async def test_a_dynamodb_stream_mapping_resumes_from_its_checkpoint(
    eng: Engine, clock: VirtualClock, tmp_path: Path
) -> None:
    ddb, lam = eng.client("dynamodb"), eng.client("lambda")
    table = await ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    stream_arn = table["TableDescription"]["LatestStreamArn"]
    await lam.create_function(
        FunctionName="reader",
        Runtime="python3.12",
        Role=ROLE,
        Handler="pipework.demos.echo",
        Code={},
    )
    await lam.create_event_source_mapping(
        FunctionName="reader",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=1,
    )
    for n in range(3):
        await ddb.put_item(TableName="orders", Item={"id": {"S": f"old-{n}"}})
    await clock.advance(10)
    path = tmp_path / "lab.json"
    save_file(eng, path)

    async with Engine(clock=VirtualClock(start=clock.now())) as fresh:
        recorder = fresh.trace.record()
        await restore(fresh, read_file(path, fresh.available_services()))
        for n in range(2):
            await fresh.client("dynamodb").put_item(
                TableName="orders", Item={"id": {"S": f"new-{n}"}}
            )
        await fresh.clock.advance(10)
        assert len([e for e in recorder.events if e.kind == "invoked"]) == 2
