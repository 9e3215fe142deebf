"""DynamoDB stream → Lambda event source mapping (the poller in dynamodbstreams.esm)."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

from .test_dynamodb_items import make_table


async def setup(eng, handler, **mapping):
    created = await make_table(
        eng,
        range_key=False,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    arn = created["TableDescription"]["LatestStreamArn"]
    eng.register_function("consumer", handler)
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="consumer",
        StartingPosition=mapping.pop("StartingPosition", "TRIM_HORIZON"),
        **mapping,
    )
    return arn


async def put(eng, key, **attributes):
    item = {"pk": {"S": key}, **{k: {"S": v} for k, v in attributes.items()}}
    await eng.client("dynamodb").put_item(TableName="orders", Item=item)


async def test_records_reach_function_in_lambda_format(eng, clock):
    batches = []
    arn = await setup(eng, lambda event, context: batches.append(event["Records"]))
    await put(eng, "a")
    await eng.client("dynamodb").delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    await clock.advance(1)
    records = [r for batch in batches for r in batch]
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    first = records[0]
    assert first["eventSourceARN"] == arn
    assert first["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert first["dynamodb"]["ApproximateCreationDateTime"] == int(clock.now()) - 1
    json.dumps(records)  # the event is plain JSON


async def test_latest_skips_existing_records(eng, clock):
    seen = []
    created = await make_table(
        eng,
        range_key=False,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    await put(eng, "before")
    eng.register_function("consumer", lambda event, context: seen.extend(event["Records"]))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=created["TableDescription"]["LatestStreamArn"],
        FunctionName="consumer",
        StartingPosition="LATEST",
    )
    await put(eng, "after")
    await clock.advance(1)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in seen] == ["after"]


async def test_failing_batch_retries_then_goes_to_on_failure_queue(eng, clock):
    calls = []

    def handler(event, context):
        calls.append(len(event["Records"]))
        raise RuntimeError("boom")

    queue = await eng.client("sqs").create_queue(QueueName="failed")
    queue_arn = (
        await eng.client("sqs").get_queue_attributes(
            QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"]
        )
    )["Attributes"]["QueueArn"]
    await setup(
        eng,
        handler,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    await put(eng, "a")
    await clock.advance(60)
    assert calls == [1, 1, 1]
    received = await eng.client("sqs").receive_message(QueueUrl=queue["QueueUrl"])
    body = json.loads(received["Messages"][0]["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["DDBStreamBatchInfo"]["batchSize"] == 1


async def test_report_batch_item_failures_retries_from_failed_record(eng, clock):
    seen = []

    def handler(event, context):
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
        seen.append(keys)
        if len(seen) == 1:
            second = event["Records"][1]["dynamodb"]["SequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": second}]}
        return {"batchItemFailures": []}

    await setup(
        eng,
        handler,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumBatchingWindowInSeconds=1,
    )
    for key in ("a", "b", "c"):
        await put(eng, key)
    await clock.advance(10)
    assert seen == [["a", "b", "c"], ["b", "c"]]


async def test_filter_criteria_drop_records(eng, clock):
    seen = []
    await setup(
        eng,
        lambda event, context: seen.extend(event["Records"]),
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["REMOVE"]})}]},
    )
    await put(eng, "a")
    await eng.client("dynamodb").delete_item(TableName="orders", Key={"pk": {"S": "a"}})
    await clock.advance(1)
    assert [r["eventName"] for r in seen] == ["REMOVE"]


async def test_mapping_needs_starting_position(eng):
    created = await make_table(
        eng,
        range_key=False,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )
    eng.register_function("consumer", lambda event, context: None)
    with pytest.raises(ServiceError) as caught:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=created["TableDescription"]["LatestStreamArn"],
            FunctionName="consumer",
        )
    assert caught.value.code == "InvalidParameterValueException"


async def test_bisect_on_error_isolates_the_bad_record(eng, clock):
    sizes = []

    def handler(event, context):
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
        sizes.append(len(keys))
        if "bad" in keys:
            raise ValueError("bad record")

    await setup(
        eng,
        handler,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        MaximumBatchingWindowInSeconds=1,
    )
    for key in ("a", "b", "c", "bad"):
        await put(eng, key)
    await clock.advance(120)
    assert sizes[0] == 4
    assert sizes[1] == 2  # the first half, which succeeds
    assert 1 in sizes  # the failing half is split down to the bad record


async def test_journey_keeps_one_trace_id_from_writer_to_stream_consumer(eng, clock):
    recorder = eng.trace.record()
    seen = []
    await setup(eng, lambda event, context: seen.append(event))

    async def writer(event, context):
        await eng.client("dynamodb").put_item(TableName="orders", Item={"pk": {"S": "j"}})
        return "ok"

    writer_arn = eng.register_function("writer", writer)
    await eng.client("lambda").invoke(FunctionName=writer_arn, Payload=b"{}")
    await clock.advance(1)
    assert len(seen) == 1
    written = [e for e in recorder.events if e.kind == "written"]
    assert len(written) == 1
    trace_id = written[0].trace_id
    services = {e.service for e in recorder.events if e.trace_id == trace_id}
    assert {"lambda", "dynamodb"} <= services
    consumer_runs = [
        e
        for e in recorder.events
        if e.kind in ("invoked", "succeeded") and e.resource.endswith(":consumer")
    ]
    assert [e.kind for e in consumer_runs] == ["invoked", "succeeded"]
    assert all(e.trace_id == trace_id for e in consumer_runs)


async def test_parallelization_factor_splits_by_key_and_keeps_key_order(eng, clock):
    batches = []
    await setup(
        eng,
        lambda event, context: batches.append(
            [
                (r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["NewImage"]["v"]["S"])
                for r in event["Records"]
            ]
        ),
        ParallelizationFactor=3,
        MaximumBatchingWindowInSeconds=1,
    )
    for version in range(3):
        for key in range(10):
            await put(eng, f"k{key}", v=str(version))
    await clock.advance(5)
    assert len(batches) > 1  # several lanes ran their own batches
    seen = [pair for batch in batches for pair in batch]
    assert sorted(seen) == sorted((f"k{k}", str(v)) for k in range(10) for v in range(3))
    for key in range(10):
        versions = [v for k, v in seen if k == f"k{key}"]
        assert versions == ["0", "1", "2"]
    lanes_of_key = {}
    for index, batch in enumerate(batches):
        for key, _ in batch:
            lanes_of_key.setdefault(key, set()).add(index)
    assert all(len(indexes) == 1 for indexes in lanes_of_key.values())
