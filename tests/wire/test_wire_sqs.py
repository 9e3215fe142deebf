"""boto3's SQS client against the lab over HTTP: MD5 checks, errors, FIFO, paginators."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


async def test_send_receive_delete_with_md5_verification(lab) -> None:
    sqs = lab.client("sqs")
    url = (await lab.call(sqs.create_queue, QueueName="orders"))["QueueUrl"]
    sent = await lab.call(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            "n": {"DataType": "Number", "StringValue": "3"},
        },
    )
    assert sent["MessageId"]
    received = await lab.call(
        sqs.receive_message, QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"]
    )
    message = received["Messages"][0]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
    await lab.call(sqs.delete_message, QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert "Messages" not in await lab.call(sqs.receive_message, QueueUrl=url)


async def test_modeled_errors_map_to_boto3_exceptions(lab) -> None:
    sqs = lab.client("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as error:
        await lab.call(sqs.get_queue_url, QueueName="missing")
    assert error.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    url = (await lab.call(sqs.create_queue, QueueName="q"))["QueueUrl"]
    with pytest.raises(ClientError) as error:
        await lab.call(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


async def test_fifo_over_the_wire(lab) -> None:
    sqs = lab.client("sqs")
    url = (
        await lab.call(
            sqs.create_queue,
            QueueName="o.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )
    )["QueueUrl"]
    for index in range(3):
        await lab.call(sqs.send_message, QueueUrl=url, MessageBody=f"m{index}", MessageGroupId="g")
    received = await lab.call(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in received["Messages"]] == ["m0", "m1", "m2"]


async def test_paginator_lists_every_queue(lab) -> None:
    sqs = lab.client("sqs")
    for index in range(7):
        await lab.call(sqs.create_queue, QueueName=f"p{index}")
    paginator = sqs.get_paginator("list_queues")

    def collect() -> list[str]:
        return [
            u
            for page in paginator.paginate(PaginationConfig={"PageSize": 3})
            for u in page.get("QueueUrls", [])
        ]

    assert len(await lab.call(collect)) == 7


async def test_trace_shows_the_callers_key_and_region(lab) -> None:
    sqs = lab.client("sqs")
    with lab.engine.trace.subscribe() as events:
        await lab.call(sqs.list_queues)
        requests = [e for e in events.drain() if e.kind == "request"]
    assert requests[0].detail["access_key"] == "AKIALAB"
    assert requests[0].detail["region"] == "us-east-1"
