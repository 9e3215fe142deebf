"""Event source mappings are described as AWS words them: per source kind."""

from __future__ import annotations

import pytest

from engine import Engine

pytestmark = pytest.mark.timeout(60)


async def test_queue_and_stream_mappings_are_worded_as_aws_words_them(eng: Engine) -> None:
    eng.register_function("worker", lambda event, context: None)
    await eng.client("sqs").create_queue(QueueName="jobs")
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    stream_arn = (await kinesis.describe_stream_summary(StreamName="clicks"))[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    client = eng.client("lambda")
    queue = await client.create_event_source_mapping(
        EventSourceArn="arn:aws:sqs:us-east-1:123456789012:jobs", FunctionName="worker"
    )
    stream = await client.create_event_source_mapping(
        EventSourceArn=stream_arn, FunctionName="worker", StartingPosition="LATEST"
    )
    await eng.clock.advance(5)
    queue = await client.get_event_source_mapping(UUID=queue["UUID"])
    stream = await client.get_event_source_mapping(UUID=stream["UUID"])
    assert queue["StateTransitionReason"] == "USER_INITIATED"
    assert "LastProcessingResult" not in queue
    assert stream["StateTransitionReason"] == "User action"
    assert stream["LastProcessingResult"] == "No records processed"
