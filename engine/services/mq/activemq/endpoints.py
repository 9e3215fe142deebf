"""Where messages wait: a queue or a topic subscription, its consumers, prefetch and message groups.

Ready messages are one heap ordered by (priority, arrival): a redelivered message returns to its
place. Dispatch goes round-robin over consumers with room under their prefetch whose selector
matches; a message that no attached consumer selects is parked until a consumer arrives, so
selectors never make dispatch rescan the backlog.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .model import Destination, Message
from .selector import Selector

if TYPE_CHECKING:
    from .core import JmsCore

#: ActiveMQ's default prefetch for queue consumers (topics use 32766; STOMP may set its own).
DEFAULT_PREFETCH = 1000
AUTO = "auto"
CLIENT = "client"
INDIVIDUAL = "client-individual"
#: STOMP's (and the console's) acknowledgement modes.
ACK_MODES = (AUTO, CLIENT, INDIVIDUAL)


class Consumer:
    """One attached consumer: ack mode, prefetch, selector, and what it holds unacknowledged."""

    __slots__ = (
        "ack_mode",
        "deliver",
        "endpoint",
        "id",
        "inflight",
        "prefetch",
        "selector",
    )

    def __init__(
        self,
        consumer_id: str,
        deliver: Callable[[Consumer, Message], None],
        *,
        ack_mode: str = AUTO,
        prefetch: int = DEFAULT_PREFETCH,
        selector: Selector | None = None,
    ) -> None:
        self.id = consumer_id
        self.deliver = deliver
        self.ack_mode = ack_mode
        self.prefetch = max(1, prefetch)
        self.selector = selector
        self.endpoint: Endpoint | None = None
        #: message id → message, in delivery order (client acks are cumulative over it).
        self.inflight: dict[str, Message] = {}

    @property
    def has_room(self) -> bool:
        """Whether prefetch allows another delivery."""
        return self.ack_mode == AUTO or len(self.inflight) < self.prefetch

    def selects(self, message: Message) -> bool:
        """Whether this consumer's selector takes `message`."""
        return self.selector is None or self.selector.matches(message.get)


class Endpoint:
    """A queue, or one subscription of a topic: a backlog and the consumers that drain it."""

    def __init__(
        self,
        core: JmsCore,
        node_id: str,
        destination: Destination,
        *,
        selector: Selector | None = None,
        durable: str | None = None,
    ) -> None:
        self.core = core
        self.node_id = node_id
        self.destination = destination
        #: A topic subscription's selector filters at publish; a queue's live on its consumers.
        self.selector = selector
        self.durable = durable
        self.consumers: list[Consumer] = []
        self._ready: list[tuple[int, int, Message]] = []
        self._parked: list[Message] = []
        self._next = 0
        self._groups: dict[str, Consumer] = {}
        self._dispatching = False
        self.enqueued = 0
        self.dequeued = 0
        self.dispatched = 0
        self.expired = 0
        self.redelivering = 0  # messages waiting out a redelivery delay

    @property
    def depth(self) -> int:
        """Messages waiting (or waiting to be redelivered) or delivered but not yet acknowledged."""
        held = sum(len(c.inflight) for c in self.consumers)
        return len(self._ready) + len(self._parked) + self.redelivering + held

    @property
    def ready_count(self) -> int:
        """Messages not delivered to any consumer."""
        return len(self._ready) + len(self._parked)

    # -- arrival -------------------------------------------------------------------------------
    def enqueue(self, message: Message) -> None:
        """A message arrives (or returns for redelivery) and is dispatched if a consumer can take it."""
        heapq.heappush(self._ready, (-message.priority, message.seq, message))
        self.dispatch()

    def add_consumer(self, consumer: Consumer) -> None:
        """Attach a consumer; parked messages get another look."""
        consumer.endpoint = self
        self.consumers.append(consumer)
        if self._parked:
            for message in self._parked:
                heapq.heappush(self._ready, (-message.priority, message.seq, message))
            self._parked.clear()
        self.dispatch()

    def remove_consumer(self, consumer: Consumer) -> list[Message]:
        """Detach a consumer; returns what it held unacknowledged (its groups are released)."""
        if consumer in self.consumers:
            self.consumers.remove(consumer)
        for group in [g for g, owner in self._groups.items() if owner is consumer]:
            del self._groups[group]
        held = list(consumer.inflight.values())
        consumer.inflight.clear()
        return held

    # -- dispatch ------------------------------------------------------------------------------
    def dispatch(self) -> None:
        """Hand ready messages to consumers with room, round-robin, respecting groups and selectors."""
        if self._dispatching or not self.consumers:
            return
        self._dispatching = True
        waiting: list[tuple[int, int, Message]] = []
        now_ms = int(self.core.clock.now() * 1000)
        try:
            while self._ready and any(c.has_room for c in self.consumers):
                entry = heapq.heappop(self._ready)
                message = entry[2]
                if message.expiration and message.expiration <= now_ms:
                    self.expired += 1
                    self.core.expire(self, message)
                    continue
                consumer, possible = self._choose(message)
                if consumer is None:
                    if possible:
                        waiting.append(entry)
                    else:
                        self._parked.append(message)
                    continue
                self._deliver(consumer, message)
        finally:
            for entry in waiting:
                heapq.heappush(self._ready, entry)
            self._dispatching = False

    def _choose(self, message: Message) -> tuple[Consumer | None, bool]:
        """The consumer for `message`, and whether one could take it later (when it has room)."""
        group = message.group_id
        if group is not None:
            owner = self._groups.get(group)
            if owner is not None:
                return (owner if owner.has_room else None), True
        consumers = self.consumers
        count = len(consumers)
        possible = False
        for step in range(count):
            consumer = consumers[(self._next + step) % count]
            if not consumer.selects(message):
                continue
            possible = True
            if consumer.has_room:
                self._next = (self._next + step + 1) % count
                if group is not None:
                    self._groups[group] = consumer
                return consumer, True
        return None, possible

    def _deliver(self, consumer: Consumer, message: Message) -> None:
        self.dispatched += 1
        if consumer.ack_mode == AUTO:
            self.dequeued += 1
        else:
            consumer.inflight[message.id] = message
        self.core.dispatched(self, consumer, message)
        consumer.deliver(consumer, message)

    # -- settlement ----------------------------------------------------------------------------
    def ack(self, consumer: Consumer, message_id: str, *, cumulative: bool) -> list[Message]:
        """Acknowledge one delivery (client-individual) or it and every earlier one (client)."""
        inflight = consumer.inflight
        if message_id not in inflight:
            return []
        acked: list[Message] = []
        if cumulative:
            for key in list(inflight):
                acked.append(inflight.pop(key))
                if key == message_id:
                    break
        else:
            acked.append(inflight.pop(message_id))
        self.dequeued += len(acked)
        self.dispatch()
        return acked

    def take_back(self, consumer: Consumer, message_id: str) -> Message | None:
        """Remove an unacknowledged delivery from its consumer (for NACK or rollback)."""
        return consumer.inflight.pop(message_id, None)

    def drain(self) -> list[Message]:
        """Every message held here, ready or in flight (the endpoint is being destroyed)."""
        held = [entry[2] for entry in self._ready] + self._parked
        for consumer in self.consumers:
            held.extend(consumer.inflight.values())
            consumer.inflight.clear()
        self._ready.clear()
        self._parked.clear()
        return held

    def browse(self) -> list[Message]:
        """Ready messages in delivery order (a queue browser's view)."""
        return [entry[2] for entry in sorted(self._ready)] + list(self._parked)

    def stats(self) -> dict[str, Any]:
        """Counters for topology and the console."""
        return {
            "depth": self.depth,
            "consumers": len(self.consumers),
            "enqueued": self.enqueued,
            "dequeued": self.dequeued,
            "dispatched": self.dispatched,
            "expired": self.expired,
        }
