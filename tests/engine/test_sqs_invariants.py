"""Hypothesis state machine over random SQS operations: nothing lost, FIFO order, deduplication."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine import Engine, ServiceError, VirtualClock
from engine.services.sqs.queue import GONE

ACCOUNT = "123456789012"


class SqsMachine(RuleBasedStateMachine):
    """A standard queue with a DLQ and a FIFO queue, driven by random calls and clock jumps."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = VirtualClock()
        self.engine = Engine(clock=self.clock)
        self.sqs = self.engine.client("sqs")
        self.events = self.engine.trace.subscribe(maxlen=1_000_000)
        self.sent: dict[str, str] = {}  # message id → queue name
        self.fifo_order: dict[str, list[str]] = {}  # group → message ids in send order
        self.dedup_sent: dict[str, tuple[float, str]] = {}  # dedup id → (time, message id)
        self.handles: list[tuple[str, str]] = []  # (queue url, receipt handle)
        self.deleted: set[str] = set()
        self.expired: set[str] = set()
        self.dead_lettered: set[str] = set()
        self.counter = 0
        self.run(self._setup())

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _setup(self) -> None:
        sqs = self.sqs
        self.dlq = (
            await sqs.create_queue(
                QueueName="dlq", Attributes={"MessageRetentionPeriod": "1209600"}
            )
        )["QueueUrl"]
        policy = json.dumps(
            {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq", "maxReceiveCount": 3}
        )
        self.standard = (
            await sqs.create_queue(
                QueueName="standard",
                Attributes={"RedrivePolicy": policy, "MessageRetentionPeriod": "120"},
            )
        )["QueueUrl"]
        self.fifo = (
            await sqs.create_queue(
                QueueName="ordered.fifo",
                Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "1209600"},
            )
        )["QueueUrl"]

    def teardown(self) -> None:
        self.run(self.engine.close())
        self.loop.close()

    def _absorb_trace(self) -> None:
        for event in self.events.drain():
            if event.kind == "deleted-message":
                self.deleted.add(event.message_id)
            elif event.kind == "expired":
                self.expired.add(event.message_id)
            elif event.kind == "dead-lettered":
                self.dead_lettered.add(event.message_id)

    # -- rules --------------------------------------------------------------------------------
    @rule(delay=st.sampled_from([0, 0, 3, 20]))
    def send_standard(self, delay: int) -> None:
        self.counter += 1
        result = self.run(
            self.sqs.send_message(
                QueueUrl=self.standard, MessageBody=f"s{self.counter}", DelaySeconds=delay
            )
        )
        self.sent[result["MessageId"]] = "standard"

    @rule(group=st.sampled_from(["a", "b", "c"]), reuse=st.booleans())
    def send_fifo(self, group: str, reuse: bool) -> None:
        self.counter += 1
        now = self.clock.now()
        dedup = f"d{self.counter}"
        if reuse and self.dedup_sent:
            dedup = sorted(self.dedup_sent)[self.counter % len(self.dedup_sent)]
        result = self.run(
            self.sqs.send_message(
                QueueUrl=self.fifo,
                MessageBody=f"f{self.counter}",
                MessageGroupId=group,
                MessageDeduplicationId=dedup,
            )
        )
        previous = self.dedup_sent.get(dedup)
        if previous is not None and now - previous[0] < 300:
            # Deduplicated: the same message id, and no second copy.
            assert result["MessageId"] == previous[1]
            return
        assert result["MessageId"] not in self.sent
        self.dedup_sent[dedup] = (now, result["MessageId"])
        self.sent[result["MessageId"]] = "ordered.fifo"
        self.fifo_order.setdefault(group, []).append(result["MessageId"])

    @rule(fifo=st.booleans(), count=st.integers(1, 10), visibility=st.sampled_from([0, 2, 10]))
    def receive(self, fifo: bool, count: int, visibility: int) -> None:
        url = self.fifo if fifo else self.standard
        result = self.run(
            self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=count,
                VisibilityTimeout=visibility,
                MessageSystemAttributeNames=["MessageGroupId"],
            )
        )
        self._absorb_trace()
        by_group: dict[str, list[str]] = {}
        for message in result.get("Messages", []):
            self.handles.append((url, message["ReceiptHandle"]))
            if fifo:
                group = message["Attributes"]["MessageGroupId"]
                by_group.setdefault(group, []).append(message["MessageId"])
        gone = self.deleted | self.expired | self.dead_lettered
        for group, received in by_group.items():
            outstanding = [m for m in self.fifo_order[group] if m not in gone]
            # Strict order per group: a receive returns the oldest outstanding messages, in order.
            assert received == outstanding[: len(received)], ("FIFO order broken", group)

    @rule(pick=st.integers(0, 1000))
    def delete(self, pick: int) -> None:
        if not self.handles:
            return
        url, handle = self.handles.pop(pick % len(self.handles))
        try:
            self.run(self.sqs.delete_message(QueueUrl=url, ReceiptHandle=handle))
        except ServiceError as error:
            assert "expired" in error.message
        self._absorb_trace()

    @rule(pick=st.integers(0, 1000), seconds=st.sampled_from([0, 1, 30]))
    def change_visibility(self, pick: int, seconds: int) -> None:
        if not self.handles:
            return
        url, handle = self.handles[pick % len(self.handles)]
        try:
            self.run(
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=seconds
                )
            )
        except ServiceError as error:
            assert error.code == "InvalidParameterValue"

    @rule(seconds=st.sampled_from([1, 2, 5, 30, 90, 301]))
    def advance(self, seconds: int) -> None:
        self.run(self.clock.advance(seconds))
        self._absorb_trace()

    # -- invariants -----------------------------------------------------------------------------
    @invariant()
    def no_message_lost_or_invented(self) -> None:
        self._absorb_trace()
        service = self.engine.service("sqs")
        held: dict[str, str] = {}
        for queue in service.queues.values():
            queue.refresh()
            for message in queue.retention:
                if message.state != GONE:
                    assert message.message_id not in held, "a message is held twice"
                    held[message.message_id] = queue.name
            assert queue.total() == sum(1 for q in held.values() if q == queue.name)
        self._absorb_trace()
        for message_id, queue_name in self.sent.items():
            places = [
                message_id in held,
                message_id in self.deleted and message_id not in held,
                message_id in self.expired and message_id not in held,
            ]
            assert sum(places) == 1, (message_id, queue_name, places)
            if message_id in held and held[message_id] == "dlq":
                assert message_id in self.dead_lettered
        assert set(held) <= set(self.sent), "a message was invented"


SqsMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSqsInvariants = SqsMachine.TestCase
