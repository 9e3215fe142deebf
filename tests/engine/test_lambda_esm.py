"""SQS event source mappings: batching, deletion, failures and redrive, filters, concurrency."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError


async def make_queue(eng: Engine, name: str = "jobs", **attributes: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:123456789012:{name}"


async def send(eng: Engine, url: str, bodies: list[str]) -> None:
    sqs = eng.client("sqs")
    for body in bodies:
        await sqs.send_message(QueueUrl=url, MessageBody=body)


async def counts(eng: Engine, url: str) -> tuple[int, int]:
    attributes = (
        await eng.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def collector(batches: list[list[dict]], fail: bool = False):
    def handler(event, context):
        batches.append(event["Records"])
        if fail:
            raise RuntimeError("batch failed")
        return None

    return handler


async def test_messages_drained_and_deleted(eng):
    url, arn = await make_queue(eng)
    batches: list = []
    eng.register_function("worker", collector(batches))
    await send(eng, url, [f"m{i}" for i in range(25)])
    mapping = await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=10
    )
    assert mapping["State"] == "Creating"
    await eng.clock.advance(1)
    assert sum(len(b) for b in batches) == 25
    assert max(len(b) for b in batches) <= 10
    assert await counts(eng, url) == (0, 0)


async def test_record_format(eng):
    url, arn = await make_queue(eng)
    batches: list = []
    eng.register_function("worker", collector(batches))
    await eng.client("sqs").send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "greeting"}},
    )
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker"
    )
    await eng.clock.advance(1)
    [record] = batches[0]
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "greeting",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }


async def test_failed_batch_returns_after_visibility_timeout_then_redrives(eng):
    dlq_url, dlq_arn = await make_queue(eng, "jobs-dlq")
    url, arn = await make_queue(
        eng,
        "jobs",
        VisibilityTimeout="30",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    batches: list = []
    eng.register_function("worker", collector(batches, fail=True))
    await send(eng, url, ["poison"])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker"
    )
    await eng.clock.advance(1)
    assert len(batches) == 1
    assert await counts(eng, url) == (0, 1)
    await eng.clock.advance(30)
    assert len(batches) == 2
    await eng.clock.advance(30)
    assert len(batches) == 2
    assert (await counts(eng, dlq_url))[0] == 1


async def test_report_batch_item_failures_keeps_only_failed(eng):
    url, arn = await make_queue(eng)
    seen: list = []

    def handler(event, context):
        seen.append([r["body"] for r in event["Records"]])
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"
            ]
        }

    eng.register_function("worker", handler)
    await send(eng, url, ["good", "bad", "good"])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await eng.clock.advance(1)
    assert await counts(eng, url) == (0, 1)
    await eng.clock.advance(30)
    assert seen[-1] == ["bad"]


async def test_invalid_partial_response_fails_whole_batch(eng):
    url, arn = await make_queue(eng)
    eng.register_function(
        "worker", lambda e, c: {"batchItemFailures": [{"itemIdentifier": "unknown"}]}
    )
    await send(eng, url, ["a", "b"])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await eng.clock.advance(1)
    assert await counts(eng, url) == (0, 2)


async def test_filter_criteria_drop_non_matching(eng):
    url, arn = await make_queue(eng)
    batches: list = []
    eng.register_function("worker", collector(batches))
    await send(eng, url, [json.dumps({"type": "order"}), json.dumps({"type": "refund"}), "plain"])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="worker",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"type": ["order"]}})}]},
    )
    await eng.clock.advance(1)
    assert [json.loads(r["body"]) for b in batches for r in b] == [{"type": "order"}]
    assert await counts(eng, url) == (0, 0)


async def test_invalid_filter_pattern_rejected(eng):
    _, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=arn,
            FunctionName="worker",
            FilterCriteria={"Filters": [{"Pattern": "{bad"}]},
        )
    assert raised.value.code == "InvalidParameterValueException"


async def test_batching_window_waits_for_a_full_batch(eng):
    url, arn = await make_queue(eng)
    batches: list = []
    eng.register_function("worker", collector(batches))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=50, MaximumBatchingWindowInSeconds=5
    )
    await send(eng, url, ["a"])
    await eng.clock.advance(2)
    await send(eng, url, ["b", "c"])
    await eng.clock.advance(2)
    assert batches == []
    await eng.clock.advance(2)
    assert [len(b) for b in batches] == [3]


async def test_large_batch_needs_a_window(eng):
    _, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName="worker", BatchSize=100
        )
    assert raised.value.message == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
    )


async def test_visibility_timeout_shorter_than_function_timeout_rejected(eng):
    _, arn = await make_queue(eng, VisibilityTimeout="10")
    eng.register_function("worker", collector([]), Timeout=60)
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName="worker"
        )
    assert (
        raised.value.message
        == "Queue visibility timeout: 10 seconds is less than Function timeout: 60 seconds"
    )


async def test_missing_queue_rejected(eng):
    eng.register_function("worker", collector([]))
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:nope", FunctionName="worker"
        )
    assert raised.value.code == "InvalidParameterValueException"


async def test_duplicate_mapping_conflicts(eng):
    _, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    client = eng.client("lambda")
    await client.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    with pytest.raises(ServiceError) as raised:
        await client.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker")
    assert raised.value.code == "ResourceConflictException"


async def test_maximum_concurrency_caps_parallel_batches(eng):
    url, arn = await make_queue(eng)
    peak = [0, 0]

    async def slow(event, context):
        peak[0] += 1
        peak[1] = max(peak[1], peak[0])
        await eng.clock.sleep(1)
        peak[0] -= 1

    eng.register_function("worker", slow)
    await send(eng, url, [str(i) for i in range(20)])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="worker",
        BatchSize=1,
        ScalingConfig={"MaximumConcurrency": 2},
    )
    await eng.clock.advance(20)
    assert peak[1] == 2
    assert await counts(eng, url) == (0, 0)


async def test_disable_stops_and_enable_resumes(eng):
    url, arn = await make_queue(eng)
    batches: list = []
    eng.register_function("worker", collector(batches))
    client = eng.client("lambda")
    uuid = (await client.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker"))[
        "UUID"
    ]
    await client.update_event_source_mapping(UUID=uuid, Enabled=False)
    await send(eng, url, ["x"])
    await eng.clock.advance(30)
    assert batches == []
    assert (await client.get_event_source_mapping(UUID=uuid))["State"] == "Disabled"
    await client.update_event_source_mapping(UUID=uuid, Enabled=True)
    await eng.clock.advance(1)
    assert len(batches) == 1


async def test_list_and_delete(eng):
    _, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    client = eng.client("lambda")
    uuid = (await client.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker"))[
        "UUID"
    ]
    listed = (await client.list_event_source_mappings(FunctionName="worker"))["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [uuid]
    deleted = await client.delete_event_source_mapping(UUID=uuid)
    assert deleted["State"] == "Deleting"
    with pytest.raises(ServiceError) as raised:
        await client.get_event_source_mapping(UUID=uuid)
    assert raised.value.code == "ResourceNotFoundException"


async def test_trace_id_carried_from_queue_to_function(eng):
    url, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    recorder = eng.trace.record()
    await send(eng, url, ["traced"])
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker"
    )
    await eng.clock.advance(1)
    sent = next(e for e in recorder.events if e.kind == "sent")
    invoked = next(e for e in recorder.events if e.kind == "invoked")
    assert sent.trace_id is not None and invoked.trace_id == sent.trace_id


async def test_topology_edge(eng):
    _, arn = await make_queue(eng)
    eng.register_function("worker", collector([]))
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker"
    )
    edges = [e for e in eng.topology().edges if e.kind == "event-source-mapping"]
    assert [(e.source, e.target) for e in edges] == [
        (arn, "arn:aws:lambda:us-east-1:123456789012:function:worker")
    ]


async def test_starts_with_five_batches_and_scales_up_each_minute(eng):
    url, arn = await make_queue(eng, VisibilityTimeout="120")
    running = [0, 0]

    async def slow(event, context):
        running[0] += 1
        running[1] = max(running[1], running[0])
        await eng.clock.sleep(30)
        running[0] -= 1

    eng.register_function("worker", slow, Timeout=60)
    sqs = eng.client("sqs")
    for first in range(0, 2000, 10):
        entries = [{"Id": str(i), "MessageBody": str(first + i)} for i in range(10)]
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=1
    )
    await eng.clock.advance(59)
    assert running[1] == 5
    await eng.clock.advance(2)
    assert running[0] == 305


async def test_fifo_queue_batches_keep_group_order(eng):
    sqs = eng.client("sqs")
    url = (
        await sqs.create_queue(
            QueueName="orders.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )
    )["QueueUrl"]
    seen: list[str] = []
    eng.register_function("worker", lambda e, c: seen.extend(r["body"] for r in e["Records"]))
    for body in ("1", "2", "3"):
        await sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    await eng.client("lambda").create_event_source_mapping(
        EventSourceArn="arn:aws:sqs:us-east-1:123456789012:orders.fifo",
        FunctionName="worker",
        BatchSize=2,
    )
    await eng.clock.advance(1)
    assert seen == ["1", "2", "3"]


async def test_fifo_batch_size_over_10_rejected(eng):
    await eng.client("sqs").create_queue(QueueName="big.fifo", Attributes={"FifoQueue": "true"})
    eng.register_function("worker", collector([]))
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:big.fifo",
            FunctionName="worker",
            BatchSize=20,
            MaximumBatchingWindowInSeconds=1,
        )
    assert raised.value.code == "InvalidParameterValueException"
