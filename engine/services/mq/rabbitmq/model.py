"""Messages, queue entries and bindings: the small objects a RabbitMQ broker moves around."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pamqp.commands import Basic


@dataclass(slots=True)
class Message:
    """One published message: where it was sent, its properties and body (shared by every queue)."""

    id: str
    exchange: str
    routing_key: str
    properties: Basic.Properties
    body: bytes
    trace_id: str | None = None
    published_at: float = 0.0
    encoded_header: bytes | None = None  # the content header payload, encoded once

    @property
    def headers(self) -> dict[str, Any]:
        """The message's headers table (empty when it has none)."""
        return self.properties.headers or {}


class Entry:
    """A message's place in one queue: order, priority, deadline and delivery history."""

    __slots__ = ("delivery_count", "expires_at", "message", "priority", "redelivered", "seq")

    def __init__(self, message: Message, seq: int, priority: int, expires_at: float | None):
        self.message = message
        self.seq = seq
        self.priority = priority
        self.expires_at = expires_at
        self.redelivered = False
        self.delivery_count = 0

    def sort_key(self) -> tuple[int, int]:
        """Heap order: higher priority first, then publish order (requeued keep their place)."""
        return (-self.priority, self.seq)


@dataclass(slots=True, eq=False)
class Binding:
    """A binding from an exchange to a queue or to another exchange."""

    source: str
    destination: str
    destination_type: str  # "queue" | "exchange"
    routing_key: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def identity(self) -> tuple:
        """What makes two bindings the same binding (re-binding is a no-op)."""
        return (
            self.source,
            self.destination_type,
            self.destination,
            self.routing_key,
            repr(sorted(self.arguments.items())),
        )

    def describe(self, vhost: str) -> dict[str, Any]:
        """The binding as the management API shows it."""
        return {
            "source": self.source,
            "vhost": vhost,
            "destination": self.destination,
            "destination_type": self.destination_type,
            "routing_key": self.routing_key,
            "arguments": dict(self.arguments),
            "properties_key": self.routing_key or "~",
        }
