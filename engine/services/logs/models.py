"""Log groups, streams and events as CloudWatch Logs keeps them (events sorted by timestamp)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from .patterns import FilterPattern

#: AWS's per-event overhead when it counts a batch's bytes.
EVENT_OVERHEAD = 26


@dataclass(slots=True)
class LogEvent:
    """One event: when it happened, what it says, when it was ingested, and its id."""

    timestamp: int  # epoch milliseconds
    message: str
    ingestion_time: int
    event_id: str


def _timestamp_of(event: LogEvent) -> int:
    return event.timestamp


@dataclass(slots=True)
class LogStream:
    """A sequence of events from one source, kept in timestamp order."""

    name: str
    arn: str
    created: int
    events: list[LogEvent] = field(default_factory=list)
    first_event: int | None = None
    last_event: int | None = None
    last_ingestion: int | None = None
    stored_bytes: int = 0

    def add(self, event: LogEvent) -> None:
        """Insert an event in timestamp order (appending is the common, O(1) case)."""
        events = self.events
        if not events or events[-1].timestamp <= event.timestamp:
            events.append(event)
        else:
            bisect.insort(events, event, key=_timestamp_of)
        if self.first_event is None or event.timestamp < self.first_event:
            self.first_event = event.timestamp
        if self.last_event is None or event.timestamp > self.last_event:
            self.last_event = event.timestamp
        self.last_ingestion = event.ingestion_time
        self.stored_bytes += len(event.message.encode()) + EVENT_OVERHEAD

    def expire(self, cutoff_ms: int) -> None:
        """Drop events older than `cutoff_ms` (retention), in O(log n) plus the slice."""
        events = self.events
        if events and events[0].timestamp < cutoff_ms:
            keep = bisect.bisect_left(events, cutoff_ms, key=_timestamp_of)
            del events[:keep]

    def window(self, start: int | None, end: int | None) -> tuple[int, int]:
        """Index range of events with start <= timestamp < end."""
        events = self.events
        low = 0 if start is None else bisect.bisect_left(events, start, key=_timestamp_of)
        high = len(events) if end is None else bisect.bisect_left(events, end, key=_timestamp_of)
        return low, max(low, high)


@dataclass(slots=True)
class MetricFilter:
    """A metric filter: matching events become CloudWatch datapoints."""

    name: str
    pattern: FilterPattern
    transformations: list[dict[str, Any]]
    created: int
    apply_on_transformed: bool = False


@dataclass(slots=True)
class SubscriptionFilter:
    """A subscription filter: matching events go to Lambda, Kinesis or Firehose."""

    name: str
    pattern: FilterPattern
    destination: str
    role_arn: str | None
    distribution: str
    created: int
    delivered: int = 0
    failed: int = 0


@dataclass(slots=True)
class LogGroup:
    """A log group: its streams, retention, key, tags and filters."""

    name: str
    arn: str
    created: int
    retention_days: int | None = None
    kms_key_id: str | None = None
    log_group_class: str = "STANDARD"
    tags: dict[str, str] = field(default_factory=dict)
    streams: dict[str, LogStream] = field(default_factory=dict)
    metric_filters: dict[str, MetricFilter] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionFilter] = field(default_factory=dict)
    data_protection: str | None = None
    deletion_protection: bool = False

    @property
    def plain_arn(self) -> str:
        """The ARN without the trailing `:*` (logGroupArn; used for tags)."""
        return self.arn[:-2]

    def stored_bytes(self) -> int:
        """Bytes stored across the group's streams."""
        return sum(stream.stored_bytes for stream in self.streams.values())
