"""The service's resources: state machines, versions, aliases, executions, activities, map runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class StateMachine:
    """A state machine (or one published version of it)."""

    arn: str
    name: str
    definition: str
    document: dict[str, Any]
    role_arn: str
    type: str
    created: float
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    revision_id: str = ""
    #: Whether the definition or role changed since creation (AWS shows revisionId only then).
    revised: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    version_number: int | None = None  # set on versions
    versions: dict[int, StateMachine] = field(default_factory=dict)
    next_version: int = 1
    aliases: dict[str, Alias] = field(default_factory=dict)
    updated: float | None = None
    executions_started: int = 0
    running: int = 0  # executions of this machine (any version) in progress
    succeeded: int = 0
    failed: int = 0  # FAILED, TIMED_OUT or ABORTED


@dataclass(slots=True)
class Alias:
    """A name routing executions to one or two versions by weight."""

    arn: str
    name: str
    description: str
    routing: list[dict[str, Any]]
    created: float
    updated: float


@dataclass(slots=True)
class StateStatus:
    """What the UI shows for one state of a running execution."""

    name: str
    status: str  # running | succeeded | failed | caught | retrying
    entered: float
    exited: float | None = None
    retries: int = 0


@dataclass(slots=True)
class Execution:
    """One run of a state machine."""

    arn: str
    name: str
    machine: StateMachine
    input: Any
    input_text: str
    started: float
    trace_id: str
    status: str = "RUNNING"
    stopped: float | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] | None = None
    task: asyncio.Task | None = None  # while the run is going
    launched: bool = False  # the run was started (task is None again once it ends)
    done: asyncio.Future | None = None
    states: dict[str, StateStatus] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)  # state name → runs in progress
    version_arn: str | None = None
    alias_arn: str | None = None
    parent_arn: str | None = None
    map_run_arn: str | None = None
    redrive_count: int = 0
    redrive_time: float | None = None
    failed_state: str | None = None
    failed_input: Any = None
    #: What a top-level Wait or callback Task waits for ({"state", "until"} or {"state",
    #: "token"}): saved so the execution resumes there after open.
    resume_point: dict[str, Any] | None = None


@dataclass(slots=True)
class Activity:
    """An activity: workers poll it for tasks and answer with task tokens."""

    arn: str
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)
    pending: list[Any] = field(default_factory=list)  # waiting tasks (ActivityTask)
    pollers: list[asyncio.Future] = field(default_factory=list)


@dataclass(slots=True)
class MapRun:
    """A distributed Map state's run: child executions and their counts."""

    arn: str
    execution_arn: str
    state_name: str
    started: float
    max_concurrency: int
    tolerated_count: int
    tolerated_percentage: float
    status: str = "RUNNING"
    stopped: float | None = None
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    aborted: int = 0
    children: list[str] = field(default_factory=list)
    machine: StateMachine | None = None  # the item processor, as its child executions run it
