"""Enhanced fan-out: consumers and SubscribeToShard's event stream on the engine clock."""

from __future__ import annotations

import asyncio

import pytest

from engine import Engine, ServiceError, VirtualClock

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"


async def setup(eng: Engine) -> tuple[object, str]:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    consumer = await kinesis.register_stream_consumer(StreamARN=ARN, ConsumerName="fast")
    return kinesis, consumer["Consumer"]["ConsumerARN"]


async def collect(stream: object, into: list[dict]) -> None:
    async for event in stream:
        into.append(event["SubscribeToShardEvent"])


async def test_register_and_describe_consumer(eng: Engine) -> None:
    kinesis, consumer_arn = await setup(eng)
    described = await kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)
    assert described["ConsumerDescription"]["ConsumerName"] == "fast"
    assert described["ConsumerDescription"]["StreamARN"] == ARN
    assert consumer_arn.startswith(f"{ARN}/consumer/fast:")
    listed = await kinesis.list_stream_consumers(StreamARN=ARN)
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["fast"]


async def test_duplicate_consumer_name_is_in_use(eng: Engine) -> None:
    kinesis, _ = await setup(eng)
    with pytest.raises(ServiceError) as caught:
        await kinesis.register_stream_consumer(StreamARN=ARN, ConsumerName="fast")
    assert caught.value.code == "ResourceInUseException"


async def test_subscription_pushes_records_as_they_arrive(eng: Engine, clock: VirtualClock) -> None:
    kinesis, consumer_arn = await setup(eng)
    subscription = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )
    events: list[dict] = []
    task = asyncio.get_running_loop().create_task(collect(subscription["EventStream"], events))
    await clock.advance(1)
    await kinesis.put_record(StreamName="orders", Data=b"hello", PartitionKey="k")
    await clock.advance(1)
    with_records = [e for e in events if e["Records"]]
    assert [r["Data"] for r in with_records[0]["Records"]] == [b"hello"]
    assert (
        with_records[0]["ContinuationSequenceNumber"]
        == with_records[0]["Records"][0]["SequenceNumber"]
    )
    task.cancel()


async def test_subscription_ends_after_five_minutes(eng: Engine, clock: VirtualClock) -> None:
    kinesis, consumer_arn = await setup(eng)
    subscription = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    events: list[dict] = []
    task = asyncio.get_running_loop().create_task(collect(subscription["EventStream"], events))
    await clock.advance(299)
    assert not task.done()
    await clock.advance(2)
    assert task.done()
    assert 55 <= len(events) <= 62  # one heartbeat event at least every five seconds


async def test_resubscribing_within_five_seconds_is_in_use(eng: Engine) -> None:
    kinesis, consumer_arn = await setup(eng)
    position = {"Type": "LATEST"}
    await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition=position
    )
    with pytest.raises(ServiceError) as caught:
        await kinesis.subscribe_to_shard(
            ConsumerARN=consumer_arn, ShardId="shardId-000000000000", StartingPosition=position
        )
    assert caught.value.code == "ResourceInUseException"


async def test_continuation_resumes_after_the_last_record(eng: Engine, clock: VirtualClock) -> None:
    kinesis, consumer_arn = await setup(eng)
    for value in (b"a", b"b"):
        await kinesis.put_record(StreamName="orders", Data=value, PartitionKey="k")
    first = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    event = (await anext(aiter(first["EventStream"])))["SubscribeToShardEvent"]
    first["EventStream"].close()
    await kinesis.put_record(StreamName="orders", Data=b"c", PartitionKey="k")
    await clock.advance(6)
    second = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={
            "Type": "AFTER_SEQUENCE_NUMBER",
            "SequenceNumber": event["ContinuationSequenceNumber"],
        },
    )
    resumed = (await anext(aiter(second["EventStream"])))["SubscribeToShardEvent"]
    assert [r["Data"] for r in resumed["Records"]] == [b"c"]


async def test_subscription_ends_with_child_shards_at_closed_shard_end(
    eng: Engine, clock: VirtualClock
) -> None:
    kinesis, consumer_arn = await setup(eng)
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
    )
    subscription = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    events = [e["SubscribeToShardEvent"] async for e in subscription["EventStream"]]
    assert len(events) == 1
    assert len(events[0]["ChildShards"]) == 2


async def test_fan_out_consumer_appears_in_lag(eng: Engine, clock: VirtualClock) -> None:
    kinesis, consumer_arn = await setup(eng)
    await kinesis.subscribe_to_shard(
        ConsumerARN=consumer_arn,
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    await clock.advance(2)
    rows = eng.service("kinesis").lag(ARN)
    assert [(r.consumer, r.consumer_kind, r.records_behind) for r in rows] == [
        (consumer_arn, "enhanced-fan-out", 1)
    ]


async def test_consumers_paginate_and_deregister(eng: Engine) -> None:
    kinesis, first_arn = await setup(eng)
    for name in ("second", "third"):
        await kinesis.register_stream_consumer(StreamARN=ARN, ConsumerName=name)
    page = await kinesis.list_stream_consumers(StreamARN=ARN, MaxResults=2)
    rest = await kinesis.list_stream_consumers(StreamARN=ARN, NextToken=page["NextToken"])
    names = [c["ConsumerName"] for c in page["Consumers"] + rest["Consumers"]]
    assert names == ["fast", "second", "third"]
    await kinesis.deregister_stream_consumer(ConsumerARN=first_arn)
    await kinesis.deregister_stream_consumer(StreamARN=ARN, ConsumerName="second")
    left = await kinesis.list_stream_consumers(StreamARN=ARN)
    assert [c["ConsumerName"] for c in left["Consumers"]] == ["third"]
    with pytest.raises(ServiceError) as caught:
        await kinesis.describe_stream_consumer(ConsumerARN=first_arn)
    assert caught.value.code == "ResourceNotFoundException"
