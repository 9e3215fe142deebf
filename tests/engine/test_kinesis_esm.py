"""Lambda event source mappings reading Kinesis: batches, order, retries, bisect, destinations."""

from __future__ import annotations

import base64
import json

import pytest

from engine import Engine, ServiceError, VirtualClock

ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"


async def setup(eng: Engine, handler: object, shards: int = 1, **mapping: object) -> str:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=shards)
    eng.register_function("consumer", handler)
    created = await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=ARN,
        FunctionName="consumer",
        StartingPosition=mapping.pop("StartingPosition", "TRIM_HORIZON"),
        **mapping,
    )
    return created["UUID"]


async def put(eng: Engine, *values: str, key: str = "k") -> None:
    await eng.client("kinesis").put_records(
        StreamName="orders",
        Records=[{"Data": v.encode(), "PartitionKey": key} for v in values],
    )


def decoded(event: dict) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]


async def test_records_arrive_in_aws_kinesis_event_format(eng: Engine, clock: VirtualClock) -> None:
    events: list[dict] = []
    await setup(eng, lambda event, context: events.append(event), BatchSize=10)
    await put(eng, "a", "b")
    await clock.advance(2)
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventName"] == "aws:kinesis:record"
    assert record["eventSourceARN"] == ARN
    assert record["eventID"].startswith("shardId-000000000000:")
    assert record["kinesis"]["partitionKey"] == "k"
    assert decoded(events[0]) == ["a", "b"]


async def test_batch_size_splits_records_in_order(eng: Engine, clock: VirtualClock) -> None:
    seen: list[list[str]] = []
    await setup(eng, lambda event, context: seen.append(decoded(event)), BatchSize=3)
    await put(eng, *[str(i) for i in range(7)])
    await clock.advance(10)
    assert seen == [["0", "1", "2"], ["3", "4", "5"], ["6"]]


async def test_failing_batch_is_retried_until_it_succeeds(eng: Engine, clock: VirtualClock) -> None:
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> None:
        calls.append(decoded(event))
        if len(calls) < 3:
            raise RuntimeError("not yet")

    await setup(eng, handler, BatchSize=10)
    await put(eng, "a")
    await clock.advance(10)
    await put(eng, "b")
    await clock.advance(10)
    assert calls == [["a"], ["a"], ["a"], ["b"]]


async def test_retries_exhausted_go_to_on_failure_destination(
    eng: Engine, clock: VirtualClock
) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]

    def handler(event: dict, context: object) -> None:
        raise RuntimeError("always")

    await setup(
        eng,
        handler,
        BatchSize=10,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}},
    )
    await put(eng, "a", "b")
    await clock.advance(10)
    messages = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    assert len(messages) == 1
    info = json.loads(messages[0]["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["requestContext"]["approximateInvokeCount"] == 2
    assert info["KinesisBatchInfo"]["batchSize"] == 2
    assert info["KinesisBatchInfo"]["shardId"] == "shardId-000000000000"


async def test_bisect_isolates_the_bad_record(eng: Engine, clock: VirtualClock) -> None:
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> None:
        values = decoded(event)
        calls.append(values)
        if "bad" in values:
            raise RuntimeError("poison")

    await setup(eng, handler, BatchSize=4, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0)
    await put(eng, "a", "b", "bad", "c")
    await clock.advance(30)
    assert calls[0] == ["a", "b", "bad", "c"]
    assert ["a", "b"] in calls and ["c"] in calls and ["bad"] in calls


async def test_report_batch_item_failures_retries_from_first_failure(
    eng: Engine, clock: VirtualClock
) -> None:
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> dict:
        calls.append(decoded(event))
        if len(calls) == 1:
            failed = event["Records"][1]["kinesis"]["sequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": failed}]}
        return {"batchItemFailures": []}

    await setup(eng, handler, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    await put(eng, "a", "b", "c")
    await clock.advance(10)
    assert calls == [["a", "b", "c"], ["b", "c"]]


async def test_mapping_lag_is_reported_and_reaches_zero(eng: Engine, clock: VirtualClock) -> None:
    uuid = await setup(eng, lambda event, context: None, BatchSize=2)
    await put(eng, "a", "b", "c", "d", "e")
    await clock.advance(0.5)
    rows = [r for r in eng.service("kinesis").lag(ARN) if r.consumer == uuid]
    assert rows and rows[0].consumer_kind == "event-source-mapping"
    assert rows[0].records_behind == 3
    await clock.advance(5)
    rows = [r for r in eng.service("kinesis").lag(ARN) if r.consumer == uuid]
    assert (rows[0].records_behind, rows[0].iterator_age_ms) == (0, 0)


async def test_children_are_read_only_after_the_parent(eng: Engine, clock: VirtualClock) -> None:
    seen: list[str] = []
    await setup(eng, lambda event, context: seen.extend(decoded(event)), BatchSize=100)
    await put(eng, "p1", "p2")
    await eng.client("kinesis").split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
    )
    await put(eng, "c1", "c2")
    await clock.advance(10)
    assert seen == ["p1", "p2", "c1", "c2"]


async def test_latest_skips_records_put_before_the_mapping(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[str] = []
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await put(eng, "before")
    eng.register_function("consumer", lambda event, context: seen.extend(decoded(event)))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=ARN, FunctionName="consumer", StartingPosition="LATEST"
    )
    await put(eng, "after")
    await clock.advance(5)
    assert seen == ["after"]


async def test_records_older_than_maximum_age_are_discarded(
    eng: Engine, clock: VirtualClock
) -> None:
    calls: list[list[str]] = []

    def handler(event: dict, context: object) -> None:
        calls.append(decoded(event))
        raise RuntimeError("down")

    await setup(eng, handler, BatchSize=10, MaximumRecordAgeInSeconds=60)
    await put(eng, "old")
    await clock.advance(120)
    count = len(calls)
    await clock.advance(30)
    assert len(calls) == count  # the expired batch is no longer retried
    await put(eng, "fresh")
    await clock.advance(2)
    assert calls[-1] == ["fresh"]


async def test_parallelization_keeps_order_per_partition_key(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[tuple[str, str]] = []

    def handler(event: dict, context: object) -> None:
        for record in event["Records"]:
            seen.append((record["kinesis"]["partitionKey"], decoded({"Records": [record]})[0]))

    await setup(eng, handler, BatchSize=100, ParallelizationFactor=4)
    kinesis = eng.client("kinesis")
    await kinesis.put_records(
        StreamName="orders",
        Records=[{"Data": f"{k}{i}".encode(), "PartitionKey": k} for i in range(5) for k in "abcd"],
    )
    await clock.advance(5)
    for key in "abcd":
        assert [v for k, v in seen if k == key] == [f"{key}{i}" for i in range(5)]
    assert len(seen) == 20


async def test_stream_must_exist_for_a_mapping(eng: Engine) -> None:
    eng.register_function("consumer", lambda event, context: None)
    with pytest.raises(ServiceError) as caught:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=ARN, FunctionName="consumer", StartingPosition="LATEST"
        )
    assert caught.value.code == "InvalidParameterValueException"


async def test_journey_follows_a_record_from_put_to_invocation(
    eng: Engine, clock: VirtualClock
) -> None:
    recorder = eng.trace.record()
    await setup(eng, lambda event, context: None)
    put_result = await eng.client("kinesis").put_record(
        StreamName="orders", Data=b"x", PartitionKey="k"
    )
    await clock.advance(3)
    journey = recorder.journey(put_result["SequenceNumber"])
    assert [(e.service, e.kind) for e in journey][:2] == [("kinesis", "put"), ("lambda", "invoked")]


async def test_mapping_description_shows_kinesis_settings(eng: Engine) -> None:
    uuid = await setup(
        eng,
        lambda event, context: None,
        BatchSize=50,
        ParallelizationFactor=2,
        MaximumRetryAttempts=3,
        BisectBatchOnFunctionError=True,
    )
    described = await eng.client("lambda").get_event_source_mapping(UUID=uuid)
    assert described["StartingPosition"] == "TRIM_HORIZON"
    assert described["BatchSize"] == 50
    assert described["ParallelizationFactor"] == 2
    assert described["MaximumRetryAttempts"] == 3
    assert described["BisectBatchOnFunctionError"] is True
    assert described["MaximumRecordAgeInSeconds"] == -1


async def test_update_changes_kinesis_settings_of_a_running_mapping(
    eng: Engine, clock: VirtualClock
) -> None:
    calls: list[int] = []

    def failing(event: dict, context: object) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    uuid = await setup(eng, failing, BatchSize=10, Enabled=False)
    updated = await eng.client("lambda").update_event_source_mapping(
        UUID=uuid, MaximumRetryAttempts=1, Enabled=True
    )
    assert updated["MaximumRetryAttempts"] == 1
    described = await eng.client("lambda").get_event_source_mapping(UUID=uuid)
    assert described["MaximumRetryAttempts"] == 1
    await put(eng, "a")
    await clock.advance(120)
    assert len(calls) == 2  # the first try and one retry, then the batch is skipped


def slow_consumer(eng: Engine, seen: list[list[str]], seconds: float = 2) -> object:
    """An async handler that records each batch, then sleeps on the engine clock."""

    async def handler(event: dict, context: object) -> None:
        seen.append(decoded(event))
        await eng.clock.sleep(seconds)

    return handler


async def test_update_during_a_batch_raises_no_worker_error(
    eng: Engine, clock: VirtualClock
) -> None:
    recorder = eng.trace.record()
    seen: list[list[str]] = []
    uuid = await setup(eng, slow_consumer(eng, seen), BatchSize=10)
    await put(eng, "a")
    await clock.advance(1)  # the batch is in flight
    await eng.client("lambda").update_event_source_mapping(UUID=uuid, MaximumRetryAttempts=2)
    await clock.advance(5)
    assert [e.detail for e in recorder.events if e.kind == "engine-error"] == []


async def test_update_during_a_batch_delivers_each_record_once(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[list[str]] = []
    uuid = await setup(eng, slow_consumer(eng, seen), BatchSize=10)
    await put(eng, "a")
    await clock.advance(1)
    await eng.client("lambda").update_event_source_mapping(UUID=uuid, MaximumRetryAttempts=2)
    await clock.advance(5)
    await put(eng, "b")
    await clock.advance(5)
    assert seen == [["a"], ["b"]]


async def test_update_while_idle_keeps_the_mapping_reading(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[str] = []
    uuid = await setup(eng, lambda event, context: seen.extend(decoded(event)), BatchSize=10)
    await put(eng, "a")
    await clock.advance(2)
    for retries in (1, 2, 3):  # each update restarts the poller
        await eng.client("lambda").update_event_source_mapping(
            UUID=uuid, MaximumRetryAttempts=retries
        )
    await put(eng, "b")
    await clock.advance(2)
    assert seen == ["a", "b"]


async def test_reenabled_mapping_resumes_after_its_checkpoint(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[str] = []
    uuid = await setup(
        eng,
        lambda event, context: seen.extend(decoded(event)),
        BatchSize=10,
        StartingPosition="LATEST",
    )
    lam = eng.client("lambda")
    await put(eng, "a")
    await clock.advance(2)
    await lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    await put(eng, "b", "c")
    await clock.advance(2)
    await lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    await clock.advance(2)
    assert seen == ["a", "b", "c"]


async def test_restarted_mapping_shows_its_lag_rows(eng: Engine, clock: VirtualClock) -> None:
    uuid = await setup(eng, lambda event, context: None, BatchSize=10)
    await put(eng, "a")
    await clock.advance(2)
    await eng.client("lambda").update_event_source_mapping(UUID=uuid, MaximumRetryAttempts=2)
    rows = [r for r in eng.service("kinesis").lag(ARN) if r.consumer == uuid]
    assert [(r.shard_id, r.records_behind) for r in rows] == [("shardId-000000000000", 0)]


async def test_children_are_read_after_an_idle_parent_is_split(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[str] = []
    await setup(eng, lambda event, context: seen.extend(decoded(event)), BatchSize=100)
    await put(eng, "p1")
    await clock.advance(2)  # the parent's worker has read everything and waits
    await eng.client("kinesis").split_shard(
        StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
    )
    await put(eng, "c1", "c2")
    await clock.advance(5)
    assert seen == ["p1", "c1", "c2"]


async def test_child_of_a_merge_is_read_after_both_parents(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[str] = []
    await setup(eng, lambda event, context: seen.extend(decoded(event)), shards=2)
    await put(eng, "before")
    await clock.advance(2)
    await eng.client("kinesis").merge_shards(
        StreamName="orders",
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000001",
    )
    await put(eng, "after")
    await clock.advance(5)
    assert seen == ["before", "after"]


async def test_order_per_key_survives_update_shard_count_up_and_down(
    eng: Engine, clock: VirtualClock
) -> None:
    seen: list[tuple[str, str]] = []

    def handler(event: dict, context: object) -> None:
        for record in event["Records"]:
            seen.append((record["kinesis"]["partitionKey"], decoded({"Records": [record]})[0]))

    await setup(eng, handler, BatchSize=100)
    kinesis = eng.client("kinesis")
    keys = [f"key-{n}" for n in range(8)]
    targets = (2, 4, 5, 3)  # 5 → 3 needs an intermediate merged shard
    for step, target in enumerate(targets):
        for key in keys:
            await put(eng, f"{key}/{step}", key=key)
        await clock.advance(2)
        await kinesis.update_shard_count(
            StreamName="orders", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
        )
    for key in keys:
        await put(eng, f"{key}/last", key=key)
    await clock.advance(10)
    for key in keys:
        expected = [f"{key}/{step}" for step in range(len(targets))] + [f"{key}/last"]
        assert [v for k, v in seen if k == key] == expected


async def test_disabled_mapping_stops_retrying_a_failing_batch(
    eng: Engine, clock: VirtualClock
) -> None:
    calls: list[list[str]] = []

    def failing(event: dict, context: object) -> None:
        calls.append(decoded(event))
        raise RuntimeError("down")

    uuid = await setup(eng, failing, BatchSize=10)
    await put(eng, "a")
    await clock.advance(2.5)
    await eng.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=False)
    count = len(calls)
    await clock.advance(10)
    assert len(calls) == count
