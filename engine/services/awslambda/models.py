"""Lambda's resources as small typed objects: functions, versions, aliases, environments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .code import CodeBundle
from .logs import FunctionLogs
from .sandbox import Sandbox

#: How long an idle execution environment stays warm (AWS does not document it; minutes).
WARM_SECONDS = 600.0


@dataclass(slots=True)
class FunctionVersion:
    """One version's configuration and code ($LATEST is mutable, numbered versions are not)."""

    version: str
    arn: str  # the qualified ARN for numbered versions, the unqualified one for $LATEST
    handler: str
    runtime: str
    role: str
    bundle: CodeBundle | None  # zip code
    callable: Callable[..., Any] | None  # a registered Python callable or demo
    code_sha256: str
    code_size: int
    description: str = ""
    timeout: int = 3
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    dead_letter_arn: str | None = None
    last_modified: str = ""
    revision_id: str = ""
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage: int = 512
    tracing_mode: str = "PassThrough"
    log_format: str = "Text"
    app_log_level: str = "INFO"  # shown with the JSON log format
    system_log_level: str = "INFO"
    environment_set: bool = False  # AWS shows `Environment` once a caller has set one, even empty
    source_revision: str = ""  # for a published version: the $LATEST revision it snapshots
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    env_seq: int = 0


@dataclass(slots=True, eq=False)
class ExecutionEnvironment:
    """A warm sandbox: a registered callable, or a worker process running zip code."""

    handler: Callable[..., Any] | None  # None for zip code, which runs in `sandbox`
    environ: dict[str, str]
    log_stream: str
    last_used: float
    invocations: int = 0
    sandbox: Sandbox | None = None
    reaper: Any = None  # the clock timer that retires it once idle too long (real clock only)


@dataclass(slots=True)
class Alias:
    """A named pointer to a version, optionally splitting traffic with a second one."""

    name: str
    arn: str
    version: str
    description: str = ""
    additional: dict[str, float] = field(default_factory=dict)  # version → weight
    revision_id: str = ""


@dataclass(slots=True)
class EventInvokeConfig:
    """Asynchronous invocation settings of one function or qualifier."""

    max_retries: int = 2
    max_event_age: int = 21_600
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0
    explicit_retries: bool = False
    explicit_age: bool = False


@dataclass(slots=True)
class Function:
    """A function: $LATEST, published versions, aliases, tags, concurrency and counters."""

    name: str
    arn: str
    latest: FunctionVersion
    logs: FunctionLogs
    versions: dict[str, FunctionVersion] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    reserved: int | None = None
    invoke_configs: dict[str, EventInvokeConfig] = field(default_factory=dict)
    policy: dict[str, dict] = field(default_factory=dict)  # statement id → statement
    next_version: int = 1
    in_flight: int = 0
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    cold_starts: int = 0
    async_queued: int = 0
    is_demo: str | None = None

    def version(self, qualifier: str | None) -> FunctionVersion | None:
        """The version a qualifier names directly ($LATEST, a number), or None."""
        if qualifier is None or qualifier == "$LATEST":
            return self.latest
        return self.versions.get(qualifier)
