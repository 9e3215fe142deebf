"""SQS FIFO queues, dead-letter queues, message move tasks, fault injection and internal API."""

from __future__ import annotations

import json

import pytest

from engine import Engine, Envelope, ServiceError


@pytest.fixture
def sqs(eng: Engine):
    return eng.client("sqs")


async def _fifo(sqs, name: str = "q.fifo", **attributes: str) -> str:
    attributes = {"FifoQueue": "true", **attributes}
    return (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]


async def _arn(sqs, url: str) -> str:
    return (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]


async def _bodies(sqs, url: str, **params) -> list[str]:
    result = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **params)
    return [m["Body"] for m in result.get("Messages", [])]


# -- FIFO ---------------------------------------------------------------------------------
async def test_fifo_requires_group_id_and_dedup(sqs) -> None:
    url = await _fifo(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="m", MessageDeduplicationId="d")
    assert (error.value.code, error.value.message) == (
        "MissingParameter",
        "The request must contain the parameter MessageGroupId.",
    )
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g")
    assert error.value.message == (
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )


async def test_fifo_rejects_per_message_delay(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g", DelaySeconds=2)
    assert error.value.message == (
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter "
        "that is not valid for this queue type."
    )


@pytest.mark.parametrize("value", ["", "group 123", "a" * 129])
async def test_invalid_group_and_dedup_ids(sqs, value: str) -> None:
    url = await _fifo(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(
            QueueUrl=url, MessageBody="m", MessageGroupId=value, MessageDeduplicationId="d"
        )
    assert error.value.message == (
        f"Value {value} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only "
        "include alphanumeric and punctuation characters. 1 to 128 in length."
    )


async def test_fifo_order_within_group_and_group_blocking(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    for index in range(3):
        await sqs.send_message(QueueUrl=url, MessageBody=f"a{index}", MessageGroupId="A")
    await sqs.send_message(QueueUrl=url, MessageBody="b0", MessageGroupId="B")
    first = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert [m["Body"] for m in first["Messages"]] == ["a0", "a1"]
    # Group A has messages in flight, so only group B can be read.
    assert await _bodies(sqs, url) == ["b0"]
    assert await _bodies(sqs, url) == []
    for message in first["Messages"]:
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert await _bodies(sqs, url) == ["a2"]


async def test_fifo_returned_messages_keep_their_order(sqs, clock) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout="5")
    for index in range(4):
        await sqs.send_message(QueueUrl=url, MessageBody=f"m{index}", MessageGroupId="g")
    assert await _bodies(sqs, url) == ["m0", "m1", "m2", "m3"]
    await clock.advance(5)
    assert await _bodies(sqs, url) == ["m0", "m1", "m2", "m3"]


async def test_fifo_sequence_numbers_increase(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    numbers = [
        int(
            (await sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g"))[
                "SequenceNumber"
            ]
        )
        for i in range(5)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5


async def test_deduplication_window_survives_deletion(sqs, clock) -> None:
    url = await _fifo(sqs)
    first = await sqs.send_message(
        QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d"
    )
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    again = await sqs.send_message(
        QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert again["MessageId"] == first["MessageId"]
    assert await _bodies(sqs, url) == []
    await clock.advance(300)
    await sqs.send_message(
        QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert await _bodies(sqs, url) == ["m"]


async def test_content_based_deduplication(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    await sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    await sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    await sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert await _bodies(sqs, url) == ["same", "other"]


async def test_deduplication_scope_message_group(sqs) -> None:
    url = await _fifo(
        sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId"
    )
    for group in ("g1", "g2", "g1"):
        await sqs.send_message(
            QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="same"
        )
    assert sorted(await _bodies(sqs, url)) == ["g1", "g2"]


async def test_high_throughput_needs_message_group_scope(sqs) -> None:
    with pytest.raises(ServiceError) as error:
        await _fifo(sqs, FifoThroughputLimit="perMessageGroupId")
    assert error.value.code == "InvalidAttributeValue"


async def test_receive_request_attempt_id_replays_the_same_messages(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    await sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g")
    first = await sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="attempt-1")
    again = await sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="attempt-1")
    assert again["Messages"][0]["MessageId"] == first["Messages"][0]["MessageId"]
    assert "Messages" not in await sqs.receive_message(
        QueueUrl=url, ReceiveRequestAttemptId="other"
    )


async def test_fifo_expired_receipt_handle(sqs, clock) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true", VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="foobar", MessageGroupId="g")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await clock.advance(2)
    with pytest.raises(ServiceError) as error:
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error.value.message == (
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    )


async def test_fifo_batch_requires_group_id(sqs) -> None:
    url = await _fifo(sqs, ContentBasedDeduplication="true")
    with pytest.raises(ServiceError) as error:
        await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "m"}])
    assert (error.value.code, error.value.message) == (
        "InvalidParameterValue",
        "The request must contain the parameter MessageGroupId.",
    )


async def test_standard_queue_accepts_group_ids_but_not_dedup_ids(sqs) -> None:
    url = (await sqs.create_queue(QueueName="fair"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="tenant-1")
    received = (await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"]))[
        "Messages"
    ][0]
    assert received["Attributes"]["MessageGroupId"] == "tenant-1"
    with pytest.raises(ServiceError):
        await sqs.send_message(QueueUrl=url, MessageBody="m", MessageDeduplicationId="d")


# -- dead-letter queues -------------------------------------------------------------------------
async def _with_dlq(sqs, max_receive: int = 2, fifo: bool = False) -> tuple[str, str]:
    if fifo:
        dlq = await _fifo(sqs, "dlq.fifo", ContentBasedDeduplication="true")
    else:
        dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    policy = json.dumps(
        {"deadLetterTargetArn": await _arn(sqs, dlq), "maxReceiveCount": max_receive}
    )
    attributes = {"RedrivePolicy": policy, "VisibilityTimeout": "1"}
    if fifo:
        source = await _fifo(sqs, "src.fifo", ContentBasedDeduplication="true", **attributes)
    else:
        source = (await sqs.create_queue(QueueName="src", Attributes=attributes))["QueueUrl"]
    return source, dlq


async def test_message_moves_to_dlq_after_max_receive_count(eng, sqs, clock) -> None:
    source, dlq = await _with_dlq(sqs, max_receive=2)
    await sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        assert await _bodies(sqs, source) == ["poison"]
        await clock.advance(1)
    with eng.trace.subscribe() as events:
        assert await _bodies(sqs, source) == []
        assert [e.kind for e in events.drain()] == ["dead-lettered"]
    received = (await sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"]))[
        "Messages"
    ][0]
    assert received["Body"] == "poison"
    assert received["Attributes"]["ApproximateReceiveCount"] == "3"
    assert received["Attributes"]["DeadLetterQueueSourceArn"] == await _arn(sqs, source)


async def test_fifo_dlq_keeps_group_order(sqs, clock) -> None:
    source, dlq = await _with_dlq(sqs, max_receive=1, fifo=True)
    for index in range(2):
        await sqs.send_message(QueueUrl=source, MessageBody=f"m{index}", MessageGroupId="g")
    assert await _bodies(sqs, source) == ["m0", "m1"]
    await clock.advance(1)
    assert await _bodies(sqs, source) == []
    assert await _bodies(sqs, dlq) == ["m0", "m1"]


async def test_dlq_type_must_match_source(sqs) -> None:
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": await _arn(sqs, dlq), "maxReceiveCount": 1})
    with pytest.raises(ServiceError):
        await _fifo(sqs, ContentBasedDeduplication="true", RedrivePolicy=policy)


async def test_message_move_task_redrives_to_original_source(sqs, clock) -> None:
    source, dlq = await _with_dlq(sqs, max_receive=1)
    source_arn, dlq_arn = await _arn(sqs, source), await _arn(sqs, dlq)
    for index in range(3):
        await sqs.send_message(QueueUrl=source, MessageBody=str(index))
    await _bodies(sqs, source)
    await clock.advance(1)
    await _bodies(sqs, source)
    assert len(await _bodies(sqs, dlq, VisibilityTimeout=0)) == 3
    handle = (await sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1))[
        "TaskHandle"
    ]
    await clock.settle()
    running = (await sqs.list_message_move_tasks(SourceArn=dlq_arn))["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesToMove"] == 3
    with pytest.raises(ServiceError) as error:
        await sqs.start_message_move_task(SourceArn=dlq_arn)
    assert "already a task running" in error.value.message
    await clock.advance(3)
    done = (await sqs.list_message_move_tasks(SourceArn=dlq_arn))["Results"][0]
    assert done["Status"] == "COMPLETED" and done["ApproximateNumberOfMessagesMoved"] == 3
    received = (
        await sqs.receive_message(
            QueueUrl=source, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        )
    )["Messages"]
    assert sorted(m["Body"] for m in received) == ["0", "1", "2"]
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert source_arn.endswith(":src")


async def test_move_task_errors(sqs) -> None:
    plain = (await sqs.create_queue(QueueName="plain"))["QueueUrl"]
    with pytest.raises(ServiceError) as error:
        await sqs.start_message_move_task(SourceArn=await _arn(sqs, plain))
    assert error.value.message == "Source queue must be configured as a Dead Letter Queue."
    with pytest.raises(ServiceError) as error:
        await sqs.cancel_message_move_task(TaskHandle="nonsense")
    assert error.value.message == "Value for parameter TaskHandle is invalid."
    _, dlq = await _with_dlq(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.start_message_move_task(
            SourceArn=await _arn(sqs, dlq), DestinationArn="arn:aws:sqs:us-east-1:123456789012:gone"
        )
    assert error.value.code == "ResourceNotFoundException"


async def test_cancel_move_task(sqs, clock) -> None:
    source, dlq = await _with_dlq(sqs, max_receive=1)
    for index in range(5):
        await sqs.send_message(QueueUrl=source, MessageBody=str(index))
    await _bodies(sqs, source)
    await clock.advance(1)
    await _bodies(sqs, source)
    dlq_arn = await _arn(sqs, dlq)
    handle = (await sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1))[
        "TaskHandle"
    ]
    await clock.advance(1)
    cancelled = await sqs.cancel_message_move_task(TaskHandle=handle)
    assert cancelled["ApproximateNumberOfMessagesMoved"] == 2
    await clock.advance(10)
    task = (await sqs.list_message_move_tasks(SourceArn=dlq_arn))["Results"][0]
    assert task["Status"] == "CANCELLED" and task["ApproximateNumberOfMessagesMoved"] == 2


# -- fault injection ---------------------------------------------------------------------------
async def test_duplicate_fault_redelivers_a_deleted_message(eng, sqs) -> None:
    url = (await sqs.create_queue(QueueName="flaky"))["QueueUrl"]
    eng.faults.configure("flaky", duplicate=1.0)
    await sqs.send_message(QueueUrl=url, MessageBody="once")
    first = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    eng.faults.clear()
    second = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert second["MessageId"] == first["MessageId"] and second["Body"] == "once"


async def test_without_faults_delivery_is_exact(sqs) -> None:
    url = (await sqs.create_queue(QueueName="exact"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="once")
    first = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)


async def test_reorder_fault_changes_order_deterministically(eng, sqs) -> None:
    url = (await sqs.create_queue(QueueName="shuffled"))["QueueUrl"]
    eng.faults.configure("shuffled", reorder=1.0)
    for index in range(10):
        await sqs.send_message(QueueUrl=url, MessageBody=str(index))
    bodies = await _bodies(sqs, url)
    assert sorted(bodies, key=int) == [str(i) for i in range(10)]
    assert bodies != [str(i) for i in range(10)]


async def test_latency_fault_delays_messages(eng, sqs, clock) -> None:
    url = (await sqs.create_queue(QueueName="slow"))["QueueUrl"]
    eng.faults.configure("slow", latency=2.0)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    assert await _bodies(sqs, url) == []
    await clock.advance(2)
    assert await _bodies(sqs, url) == ["m"]


# -- the fabric and internal consumers -------------------------------------------------------------
async def test_fabric_delivery_and_internal_poll(eng, sqs) -> None:
    url = (await sqs.create_queue(QueueName="target"))["QueueUrl"]
    arn = await _arn(sqs, url)
    message_id = await eng.fabric.deliver(
        arn,
        Envelope(
            body="from sns",
            trace_id="Root=1-00000000-000000000000000000000001",
            attributes={"k": {"DataType": "String", "StringValue": "v"}},
        ),
    )
    service = eng.service("sqs")
    calls: list[int] = []
    cancel = service.on_available(arn, lambda: calls.append(1))
    await eng.fabric.deliver(arn, Envelope(body="second"))
    assert calls == [1]
    cancel()
    received = await service.poll(arn, max_messages=10)
    assert received[0].message["MessageId"] == message_id
    assert received[0].trace_id == "Root=1-00000000-000000000000000000000001"
    assert received[0].message["Attributes"]["ApproximateReceiveCount"] == "1"
    assert received[0].message["MessageAttributes"]["k"]["StringValue"] == "v"
    for item in received:
        service.delete(arn, item.message["ReceiptHandle"])
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)


async def test_fabric_delivery_to_missing_queue_fails(eng) -> None:
    eng.client("sqs")
    with pytest.raises(ServiceError) as error:
        await eng.fabric.deliver("arn:aws:sqs:us-east-1:123456789012:nope", Envelope(body="x"))
    assert error.value.code == "AWS.SimpleQueueService.NonExistentQueue"


async def test_dump_and_load_round_trip(eng, sqs) -> None:
    source, dlq = await _with_dlq(sqs)
    await sqs.send_message(QueueUrl=source, MessageBody="kept")
    data = eng.service("sqs").dump()
    async with Engine() as other:
        other.service("sqs").load(json.loads(json.dumps(data, default=lambda b: b.decode())))
        client = other.client("sqs")
        url = (await client.get_queue_url(QueueName="src"))["QueueUrl"]
        assert await _bodies(client, url) == ["kept"]
        attributes = await client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["RedrivePolicy"]
        )
        assert "dlq" in attributes["Attributes"]["RedrivePolicy"]
    assert dlq.endswith("/dlq")


async def test_fifo_order_holds_when_messages_of_a_group_return_at_different_times(
    sqs, clock
) -> None:
    # Found by the invariants test: a message made visible early must stay ahead of later ones.
    url = await _fifo(sqs)
    for index in range(2):
        await sqs.send_message(
            QueueUrl=url,
            MessageBody=f"m{index}",
            MessageGroupId="a",
            MessageDeduplicationId=f"d{index}",
        )
    received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=2)
    first = received["Messages"][0]["ReceiptHandle"]
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=0)
    assert await _bodies(sqs, url) == []  # m1 is still in flight: the group is blocked
    await clock.advance(2)
    assert await _bodies(sqs, url, VisibilityTimeout=0) == ["m0", "m1"]
