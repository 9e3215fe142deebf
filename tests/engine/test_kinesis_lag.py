"""Consumer lag: records behind and iterator age per consumer and shard, and its history."""

from __future__ import annotations

from engine import Engine, VirtualClock

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"


async def setup(eng: Engine) -> tuple[object, str]:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    return kinesis, iterator


async def test_reader_is_listed_once_it_has_an_iterator_chain(eng: Engine) -> None:
    kinesis, iterator = await setup(eng)
    await kinesis.get_records(ShardIterator=iterator)
    rows = eng.service("kinesis").lag(ARN)
    assert len(rows) == 1
    assert rows[0].consumer_kind == "get-records"
    assert rows[0].shard_id == "shardId-000000000000"
    assert (rows[0].records_behind, rows[0].iterator_age_ms) == (0, 0)


async def test_slow_consumer_shows_growing_iterator_age(eng: Engine, clock: VirtualClock) -> None:
    kinesis, iterator = await setup(eng)
    service = eng.service("kinesis")
    ages = []
    for _ in range(4):
        await kinesis.put_records(
            StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "k"}] * 10
        )
        page = await kinesis.get_records(ShardIterator=iterator, Limit=2)
        iterator = page["NextShardIterator"]
        await clock.advance(10)
        ages.append(service.lag(ARN)[0].iterator_age_ms)
    assert ages == sorted(ages) and ages[-1] > ages[0] > 0
    assert service.lag(ARN)[0].records_behind == 40 - 8


async def test_catching_up_brings_lag_to_zero(eng: Engine, clock: VirtualClock) -> None:
    kinesis, iterator = await setup(eng)
    await kinesis.put_records(
        StreamName="orders", Records=[{"Data": b"x", "PartitionKey": "k"}] * 30
    )
    page = await kinesis.get_records(ShardIterator=iterator, Limit=5)
    await clock.advance(30)
    service = eng.service("kinesis")
    assert service.lag(ARN)[0].iterator_age_ms == 30_000
    page = await kinesis.get_records(ShardIterator=page["NextShardIterator"])
    row = service.lag(ARN)[0]
    assert (row.records_behind, row.iterator_age_ms) == (0, 0)
    assert page["MillisBehindLatest"] == 0


async def test_lag_history_keeps_samples_over_time(eng: Engine, clock: VirtualClock) -> None:
    kinesis, iterator = await setup(eng)
    service = eng.service("kinesis")
    await kinesis.get_records(ShardIterator=iterator)
    for _ in range(3):
        await kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
        await clock.advance(5)
        service.lag(ARN)
    history = service.lag_history(ARN)
    ((consumer, shard_id), points) = next(iter(history.items()))
    assert shard_id == "shardId-000000000000"
    assert len(points) >= 3
    behind = [p.records_behind for p in points]
    assert behind == sorted(behind) and behind[-1] == 3


async def test_idle_reader_drops_out_when_its_iterator_would_expire(
    eng: Engine, clock: VirtualClock
) -> None:
    kinesis, iterator = await setup(eng)
    await kinesis.get_records(ShardIterator=iterator)
    await clock.advance(301)
    assert eng.service("kinesis").lag(ARN) == []
