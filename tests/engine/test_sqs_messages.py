"""SQS messages on the virtual clock: visibility, delay, retention, long polling, batches, MD5s."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from engine import Engine, ServiceError, VirtualClock


@pytest.fixture
def sqs(eng: Engine):
    return eng.client("sqs")


async def _queue(sqs, name: str = "q", **attributes: str) -> str:
    return (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]


async def _count(sqs, url: str) -> tuple[int, int, int]:
    attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
        "Attributes"
    ]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        int(attributes["ApproximateNumberOfMessagesDelayed"]),
    )


async def test_send_receive_delete(sqs) -> None:
    url = await _queue(sqs)
    sent = await sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hello").hexdigest()
    received = (await sqs.receive_message(QueueUrl=url))["Messages"]
    assert [m["Body"] for m in received] == ["hello"]
    assert received[0]["MessageId"] == sent["MessageId"]
    assert received[0]["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert await _count(sqs, url) == (0, 1, 0)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    assert await _count(sqs, url) == (0, 0, 0)


async def test_empty_receive_has_no_messages_key(sqs) -> None:
    url = await _queue(sqs)
    result = await sqs.receive_message(QueueUrl=url)
    assert "Messages" not in result


async def test_visibility_timeout_returns_message_with_higher_receive_count(sqs, clock) -> None:
    url = await _queue(sqs, VisibilityTimeout="10")
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    first = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    assert first["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"
    await clock.advance(9)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    await clock.advance(1)
    second = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    attributes = second["Messages"][0]["Attributes"]
    assert attributes["ApproximateReceiveCount"] == "2"
    assert (
        attributes["ApproximateFirstReceiveTimestamp"]
        == first["Messages"][0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
    )
    assert second["Messages"][0]["ReceiptHandle"] != first["Messages"][0]["ReceiptHandle"]


async def test_per_receive_visibility_timeout(sqs, clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    await sqs.receive_message(QueueUrl=url, VisibilityTimeout=2)
    await clock.advance(2)
    assert "Messages" in await sqs.receive_message(QueueUrl=url)


async def test_change_visibility_extends_and_zero_releases(sqs, clock) -> None:
    url = await _queue(sqs, VisibilityTimeout="10")
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await clock.advance(5)
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)
    await clock.advance(30)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert "Messages" in await sqs.receive_message(QueueUrl=url)


async def test_visibility_cannot_exceed_twelve_hours_in_total(sqs, clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await clock.advance(10)
    with pytest.raises(ServiceError) as error:
        await sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200
        )
    assert error.value.code == "InvalidParameterValue"
    assert "beyond the limit [43200 seconds]" in error.value.message


async def test_invalid_receipt_handle(sqs) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error.value.code == "ReceiptHandleIsInvalid"
    assert (
        error.value.message == 'The input receipt handle "garbage" is not a valid receipt handle.'
    )


async def test_receipt_handle_from_another_queue_is_invalid(sqs) -> None:
    first, second = await _queue(sqs, "a"), await _queue(sqs, "b")
    await sqs.send_message(QueueUrl=first, MessageBody="m")
    handle = (await sqs.receive_message(QueueUrl=first))["Messages"][0]["ReceiptHandle"]
    with pytest.raises(ServiceError) as error:
        await sqs.delete_message(QueueUrl=second, ReceiptHandle=handle)
    assert error.value.code == "ReceiptHandleIsInvalid"


async def test_delete_after_visibility_timeout_still_deletes_on_standard(sqs, clock) -> None:
    url = await _queue(sqs, VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await clock.advance(2)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert await _count(sqs, url) == (0, 0, 0)


async def test_stale_handle_does_not_delete_a_message_received_again(eng, sqs, clock) -> None:
    url = await _queue(sqs, VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    old = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await clock.advance(2)
    new = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    with eng.trace.subscribe() as events:
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=old)
        assert [e.kind for e in events.drain()] == ["delete-ignored"]
    assert await _count(sqs, url) == (0, 1, 0)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=new)
    assert await _count(sqs, url) == (0, 0, 0)


async def test_delete_is_idempotent(sqs) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)


async def test_queue_delay_and_message_delay(sqs, clock) -> None:
    url = await _queue(sqs, DelaySeconds="10")
    await sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    await sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    await sqs.send_message(QueueUrl=url, MessageBody="long", DelaySeconds=900)
    assert await _count(sqs, url) == (1, 0, 2)
    await clock.advance(10)
    assert await _count(sqs, url) == (2, 0, 1)
    await clock.advance(890)
    assert await _count(sqs, url) == (3, 0, 0)


async def test_message_delay_out_of_range(sqs) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="m", DelaySeconds=901)
    assert error.value.code == "InvalidParameterValue"
    assert await _count(sqs, url) == (0, 0, 0)


async def test_retention_expires_messages(eng, sqs, clock) -> None:
    url = await _queue(sqs, MessageRetentionPeriod="60")
    await sqs.send_message(QueueUrl=url, MessageBody="old")
    await clock.advance(30)
    await sqs.send_message(QueueUrl=url, MessageBody="new")
    with eng.trace.subscribe() as events:
        await clock.advance(30)
        expired = [e for e in events.drain() if e.kind == "expired"]
    assert len(expired) == 1 and expired[0].time == clock.now()
    bodies = [
        m["Body"]
        for m in (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    ]
    assert bodies == ["new"]


async def test_default_retention_is_four_days(sqs, clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    await clock.advance(4 * 86400 - 1)
    assert await _count(sqs, url) == (1, 0, 0)
    await clock.advance(1)
    assert await _count(sqs, url) == (0, 0, 0)


async def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, clock) -> None:
    url = await _queue(sqs)
    started = clock.now()
    task = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await clock.advance(5)
    assert not task.done()
    await sqs.send_message(QueueUrl=url, MessageBody="late")
    await clock.settle()
    assert task.done()
    assert task.result()["Messages"][0]["Body"] == "late"
    assert clock.now() - started == 5


async def test_long_poll_times_out_empty(sqs, clock) -> None:
    url = await _queue(sqs)
    task = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await clock.advance(19)
    assert not task.done()
    await clock.advance(1)
    assert task.done() and "Messages" not in task.result()


async def test_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs, clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=7)
    task = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await clock.advance(7)
    assert task.done() and task.result()["Messages"][0]["Body"] == "later"


async def test_queue_receive_wait_time_is_the_default_wait(sqs, clock) -> None:
    url = await _queue(sqs, ReceiveMessageWaitTimeSeconds="10")
    task = asyncio.create_task(sqs.receive_message(QueueUrl=url))
    await clock.advance(9)
    assert not task.done()
    await clock.advance(1)
    assert task.done()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"MaxNumberOfMessages": 11},
            "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        ),
        (
            {"WaitTimeSeconds": 21},
            "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
        ),
        (
            {"WaitTimeSeconds": -1},
            "Value -1 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
        ),
    ],
)
async def test_receive_parameter_ranges(sqs, params: dict, message: str) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.receive_message(QueueUrl=url, **params)
    assert error.value.code == "InvalidParameterValue"
    assert error.value.message == message


async def test_receive_up_to_ten(sqs) -> None:
    url = await _queue(sqs)
    for index in range(15):
        await sqs.send_message(QueueUrl=url, MessageBody=str(index))
    received = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    assert len(received) == 10


async def test_empty_body_and_invalid_characters(sqs) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="")
    assert (error.value.code, error.value.message) == (
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
    )
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="bad\x00char")
    assert error.value.code == "InvalidMessageContents"


async def test_message_size_limit_is_one_mebibyte(sqs) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert error.value.message == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    )


async def test_message_attributes_of_every_type_and_md5(sqs) -> None:
    url = await _queue(sqs)
    attributes = {
        "General": {"DataType": "String", "StringValue": "Kenobi"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
    }
    sent = await sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes=attributes)
    # The digest AWS returned for exactly these attributes (conformance snapshot).
    assert sent["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"
    received = (await sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]))["Messages"][
        0
    ]
    assert received["MessageAttributes"] == attributes
    assert received["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


async def test_binary_and_number_attributes(sqs) -> None:
    url = await _queue(sqs)
    binary = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"
    sent = await sqs.send_message(
        QueueUrl=url,
        MessageBody="test",
        MessageAttributes={"attr1": {"DataType": "Binary", "BinaryValue": binary}},
    )
    assert sent["MD5OfMessageAttributes"] == "8cbe4db156db8a94db8b801b7addb984"
    await sqs.send_message(
        QueueUrl=url,
        MessageBody="n",
        MessageAttributes={"price": {"DataType": "Number.float", "StringValue": "12.5"}},
    )
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(
            QueueUrl=url,
            MessageBody="n",
            MessageAttributes={"price": {"DataType": "Number", "StringValue": "twelve"}},
        )
    assert "to a number" in error.value.message


async def test_empty_string_attribute_is_rejected(sqs) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message(
            QueueUrl=url,
            MessageBody="m",
            MessageAttributes={"ErrorDetails": {"DataType": "String", "StringValue": ""}},
        )
    assert error.value.message == (
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    )


async def test_attribute_name_filters(sqs) -> None:
    url = await _queue(sqs)
    await sqs.send_message(
        QueueUrl=url,
        MessageBody="m",
        MessageAttributes={
            "Help.Me": {"DataType": "String", "StringValue": "a"},
            "Hello": {"DataType": "String", "StringValue": "b"},
        },
    )
    received = (
        await sqs.receive_message(
            QueueUrl=url, MessageAttributeNames=["Help.*"], VisibilityTimeout=0
        )
    )["Messages"][0]
    assert set(received["MessageAttributes"]) == {"Help.Me"}
    received = (await sqs.receive_message(QueueUrl=url, VisibilityTimeout=0))["Messages"][0]
    assert "MessageAttributes" not in received


async def test_aws_trace_header_round_trips(sqs) -> None:
    url = await _queue(sqs)
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sent = await sqs.send_message(
        QueueUrl=url,
        MessageBody="m",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": header}},
    )
    assert "MD5OfMessageSystemAttributes" in sent
    received = (
        await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])
    )["Messages"][0]
    assert received["Attributes"] == {"AWSTraceHeader": header}


async def test_send_message_batch_per_entry_results(sqs) -> None:
    url = await _queue(sqs, MaximumMessageSize="1024")
    result = await sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "ok", "MessageBody": "small"}, {"Id": "big", "MessageBody": "x" * 1025}],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok"]
    assert result["Failed"] == [
        {
            "Id": "big",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
        }
    ]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        (
            [{"Id": str(i), "MessageBody": "m"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": "a", "MessageBody": "m"}, {"Id": "a", "MessageBody": "n"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "invalid:id", "MessageBody": "m"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": "a", "MessageBody": "x" * 600_000}, {"Id": "b", "MessageBody": "x" * 600_000}],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
async def test_batch_request_errors_change_nothing(sqs, entries: list, code: str) -> None:
    url = await _queue(sqs)
    with pytest.raises(ServiceError) as error:
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error.value.code == code
    assert await _count(sqs, url) == (0, 0, 0)


async def test_delete_and_visibility_batches(sqs) -> None:
    url = await _queue(sqs)
    await sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)]
    )
    received = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    changed = await sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": "bad", "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = await sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received[1:])
        ],
    )
    assert len(deleted["Successful"]) == 2 and deleted["Failed"] == []
    assert await _count(sqs, url) == (1, 0, 0)


async def test_purge_queue_and_sixty_second_rule(sqs, clock) -> None:
    url = await _queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="a")
    await sqs.send_message(QueueUrl=url, MessageBody="b", DelaySeconds=30)
    await sqs.receive_message(QueueUrl=url)
    await sqs.purge_queue(QueueUrl=url)
    assert await _count(sqs, url) == (0, 0, 0)
    with pytest.raises(ServiceError) as error:
        await sqs.purge_queue(QueueUrl=url)
    assert error.value.code == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert error.value.message == "Only one PurgeQueue operation on q is allowed every 60 seconds."
    await clock.advance(60)
    await sqs.purge_queue(QueueUrl=url)


async def test_trace_follows_a_message(eng, sqs, clock) -> None:
    url = await _queue(sqs, VisibilityTimeout="5")
    recorder = eng.trace.record()
    sent = await sqs.send_message(QueueUrl=url, MessageBody="m")
    await sqs.receive_message(QueueUrl=url)
    await clock.advance(5)
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    journey = recorder.journey(sent["MessageId"])
    assert [e.kind for e in journey] == [
        "sent",
        "received",
        "returned",
        "received",
        "deleted-message",
    ]
    assert len({e.trace_id for e in journey}) == 1
    assert journey[2].time == journey[1].time + 5


async def test_same_inputs_give_the_same_trace() -> None:
    async def run() -> list[tuple]:
        async with Engine(clock=VirtualClock()) as eng:
            sqs = eng.client("sqs")
            with eng.trace.subscribe() as events:
                url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
                await sqs.send_message(QueueUrl=url, MessageBody="a")
                await sqs.receive_message(QueueUrl=url)
                await eng.clock.advance(40)
                return [(e.kind, e.time, e.message_id, e.trace_id) for e in events.drain()]

    assert await run() == await run()
