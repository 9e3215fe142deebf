"""Demo scenarios the app can open: resources plus producers and consumers on the lab clock.

Each demo builds its resources through the engine's public clients (exactly what a user's
commands would do) and then runs its traffic as engine background tasks sleeping on the clock,
so a paused clock pauses the demo and a virtual clock replays it identically.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine import Engine, ServiceError

#: How often producers wake up (simulated seconds); each wake sends rate × TICK messages.
TICK = 0.1

Note = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Demo:
    """A named scenario: what it shows and which services it needs."""

    name: str
    title: str
    description: str
    services: tuple[str, ...]
    start: Callable[[Engine, Note, float], Awaitable[None]]
    #: The resource the app selects once the demo is open (where its story starts).
    focus: str = ""


def available_demos() -> list[Demo]:
    """The demos whose services exist in this build."""
    services = set(Engine.available_services())
    return [demo for demo in DEMOS.values() if set(demo.services) <= services]


async def start_demo(engine: Engine, name: str, note: Note, rate: float | None = None) -> Demo:
    """Create demo `name`'s resources and start its traffic (raises KeyError for a bad name)."""
    demo = DEMOS[name]
    await demo.start(engine, note, rate if rate is not None else 20.0)
    return demo


# -- traffic helpers -----------------------------------------------------------------------
async def _produce(engine: Engine, rate: float, send: Callable[[int], Awaitable[None]]) -> None:
    """Call `send(count)` about every TICK with the messages due since the last call.

    What is due follows the clock's elapsed time, so a producer that wakes late catches up.
    """
    clock = engine.clock
    owed = 0.0
    last = clock.now()
    while True:
        await clock.sleep(TICK)
        now = clock.now()
        owed += rate * (now - last)
        last = now
        count = int(owed)
        owed -= count
        if count:
            try:
                await send(count)
            except ServiceError:
                continue  # e.g. the queue was deleted by the user: keep the demo alive


async def _send_batches(engine: Engine, url: str, count: int, body: Callable[[int], str]) -> None:
    sqs = engine.client("sqs")
    for start in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": body(i)} for i in range(start, min(count, start + 10))
        ]
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _counter() -> Callable[[], int]:
    state = {"n": 0}

    def next_number() -> int:
        state["n"] += 1
        return state["n"]

    return next_number


# -- orders: a queue with a dead-letter queue and a consumer that fails on poison ------------
async def _orders(engine: Engine, note: Note, rate: float) -> None:
    sqs = engine.client("sqs")
    dlq = await sqs.create_queue(QueueName="orders-dlq")
    dlq_arn = (
        await sqs.get_queue_attributes(QueueUrl=dlq["QueueUrl"], AttributeNames=["QueueArn"])
    )["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    url = (
        await sqs.create_queue(
            QueueName="orders",
            Attributes={"VisibilityTimeout": "2", "RedrivePolicy": redrive},
        )
    )["QueueUrl"]
    number = _counter()

    def body(_: int) -> str:
        n = number()
        # Every tenth order is poison: the consumer never deletes it, so it is retried
        # until its receive count passes maxReceiveCount and SQS moves it to the DLQ.
        return json.dumps({"order": n, "poison": n % 10 == 0})

    engine.spawn(
        _produce(engine, rate, lambda count: _send_batches(engine, url, count, body)),
        name="demo:orders:producer",
    )
    engine.spawn(_consume(engine, url), name="demo:orders:consumer")
    note(f"orders: {rate:g} msg/s into 'orders'; poison messages dead-letter into 'orders-dlq'")


async def _consume(engine: Engine, url: str) -> None:
    sqs = engine.client("sqs")
    while True:
        try:
            received = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
        except ServiceError:
            await engine.clock.sleep(1)
            continue
        keep = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(received.get("Messages", []))
            if not json.loads(m["Body"]).get("poison")
        ]
        if keep:
            await sqs.delete_message_batch(QueueUrl=url, Entries=keep)
        await engine.clock.sleep(TICK)


# -- pipeline: queue → function → topic → three queues ---------------------------------------
async def _pipeline(engine: Engine, note: Note, rate: float) -> None:
    sqs, sns, lam = engine.client("sqs"), engine.client("sns"), engine.client("lambda")
    topic_arn = (await sns.create_topic(Name="order-events"))["TopicArn"]
    for name in ("billing", "shipping", "analytics"):
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
    intake = (await sqs.create_queue(QueueName="intake"))["QueueUrl"]
    intake_arn = (await sqs.get_queue_attributes(QueueUrl=intake, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]

    async def enrich(event: dict[str, Any], context: Any) -> dict[str, int]:
        for record in event.get("Records", []):
            await sns.publish(TopicArn=topic_arn, Message=record["body"])
        return {"published": len(event.get("Records", []))}

    engine.register_function("enrich", enrich)
    await lam.create_event_source_mapping(
        EventSourceArn=intake_arn, FunctionName="enrich", BatchSize=10
    )
    number = _counter()
    engine.spawn(
        _produce(
            engine,
            rate,
            lambda count: _send_batches(
                engine, intake, count, lambda _: json.dumps({"order": number()})
            ),
        ),
        name="demo:pipeline:producer",
    )
    for name in ("billing", "shipping", "analytics"):
        url = (await sqs.get_queue_url(QueueName=name))["QueueUrl"]
        engine.spawn(_drain(engine, url), name=f"demo:pipeline:{name}")
    note(f"pipeline: {rate:g} msg/s → intake → λ enrich → order-events → 3 queues")


async def _drain(engine: Engine, url: str) -> None:
    sqs = engine.client("sqs")
    while True:
        try:
            received = await sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
        except ServiceError:
            await engine.clock.sleep(1)
            continue
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(received.get("Messages", []))
        ]
        if entries:
            await sqs.delete_message_batch(QueueUrl=url, Entries=entries)


# -- stream-lag: a Kinesis stream read by a consumer slower than its producer ---------------
async def _stream_lag(engine: Engine, note: Note, rate: float) -> None:
    kinesis, lam = engine.client("kinesis"), engine.client("lambda")
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    arn = (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"][
        "StreamARN"
    ]
    clock = engine.clock

    async def analyse(event: dict[str, Any], context: Any) -> dict[str, int]:
        # A slow consumer: 0.5 simulated seconds per batch of at most 10 records, so each
        # shard is read at ~20 records/s while the producer writes faster.
        await clock.sleep(0.5)
        return {"records": len(event.get("Records", []))}

    engine.register_function("analyse-clicks", analyse)
    await lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="analyse-clicks", BatchSize=10, StartingPosition="LATEST"
    )
    number = _counter()

    async def put(count: int) -> None:
        records = [
            {"Data": json.dumps({"click": number()}).encode(), "PartitionKey": f"user-{n % 7}"}
            for n in range(count)
        ]
        for start in range(0, len(records), 500):
            await kinesis.put_records(StreamName="clicks", Records=records[start : start + 500])

    engine.spawn(_produce(engine, rate * 3, put), name="demo:stream-lag:producer")
    note(f"stream-lag: {rate * 3:g} records/s into 'clicks' (2 shards), read at ~40/s: watch lag")


# -- workflow-retry: a state machine whose task fails, is retried, and is caught ------------
WORKFLOW = {
    "Comment": "Charge a card; retry declines with backoff, compensate when retries run out.",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Pass", "Next": "ChargeCard"},
        "ChargeCard": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "Retry": [
                {
                    "ErrorEquals": ["States.TaskFailed"],
                    "IntervalSeconds": 2,
                    "MaxAttempts": 2,
                    "BackoffRate": 2.0,
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}],
            "Next": "Ship",
        },
        "Ship": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Refund": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "PaymentFailed", "Cause": "card declined"},
    },
}


async def _workflow_retry(engine: Engine, note: Note, rate: float) -> None:
    sfn = engine.client("stepfunctions")
    attempts = _counter()

    def charge(event: Any, context: Any) -> dict[str, bool]:
        # Two calls in three fail: some executions succeed after a retry, some are caught.
        if attempts() % 3:
            raise RuntimeError("card declined")
        return {"charged": True}

    engine.register_function("charge", charge)
    machine = await sfn.create_state_machine(
        name="checkout",
        definition=json.dumps(WORKFLOW),
        roleArn=f"arn:aws:iam::{engine.account_id}:role/checkout",
    )
    arn = machine["stateMachineArn"]
    number = _counter()

    async def start(count: int) -> None:
        for _ in range(count):
            await sfn.start_execution(stateMachineArn=arn, input=json.dumps({"order": number()}))

    # One checkout every few seconds is plenty to watch retries and catches.
    engine.spawn(_produce(engine, min(rate, 20.0) / 50, start), name="demo:workflow:starter")
    note("workflow-retry: 'checkout' retries declined charges, then refunds; enter opens it")


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in (
        Demo(
            "orders",
            "Orders queue with a dead-letter queue",
            "A producer, a consumer that never deletes poison messages, and the DLQ they end in.",
            ("sqs",),
            _orders,
            focus="orders",
        ),
        Demo(
            "pipeline",
            "Queue → Lambda → SNS fan-out to three queues",
            "An event source mapping feeds a function that publishes each order to a topic.",
            ("sqs", "sns", "lambda"),
            _pipeline,
            focus="intake",
        ),
        Demo(
            "stream-lag",
            "Kinesis stream with a consumer falling behind",
            "Two shards written faster than a Lambda mapping reads them: shard lag grows.",
            ("kinesis", "lambda"),
            _stream_lag,
            focus="clicks",
        ),
        Demo(
            "workflow-retry",
            "Step Functions workflow with retries and a catch",
            "A task that fails two calls in three: retried with backoff, caught, compensated.",
            ("stepfunctions", "lambda"),
            _workflow_retry,
            focus="checkout",
        ),
    )
}
