"""Per-shard throughput limits: 1,000 records/s and 1 MiB/s in, 5 reads/s and 2 MiB/s out."""

from __future__ import annotations

import pytest

from engine import Engine, ServiceError, VirtualClock


async def make_stream(eng: Engine) -> object:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    return kinesis


async def test_over_1000_records_in_a_second_fail_per_record(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    batch = [{"Data": b"x", "PartitionKey": "k"}] * 500
    results = [await kinesis.put_records(StreamName="orders", Records=batch) for _ in range(3)]
    assert [r["FailedRecordCount"] for r in results] == [0, 0, 500]
    failed = results[2]["Records"][0]
    assert failed["ErrorCode"] == "ProvisionedThroughputExceededException"
    assert failed["ErrorMessage"] == (
        "Rate exceeded for shard shardId-000000000000 in stream orders under account 123456789012."
    )


async def test_write_budget_refills_on_the_clock(eng: Engine, clock: VirtualClock) -> None:
    kinesis = await make_stream(eng)
    batch = [{"Data": b"x", "PartitionKey": "k"}] * 500
    for _ in range(2):
        await kinesis.put_records(StreamName="orders", Records=batch)
    await clock.advance(1)
    result = await kinesis.put_records(StreamName="orders", Records=batch)
    assert result["FailedRecordCount"] == 0


async def test_a_shard_takes_no_more_than_1000_records_in_any_second(
    eng: Engine, clock: VirtualClock
) -> None:
    """Writes spread over the first second must not get a full budget plus its refill (~2,000)."""
    kinesis = await make_stream(eng)
    accepted = 0
    for _ in range(20):  # 20 × 100 records, 0.05 s apart: 2,000 offered within one second
        result = await kinesis.put_records(
            StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "k"}] * 100
        )
        accepted += 100 - result["FailedRecordCount"]
        await clock.advance(0.05)
    assert accepted == 1000
    await clock.advance(1)
    result = await kinesis.put_records(
        StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500
    )
    assert result["FailedRecordCount"] == 0


async def test_over_one_mib_per_second_throttles_put_record(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    await kinesis.put_record(StreamName="orders", Data=b"x" * 1_000_000, PartitionKey="k")
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_record(StreamName="orders", Data=b"x" * 100_000, PartitionKey="k")
    assert caught.value.code == "ProvisionedThroughputExceededException"


async def test_sixth_get_records_in_a_second_is_throttled(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
        )
    )["ShardIterator"]
    for _ in range(5):
        iterator = (await kinesis.get_records(ShardIterator=iterator))["NextShardIterator"]
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_records(ShardIterator=iterator)
    assert caught.value.code == "ProvisionedThroughputExceededException"


async def test_limits_can_be_switched_off(eng: Engine) -> None:
    eng.settings["kinesis.enforce_limits"] = False
    kinesis = await make_stream(eng)
    batch = [{"Data": b"x", "PartitionKey": "k"}] * 500
    results = [await kinesis.put_records(StreamName="orders", Records=batch) for _ in range(4)]
    assert sum(r["FailedRecordCount"] for r in results) == 0


async def test_throttled_records_are_not_stored(eng: Engine) -> None:
    eng.settings["kinesis.enforce_limits"] = True
    kinesis = await make_stream(eng)
    batch = [{"Data": b"x", "PartitionKey": "k"}] * 500
    for _ in range(3):
        await kinesis.put_records(StreamName="orders", Records=batch)
    eng.settings["kinesis.enforce_limits"] = False
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    assert len((await kinesis.get_records(ShardIterator=iterator))["Records"]) == 1000
