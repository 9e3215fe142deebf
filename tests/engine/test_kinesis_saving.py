"""Save/open: Kinesis streams, shards, records and tags survive dump() and load()."""

from __future__ import annotations

import json

from engine import Engine, VirtualClock


async def test_kinesis_streams_shards_and_records_survive_save_and_open(eng: Engine) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1, Tags={"env": "lab"})
    put = await kinesis.put_record(StreamName="orders", Data=b"kept", PartitionKey="k")
    await kinesis.split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
    )
    saved = json.loads(json.dumps(eng.service("kinesis").dump()))
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("kinesis").load(saved)
        restored = fresh.client("kinesis")
        shards = (await restored.list_shards(StreamName="orders"))["Shards"]
        assert [s.get("ParentShardId") for s in shards] == [
            None,
            "shardId-000000000000",
            "shardId-000000000000",
        ]
        iterator = (
            await restored.get_shard_iterator(
                StreamName="orders",
                ShardId="shardId-000000000000",
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=put["SequenceNumber"],
            )
        )["ShardIterator"]
        records = (await restored.get_records(ShardIterator=iterator))["Records"]
        assert [r["Data"] for r in records] == [b"kept"]
        later = await restored.put_record(StreamName="orders", Data=b"new", PartitionKey="k")
        assert int(later["SequenceNumber"]) > int(put["SequenceNumber"])
        tags = await restored.list_tags_for_stream(StreamName="orders")
        assert tags["Tags"] == [{"Key": "env", "Value": "lab"}]
