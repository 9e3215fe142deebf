"""Kinesis resharding: split, merge, UpdateShardCount, lineage, closed shards and key order."""

from __future__ import annotations

import pytest

from engine import Engine, ServiceError

HALF = str(2**127)


async def make_stream(eng: Engine, shards: int = 1) -> object:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=shards)
    return kinesis


async def drain(kinesis: object, shard_id: str) -> tuple[list[dict], dict]:
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    records: list[dict] = []
    while True:
        page = await kinesis.get_records(ShardIterator=iterator)
        records.extend(page["Records"])
        if page.get("NextShardIterator") is None or not page["Records"]:
            return records, page
        iterator = page["NextShardIterator"]


async def test_split_closes_parent_and_opens_two_children(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
    )
    shards = {s["ShardId"]: s for s in (await kinesis.list_shards(StreamName="orders"))["Shards"]}
    assert "EndingSequenceNumber" in shards["shardId-000000000000"]["SequenceNumberRange"]
    assert shards["shardId-000000000001"]["ParentShardId"] == "shardId-000000000000"
    assert shards["shardId-000000000002"]["HashKeyRange"]["StartingHashKey"] == HALF


async def test_order_per_key_survives_a_split(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    for i in range(5):
        await kinesis.put_record(StreamName="orders", Data=f"a{i}".encode(), PartitionKey="key")
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
    )
    child = None
    for i in range(5, 10):
        put = await kinesis.put_record(
            StreamName="orders", Data=f"a{i}".encode(), PartitionKey="key"
        )
        child = put["ShardId"]
    parent_records, end = await drain(kinesis, "shardId-000000000000")
    assert "NextShardIterator" not in end
    assert child in [c["ShardId"] for c in end["ChildShards"]]
    child_records, _ = await drain(kinesis, child)
    data = [r["Data"] for r in parent_records + child_records]
    assert data == [f"a{i}".encode() for i in range(10)]
    numbers = [int(r["SequenceNumber"]) for r in parent_records + child_records]
    assert numbers == sorted(numbers)


async def test_merge_needs_adjacent_shards(eng: Engine) -> None:
    kinesis = await make_stream(eng, 3)
    with pytest.raises(ServiceError) as caught:
        await kinesis.merge_shards(
            StreamName="orders",
            ShardToMerge="shardId-000000000000",
            AdjacentShardToMerge="shardId-000000000002",
        )
    assert caught.value.code == "InvalidArgumentException"
    assert len((await kinesis.list_shards(StreamName="orders"))["Shards"]) == 3


async def test_merge_makes_one_child_with_both_parents(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    await kinesis.merge_shards(
        StreamName="orders",
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000001",
    )
    open_shards = (
        await kinesis.list_shards(StreamName="orders", ShardFilter={"Type": "AT_LATEST"})
    )["Shards"]
    assert len(open_shards) == 1
    child = open_shards[0]
    assert child["ParentShardId"] == "shardId-000000000000"
    assert child["AdjacentParentShardId"] == "shardId-000000000001"
    assert child["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)}


async def test_closed_shard_cannot_be_split_again(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
    )
    with pytest.raises(ServiceError) as caught:
        await kinesis.split_shard(
            StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
        )
    assert caught.value.code == "InvalidArgumentException"
    assert "has already been merged or split" in caught.value.message


async def test_split_key_outside_the_shard_is_rejected(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    with pytest.raises(ServiceError) as caught:
        await kinesis.split_shard(
            StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey="0"
        )
    assert caught.value.code == "InvalidArgumentException"


@pytest.mark.parametrize(("start", "target"), [(1, 2), (4, 2), (3, 5), (5, 3), (2, 4)])
async def test_update_shard_count_gives_uniform_open_shards(
    eng: Engine, start: int, target: int
) -> None:
    kinesis = await make_stream(eng, start)
    result = await kinesis.update_shard_count(
        StreamName="orders", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
    )
    assert (result["CurrentShardCount"], result["TargetShardCount"]) == (start, target)
    everything = (await kinesis.list_shards(StreamName="orders"))["Shards"]
    known = {s["ShardId"] for s in everything}
    open_shards = [s for s in everything if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    assert len(open_shards) == target
    for shard in open_shards:
        assert shard["ParentShardId"] in known
    assert open_shards[0]["HashKeyRange"]["StartingHashKey"] == "0"
    assert open_shards[-1]["HashKeyRange"]["EndingHashKey"] == str(2**128 - 1)


async def test_update_shard_count_cannot_more_than_double(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    with pytest.raises(ServiceError) as caught:
        await kinesis.update_shard_count(
            StreamName="orders", TargetShardCount=5, ScalingType="UNIFORM_SCALING"
        )
    assert caught.value.code == "LimitExceededException"


async def test_get_records_at_end_of_closed_shard_lists_children(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
    )
    _, end = await drain(kinesis, "shardId-000000000000")
    assert [c["ShardId"] for c in end["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    assert end["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]


async def test_shard_filter_at_latest_lists_only_open_shards(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=HALF
    )
    latest = await kinesis.list_shards(StreamName="orders", ShardFilter={"Type": "AT_LATEST"})
    horizon = await kinesis.list_shards(
        StreamName="orders", ShardFilter={"Type": "FROM_TRIM_HORIZON"}
    )
    assert len(latest["Shards"]) == 2
    assert len(horizon["Shards"]) == 3


async def test_merge_wants_the_lower_shard_first(eng: Engine) -> None:
    kinesis = await make_stream(eng, 2)
    with pytest.raises(ServiceError) as caught:
        await kinesis.merge_shards(
            StreamName="orders",
            ShardToMerge="shardId-000000000001",
            AdjacentShardToMerge="shardId-000000000000",
        )
    assert caught.value.message.endswith("are not an adjacent pair of shards eligible for merging")


async def test_split_key_must_leave_both_children_a_range(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    with pytest.raises(ServiceError) as caught:
        await kinesis.split_shard(
            StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey="1"
        )
    assert caught.value.message == (
        "NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream "
        "orders under account 123456789012 is not both greater than one plus the shard's "
        f"StartingHashKey 0 and less than the shard's EndingHashKey {2**128 - 1}."
    )


async def test_split_key_that_is_not_a_number_fails_validation(eng: Engine) -> None:
    kinesis = await make_stream(eng)
    with pytest.raises(ServiceError) as caught:
        await kinesis.split_shard(
            StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey="half"
        )
    assert caught.value.code == "ValidationException"
