"""AppFlow's resources inside the lab: connector profiles, flows and their executions."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...clock import Timer
    from .destinations import Destination
    from .tasks import Pipeline

#: Execution records kept per flow (DescribeFlowExecutionRecords pages through these).
MAX_EXECUTIONS = 100


@dataclass(slots=True)
class Profile:
    """A connector profile: the connection to one SaaS app, credentials in Secrets Manager."""

    name: str
    arn: str
    connector_type: str
    mode: str
    properties: dict[str, Any]
    credentials_arn: str | None
    created: float
    updated: float
    label: str | None = None  # a custom connector's label
    auth_type: str | None = None  # a custom connector profile's authenticationType


@dataclass(slots=True)
class Execution:
    """One run of a flow and what it moved."""

    id: str
    started: float
    trace_id: str
    status: str = "InProgress"
    updated: float = 0.0
    pull_start: float | None = None
    pull_end: float | None = None
    #: The source app's change number the pull starts after, and the one it reached.
    change_start: int | None = None
    change_end: int | None = None
    processed: int = 0
    bytes_processed: int = 0
    bytes_written: int = 0
    failed: int = 0
    filtered: int = 0
    message: str = ""


@dataclass(slots=True)
class Flow:
    """A flow: source, tasks, destination and trigger, with its run history."""

    name: str
    arn: str
    spec: dict[str, Any]  # CreateFlow's parameters (copied), for DescribeFlow
    trigger_type: str
    app_key: str | None  # the sandbox app it reads (None for a custom connector)
    source_object: str
    pipeline: Pipeline
    destination: Destination
    created: float
    updated: float
    status: str = "Active"
    status_message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    timestamp_field: str | None = None
    incremental: bool = False
    timer: Timer | None = None
    unsubscribe: Any = None  # cancels the Event trigger's change listener
    pending_events: list[dict[str, Any]] = field(default_factory=list)
    draining: bool = False
    executions: deque[Execution] = field(default_factory=lambda: deque(maxlen=MAX_EXECUTIONS))
    #: Where the last successful incremental pull ended: (time, the app's change number).
    bookmark: tuple[float, int] | None = None
    consecutive_errors: int = 0
    runs: int = 0
    records: int = 0
    failed_records: int = 0
    source_profile: str | None = None  # the custom connector profile it reads through
