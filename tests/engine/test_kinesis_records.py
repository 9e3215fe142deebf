"""Kinesis PutRecord(s), GetShardIterator and GetRecords: routing, ordering, iterators, errors."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from engine import Engine, ServiceError, VirtualClock

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"


async def make_stream(eng: Engine, shards: int = 4) -> object:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=shards)
    return kinesis


async def read_all(kinesis: object, shard_id: str, kind: str = "TRIM_HORIZON") -> list[dict]:
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId=shard_id, ShardIteratorType=kind
        )
    )["ShardIterator"]
    return (await kinesis.get_records(ShardIterator=iterator))["Records"]


async def test_partition_key_lands_on_shard_whose_range_holds_its_md5(eng: Engine) -> None:
    kinesis = await make_stream(eng, 4)
    shards = (await kinesis.list_shards(StreamName="orders"))["Shards"]
    for key in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta"):
        put = await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey=key)
        hash_key = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
        owner = next(
            s
            for s in shards
            if int(s["HashKeyRange"]["StartingHashKey"])
            <= hash_key
            <= int(s["HashKeyRange"]["EndingHashKey"])
        )
        assert put["ShardId"] == owner["ShardId"]


async def test_explicit_hash_key_overrides_partition_key(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    put = await kinesis.put_record(
        StreamName="orders", Data=b"x", PartitionKey="any", ExplicitHashKey=str(2**128 - 1)
    )
    assert put["ShardId"] == "shardId-000000000001"


async def test_sequence_numbers_are_56_digits_and_increase_per_shard(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    numbers = [
        (await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k"))[
            "SequenceNumber"
        ]
        for _ in range(5)
    ]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 5


async def test_put_records_returns_results_in_request_order(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    records = [{"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(20)]
    result = await kinesis.put_records(StreamName="orders", Records=records)
    assert result["FailedRecordCount"] == 0
    assert len(result["Records"]) == 20
    everything = await read_all(kinesis, "shardId-000000000000") + await read_all(
        kinesis, "shardId-000000000001"
    )
    by_sequence = {r["SequenceNumber"]: r["Data"] for r in everything}
    for index, entry in enumerate(result["Records"]):
        assert by_sequence[entry["SequenceNumber"]] == f"r{index}".encode()


async def test_records_of_one_key_come_back_in_put_order(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    for i in range(10):
        await kinesis.put_record(StreamName="orders", Data=str(i).encode(), PartitionKey="k")
    records = await read_all(kinesis, "shardId-000000000000")
    assert [r["Data"] for r in records] == [str(i).encode() for i in range(10)]
    assert records[0]["PartitionKey"] == "k"
    assert records[0]["ApproximateArrivalTimestamp"].tzinfo is not None


async def test_get_records_honours_limit_and_next_iterator(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.put_records(
        StreamName="orders",
        Records=[{"Data": str(i).encode(), "PartitionKey": "k"} for i in range(7)],
    )
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    first = await kinesis.get_records(ShardIterator=iterator, Limit=3)
    second = await kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    assert [r["Data"] for r in first["Records"]] == [b"0", b"1", b"2"]
    assert [r["Data"] for r in second["Records"]] == [b"3", b"4", b"5", b"6"]


async def test_millis_behind_latest_counts_from_the_oldest_unread_record(
    eng: Engine, clock: VirtualClock
) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.put_record(StreamName="orders", Data=b"a", PartitionKey="k")
    await clock.advance(10)
    await kinesis.put_record(StreamName="orders", Data=b"b", PartitionKey="k")
    await clock.advance(5)
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    first = await kinesis.get_records(ShardIterator=iterator, Limit=1)
    assert first["MillisBehindLatest"] == 5000
    second = await kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert second["MillisBehindLatest"] == 0


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("AT_SEQUENCE_NUMBER", [b"1", b"2"]), ("AFTER_SEQUENCE_NUMBER", [b"2"])],
)
async def test_sequence_number_iterators(eng: Engine, kind: str, expected: list[bytes]) -> None:
    kinesis = await make_stream(eng, 1)
    numbers = [
        (await kinesis.put_record(StreamName="orders", Data=str(i).encode(), PartitionKey="k"))[
            "SequenceNumber"
        ]
        for i in range(3)
    ]
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders",
            ShardId="shardId-000000000000",
            ShardIteratorType=kind,
            StartingSequenceNumber=numbers[1],
        )
    )["ShardIterator"]
    records = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    assert [r["Data"] for r in records] == expected


async def test_latest_iterator_sees_only_later_records(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.put_record(StreamName="orders", Data=b"old", PartitionKey="k")
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
        )
    )["ShardIterator"]
    await kinesis.put_record(StreamName="orders", Data=b"new", PartitionKey="k")
    records = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    assert [r["Data"] for r in records] == [b"new"]


async def test_at_timestamp_iterator_starts_at_first_record_at_or_after(
    eng: Engine, clock: VirtualClock
) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.put_record(StreamName="orders", Data=b"early", PartitionKey="k")
    await clock.advance(60)
    middle = clock.datetime()
    await kinesis.put_record(StreamName="orders", Data=b"late", PartitionKey="k")
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders",
            ShardId="shardId-000000000000",
            ShardIteratorType="AT_TIMESTAMP",
            Timestamp=middle - timedelta(seconds=1),
        )
    )["ShardIterator"]
    records = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    assert [r["Data"] for r in records] == [b"late"]


async def test_iterator_expires_after_five_minutes(eng: Engine, clock: VirtualClock) -> None:
    kinesis = await make_stream(eng, 1)
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
        )
    )["ShardIterator"]
    await clock.advance(301)
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_records(ShardIterator=iterator)
    assert caught.value.code == "ExpiredIteratorException"
    assert "tolerated delay of 300000 milliseconds" in caught.value.message


async def test_forged_iterator_is_invalid(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_records(ShardIterator="AAAAAAAAAAEbm90LWFuLWl0ZXJhdG9y")
    assert caught.value.code == "InvalidArgumentException"
    assert caught.value.message == "Invalid ShardIterator."


async def test_sequence_number_of_another_shard_is_rejected(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    put = await kinesis.put_record(
        StreamName="orders", Data=b"x", PartitionKey="k", ExplicitHashKey="0"
    )
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_shard_iterator(
            StreamName="orders",
            ShardId="shardId-000000000001",
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=put["SequenceNumber"],
        )
    assert caught.value.code == "InvalidArgumentException"
    assert "encodes shardId-000000000000" in caught.value.message


async def test_unknown_shard_is_resource_not_found(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000009", ShardIteratorType="LATEST"
        )
    assert caught.value.code == "ResourceNotFoundException"
    assert caught.value.message == (
        "Shard shardId-000000000009 in stream orders under account 123456789012 does not exist"
    )


async def test_unknown_stream_is_resource_not_found(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_record(StreamName="nope", Data=b"x", PartitionKey="k")
    assert caught.value.code == "ResourceNotFoundException"
    assert caught.value.message == "Stream nope under account 123456789012 not found."


async def test_bad_explicit_hash_key_writes_nothing(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    records = [
        {"Data": b"ok", "PartitionKey": "k"},
        {"Data": b"bad", "PartitionKey": "k", "ExplicitHashKey": str(2**128)},
    ]
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_records(StreamName="orders", Records=records)
    assert caught.value.code == "InvalidArgumentException"
    assert "ExplicitHashKey must be in the range: [0, 2^128-1]" in caught.value.message
    assert await read_all(kinesis, "shardId-000000000000") == []


async def test_oversized_record_in_batch_writes_nothing(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    records = [
        {"Data": b"ok", "PartitionKey": "k"},
        {"Data": b"x" * (1024 * 1024), "PartitionKey": "k"},
    ]
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_records(StreamName="orders", Records=records)
    assert caught.value.code == "ValidationException"
    assert "records.2.member.data" in caught.value.message
    assert await read_all(kinesis, "shardId-000000000000") == []


async def test_batch_over_five_mib_is_rejected(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    records = [{"Data": b"x" * 1_000_000, "PartitionKey": "k"} for _ in range(6)]
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_records(StreamName="orders", Records=records)
    assert caught.value.code == "InvalidArgumentException"


async def test_more_than_500_records_is_a_validation_error(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    records = [{"Data": b"x", "PartitionKey": "k"}] * 501
    with pytest.raises(ServiceError) as caught:
        await kinesis.put_records(StreamName="orders", Records=records)
    assert caught.value.code == "ValidationException"


async def test_records_expire_after_the_retention_period(eng: Engine, clock: VirtualClock) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.put_record(StreamName="orders", Data=b"old", PartitionKey="k")
    await clock.advance(23 * 3600)
    await kinesis.put_record(StreamName="orders", Data=b"new", PartitionKey="k")
    await clock.advance(3600 + 1)
    records = await read_all(kinesis, "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"new"]


async def test_increased_retention_keeps_records_longer(eng: Engine, clock: VirtualClock) -> None:
    kinesis = await make_stream(eng, 1)
    await kinesis.increase_stream_retention_period(StreamName="orders", RetentionPeriodHours=48)
    await kinesis.put_record(StreamName="orders", Data=b"kept", PartitionKey="k")
    await clock.advance(30 * 3600)
    assert [r["Data"] for r in await read_all(kinesis, "shardId-000000000000")] == [b"kept"]


async def test_deliver_through_the_fabric_uses_the_partition_key(eng: Engine) -> None:
    from engine.service import Envelope

    kinesis = await make_stream(eng, 4)
    result = await eng.fabric.deliver(
        ARN, Envelope(body=b"payload", options={"partition_key": "alpha"})
    )
    direct = await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="alpha")
    assert result["ShardId"] == direct["ShardId"]


async def test_sequence_number_with_trim_horizon_is_refused(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    put = await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_shard_iterator(
            StreamName="orders",
            ShardId="shardId-000000000000",
            ShardIteratorType="TRIM_HORIZON",
            StartingSequenceNumber=put["SequenceNumber"],
        )
    assert caught.value.code == "InvalidArgumentException"
    assert caught.value.message.endswith(
        "Request specified TRIM_HORIZON and also a StartingSequenceNumber."
    )


async def test_sequence_number_from_another_stream_is_refused(eng: Engine) -> None:
    kinesis = await make_stream(eng, 1)
    foreign = "49" + "9" * 48 + "000000"
    with pytest.raises(ServiceError) as caught:
        await kinesis.get_shard_iterator(
            StreamName="orders",
            ShardId="shardId-000000000000",
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=foreign,
        )
    assert caught.value.message.endswith("is invalid because it did not come from this stream.")


async def test_larger_max_record_size_admits_bigger_records(eng: Engine) -> None:
    eng.settings["kinesis.enforce_limits"] = False
    kinesis = await make_stream(eng, 1)
    big = b"x" * (2 * 1024 * 1024)
    with pytest.raises(ServiceError):
        await kinesis.put_record(StreamName="orders", Data=big, PartitionKey="k")
    await kinesis.update_max_record_size(StreamARN=ARN, MaxRecordSizeInKiB=4096)
    put = await kinesis.put_record(StreamName="orders", Data=big, PartitionKey="k")
    assert put["ShardId"] == "shardId-000000000000"
