"""EventBridge's resources inside the engine: buses, rules, targets, archives, replays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...clock import Timer
from ...patterns import CompiledPattern, PatternIndex
from .schedule import At, Cron, Rate

#: AWS's defaults for a target's RetryPolicy.
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE = 86400


@dataclass(slots=True)
class Target:
    """Where a rule sends matched events, and how (input shaping, retries, dead-letter queue)."""

    id: str
    arn: str
    spec: dict[str, Any]  # the PutTargets entry as given (returned by ListTargetsByRule)
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    max_retry_attempts: int = DEFAULT_MAX_RETRY_ATTEMPTS
    max_event_age: int = DEFAULT_MAX_EVENT_AGE
    dead_letter_arn: str | None = None
    delivered: int = 0
    failed: int = 0


@dataclass(slots=True)
class Rule:
    """A rule on a bus: an event pattern, a schedule, or both; up to five targets."""

    name: str
    arn: str
    bus_name: str
    state: str = "ENABLED"
    event_pattern: str | None = None
    compiled: CompiledPattern | None = None
    schedule_expression: str | None = None
    schedule: Rate | Cron | At | None = None
    schedule_start: float = 0.0
    timer: Timer | None = None
    description: str | None = None
    role_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    matched: int = 0

    @property
    def enabled(self) -> bool:
        """Whether the rule acts on events (ENABLED or ENABLED_WITH_ALL_CLOUDTRAIL_…)."""
        return self.state != "DISABLED"


@dataclass(slots=True)
class Bus:
    """An event bus with its rules and the compiled index of their patterns."""

    name: str
    arn: str
    created: float
    description: str | None = None
    kms_key: str | None = None
    dead_letter_config: dict[str, Any] | None = None
    log_config: dict[str, Any] | None = None
    modified: float = 0.0
    tags: dict[str, str] = field(default_factory=dict)
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    index: PatternIndex = field(default_factory=PatternIndex)
    put: int = 0


@dataclass(slots=True)
class ArchivedEvent:
    """One event kept by an archive: when it arrived and the event itself."""

    time: float
    event: dict[str, Any]
    size: int


@dataclass(slots=True)
class Archive:
    """Events from one bus that match the archive's pattern, kept for RetentionDays (0: forever)."""

    name: str
    arn: str
    source_arn: str
    created: float
    event_pattern: str | None = None
    compiled: CompiledPattern | None = None
    description: str | None = None
    retention_days: int = 0
    state: str = "ENABLED"
    events: list[ArchivedEvent] = field(default_factory=list)


@dataclass(slots=True)
class Replay:
    """Re-sending an archive's events from a time window to the rules of its bus."""

    name: str
    arn: str
    source_arn: str
    destination: dict[str, Any]
    start: float
    end: float
    description: str | None = None
    state: str = "STARTING"
    state_reason: str | None = None
    replay_start: float | None = None
    replay_end: float | None = None
    last_replayed: float | None = None
    timer: Timer | None = None
