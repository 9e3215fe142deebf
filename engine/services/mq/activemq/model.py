"""ActiveMQ's message and destination names: JMS headers, properties, and `queue://`/`topic://` names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

QUEUE = "queue"
TOPIC = "topic"
#: ActiveMQ's shared dead-letter queue (the default `sharedDeadLetterStrategy`).
DLQ = "ActiveMQ.DLQ"
#: JMS's default priority (0–9; 0–4 normal, 5–9 expedited).
DEFAULT_PRIORITY = 4


@dataclass(frozen=True, slots=True)
class Destination:
    """A queue or topic by name (`queue://orders`, `topic://prices.>`)."""

    kind: str
    name: str

    @property
    def uri(self) -> str:
        """ActiveMQ's physical form, `queue://NAME`."""
        return f"{self.kind}://{self.name}"

    @property
    def stomp(self) -> str:
        """STOMP's form, `/queue/NAME`."""
        return f"/{self.kind}/{self.name}"


class DestinationError(ValueError):
    """A destination that does not name a queue or topic."""


def parse_destinations(text: str, default_kind: str = QUEUE) -> list[Destination]:
    """One or more destinations: a composite `a,b,topic://c` (ActiveMQ's comma-separated form).

    Each part may carry `queue://`/`topic://`; parts without one take the kind of the whole name
    (ActiveMQ's composite destinations).
    """
    if not text:
        raise DestinationError("destination is empty")
    kind = default_kind
    found: list[Destination] = []
    for part in text.split(","):
        part = part.strip()
        part_kind = kind
        for prefix in (QUEUE, TOPIC):
            if part.startswith(f"{prefix}://"):
                part_kind, part = prefix, part[len(prefix) + 3 :]
        if not part:
            raise DestinationError(f"destination '{text}' has an empty name")
        found.append(Destination(part_kind, part))
    return found


def parse_stomp_destination(text: str) -> list[Destination]:
    """A STOMP destination header: `/queue/NAME` or `/topic/NAME` (composites allowed)."""
    for kind in (QUEUE, TOPIC):
        prefix = f"/{kind}/"
        if text.startswith(prefix):
            return parse_destinations(
                text[len(prefix) :].replace(f",{prefix}", f",{kind}://"), kind
            )
    raise DestinationError(
        f"Unknown destination type '{text}': use /queue/NAME or /topic/NAME "
        "(temporary destinations are not emulated)"
    )


@dataclass(slots=True)
class Message:
    """One JMS message: its headers, its properties and its body."""

    id: str
    destination: Destination
    body: bytes
    properties: dict[str, Any] = field(default_factory=dict)
    priority: int = DEFAULT_PRIORITY
    persistent: bool = False
    expiration: int = 0  # ms since the epoch; 0 never expires
    timestamp: int = 0
    correlation_id: str | None = None
    type: str | None = None
    reply_to: str | None = None
    redeliveries: int = 0
    trace_id: str | None = None
    seq: int = 0
    text: bool = False  # a TextMessage (STOMP without content-length, the lab's `mq send`)

    @property
    def group_id(self) -> str | None:
        """JMSXGroupID: messages of one group go to one consumer, in order."""
        value = self.properties.get("JMSXGroupID")
        return None if value is None else str(value)

    def get(self, name: str) -> Any:
        """A header or property by the name a selector uses (None when absent)."""
        header = _HEADERS.get(name)
        if header is not None:
            return header(self)
        return self.properties.get(name)

    def copy(self, destination: Destination | None = None) -> Message:
        """A copy for another subscription or queue (fan-out keeps counters apart)."""
        return Message(
            self.id,
            destination or self.destination,
            self.body,
            dict(self.properties),
            self.priority,
            self.persistent,
            self.expiration,
            self.timestamp,
            self.correlation_id,
            self.type,
            self.reply_to,
            0,
            self.trace_id,
            self.seq,
            self.text,
        )


_HEADERS = {
    "JMSPriority": lambda m: m.priority,
    "JMSMessageID": lambda m: m.id,
    "JMSTimestamp": lambda m: m.timestamp,
    "JMSCorrelationID": lambda m: m.correlation_id,
    "JMSType": lambda m: m.type,
    "JMSExpiration": lambda m: m.expiration,
    "JMSDeliveryMode": lambda m: "PERSISTENT" if m.persistent else "NON_PERSISTENT",
    "JMSRedelivered": lambda m: m.redeliveries > 0,
    "JMSXDeliveryCount": lambda m: m.redeliveries + 1,
    "JMSDestination": lambda m: m.destination.uri,
}
