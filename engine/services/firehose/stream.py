"""A delivery stream: its source, destination, buffer and running totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.clock import Timer

from .config import Destination


@dataclass(slots=True)
class Pending:
    """One record waiting in the buffer."""

    record_id: str
    data: bytes
    arrival: float
    trace_id: str | None = None
    kinesis: dict[str, Any] | None = None  # kinesisRecordMetadata for a Kinesis source


@dataclass(slots=True)
class DeliveryStream:
    """One Firehose stream."""

    name: str
    arn: str
    kind: str  # DirectPut | KinesisStreamAsSource | MSKAsSource
    destination: Destination
    created: float
    source_arn: str | None = None
    source_role: str | None = None
    throughput_hint: int | None = None
    msk: dict[str, Any] | None = None  # MSKSourceConfiguration for an MSK source
    status: str = "ACTIVE"
    version: int = 1
    updated: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    encryption: dict[str, Any] | None = None
    buffer: list[Pending] = field(default_factory=list)
    buffered_bytes: int = 0
    timer: Timer | None = None
    detach_source: Callable[[], None] | None = None
    received: int = 0
    delivered: int = 0
    failed: int = 0
    flushes: int = 0
    in_flight: int = 0
    #: Readers of the records put here (an analytics application's input): tap(datas, now).
    taps: list[Callable[[list[bytes], float], None]] = field(default_factory=list)
