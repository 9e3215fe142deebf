"""Faults: `duplicate` delivers exactly one extra copy; a fault a resource ignores is refused."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(30)


async def _receive_all(sqs, url: str) -> list[dict]:
    got = await sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
    )
    return got.get("Messages", [])


async def test_duplicate_delivers_exactly_one_extra_copy(eng, clock) -> None:
    sqs = eng.client("sqs")
    dlq = (await sqs.create_queue(QueueName="dead"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    url = (
        await sqs.create_queue(
            QueueName="work",
            Attributes={
                "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}'
            },
        )
    )["QueueUrl"]
    eng.faults.configure("work", duplicate=1.0)
    await sqs.send_message(QueueUrl=url, MessageBody="once")
    deliveries = []
    for _ in range(6):  # a consumer that processes and deletes everything it gets
        for message in await _receive_all(sqs, url):
            deliveries.append(message)
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        await clock.advance(1)
    assert [m["Body"] for m in deliveries] == ["once", "once"]
    assert deliveries[0]["MessageId"] == deliveries[1]["MessageId"]
    assert deliveries[0]["ReceiptHandle"] != deliveries[1]["ReceiptHandle"]
    # The copy has its own receive count: it is a first delivery, not a second.
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in deliveries] == ["1", "1"]
    assert await _receive_all(sqs, dlq) == []


async def test_duplicate_copy_is_never_dead_lettered_for_the_original(eng, clock) -> None:
    sqs = eng.client("sqs")
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    url = (
        await sqs.create_queue(
            QueueName="retry",
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}',
            },
        )
    )["QueueUrl"]
    eng.faults.configure("retry", duplicate=1.0)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    await _receive_all(sqs, url)  # first try fails (not deleted)
    await clock.advance(2)
    (second,) = await _receive_all(sqs, url)  # the retry succeeds
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    (copy,) = await _receive_all(sqs, url)
    assert copy["Attributes"]["ApproximateReceiveCount"] == "1"
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=copy["ReceiptHandle"])
    await clock.advance(5)
    assert await _receive_all(sqs, url) == []
    assert await _receive_all(sqs, dlq) == []


@pytest.mark.parametrize(
    ("fault", "arn"),
    [
        ("duplicate", "arn:aws:lambda:us-east-1:123456789012:function:f"),
        ("duplicate", "arn:aws:sqs:us-east-1:123456789012:orders.fifo"),
        ("reorder", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
        ("failure", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
        ("latency", "arn:aws:dynamodb:us-east-1:123456789012:table/t"),
    ],
)
def test_a_fault_the_resource_ignores_is_refused(eng, fault: str, arn: str) -> None:
    with pytest.raises(ValueError) as refused:
        eng.faults.configure(arn, **{fault: 0.5})
    assert f"{fault} does nothing to a" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not eng.faults.enabled


def test_faults_that_apply_are_accepted(eng) -> None:
    eng.faults.configure("arn:aws:sqs:us-east-1:123456789012:orders", duplicate=0.5, latency=1)
    eng.faults.configure("arn:aws:lambda:us-east-1:123456789012:function:f", failure=0.5)
    eng.faults.configure("arn:aws:dynamodb:us-east-1:123456789012:table/t", throttle=0.5)
    eng.faults.configure("*", reorder=0.1)  # globs are not checked
    assert len(eng.faults.policies()) == 4
