"""Event streams over HTTP: Kinesis SubscribeToShard read by boto3's own event-stream parser."""

from __future__ import annotations

import asyncio
import time

from engine.wire.eventstream import encode_message

from .conftest import Lab


def test_frames_decode_with_botocore() -> None:
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(encode_message({":event-type": "X", ":message-type": "event"}, b'{"a": 1}'))
    (message,) = list(buffer)
    assert message.headers == {":event-type": "X", ":message-type": "event"}
    assert message.payload == b'{"a": 1}'


async def test_subscribe_to_shard_streams_records(lab) -> None:
    kinesis = lab.client("kinesis")
    await lab.call(kinesis.create_stream, StreamName="fan", ShardCount=1)
    stream_arn = (await lab.call(kinesis.describe_stream_summary, StreamName="fan"))[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    consumer = (
        await lab.call(kinesis.register_stream_consumer, StreamARN=stream_arn, ConsumerName="c")
    )["Consumer"]
    await lab.call(kinesis.put_record, StreamName="fan", Data=b"\x01one", PartitionKey="p")
    subscription = await lab.call(
        kinesis.subscribe_to_shard,
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "TRIM_HORIZON"},
    )
    events = subscription["EventStream"]

    def first_records() -> list[bytes]:
        for event in events:
            records = event["SubscribeToShardEvent"]["Records"]
            if records:
                return [r["Data"] for r in records]
        return []

    assert await lab.call(first_records) == [b"\x01one"]
    listeners = lab.engine.service("kinesis").streams["fan"].listeners
    assert len(listeners) == 1  # the subscription listens while the caller reads
    events.close()
    for _ in range(50):  # the server notices the hang-up and releases the subscription
        if not listeners:
            break
        await asyncio.sleep(0.02)
    assert listeners == []


async def test_stopping_the_server_ends_an_open_subscription() -> None:
    from engine import Engine, RealClock
    from engine.wire import WireServer

    async with Engine(clock=RealClock()) as engine:
        server = WireServer(engine, "127.0.0.1", 0)
        url = await server.start()
        lab = Lab(engine, url)
        kinesis = lab.client("kinesis")
        await lab.call(kinesis.create_stream, StreamName="open", ShardCount=1)
        arn = (await lab.call(kinesis.describe_stream_summary, StreamName="open"))[
            "StreamDescriptionSummary"
        ]["StreamARN"]
        consumer = (
            await lab.call(kinesis.register_stream_consumer, StreamARN=arn, ConsumerName="c")
        )["Consumer"]
        await lab.call(
            kinesis.subscribe_to_shard,
            ConsumerARN=consumer["ConsumerARN"],
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "LATEST"},
        )
        started = time.monotonic()
        await asyncio.wait_for(server.stop(), 5)  # without the shutdown limit this would hang
        assert time.monotonic() - started < 3
