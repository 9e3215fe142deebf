"""Lab-side subscriptions (the console's `mq subscribe`): a consumer and the messages it received."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .endpoints import ACK_MODES, AUTO, CLIENT, Consumer
from .model import Message

if TYPE_CHECKING:
    from .broker import ActiveBroker

#: How many received messages one lab subscription keeps (the oldest go first).
INBOX_SIZE = 1000


@dataclass(slots=True)
class LabSubscription:
    """One console subscription: its consumer, what it selects, and what it has received."""

    id: str
    destination: str
    selector: str | None
    durable: str | None
    ack_mode: str = AUTO
    consumer: Consumer | None = None
    received: deque[Message] = field(default_factory=lambda: deque(maxlen=INBOX_SIZE))
    unread: int = 0


class LabSubscriptions:
    """The console's subscriptions on one broker (auto or client acknowledged, kept until closed)."""

    def __init__(self, broker: ActiveBroker) -> None:
        self.broker = broker
        self.items: dict[str, LabSubscription] = {}

    def subscribe(
        self,
        destination: str,
        selector: str | None = None,
        durable: str | None = None,
        ack_mode: str = AUTO,
    ) -> LabSubscription:
        """Attach a lab consumer; messages already waiting arrive at once."""
        if ack_mode not in ACK_MODES:
            raise ValueError(f"ack mode must be one of {', '.join(ACK_MODES)}, not '{ack_mode}'")
        sub = LabSubscription(
            self.broker.next_consumer_id("lab-sub"), destination, selector, durable, ack_mode
        )

        def deliver(consumer: Consumer, message: Message) -> None:
            sub.received.append(message)
            sub.unread += 1

        sub.consumer = self.broker.subscribe(
            destination, deliver, selector=selector, durable=durable, ack_mode=ack_mode
        )
        self.items[sub.id] = sub
        return sub

    def take(self, sub_id: str) -> list[Message]:
        """The messages received since the last look."""
        sub = self.get(sub_id)
        fresh = list(sub.received)[-sub.unread :] if sub.unread else []
        sub.unread = 0
        return fresh

    def get(self, sub_id: str) -> LabSubscription:
        """A subscription by id (KeyError-free: ValueError names the known ones)."""
        found = self.items.get(sub_id)
        if found is None:
            known = ", ".join(self.items) or "none"
            raise ValueError(f"No lab subscription '{sub_id}' (subscriptions: {known})")
        return found

    def unacked(self, sub_id: str) -> list[Message]:
        """What a client-acknowledging subscription holds unacknowledged, oldest first."""
        consumer = self.get(sub_id).consumer
        return list(consumer.inflight.values()) if consumer is not None else []

    def _pending(self, sub_id: str, message_id: str | None) -> tuple[Consumer, list[Message]]:
        """The consumer and the unacknowledged messages a settlement names (all when no id)."""
        sub = self.get(sub_id)
        consumer = sub.consumer
        if sub.ack_mode == AUTO or consumer is None:
            raise ValueError(
                f"{sub_id} acknowledges automatically; subscribe with --ack client to settle"
            )
        held = list(consumer.inflight.values())
        if message_id is None:
            return consumer, held
        found = consumer.inflight.get(message_id)
        if found is None:
            waiting = ", ".join(m.id for m in held) or "none"
            raise ValueError(
                f"{message_id} is not waiting for an acknowledgement on {sub_id} "
                f"(unacknowledged: {waiting})"
            )
        return consumer, [found]

    def ack(self, sub_id: str, message_id: str | None = None) -> list[Message]:
        """Acknowledge: in client mode a message and all before it, in client-individual mode
        just it; without an id, everything delivered so far."""
        consumer, targets = self._pending(sub_id, message_id)
        core = self.broker.core
        if consumer.ack_mode == CLIENT and targets:
            return core.ack(consumer, targets[-1].id)
        return [m for target in targets for m in core.ack(consumer, target.id)]

    def nack(self, sub_id: str, message_id: str | None = None) -> list[Message]:
        """Roll back (JMS `recover`): the messages return for redelivery under the broker's
        redelivery policy, and go to the dead-letter queue once it is exhausted."""
        consumer, targets = self._pending(sub_id, message_id)
        core = self.broker.core
        return [t for t in targets if core.redeliver(consumer, t.id, "rolled back by the console")]

    def unsubscribe(self, sub_id: str) -> LabSubscription:
        """Close the consumer (a durable subscription stays, collecting messages for its name)."""
        sub = self.get(sub_id)
        del self.items[sub_id]
        if sub.consumer is not None:
            self.broker.core.close_consumer(sub.consumer)
        return sub
