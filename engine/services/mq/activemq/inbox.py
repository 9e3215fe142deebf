"""Lab-side subscriptions (the console's `mq subscribe`): a consumer and the messages it received."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .endpoints import Consumer
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
    consumer: Consumer | None = None
    received: deque[Message] = field(default_factory=lambda: deque(maxlen=INBOX_SIZE))
    unread: int = 0


class LabSubscriptions:
    """The console's subscriptions on one broker (auto-acknowledged, kept until unsubscribed)."""

    def __init__(self, broker: ActiveBroker) -> None:
        self.broker = broker
        self.items: dict[str, LabSubscription] = {}

    def subscribe(
        self, destination: str, selector: str | None = None, durable: str | None = None
    ) -> LabSubscription:
        """Attach a lab consumer; messages already waiting arrive at once."""
        sub = LabSubscription(
            self.broker.next_consumer_id("lab-sub"), destination, selector, durable
        )

        def deliver(consumer: Consumer, message: Message) -> None:
            sub.received.append(message)
            sub.unread += 1

        sub.consumer = self.broker.subscribe(
            destination, deliver, selector=selector, durable=durable
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

    def unsubscribe(self, sub_id: str) -> LabSubscription:
        """Close the consumer (a durable subscription stays, collecting messages for its name)."""
        sub = self.get(sub_id)
        del self.items[sub_id]
        if sub.consumer is not None:
            self.broker.core.close_consumer(sub.consumer)
        return sub
