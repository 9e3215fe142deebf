"""The metrics AWS publishes, sampled from the lab's counters: Lambda, Kinesis, Step Functions, EventBridge."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.timeout(60)


def _last(eng, clock, namespace: str, name: str, dims: dict, stat: str = "Sum"):
    points = eng.service("cloudwatch").statistics(
        namespace, name, dims, 0, clock.now() + 60, 60, stat
    )
    return points[-1][1] if points else None


async def test_lambda_invocations_errors_and_durations(eng, clock):
    eng.service("cloudwatch")

    def handler(event, context):
        if event.get("fail"):
            raise RuntimeError("no")
        return "ok"

    eng.register_function("fn", handler)
    lam = eng.client("lambda")
    for payload in (b"{}", b"{}", b'{"fail": true}'):
        await lam.invoke(FunctionName="fn", Payload=payload)
    await clock.advance(60)
    dims = {"FunctionName": "fn"}
    assert _last(eng, clock, "AWS/Lambda", "Invocations", dims) == 3
    assert _last(eng, clock, "AWS/Lambda", "Errors", dims) == 1
    assert _last(eng, clock, "AWS/Lambda", "Duration", dims, "SampleCount") == 3
    assert _last(eng, clock, "AWS/Lambda", "ConcurrentExecutions", {}, "Maximum") == 0


async def test_kinesis_incoming_records_and_lambda_iterator_age(eng, clock):
    eng.service("cloudwatch")
    kinesis, lam = eng.client("kinesis"), eng.client("lambda")
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream_arn = (await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"][
        "StreamARN"
    ]

    def reader(event, context):
        # The first batch is read; later ones fail and are retried: the iterator falls behind.
        if any(
            json.loads(base64.b64decode(r["kinesis"]["data"]))["i"] >= 2 for r in event["Records"]
        ):
            raise RuntimeError("poison")

    eng.register_function("reader", reader)
    await lam.create_event_source_mapping(
        EventSourceArn=stream_arn,
        FunctionName="reader",
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
    )
    for i in range(4):
        await kinesis.put_record(
            StreamName="clicks", Data=json.dumps({"i": i}).encode(), PartitionKey=str(i)
        )
        if i == 1:
            await clock.advance(5)
    await clock.advance(180)
    series = eng.service("cloudwatch").statistics(
        "AWS/Kinesis", "IncomingRecords", {"StreamName": "clicks"}, 0, clock.now() + 60, 60, "Sum"
    )
    assert sum(v for _, v in series) == 4
    assert (
        _last(eng, clock, "AWS/Kinesis", "IncomingBytes", {"StreamName": "clicks"}, "Maximum")
        is not None
    )
    age = _last(eng, clock, "AWS/Lambda", "IteratorAge", {"FunctionName": "reader"}, "Maximum")
    assert age is not None and age >= 60_000


async def test_step_functions_and_eventbridge_metrics(eng, clock):
    eng.service("cloudwatch")
    sfn, events, sqs = eng.client("stepfunctions"), eng.client("events"), eng.client("sqs")
    machine = (
        await sfn.create_state_machine(
            name="m",
            definition=json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
            roleArn="arn:aws:iam::123456789012:role/r",
        )
    )["stateMachineArn"]
    await sfn.start_execution(stateMachineArn=machine)
    url = (await sqs.create_queue(QueueName="t"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    await events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
    await events.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": arn}])
    await events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}] * 2)
    await clock.advance(60)
    assert _last(eng, clock, "AWS/States", "ExecutionsStarted", {"StateMachineArn": machine}) == 1
    assert _last(eng, clock, "AWS/States", "ExecutionsFailed", {"StateMachineArn": machine}) == 1
    assert _last(eng, clock, "AWS/Events", "MatchedEvents", {"RuleName": "r"}) == 2
    assert _last(eng, clock, "AWS/Events", "Invocations", {"RuleName": "r"}) == 2
