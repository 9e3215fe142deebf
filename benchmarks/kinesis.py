"""Kinesis throughput: PutRecords, GetRecords and GetShardIterator on a 1,000,000-record shard.

Prints one JSON object with Pipework's rates, the floor (the bare Python work the same
operations cannot avoid, measured in this run), moto's rates when moto is installed, and the
issue's targets. Throughput limits are switched off (`kinesis.enforce_limits`), as a benchmark
measures the emulator, not the per-shard quota.
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
