"""EventBridge Pipes from a Kinesis stream: ordered shard reads, filters, retries, dead letters."""

from __future__ import annotations

import base64
import json

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/pipe"


async def _stream(eng: Engine, shards: int = 1) -> str:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=shards)
    return (await kinesis.describe_stream_summary(StreamName="orders"))["StreamDescriptionSummary"][
        "StreamARN"
    ]


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def _bodies(eng: Engine, url: str) -> list[str]:
    result = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [m["Body"] for m in result.get("Messages", [])]


async def _put(eng: Engine, *payloads: dict) -> None:
    for payload in payloads:
        await eng.client("kinesis").put_record(
            StreamName="orders", Data=json.dumps(payload).encode(), PartitionKey="k"
        )


async def test_kinesis_records_reach_the_target_in_order(eng: Engine, clock: VirtualClock) -> None:
    stream = await _stream(eng)
    url, target = await _queue(eng, "target")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=stream,
        Target=target,
        RoleArn=ROLE,
        SourceParameters={"KinesisStreamParameters": {"StartingPosition": "TRIM_HORIZON"}},
    )
    await _put(eng, {"n": 1}, {"n": 2})
    await clock.settle()
    records = [json.loads(b) for b in await _bodies(eng, url)]
    assert [r["eventSource"] for r in records] == ["aws:kinesis", "aws:kinesis"]
    data = [json.loads(base64.b64decode(r["data"])) for r in records]
    assert data == [{"n": 1}, {"n": 2}]


async def test_latest_skips_records_put_before_the_pipe(eng: Engine, clock: VirtualClock) -> None:
    stream = await _stream(eng)
    await _put(eng, {"n": "old"})
    url, target = await _queue(eng, "target")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=stream,
        Target=target,
        RoleArn=ROLE,
        SourceParameters={"KinesisStreamParameters": {"StartingPosition": "LATEST"}},
    )
    await clock.settle()
    await _put(eng, {"n": "new"})
    await clock.settle()
    assert len(await _bodies(eng, url)) == 1


async def test_filters_match_the_decoded_data(eng: Engine, clock: VirtualClock) -> None:
    stream = await _stream(eng)
    url, target = await _queue(eng, "target")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=stream,
        Target=target,
        RoleArn=ROLE,
        SourceParameters={
            "KinesisStreamParameters": {"StartingPosition": "TRIM_HORIZON"},
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"data": {"kind": ["keep"]}})}]},
        },
    )
    await _put(eng, {"kind": "keep"}, {"kind": "drop"})
    await clock.settle()
    assert len(await _bodies(eng, url)) == 1


async def test_failed_batch_goes_to_dead_letter_after_retries(
    eng: Engine, clock: VirtualClock
) -> None:
    def broken(events: list, context: object) -> None:
        raise RuntimeError("boom")

    stream = await _stream(eng)
    function = eng.register_function("broken", broken)
    dlq_url, dlq = await _queue(eng, "dlq")
    await eng.client("pipes").create_pipe(
        Name="p",
        Source=stream,
        Target=function,
        RoleArn=ROLE,
        SourceParameters={
            "KinesisStreamParameters": {
                "StartingPosition": "TRIM_HORIZON",
                "MaximumRetryAttempts": 2,
                "DeadLetterConfig": {"Arn": dlq},
            }
        },
    )
    await _put(eng, {"n": 1})
    await clock.advance(1.5)
    assert await _bodies(eng, dlq_url) == []
    await clock.advance(2)
    (body,) = await _bodies(eng, dlq_url)
    info = json.loads(body)
    assert info["KinesisBatchInfo"]["batchSize"] == 1
    assert info["context"]["approximateInvokeCount"] == 3


async def test_kinesis_source_needs_starting_position(eng: Engine) -> None:
    stream = await _stream(eng)
    _, target = await _queue(eng, "target")
    with pytest.raises(ServiceError) as caught:
        await eng.client("pipes").create_pipe(Name="p", Source=stream, Target=target, RoleArn=ROLE)
    assert caught.value.code == "ValidationException"


async def test_a_queue_target_refuses_batches_larger_than_ten(eng: Engine) -> None:
    """A Kinesis → SQS pipe cannot batch more than 10 records (the queue's batch limit)."""
    stream = await _stream(eng)
    _, target = await _queue(eng, "target")
    pipes = eng.client("pipes")
    with pytest.raises(ServiceError) as caught:
        await pipes.create_pipe(
            Name="p",
            Source=stream,
            Target=target,
            RoleArn=ROLE,
            SourceParameters={
                "KinesisStreamParameters": {"StartingPosition": "LATEST", "BatchSize": 100}
            },
        )
    assert caught.value.code == "ValidationException"
    assert "10" in caught.value.message
    await pipes.create_pipe(
        Name="p",
        Source=stream,
        Target=target,
        RoleArn=ROLE,
        SourceParameters={
            "KinesisStreamParameters": {"StartingPosition": "LATEST", "BatchSize": 10}
        },
    )
    with pytest.raises(ServiceError):
        await pipes.update_pipe(
            Name="p",
            RoleArn=ROLE,
            SourceParameters={"KinesisStreamParameters": {"BatchSize": 50}},
        )
