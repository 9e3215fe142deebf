"""SNS's small typed objects: topics, subscriptions, platform endpoints and outbox entries."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Topic:
    """A topic: its attributes as AWS stores them, its subscriptions and FIFO state."""

    arn: str
    name: str
    fifo: bool
    attributes: dict[str, str] = field(default_factory=dict)  # settable attributes, as strings
    tags: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # by subscription ARN
    deleted_subscriptions: int = 0
    sequence: int = 0  # FIFO sequence number counter
    dedup: dict[str, tuple[float, str, str]] = field(
        default_factory=dict
    )  # id → (expiry, msg, seq)
    dedup_order: deque[tuple[float, str]] = field(
        default_factory=deque
    )  # (expiry, id), oldest first
    published: int = 0
    data_protection_policy: str = ""

    @property
    def content_based_dedup(self) -> bool:
        """Whether FIFO deduplication ids default to a hash of the message."""
        return self.attributes.get("ContentBasedDeduplication", "false") == "true"


@dataclass(slots=True)
class Subscription:
    """One endpoint subscribed to a topic, with its settings and counters."""

    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    pending: bool = False
    token: str | None = None
    confirmation_authenticated: bool = True
    attributes: dict[str, str] = field(default_factory=dict)  # settable attributes, as strings
    raw: bool = False
    filter_scope: str = "MessageAttributes"
    filter_policy: dict[str, Any] | None = None
    dead_letter_arn: str | None = None
    seq: int = 0  # creation order: deliveries go out in it
    published_before: int = 0  # the topic's publish count when this subscription started
    matched: int = 0
    delivered: int = 0
    failed: int = 0
    dead_lettered: int = 0
    token_expires: float = 0.0


@dataclass(slots=True)
class Notification:
    """One published message as SNS holds it while fanning it out."""

    message_id: str
    topic_arn: str
    message: str  # the default message
    per_protocol: dict[str, str] | None  # MessageStructure=json: protocol → message
    subject: str | None
    attributes: dict[str, dict]  # Publish API form, copied
    timestamp: str
    trace_id: str
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None
    body_json: Any = None  # the message parsed as JSON (MessageBody filter scope), lazily
    body_parsed: bool = False
    tracing_active: bool = False  # the topic's TracingConfig is Active
    envelopes: dict[str, tuple[str, str]] | None = None  # message → envelope text around the ARN

    def message_for(self, protocol: str) -> str:
        """The message text this protocol receives (MessageStructure=json picks per protocol)."""
        if self.per_protocol is None:
            return self.message
        return self.per_protocol.get(protocol, self.message)


@dataclass(slots=True)
class PlatformApplication:
    """A mobile push platform application (APNS, GCM, ADM …)."""

    arn: str
    name: str
    platform: str
    attributes: dict[str, str] = field(default_factory=dict)
    endpoints: dict[str, PlatformEndpoint] = field(default_factory=dict)  # by endpoint ARN


@dataclass(slots=True)
class PlatformEndpoint:
    """A device endpoint of a platform application."""

    arn: str
    application_arn: str
    token: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class OutboxMessage:
    """A message SNS 'sent' outside the lab (email, SMS, mobile push), kept for people to read."""

    time: float
    protocol: str  # email | email-json | sms | application
    endpoint: str  # address, phone number or platform endpoint ARN
    message: str
    subject: str | None = None
    topic_arn: str | None = None
    subscription_arn: str | None = None
    message_id: str = ""
