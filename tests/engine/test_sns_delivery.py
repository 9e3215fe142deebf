"""SNS delivery failures: retry phases on the clock, dead-letter queues, FIFO order across retries."""

from __future__ import annotations

import json

from engine import Engine, VirtualClock
from engine.services.sns.http_sink import HttpRequest
from engine.services.sns.retry import AWS_MANAGED_POLICY, CUSTOMER_MANAGED_POLICY, http_policy

URL = "http://hooks.lab/orders"


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    sqs = eng.client("sqs")
    attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def _bodies(eng: Engine, url: str) -> list[str]:
    result = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [m["Body"] for m in result.get("Messages", [])]


async def _http_topic(
    eng: Engine, clock: VirtualClock, status: int, **attributes: str
) -> tuple[str, list[float]]:
    """A topic with a confirmed lab HTTP subscription whose endpoint answers `status`."""
    times: list[float] = []

    def handler(request: HttpRequest) -> int:
        if request.headers["x-amz-sns-message-type"] == "Notification":
            times.append(clock.now())
            return status
        return 200

    eng.service("sns").http_sink.register(URL, handler, auto_confirm=True)
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=URL, Attributes=attributes)
    await clock.settle()
    return topic, times


def test_aws_managed_policy_phases() -> None:
    delays = [AWS_MANAGED_POLICY.delay(n) for n in range(1, 16)]
    assert delays[:5] == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert delays[5] > 1.0 and delays[14] == 20.0
    assert AWS_MANAGED_POLICY.total == 100_015


def test_customer_managed_policy_has_fifty_attempts() -> None:
    assert CUSTOMER_MANAGED_POLICY.total + 1 == 51
    assert CUSTOMER_MANAGED_POLICY.delay(1) == 10.0
    assert CUSTOMER_MANAGED_POLICY.delay(50) == 600.0
    assert CUSTOMER_MANAGED_POLICY.delay(51) is None


def test_http_policy_follows_the_delivery_policy() -> None:
    policy = http_policy(
        {"minDelayTarget": 1, "maxDelayTarget": 8, "numRetries": 4, "numNoDelayRetries": 1}
    )
    assert [policy.delay(n) for n in range(1, 6)] == [0.0, 3.333, 5.667, 8.0, None]


async def test_http_5xx_is_retried_every_20_seconds_by_default(
    eng: Engine, clock: VirtualClock
) -> None:
    topic, times = await _http_topic(eng, clock, 500)
    await eng.client("sns").publish(TopicArn=topic, Message="x")
    await clock.advance(120)
    start = times[0]
    assert [t - start for t in times] == [0.0, 20.0, 40.0, 60.0]


async def test_http_4xx_is_not_retried(eng: Engine, clock: VirtualClock) -> None:
    topic, times = await _http_topic(eng, clock, 404)
    await eng.client("sns").publish(TopicArn=topic, Message="x")
    await clock.advance(120)
    assert len(times) == 1


async def test_subscription_delivery_policy_overrides_the_default(
    eng: Engine, clock: VirtualClock
) -> None:
    policy = {"healthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 1}}
    topic, times = await _http_topic(eng, clock, 503, DeliveryPolicy=json.dumps(policy))
    await eng.client("sns").publish(TopicArn=topic, Message="x")
    await clock.advance(120)
    assert [t - times[0] for t in times] == [0.0, 5.0]


async def test_exhausted_http_retries_go_to_the_dead_letter_queue(
    eng: Engine, clock: VirtualClock
) -> None:
    dlq_url, dlq_arn = await _queue(eng, "dlq")
    topic, times = await _http_topic(
        eng,
        clock,
        500,
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}),
        RawMessageDelivery="true",
    )
    await eng.client("sns").publish(TopicArn=topic, Message="lost")
    await clock.advance(59)
    assert await _bodies(eng, dlq_url) == []
    await clock.advance(2)
    assert await _bodies(eng, dlq_url) == ["lost"]


async def test_deleted_queue_sends_message_to_dead_letter_queue(
    eng: Engine, clock: VirtualClock
) -> None:
    sns, sqs = eng.client("sns"), eng.client("sqs")
    url, arn = await _queue(eng, "gone")
    dlq_url, dlq_arn = await _queue(eng, "dlq")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    await sqs.delete_queue(QueueUrl=url)
    await sns.publish(TopicArn=topic, Message="orphan")
    (body,) = await _bodies(eng, dlq_url)
    assert json.loads(body)["Message"] == "orphan"


async def test_undeliverable_message_without_dlq_is_traced_as_dropped(
    eng: Engine, clock: VirtualClock
) -> None:
    recorder = eng.trace.record()
    topic, _ = await _http_topic(eng, clock, 400)
    result = await eng.client("sns").publish(TopicArn=topic, Message="x")
    await clock.settle()
    kinds = [e.kind for e in recorder.journey(result["MessageId"])]
    assert kinds[-2:] == ["delivery-failed", "dropped"]


async def test_throttled_queue_is_retried_then_delivered(eng: Engine, clock: VirtualClock) -> None:
    recorder = eng.trace.record()
    sns = eng.client("sns")
    url, arn = await _queue(eng, "busy")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    eng.faults.configure(arn, throttle=1.0)
    result = await sns.publish(TopicArn=topic, Message="later")
    eng.faults.clear()
    await clock.advance(1)
    assert await _bodies(eng, url) == ["later"]
    kinds = [e.kind for e in recorder.journey(result["MessageId"]) if e.service == "sns"]
    assert kinds.count("retried") == 4  # three immediate retries, then one after a second


async def test_fifo_order_holds_while_a_message_is_retried(
    eng: Engine, clock: VirtualClock
) -> None:
    sns = eng.client("sns")
    url, arn = await _queue(eng, "q.fifo")
    topic = (
        await sns.create_topic(
            Name="orders.fifo",
            Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
        )
    )["TopicArn"]
    await sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    eng.faults.configure(arn, throttle=1.0)
    await sns.publish(TopicArn=topic, Message="first", MessageGroupId="g")
    eng.faults.clear()
    await sns.publish(TopicArn=topic, Message="second", MessageGroupId="g")
    assert await _bodies(eng, url) == []
    await clock.advance(1)
    assert await _bodies(eng, url) == ["first", "second"]
