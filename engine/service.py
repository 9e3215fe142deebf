"""The base every emulated service builds on: its engine, its model, and the fabric hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .clock import ServiceClock
from .errors import ServiceError
from .topology import Edge, Node

if TYPE_CHECKING:
    from .engine import Engine


@dataclass(slots=True)
class Envelope:
    """What one service hands another through the fabric: a payload and where it came from."""

    body: Any  # str for queues/topics, a dict or JSON text for events and invocations
    source_arn: str | None = None
    trace_id: str | None = None
    attributes: dict[str, dict] = field(default_factory=dict)  # SQS/SNS-style message attributes
    group_id: str | None = None  # FIFO MessageGroupId
    dedup_id: str | None = None  # FIFO MessageDeduplicationId
    options: dict[str, Any] = field(default_factory=dict)  # target-specific settings


class Service:
    """An emulated AWS service: one method per botocore operation, in boto3's snake_case.

    Each operation method takes the validated parameters dict and returns boto3's result dict
    (or an awaitable of it). Services keep small typed objects inside and talk to each other
    through `engine.fabric`, never through the public client.
    """

    #: boto3's name for the service ("sqs", "stepfunctions", "lambda" …).
    name: ClassVar[str] = ""
    #: Code AWS uses for generic constraint failures (over a maximum, outside an enum).
    validation_error_code: ClassVar[str] = "ValidationException"
    #: False where the service answers out-of-enum values with its own, more specific errors.
    check_enums: ClassVar[bool] = True
    #: String shapes (by model name) whose regular-expression pattern the server checks.
    checked_patterns: ClassVar[frozenset[str]] = frozenset()
    #: HTTP statuses AWS answers that its model does not say (S3's 204 for PutBucketPolicy …).
    http_status: ClassVar[dict[str, int]] = {}

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: The lab clock, seen through a view that cancels this service's timers when it closes.
        self.clock: Any = ServiceClock(engine.clock)
        self.trace = engine.trace
        self.ids = engine.ids
        self.region = engine.region
        self.account_id = engine.account_id

    # -- lifecycle ------------------------------------------------------------------
    async def close(self) -> None:
        """Called when the engine shuts down; stop background work."""

    def holdings(self) -> dict[str, int]:
        """What this service keeps in memory right now, by kind (messages, records, items …)."""
        return {}

    # -- the fabric -------------------------------------------------------------------
    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Accept a payload for one of this service's resources (SNS→SQS, rule→Lambda …)."""
        raise ServiceError(
            "InvalidParameter",
            f"{self.name} resources cannot be a delivery target: {target_arn}",
        )

    def owns(self, arn: str) -> bool:
        """Whether a resource with this ARN exists in this service."""
        return False

    # -- views --------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        """This service's resources and their outgoing connections."""
        return [], []

    def dump(self) -> dict[str, Any] | None:
        """The service's resources and data as plain JSON-able data (None: nothing to save)."""
        return None

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced, into an empty service."""

    # -- helpers ------------------------------------------------------------------------
    def arn(self, resource: str, *, service: str | None = None) -> str:
        """An ARN for one of this service's resources in the engine's region and account."""
        return f"arn:aws:{service or self.name}:{self.region}:{self.account_id}:{resource}"

    def emit(
        self,
        kind: str,
        resource: str,
        *,
        message_id: str | None = None,
        trace_id: str | None = None,
        **detail: Any,
    ) -> None:
        """Publish a trace event from this service (no-op when nobody listens)."""
        trace = self.trace
        if trace.enabled:
            # The detail is already a dict here: hand it on as is rather than re-pack it.
            trace.publish(kind, self.name, resource, message_id, trace_id, detail)


def _handed_to(owner: str, name: str) -> Callable[[Any, dict], Any]:
    def operation(self: Any, params: dict) -> Any:
        return getattr(getattr(self, owner), name)(params)

    operation.__name__ = name
    operation.__doc__ = f"{name}: served by the service's `{owner}` object."
    return operation


def delegate_operations(
    service: type[Service], owners: dict[str, type], names: Iterable[str] | None = None
) -> None:
    """Give `service` a method for each operation a delegated class implements.

    A big service keeps its operations in delegated objects, one per area, held in the
    attributes `owners` names. The client and `help` find an operation as a method of the
    service class, so each becomes one that hands the call to `self.<owner>`. Given `names`,
    those operations go to the (single) owner even where its objects make them at run time.
    """
    from .model import operations

    for snake in names if names is not None else operations(service.name):
        if callable(getattr(service, snake, None)):
            continue
        for owner, implementation in owners.items():
            if names is not None or callable(getattr(implementation, snake, None)):
                setattr(service, snake, _handed_to(owner, snake))
                break
