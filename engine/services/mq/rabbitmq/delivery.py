"""Unacknowledged deliveries and consumers: what an AMQP channel (or a lab session) holds.

A `Holder` numbers deliveries with tags, keeps the unacked ones in tag order, and settles them:
ack, nack/reject (requeue or dead-letter), recover. Consumers (`Subscription`) take messages while
their own prefetch and the holder's global prefetch leave credit, as RabbitMQ's basic.qos does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from .errors import precondition
from .model import Entry
from .queues import Queue

if TYPE_CHECKING:
    from engine.clock import Timer

    from .broker import RabbitBroker


class Delivery:
    """One unacked delivery."""

    __slots__ = ("consumer", "delivered_at", "entry", "queue", "tag")

    def __init__(
        self,
        tag: int,
        queue: Queue,
        entry: Entry,
        consumer: Subscription | None,
        delivered_at: float,
    ):
        self.tag = tag
        self.queue = queue
        self.entry = entry
        self.consumer = consumer
        self.delivered_at = delivered_at


class Subscription:
    """A consumer on a queue, owned by a holder."""

    __slots__ = (
        "arguments",
        "exclusive",
        "holder",
        "no_ack",
        "prefetch",
        "queue",
        "tag",
        "unacked",
    )

    def __init__(
        self, holder: Holder, queue: Queue, tag: str, no_ack: bool, exclusive: bool, prefetch: int
    ) -> None:
        self.holder = holder
        self.queue = queue
        self.tag = tag
        self.no_ack = no_ack
        self.exclusive = exclusive
        self.prefetch = prefetch
        self.unacked = 0
        self.arguments: dict = {}

    def ready(self) -> bool:
        """Whether this consumer may take another message now."""
        holder = self.holder
        if not holder.active:
            return False
        if self.no_ack:
            return True
        if self.prefetch and self.unacked >= self.prefetch:
            return False
        return holder.has_credit()

    def deliver(self, queue: Queue, entry: Entry) -> None:
        """Hand `entry` to the holder (it writes the frames or buffers it)."""
        self.holder.deliver(self, queue, entry)

    def cancelled_by_broker(self) -> None:
        """The queue went away: tell the holder."""
        self.holder.consumer_cancelled(self)


class Holder(ABC):
    """Deliveries and consumers of one channel or lab session."""

    def __init__(self, broker: RabbitBroker) -> None:
        self.broker = broker
        self.unacked: dict[int, Delivery] = {}
        self.consumers: dict[str, Subscription] = {}
        self.next_tag = 0
        self.prefetch_consumer = 0  # basic.qos global=false: applies to consumers started later
        self.prefetch_channel = 0  # basic.qos global=true: shared by the channel's consumers
        self.active = True
        self.ack_timer: Timer | None = None

    # -- consumer_timeout: an unacked delivery older than the broker's limit closes the channel --
    def _arm_ack_timer(self) -> None:
        limit = self.broker.consumer_timeout_ms
        if not self.unacked or not limit:
            self.ack_timer = None
            return
        oldest = next(iter(self.unacked.values()))
        self.ack_timer = self.broker.clock.call_at(
            oldest.delivered_at + limit / 1000.0, self._ack_deadline
        )

    def _ack_deadline(self) -> None:
        self.ack_timer = None
        limit = self.broker.consumer_timeout_ms
        if self.unacked and limit:
            oldest = next(iter(self.unacked.values()))
            if self.broker.clock.now() - oldest.delivered_at >= limit / 1000.0:
                self.ack_timed_out(limit)
                return
        self._arm_ack_timer()

    def ack_timed_out(self, limit_ms: int) -> None:
        """The oldest delivery was not acked in time (an AMQP channel closes with 406)."""
        self.recover()

    def stop_ack_timer(self) -> None:
        """Forget the consumer-timeout timer (the holder is closing)."""
        if self.ack_timer is not None:
            self.ack_timer.cancel()
            self.ack_timer = None

    def has_credit(self) -> bool:
        """Whether the channel-wide prefetch leaves room for one more unacked delivery."""
        return not self.prefetch_channel or len(self.unacked) < self.prefetch_channel

    def record(
        self, queue: Queue, entry: Entry, consumer: Subscription | None, no_ack: bool
    ) -> int:
        """Give a delivery its tag, tracking it unless no-ack."""
        self.next_tag += 1
        tag = self.next_tag
        if not no_ack:
            self.unacked[tag] = Delivery(tag, queue, entry, consumer, self.broker.clock.now())
            if consumer is not None:
                consumer.unacked += 1
            if self.ack_timer is None:
                self._arm_ack_timer()
        if self.broker.trace.enabled:
            message = entry.message
            self.broker.emit(
                "delivered",
                self.broker.queue_id(queue.vhost.name, queue.name),
                message_id=message.id,
                trace_id=message.trace_id,
                delivery_tag=tag,
                consumer=consumer.tag if consumer is not None else None,
                redelivered=entry.redelivered,
            )
        return tag

    @abstractmethod
    def deliver(self, consumer: Subscription, queue: Queue, entry: Entry) -> None:
        """Deliver to a consumer (subclasses write frames or buffer)."""

    def consumer_cancelled(self, consumer: Subscription) -> None:
        """The broker cancelled a consumer (its queue was deleted)."""
        self.consumers.pop(consumer.tag, None)

    # -- settling ---------------------------------------------------------------------------
    def _select(self, tag: int, multiple: bool) -> list[Delivery]:
        unacked = self.unacked
        if multiple:
            # Tags are issued in order, so the dict's order is tag order: stop at the first above.
            keys = []
            for key in unacked:
                if tag and key > tag:
                    break
                keys.append(key)
            return [unacked.pop(key) for key in keys]
        delivery = unacked.pop(tag, None)
        if delivery is None:
            raise precondition(f"unknown delivery tag {tag}")
        return [delivery]

    def ack(self, tag: int, multiple: bool = False) -> None:
        """basic.ack."""
        if multiple or self.prefetch_channel or self.broker.trace.enabled:
            self._settle(self._select(tag, multiple), "acked", requeue=False)
            return
        # The common case, one ack with per-consumer prefetch: only its consumer gains credit.
        delivery = self.unacked.pop(tag, None)
        if delivery is None:
            raise precondition(f"unknown delivery tag {tag}")
        queue = delivery.queue
        queue.acknowledged(delivery.entry)
        consumer = delivery.consumer
        if consumer is not None:
            consumer.unacked -= 1
            target = consumer.queue
            if target.ready_count and not target.deleted:
                target.dispatch()

    def nack(self, tag: int, multiple: bool = False, requeue: bool = True) -> None:
        """basic.nack / basic.reject."""
        self._settle(self._select(tag, multiple), "nacked", requeue=requeue)

    def recover(self) -> None:
        """basic.recover(requeue=true): every unacked delivery goes back to its queue."""
        deliveries = list(self.unacked.values())
        self.unacked.clear()
        self._settle(deliveries, "requeued", requeue=True)

    def _settle(self, deliveries: list[Delivery], outcome: str, *, requeue: bool) -> None:
        touched: dict[int, Queue] = {}
        tracing = self.broker.trace.enabled
        for delivery in deliveries:
            queue = delivery.queue
            if delivery.consumer is not None:
                delivery.consumer.unacked -= 1
            if outcome == "acked":
                queue.acknowledged(delivery.entry)
            elif requeue:
                queue.requeue(delivery.entry)
            else:
                queue.rejected(delivery.entry)
            touched[id(queue)] = queue
            if tracing:
                message = delivery.entry.message
                self.broker.emit(
                    outcome if outcome != "nacked" or not requeue else "requeued",
                    self.broker.queue_id(queue.vhost.name, queue.name),
                    message_id=message.id,
                    trace_id=message.trace_id,
                    delivery_tag=delivery.tag,
                )
        for consumer in self.consumers.values():
            touched[id(consumer.queue)] = consumer.queue
        for queue in touched.values():
            if not queue.deleted:
                queue.dispatch()

    def release(self) -> None:
        """The channel closed: cancel its consumers and requeue everything it held."""
        self.stop_ack_timer()
        for consumer in list(self.consumers.values()):
            consumer.queue.remove_consumer(consumer)
        self.consumers.clear()
        self.recover()

    # -- consumers ---------------------------------------------------------------------------
    def subscribe(
        self, queue: Queue, tag: str, *, no_ack: bool = False, exclusive: bool = False
    ) -> Subscription:
        """Create a consumer (the caller adds it to the queue when ready to receive)."""
        consumer = Subscription(self, queue, tag, no_ack, exclusive, self.prefetch_consumer)
        self.consumers[tag] = consumer
        return consumer

    def get(self, queue: Queue, no_ack: bool) -> tuple[int, Entry] | None:
        """basic.get: take one message (tag, entry), or None when the queue is empty."""
        queue.touched()
        entry = queue.take()
        if entry is None:
            return None
        if not no_ack:
            queue.unacked += 1
        return self.record(queue, entry, None, no_ack), entry


class Session(Holder):
    """A lab-side holder (console `mq consume`, Lambda and Pipes pollers): deliveries buffer here."""

    def __init__(self, broker: RabbitBroker, on_delivery=None) -> None:
        super().__init__(broker)
        self.buffer: list[tuple[int, Queue, Entry]] = []
        self.on_delivery = on_delivery

    def deliver(self, consumer: Subscription, queue: Queue, entry: Entry) -> None:
        tag = self.record(queue, entry, consumer, consumer.no_ack)
        self.buffer.append((tag, queue, entry))
        if self.on_delivery is not None:
            self.on_delivery()

    def drain(self, limit: int) -> list[tuple[int, Queue, Entry]]:
        """Up to `limit` buffered deliveries, oldest first."""
        taken, self.buffer = self.buffer[:limit], self.buffer[limit:]
        return taken
