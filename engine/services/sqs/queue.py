"""One SQS queue: its messages and the deadlines that move them between states.

A message is *delayed*, *visible*, *in flight* or gone. A standard queue keeps visible messages in a
deque; a FIFO queue keeps one deque per message group plus a rotation of groups that may be read.
In-flight and delayed messages sit in heaps keyed by their deadline; one clock timer per queue is armed
at the earliest deadline, so visibility returns, delays and retention happen at the right simulated
time while each operation stays O(1) or O(log n).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .attributes import QueueSettings

if TYPE_CHECKING:
    from engine.clock import Clock, Timer

DELAYED, VISIBLE, IN_FLIGHT, GONE = 0, 1, 2, 3

#: How long FIFO deduplication ids and receive-attempt ids are remembered.
DEDUPLICATION_WINDOW = 300.0


class Message:
    """A message and where it is in its life."""

    __slots__ = (
        "message_id",
        "body",
        "attributes",
        "system_attributes",
        "sent_at",
        "sequence",
        "state",
        "deadline",
        "receive_count",
        "first_receive_at",
        "receive_generation",
        "received_at",
        "group_id",
        "dedup_id",
        "sequence_number",
        "trace_id",
        "dead_letter_source",
        "size",
        "duplicate_pending",
        "duplicate_rolled",
        "md5",
    )

    def __init__(
        self,
        message_id: str,
        body: str,
        attributes: dict | None,
        system_attributes: dict | None,
        sent_at: float,
        sequence: int,
        size: int,
        trace_id: str | None,
        group_id: str | None = None,
        dedup_id: str | None = None,
        sequence_number: str | None = None,
    ) -> None:
        self.message_id = message_id
        self.body = body
        self.attributes = attributes
        self.system_attributes = system_attributes
        self.sent_at = sent_at
        self.sequence = sequence
        self.state = VISIBLE
        self.deadline = 0.0
        self.receive_count = 0
        self.first_receive_at: float | None = None
        self.receive_generation = 0
        self.received_at = 0.0
        self.group_id = group_id
        self.dedup_id = dedup_id
        self.sequence_number = sequence_number
        self.trace_id = trace_id
        self.dead_letter_source: str | None = None
        self.size = size
        self.duplicate_pending = False
        #: The duplicate fault has had its one chance on this message (or this is the copy).
        self.duplicate_rolled = False
        self.md5 = ""


@dataclass(slots=True)
class Group:
    """A FIFO message group: its waiting messages in order and how many are in flight."""

    messages: deque[Message] = field(default_factory=deque)
    in_flight: int = 0
    in_rotation: bool = False


class Queue:
    """The messages of one queue and the clock-driven moves between their states."""

    def __init__(
        self,
        name: str,
        url: str,
        arn: str,
        settings: QueueSettings,
        clock: Clock,
        created_at: float,
        on_event: Callable[[str, Queue, Message, dict], None],
    ) -> None:
        self.name = name
        self.url = url
        self.arn = arn
        self.settings = settings
        self.clock = clock
        self.created_at = created_at
        self.modified_at = created_at
        self.tags: dict[str, str] = {}
        self.fifo = settings.fifo
        self._on_event = on_event
        # Standard: visible messages in arrival order (stale entries skipped lazily).
        self.ready: deque[Message] = deque()
        # FIFO: per-group queues and the rotation of groups that can be read now.
        self.groups: dict[str, Group] = {}
        self.rotation: deque[str] = deque()
        self.in_flight_heap: list[tuple[float, int, int, Message]] = []
        self.delayed_heap: list[tuple[float, int, Message]] = []
        self.by_receipt: dict[str, Message] = {}  # message id → message, once received
        self.retention: deque[Message] = deque()
        self.visible_count = 0
        self.in_flight_count = 0
        self.delayed_count = 0
        self._sequence = 0
        self._timer: Timer | None = None
        self.waiters: deque[asyncio.Future] = deque()
        self.listeners: list[Callable[[], None]] = []
        # FIFO bookkeeping.
        self.dedup: dict[str, tuple[float, str, str | None]] = {}
        self.dedup_order: deque[tuple[float, str]] = deque()
        self.receive_attempts: dict[str, tuple[float, list[tuple[Message, int]]]] = {}
        self.sequence_counter = 10_000_000_000_000_000_000
        self.last_purge: float | None = None
        self.counters = {
            "sent": 0,
            "received": 0,
            "deleted": 0,
            "dead_lettered": 0,
            "expired": 0,
            "returned": 0,
        }

    # -- counts ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Apply every deadline that has passed: delays end, visibility returns, retention."""
        now = self.clock.now()
        self._expire_retention(now)
        if self.delayed_heap and self.delayed_heap[0][0] <= now:
            self._release_delayed(now)
        if self.in_flight_heap and self.in_flight_heap[0][0] <= now:
            self._return_in_flight(now)

    def next_sequence(self) -> int:
        """A queue-local counter that orders messages by arrival."""
        self._sequence += 1
        return self._sequence

    # -- adding ---------------------------------------------------------------------------
    def add(self, message: Message, delay: float) -> None:
        """Enqueue a new (or moved) message, visible now or after `delay` seconds."""
        self.retention.append(message)
        self._arm(message.sent_at + self.settings.retention_period)
        if delay > 0:
            message.state = DELAYED
            message.deadline = self.clock.now() + delay
            heapq.heappush(self.delayed_heap, (message.deadline, message.sequence, message))
            self.delayed_count += 1
            self._arm(message.deadline)
        else:
            self._make_visible(message, at_front=False)
            self._notify()

    def restore_in_flight(self, message: Message, remaining: float) -> None:
        """Re-add a saved in-flight message: invisible for the `remaining` seconds it had."""
        self.retention.append(message)
        self._arm(message.sent_at + self.settings.retention_period)
        message.state = IN_FLIGHT
        self.in_flight_count += 1
        self.by_receipt[message.message_id] = message
        if self.fifo:
            self._group(message).in_flight += 1
        self._schedule_in_flight(message, self.clock.now() + remaining)

    def _make_visible(self, message: Message, *, at_front: bool) -> None:
        message.state = VISIBLE
        self.visible_count += 1
        if self.fifo:
            group = self.groups.get(message.group_id or "")
            if group is None:
                group = self.groups[message.group_id or ""] = Group()
            if at_front:
                group.messages.appendleft(message)
            else:
                group.messages.append(message)
            if group.in_flight == 0 and not group.in_rotation:
                group.in_rotation = True
                self.rotation.append(message.group_id or "")
        elif at_front:
            self.ready.appendleft(message)
        else:
            self.ready.append(message)

    # -- taking ---------------------------------------------------------------------------
    def take_visible(
        self, limit: int, reorder: Callable[[int], int] | None = None
    ) -> list[Message]:
        """Up to `limit` visible messages, removed from the visible set (caller marks them)."""
        taken: list[Message] = []
        if self.fifo:
            rotation = self.rotation
            while rotation and len(taken) < limit:
                group_id = rotation.popleft()
                group = self.groups.get(group_id)
                if group is None:
                    continue
                group.in_rotation = False
                messages = group.messages
                while messages and len(taken) < limit:
                    message = messages.popleft()
                    if message.state != VISIBLE:
                        continue
                    taken.append(message)
                    self.visible_count -= 1
                    group.in_flight += 1
                if not messages and group.in_flight == 0:
                    del self.groups[group_id]
            return taken
        ready = self.ready
        while ready and len(taken) < limit:
            if reorder is not None and len(ready) > 1:
                index = reorder(min(len(ready), 10))
                if index:
                    ready[0], ready[index] = ready[index], ready[0]
            message = ready.popleft()
            if message.state != VISIBLE:
                continue
            taken.append(message)
            self.visible_count -= 1
        return taken

    def put_in_flight(self, message: Message, visibility: float) -> None:
        """Mark a taken message as received: invisible until `visibility` seconds pass."""
        now = self.clock.now()
        message.state = IN_FLIGHT
        message.receive_count += 1
        message.receive_generation += 1
        message.received_at = now
        if message.first_receive_at is None:
            message.first_receive_at = now
        self.in_flight_count += 1
        self.by_receipt[message.message_id] = message
        self._schedule_in_flight(message, now + visibility)

    def _schedule_in_flight(self, message: Message, deadline: float) -> None:
        message.deadline = deadline
        heapq.heappush(
            self.in_flight_heap, (deadline, message.sequence, message.receive_generation, message)
        )
        if len(self.in_flight_heap) > 2 * self.in_flight_count + 1024:
            self._compact_in_flight()
        self._arm(deadline)

    def change_visibility(self, message: Message, seconds: float) -> None:
        """Reset an in-flight (or visible) message's visibility timeout from now."""
        now = self.clock.now()
        if message.state == VISIBLE:
            self._remove_visible(message)
            message.state = IN_FLIGHT
            self.in_flight_count += 1
            if self.fifo:
                self._group(message).in_flight += 1
        self._schedule_in_flight(message, now + seconds)
        if seconds == 0:
            self.refresh()

    def _remove_visible(self, message: Message) -> None:
        """Take a specific visible message out of the visible set."""
        self.visible_count -= 1
        if self.fifo:
            group = self._group(message)
            try:
                group.messages.remove(message)
            except ValueError:
                pass
        else:
            # Lazy: the stale deque entry is skipped because the state changes.
            message.state = IN_FLIGHT
            self.ready = deque(m for m in self.ready if m is not message)

    def _group(self, message: Message) -> Group:
        group = self.groups.get(message.group_id or "")
        if group is None:
            group = self.groups[message.group_id or ""] = Group()
        return group

    def remove(self, message: Message) -> None:
        """Delete a message for good (deleted, moved to a DLQ, purged or expired)."""
        state = message.state
        if state == GONE:
            return
        if state == IN_FLIGHT:
            self.in_flight_count -= 1
            if self.fifo:
                self._release_group_slot(message)
        elif state == VISIBLE:
            self.visible_count -= 1
            if self.fifo:
                group = self.groups.get(message.group_id or "")
                if group is not None:
                    try:
                        group.messages.remove(message)
                    except ValueError:
                        pass
                    if not group.messages and group.in_flight == 0:
                        self._drop_group(message.group_id or "")
        elif state == DELAYED:
            self.delayed_count -= 1
        message.state = GONE
        self.by_receipt.pop(message.message_id, None)

    def discard_taken(self, message: Message) -> None:
        """Drop a message `take_visible` returned that will not go in flight (dead-lettered)."""
        if self.fifo:
            self._release_group_slot(message)
        message.state = GONE
        self.by_receipt.pop(message.message_id, None)

    def _release_group_slot(self, message: Message) -> None:
        group_id = message.group_id or ""
        group = self.groups.get(group_id)
        if group is None:
            return
        group.in_flight -= 1
        if group.in_flight == 0:
            if group.messages:
                if not group.in_rotation:
                    group.in_rotation = True
                    self.rotation.append(group_id)
                    self._notify()
            else:
                self._drop_group(group_id)

    def _drop_group(self, group_id: str) -> None:
        group = self.groups.pop(group_id, None)
        if group is not None and group.in_rotation:
            try:
                self.rotation.remove(group_id)
            except ValueError:
                pass

    # -- deadlines --------------------------------------------------------------------------
    def _release_delayed(self, now: float) -> None:
        heap = self.delayed_heap
        released = False
        while heap and heap[0][0] <= now:
            _, _, message = heapq.heappop(heap)
            if message.state != DELAYED:
                continue
            self.delayed_count -= 1
            self._make_visible(message, at_front=False)
            released = True
        if released:
            self._notify()

    def _return_in_flight(self, now: float) -> None:
        heap = self.in_flight_heap
        returned: list[Message] = []
        while heap and heap[0][0] <= now:
            deadline, _, generation, message = heapq.heappop(heap)
            if (
                message.state != IN_FLIGHT
                or message.receive_generation != generation
                or message.deadline != deadline
            ):
                continue
            self.in_flight_count -= 1
            returned.append(message)
        if not returned:
            return
        if self.fifo:
            # Messages return to the head of their group, in their original order.
            returned.sort(key=lambda m: m.sequence, reverse=True)
            for message in returned:
                group = self._group(message)
                group.in_flight -= 1
                message.state = VISIBLE
                self.visible_count += 1
                _insert_by_sequence(group.messages, message)
            for message in returned:
                group_id = message.group_id or ""
                group = self.groups[group_id]
                if group.in_flight == 0 and not group.in_rotation:
                    group.in_rotation = True
                    self.rotation.append(group_id)
        else:
            for message in reversed(returned):
                self._make_visible(message, at_front=True)
        self.counters["returned"] += len(returned)
        for message in returned:
            self._on_event("returned", self, message, {"receive_count": message.receive_count})
        self._notify()

    def _expire_retention(self, now: float) -> None:
        retention = self.retention
        period = self.settings.retention_period
        while retention:
            message = retention[0]
            if message.state == GONE:
                retention.popleft()
                continue
            if message.sent_at + period > now:
                break
            retention.popleft()
            self.remove(message)
            self.counters["expired"] += 1
            self._on_event("expired", self, message, {"retention_seconds": period})
        if len(retention) > 1024 and len(retention) > 2 * self.total():
            self.retention = deque(m for m in retention if m.state != GONE)

    def _compact_in_flight(self) -> None:
        self.in_flight_heap = [
            entry
            for entry in self.in_flight_heap
            if entry[3].state == IN_FLIGHT
            and entry[3].receive_generation == entry[2]
            and entry[3].deadline == entry[0]
        ]
        heapq.heapify(self.in_flight_heap)

    def next_deadline(self) -> float | None:
        """The earliest moment something in this queue changes state by itself."""
        candidates = []
        if self.delayed_heap:
            candidates.append(self.delayed_heap[0][0])
        if self.in_flight_heap:
            candidates.append(self.in_flight_heap[0][0])
        for message in self.retention:
            if message.state != GONE:
                candidates.append(message.sent_at + self.settings.retention_period)
                break
        return min(candidates) if candidates else None

    def _arm(self, deadline: float) -> None:
        timer = self._timer
        if timer is not None and not timer.cancelled and timer.when <= deadline:
            return
        if timer is not None:
            timer.cancel()
        self._timer = self.clock.call_at(deadline, self._on_timer)

    def rearm(self) -> None:
        """Arm the queue's timer at its next deadline (after settings change)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.next_deadline()
        if deadline is not None:
            self._timer = self.clock.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.refresh()
        deadline = self.next_deadline()
        if deadline is not None:
            self._arm(max(deadline, self.clock.now()))

    def close(self) -> None:
        """Stop the queue's timer and release its waiters (the queue was deleted)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    # -- waiting ----------------------------------------------------------------------------
    def _notify(self) -> None:
        """Wake long-poll waiters and listeners: messages can be received."""
        waiters = self.waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
        for listener in list(self.listeners):
            listener()

    def receivable(self) -> bool:
        """Whether a receive right now would find a message."""
        return bool(self.rotation) if self.fifo else self.visible_count > 0

    def total(self) -> int:
        """Messages held in any state."""
        return self.visible_count + self.in_flight_count + self.delayed_count

    # -- FIFO deduplication -------------------------------------------------------------------
    def dedup_lookup(self, key: str) -> tuple[str, str | None] | None:
        """The (message id, sequence number) of a send with this dedup key in the window."""
        now = self.clock.now()
        order = self.dedup_order
        while order and order[0][0] <= now:
            expiry, old_key = order.popleft()
            entry = self.dedup.get(old_key)
            if entry is not None and entry[0] <= now:
                del self.dedup[old_key]
        entry = self.dedup.get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1], entry[2]

    def dedup_remember(self, key: str, message_id: str, sequence_number: str | None) -> None:
        """Remember a send's dedup key for the deduplication window."""
        expiry = self.clock.now() + DEDUPLICATION_WINDOW
        self.dedup[key] = (expiry, message_id, sequence_number)
        self.dedup_order.append((expiry, key))

    def next_sequence_number(self) -> str:
        """A FIFO SequenceNumber: a large, increasing, non-consecutive decimal."""
        self.sequence_counter += 1_000_000 + (self._sequence * 7919) % 65536
        return str(self.sequence_counter)


def _insert_by_sequence(messages: deque[Message], message: Message) -> None:
    """Put a returning message back into its group in send order.

    Everything never received sits behind it; only messages that returned earlier (at most a
    receive's worth) can be ahead of it, so this stays O(1) in practice.
    """
    ahead: list[Message] = []
    while messages and messages[0].sequence < message.sequence:
        ahead.append(messages.popleft())
    messages.appendleft(message)
    for earlier in reversed(ahead):
        messages.appendleft(earlier)
