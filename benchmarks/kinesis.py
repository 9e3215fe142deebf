"""Kinesis throughput: PutRecords, GetRecords and GetShardIterator on a 1,000,000-record shard.

Prints one JSON object with Pipework's rates, the floor (the bare Python work the same
operations cannot avoid, measured in this run), moto's rates when moto is installed, and the
issue's targets. The `pipework` rows run with the per-shard throughput limits OFF
(`kinesis.enforce_limits = False`): with them on, a 4-shard stream accepts AWS's 4,000
records/s and no more, so the figure would be AWS's quota, not the emulator's speed. The
`limits_on` row runs the same PutRecords with the limits ON, on a real clock, and reports the
records accepted per second (AWS's quota, which it should match) beside the lab's wall time
per attempted record (throttled ones included).
"""

from __future__ import annotations

import asyncio
import json
import time
from hashlib import md5

from engine import Engine, VirtualClock

TARGETS = {
    "put_records_per_s": 150_000,
    "get_records_per_s": 500_000,
    "iterator_middle_vs_start_max_ratio": 2.0,
}
BATCH = 500
PUT_BATCHES = 200
GET_RECORDS = 10_000
GET_ROUNDS = 20
BIG_SHARD = 1_000_000
ITERATOR_ROUNDS = 2_000
ROUNDS = 3


def batch(offset: int) -> list[dict]:
    return [
        {"Data": b"0123456789abcdef", "PartitionKey": f"key-{offset + i}"} for i in range(BATCH)
    ]


async def pipework() -> dict:
    async with Engine(clock=VirtualClock()) as eng:
        eng.settings["kinesis.enforce_limits"] = False
        kinesis = eng.client("kinesis")
        await kinesis.create_stream(StreamName="bench", ShardCount=4)
        put_rate = 0.0
        for attempt in range(ROUNDS):  # best of a few rounds: the machine is shared
            batches = [batch((attempt * PUT_BATCHES + i) * BATCH) for i in range(PUT_BATCHES)]
            started = time.perf_counter()
            for records in batches:
                await kinesis.put_records(StreamName="bench", Records=records)
            put_rate = max(put_rate, PUT_BATCHES * BATCH / (time.perf_counter() - started))

        await kinesis.create_stream(StreamName="big", ShardCount=1)
        same_key = [{"Data": b"0123456789abcdef", "PartitionKey": "k"}] * BATCH
        numbers: list[str] = []
        for _ in range(BIG_SHARD // BATCH):
            result = await kinesis.put_records(StreamName="big", Records=same_key)
            numbers.append(result["Records"][0]["SequenceNumber"])

        get_rate = 0.0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(GET_ROUNDS):
                iterator = (
                    await kinesis.get_shard_iterator(
                        StreamName="big",
                        ShardId="shardId-000000000000",
                        ShardIteratorType="TRIM_HORIZON",
                    )
                )["ShardIterator"]
                page = await kinesis.get_records(ShardIterator=iterator, Limit=GET_RECORDS)
                assert len(page["Records"]) == GET_RECORDS
            get_rate = max(get_rate, GET_ROUNDS * GET_RECORDS / (time.perf_counter() - started))

        async def iterator_cost(sequence: str) -> float:
            started = time.perf_counter()
            for _ in range(ITERATOR_ROUNDS):
                await kinesis.get_shard_iterator(
                    StreamName="big",
                    ShardId="shardId-000000000000",
                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber=sequence,
                )
            return (time.perf_counter() - started) / ITERATOR_ROUNDS

        await iterator_cost(numbers[1])  # warm up
        near_start = await iterator_cost(numbers[1])
        middle = await iterator_cost(numbers[len(numbers) // 2])

        # The iterator is lazy: the position is found when GetRecords reads, so time that too.
        async def first_read_cost(sequence: str) -> float:
            iterator = (
                await kinesis.get_shard_iterator(
                    StreamName="big",
                    ShardId="shardId-000000000000",
                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber=sequence,
                )
            )["ShardIterator"]
            started = time.perf_counter()
            for _ in range(ITERATOR_ROUNDS):
                await kinesis.get_records(ShardIterator=iterator, Limit=1)
            return (time.perf_counter() - started) / ITERATOR_ROUNDS

        read_start = await first_read_cost(numbers[1])
        read_middle = await first_read_cost(numbers[len(numbers) // 2])
    return {
        "put_records_per_s": round(put_rate),
        "get_records_per_s": round(get_rate),
        "iterator_near_start_us": round(near_start * 1e6, 2),
        "iterator_middle_us": round(middle * 1e6, 2),
        "iterator_middle_vs_start_ratio": round(middle / near_start, 3),
        "first_read_near_start_us": round(read_start * 1e6, 2),
        "first_read_middle_us": round(read_middle * 1e6, 2),
        "first_read_middle_vs_start_ratio": round(read_middle / read_start, 3),
    }


def floor() -> dict:
    """The unavoidable Python work: hash + append per record put; copy a dict per record read."""
    records = [b"0123456789abcdef"] * (PUT_BATCHES * BATCH)
    keys = [f"key-{i}" for i in range(len(records))]
    put_floor = get_floor = 0.0
    for _ in range(ROUNDS):
        log: list[tuple] = []
        started = time.perf_counter()
        for data, key in zip(records, keys, strict=True):
            log.append((int.from_bytes(md5(key.encode()).digest(), "big"), data, key))
        put_floor = max(put_floor, len(records) / (time.perf_counter() - started))
    stored = [
        {"SequenceNumber": "4" * 56, "Data": b"0123456789abcdef", "PartitionKey": "k"}
        for _ in range(GET_RECORDS)
    ]
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(GET_ROUNDS):
            [record.copy() for record in stored]
        get_floor = max(get_floor, GET_ROUNDS * GET_RECORDS / (time.perf_counter() - started))
    return {"put_records_per_s": round(put_floor), "get_records_per_s": round(get_floor)}


async def limits_on(seconds: float = 2.0, shards: int = 4) -> dict:
    """PutRecords of 500 for `seconds` of real time with AWS's per-shard limits enforced.

    Each shard's budget starts full (a second's worth of burst), so the first second is spent
    before counting: what follows is the sustained rate.
    """
    async with Engine() as eng:  # a real clock: the limits are per real second
        kinesis = eng.client("kinesis")
        await kinesis.create_stream(StreamName="limited", ShardCount=shards)
        burst_until = time.perf_counter() + 1.0
        while time.perf_counter() < burst_until:
            await kinesis.put_records(StreamName="limited", Records=batch(0))
            await asyncio.sleep(0.01)
        accepted = attempted = 0
        busy = 0.0
        started = time.perf_counter()
        offset = 0
        while time.perf_counter() - started < seconds:
            records = batch(offset)
            offset += BATCH
            began = time.perf_counter()
            result = await kinesis.put_records(StreamName="limited", Records=records)
            busy += time.perf_counter() - began
            attempted += BATCH
            accepted += BATCH - result["FailedRecordCount"]
            await asyncio.sleep(0.01)  # a producer pacing itself, as the KPL does
        elapsed = time.perf_counter() - started
    return {
        "limits": "on (kinesis.enforce_limits = True)",
        "shards": shards,
        "accepted_records_per_s": round(accepted / elapsed),
        "aws_quota_records_per_s": 1000 * shards,
        "lab_us_per_attempted_record": round(1e6 * busy / attempted, 2),
        "note": "accepted rate is AWS's per-shard quota at work, not the lab's speed",
    }


def moto() -> dict | None:
    """moto's in-process Kinesis (mock_aws) on smaller counts, when moto is installed."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName="bench", ShardCount=1)
        rounds = 10
        started = time.perf_counter()
        for i in range(rounds):
            client.put_records(StreamName="bench", Records=batch(i * BATCH))
        put_rate = rounds * BATCH / (time.perf_counter() - started)
        iterator = client.get_shard_iterator(
            StreamName="bench", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        started = time.perf_counter()
        page = client.get_records(ShardIterator=iterator, Limit=rounds * BATCH)
        get_rate = len(page["Records"]) / (time.perf_counter() - started)
    return {"put_records_per_s": round(put_rate), "get_records_per_s": round(get_rate)}


def main() -> None:
    measured = asyncio.run(pipework())
    result = {
        "benchmark": "kinesis",
        "pipework": measured,
        "pipework_limits": "off (kinesis.enforce_limits = False) in the rows above",
        "limits_on": asyncio.run(limits_on()),
        "floor": floor(),
        "moto": moto(),
        "targets": TARGETS,
        "meets_targets": {
            "put_records": measured["put_records_per_s"] >= TARGETS["put_records_per_s"],
            "get_records": measured["get_records_per_s"] >= TARGETS["get_records_per_s"],
            "iterator_middle_vs_start": max(
                measured["iterator_middle_vs_start_ratio"],
                measured["first_read_middle_vs_start_ratio"],
            )
            <= TARGETS["iterator_middle_vs_start_max_ratio"],
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
