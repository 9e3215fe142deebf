"""A RabbitMQ queue: ready messages in (priority, publish order), consumers, TTL, length limits.

Ready messages sit in one heap ordered by (−priority, publish sequence), so a requeued message goes
back to its original place, as RabbitMQ does. Messages expire only at the head of the queue (as in
RabbitMQ), so one clock timer per queue, armed at the head's deadline, is all expiry needs.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from .errors import precondition
from .model import Entry, Message

if TYPE_CHECKING:
    from engine.clock import Timer

    from .vhost import VirtualHost

OVERFLOW_MODES = ("drop-head", "reject-publish", "reject-publish-dlx")
QUEUE_TYPES = ("classic", "quorum")


class Consumer(Protocol):
    """What a queue hands messages to: an AMQP consumer or a lab-internal one."""

    tag: str
    no_ack: bool
    prefetch: int

    def ready(self) -> bool: ...

    def deliver(self, queue: Queue, entry: Entry) -> None: ...


def _int_arg(queue: str, vhost: str, arguments: dict, name: str, low: int, high: int | None):
    value = arguments.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise precondition(
            f"invalid arg '{name}' for queue '{queue}' in vhost '{vhost}': "
            f"{{unacceptable_type,{type(value).__name__}}}"
        )
    if value < low:
        raise precondition(
            f"invalid arg '{name}' for queue '{queue}' in vhost '{vhost}': "
            f"{{value_negative,{value}}}"
            if value < 0
            else f"invalid arg '{name}' for queue '{queue}' in vhost '{vhost}': "
            f"{{value_zero,{value}}}"
        )
    if high is not None and value > high:
        raise precondition(
            f"invalid arg '{name}' for queue '{queue}' in vhost '{vhost}': "
            f"{{value_too_large,{value},{high}}}"
        )
    return value


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


class QueueSettings:
    """A queue's `x-` arguments, checked the way RabbitMQ checks them at declare time."""

    __slots__ = (
        "dead_letter_exchange",
        "dead_letter_routing_key",
        "delivery_limit",
        "expires_ms",
        "kind",
        "max_length",
        "max_length_bytes",
        "max_priority",
        "message_ttl_ms",
        "overflow",
    )

    def __init__(self, name: str, vhost: str, arguments: dict[str, Any]) -> None:
        kind = _text(arguments.get("x-queue-type", "classic"))
        if kind not in QUEUE_TYPES:
            raise precondition(
                f"invalid arg 'x-queue-type' for queue '{name}' in vhost '{vhost}': "
                f'{{unsupported_queue_type,<<"{kind}">>}}'
                if kind != "stream"
                else "the lab does not emulate stream queues; use classic or quorum"
            )
        self.kind = kind
        self.message_ttl_ms = _int_arg(name, vhost, arguments, "x-message-ttl", 0, 2**32 - 1)
        self.expires_ms = _int_arg(name, vhost, arguments, "x-expires", 1, 2**32 - 1)
        self.max_length = _int_arg(name, vhost, arguments, "x-max-length", 0, None)
        self.max_length_bytes = _int_arg(name, vhost, arguments, "x-max-length-bytes", 0, None)
        self.max_priority = _int_arg(name, vhost, arguments, "x-max-priority", 0, 255)
        self.delivery_limit = _int_arg(name, vhost, arguments, "x-delivery-limit", 0, None)
        overflow = _text(arguments.get("x-overflow", "drop-head"))
        if overflow not in OVERFLOW_MODES:
            raise precondition(
                f"invalid arg 'x-overflow' for queue '{name}' in vhost '{vhost}': "
                f'{{unknown_overflow_type,<<"{overflow}">>}}'
            )
        self.overflow = overflow
        dlx = _text(arguments.get("x-dead-letter-exchange"))
        self.dead_letter_exchange = dlx if isinstance(dlx, str) else None
        dlrk = _text(arguments.get("x-dead-letter-routing-key"))
        self.dead_letter_routing_key = dlrk if isinstance(dlrk, str) else None
        if kind == "classic" and self.delivery_limit is not None:
            # Classic queues accept and ignore x-delivery-limit, as RabbitMQ does.
            self.delivery_limit = None


class Queue:
    """One queue in a vhost."""

    def __init__(
        self,
        vhost: VirtualHost,
        name: str,
        *,
        durable: bool,
        exclusive_owner: object | None,
        auto_delete: bool,
        arguments: dict[str, Any],
    ) -> None:
        self.vhost = vhost
        self.name = name
        self.durable = durable
        self.exclusive_owner = exclusive_owner
        self.auto_delete = auto_delete
        self.arguments = dict(arguments)
        self.settings = QueueSettings(name, vhost.name, arguments)
        self.clock = vhost.clock
        self._ready: list[tuple[int, int, Entry]] = []
        self.ready_bytes = 0
        self.unacked = 0
        self.consumers: deque[Consumer] = deque()
        self.had_consumer = False
        self._seq = 0
        self._expiry_timer: Timer | None = None
        self._expiry_at: float | None = None
        self._idle_timer: Timer | None = None
        self.deleted = False
        # Running totals the flow map and the management API sample.
        self.published = 0
        self.delivered = 0
        self.acked = 0
        self.dead_lettered = 0
        self.dropped = 0
        self._touch()

    # -- views -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """`classic` or `quorum`."""
        return self.settings.kind

    @property
    def ready_count(self) -> int:
        """Messages waiting to be delivered."""
        return len(self._ready)

    def describe(self) -> dict[str, Any]:
        """The queue as the management API's /api/queues shows it."""
        return {
            "name": self.name,
            "vhost": self.vhost.name,
            "type": self.kind,
            "durable": self.durable,
            "auto_delete": self.auto_delete,
            "exclusive": self.exclusive_owner is not None,
            "arguments": dict(self.arguments),
            "messages": len(self._ready) + self.unacked,
            "messages_ready": len(self._ready),
            "messages_unacknowledged": self.unacked,
            "message_bytes_ready": self.ready_bytes,
            "consumers": len(self.consumers),
            "state": "running",
            "message_stats": {
                "publish": self.published,
                "deliver_get": self.delivered,
                "ack": self.acked,
            },
        }

    # -- arriving -------------------------------------------------------------------------
    def enqueue(self, message: Message) -> bool:
        """Accept a routed message; False when `reject-publish` refuses it (queue full)."""
        settings = self.settings
        size = len(message.body)
        if settings.overflow != "drop-head" and self._full_with(size):
            if settings.overflow == "reject-publish-dlx":
                self.vhost.dead_letter(self, Entry(message, 0, 0, None), "maxlen")
            self.dropped += 1
            return False
        self.published += 1
        self._seq += 1
        priority = 0
        if settings.max_priority is not None:
            priority = min(message.properties.priority or 0, settings.max_priority)
        entry = Entry(message, self._seq, priority, self._deadline(message))
        heapq.heappush(self._ready, (-priority, entry.seq, entry))
        self.ready_bytes += size
        if settings.overflow == "drop-head":
            while self._over_limit():
                self._drop_head("maxlen")
        if self.consumers:
            self.dispatch()
        self._arm_expiry()
        return True

    def _full_with(self, size: int) -> bool:
        settings = self.settings
        if settings.max_length is not None and len(self._ready) + 1 > settings.max_length:
            return True
        limit = settings.max_length_bytes
        return limit is not None and self.ready_bytes + size > limit

    def _over_limit(self) -> bool:
        settings = self.settings
        if settings.max_length is not None and len(self._ready) > settings.max_length:
            return True
        limit = settings.max_length_bytes
        return limit is not None and self.ready_bytes > limit

    def _deadline(self, message: Message) -> float | None:
        ttl = self.settings.message_ttl_ms
        expiration = message.properties.expiration
        if expiration is not None:
            per_message = int(expiration)
            ttl = per_message if ttl is None else min(ttl, per_message)
        if ttl is None:
            return None
        return message.published_at + ttl / 1000.0

    # -- leaving ----------------------------------------------------------------------------
    def _pop(self) -> Entry:
        entry = heapq.heappop(self._ready)[2]
        self.ready_bytes -= len(entry.message.body)
        return entry

    def _drop_head(self, reason: str) -> None:
        entry = self._pop()
        self.vhost.dead_letter(self, entry, reason)

    def take(self) -> Entry | None:
        """The next live message (expired ones at the head are dead-lettered on the way)."""
        ready = self._ready
        now = self.clock.now()
        while ready:
            entry = ready[0][2]
            if entry.expires_at is not None and entry.expires_at <= now:
                self._drop_head("expired")
                continue
            self._pop()
            self.delivered += 1
            return entry
        return None

    def dispatch(self) -> None:
        """Hand ready messages to consumers with credit, round robin."""
        consumers = self.consumers
        while self._ready and consumers:
            consumer = None
            for _ in range(len(consumers)):
                candidate = consumers[0]
                consumers.rotate(-1)
                if candidate.ready():
                    consumer = candidate
                    break
            if consumer is None:
                break
            entry = self.take()
            if entry is None:
                break
            if not consumer.no_ack:
                self.unacked += 1
            consumer.deliver(self, entry)
        self._arm_expiry()

    # -- settling ---------------------------------------------------------------------------
    def acknowledged(self, entry: Entry) -> None:
        """An unacked delivery was acked."""
        self.unacked -= 1
        self.acked += 1

    def rejected(self, entry: Entry) -> None:
        """An unacked delivery was rejected without requeue: dead-letter it."""
        self.unacked -= 1
        self.vhost.dead_letter(self, entry, "rejected")

    def requeue(self, entry: Entry) -> None:
        """Return an unacked delivery to its original place (quorum: counting delivery attempts)."""
        self.unacked -= 1
        if self.deleted:
            return
        entry.redelivered = True
        if self.kind == "quorum":
            entry.delivery_count += 1
            limit = self.settings.delivery_limit
            if limit is not None and entry.delivery_count > limit:
                self.vhost.dead_letter(self, entry, "delivery_limit")
                return
        heapq.heappush(self._ready, (-entry.priority, entry.seq, entry))
        self.ready_bytes += len(entry.message.body)

    def purge(self) -> int:
        """Drop every ready message; how many there were."""
        count = len(self._ready)
        self._ready.clear()
        self.ready_bytes = 0
        self._arm_expiry()
        return count

    # -- consumers ------------------------------------------------------------------------------
    def add_consumer(self, consumer: Consumer) -> None:
        """Start delivering to `consumer`."""
        self.consumers.append(consumer)
        self.had_consumer = True
        self._touch()
        self.dispatch()

    def remove_consumer(self, consumer: Consumer) -> None:
        """Stop delivering to `consumer` (auto-delete queues go with their last consumer)."""
        try:
            self.consumers.remove(consumer)
        except ValueError:
            return
        if not self.consumers:
            if self.auto_delete and self.had_consumer:
                self.vhost.delete_queue(self)
                return
            self._touch()

    # -- timers -----------------------------------------------------------------------------------
    def _arm_expiry(self) -> None:
        deadline = self._ready[0][2].expires_at if self._ready else None
        if deadline == self._expiry_at:
            return
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        self._expiry_at = deadline
        if deadline is not None:
            self._expiry_timer = self.clock.call_at(deadline, self._expire)

    def _expire(self) -> None:
        self._expiry_timer = None
        self._expiry_at = None
        now = self.clock.now()
        ready = self._ready
        while ready and ready[0][2].expires_at is not None and ready[0][2].expires_at <= now:
            self._drop_head("expired")
        self._arm_expiry()

    def _touch(self) -> None:
        """The queue was used: restart its `x-expires` countdown (while it has no consumers)."""
        expires = self.settings.expires_ms
        if expires is None:
            return
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if not self.consumers:
            self._idle_timer = self.clock.call_later(expires / 1000.0, self._idle_expired)

    def touched(self) -> None:
        """Public hook for basic.get and re-declare (both count as use)."""
        self._touch()

    def _idle_expired(self) -> None:
        self._idle_timer = None
        if not self.consumers and not self.deleted:
            self.vhost.delete_queue(self)

    def close(self) -> None:
        """Release timers and messages (the queue was deleted)."""
        self.deleted = True
        for timer in (self._expiry_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._expiry_timer = self._idle_timer = None
        self._ready.clear()
        self.ready_bytes = 0
