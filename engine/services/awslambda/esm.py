"""Event source mappings: the shared framework every poller (SQS, Kinesis, DynamoDB streams) plugs into.

A poller is a subclass of `EventSourcePoller` registered for the service part of its source ARN
(`sqs`, `kinesis`, `dynamodb`). Lambda validates the common parameters, asks the poller class to
check and default the source-specific ones (`validate`), builds the mapping, then calls `start()`
when the mapping is enabled and `await stop()` when it is disabled or deleted. Pollers read their
source through that service's internal API and call `await self.invoke(event, trace_id=...)`,
which applies the function's concurrency and returns the `InvocationResult` (or raises
TooManyRequestsException when throttled). See docs/services/lambda.md.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from engine.arn import parse_arn
from engine.errors import ServiceError

from .execution_role import delivery_options, refused_action
from .runtime import InvocationResult

if TYPE_CHECKING:
    from .service import LambdaService

#: Source ARN service part → "module:Class" of its poller, imported when first needed.
POLLER_LOCATIONS: dict[str, str] = {
    "sqs": "engine.services.awslambda.sqs_poller:SqsPoller",
    "kinesis": "engine.services.kinesis.esm:KinesisPoller",
    "dynamodb": "engine.services.dynamodbstreams.esm:StreamPoller",
    "mq": "engine.services.mq.esm:MqPoller",
    "kafka": "engine.services.kafka.esm:KafkaPoller",
}
_pollers: dict[str, type[EventSourcePoller]] = {}


def register_event_source(service_part: str, poller: type[EventSourcePoller]) -> None:
    """Make `poller` handle mappings whose source ARN has this service part."""
    _pollers[service_part] = poller


def poller_for(source_arn: str) -> type[EventSourcePoller] | None:
    """The poller class for a source ARN, importing it on first use; None if unsupported."""
    parsed = parse_arn(source_arn)
    if parsed is None:
        return None
    part = parsed.service
    poller = _pollers.get(part)
    if poller is None and part in POLLER_LOCATIONS:
        module_name, _, class_name = POLLER_LOCATIONS[part].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        poller = getattr(module, class_name, None)
        if poller is not None:
            _pollers[part] = poller
    return poller


@dataclass(slots=True)
class EventSourceMapping:
    """One mapping: source, function, batching, filters, state and counters."""

    uuid: str
    arn: str
    source_arn: str
    function_name: str  # the function's name
    function_arn: str  # as the caller gave it, resolved to an ARN (may carry a qualifier)
    qualifier: str | None
    batch_size: int
    batching_window: int
    enabled: bool
    filters: list[dict]  # parsed FilterCriteria patterns
    filter_texts: list[str]
    response_types: list[str]
    maximum_concurrency: int | None
    last_modified: float
    params: dict[str, Any] = field(default_factory=dict)  # source-specific settings, as given
    request: dict[str, Any] = field(default_factory=dict)  # the CreateEventSourceMapping request
    state: str = "Enabled"
    last_result: str = "No records processed"
    poller: EventSourcePoller | None = None
    invocations: int = 0
    records: int = 0
    errors: int = 0
    filtered: int = 0


#: Lab seconds a poller whose execution role may not read its source waits before trying again.
ROLE_RETRY_SECONDS = 10.0


class EventSourcePoller:
    """Base of every poller: reads a source, builds events, invokes the mapping's function."""

    #: Default BatchSize and its maximum for this source.
    default_batch_size: ClassVar[int] = 10
    max_batch_size: ClassVar[int] = 10_000
    #: What the function's execution role must allow on the source (`iam enforce on`).
    read_actions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def role_refusal(cls, source_arn: str, action: str) -> str:
        """AWS's words when the execution role may not read the source."""
        return f"The function execution role does not have permissions to call {action}."

    @classmethod
    def check_role(cls, service: LambdaService, function: Any, source_arn: str) -> None:
        """At CreateEventSourceMapping: refuse a source the execution role may not read."""
        refused = refused_action(service.engine, function, cls.read_actions, source_arn)
        if refused is not None:
            raise validation(cls.role_refusal(source_arn, refused[0]))

    def may_read(self) -> bool:
        """Whether the execution role may read the source now; a refusal is traced `denied`.

        The mapping's LastProcessingResult names the problem, and the poller tries again after
        ROLE_RETRY_SECONDS (a policy fixed meanwhile lets it go on), as AWS's pollers do.
        """
        if not self.read_actions:
            return True
        mapping = self.mapping
        function = self.service.functions.get(mapping.function_name)
        if function is None:
            return True
        refused = refused_action(
            self.service.engine, function, self.read_actions, mapping.source_arn
        )
        if refused is None:
            return True
        mapping.last_result = "PROBLEM: " + self.role_refusal(mapping.source_arn, refused[0])
        return False

    def role_options(self) -> dict[str, Any]:
        """Envelope options for a hop made with the function's role (an OnFailure destination)."""
        function = self.service.functions.get(self.mapping.function_name)
        return delivery_options(function) if function is not None else {}

    #: Stream sources (Kinesis, DynamoDB Streams): AWS words their mappings differently.
    streaming: ClassVar[bool] = False

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        self.service = service
        self.mapping = mapping
        self.clock = service.clock

    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """Check source-specific parameters; return the settings to keep in `mapping.params`."""
        return {}

    @classmethod
    def describe(cls, mapping: EventSourceMapping) -> dict:
        """Source-specific members of the mapping's description (e.g. StartingPosition)."""
        return {}

    def start(self) -> None:
        """Begin polling (spawn background work with `service.engine.spawn`)."""

    async def stop(self) -> None:
        """Stop polling; in-flight batches may finish."""

    def matches(self, record: dict) -> bool:
        """Whether a record passes the mapping's FilterCriteria (all records pass without any)."""
        patterns = self.mapping.filters
        if not patterns:
            return True
        from engine.patterns import matches

        return any(matches(pattern, record) for pattern in patterns)

    async def invoke(self, event: Any, *, trace_id: str | None = None) -> InvocationResult:
        """Invoke the mapping's function synchronously with `event`; counts the outcome."""
        service = self.service
        mapping = self.mapping
        # A lab opened from elsewhere runs no code until the person says `resume`.
        await service.engine.hold.wait()
        function, version, invoked_arn = service.resolve_for_invoke(mapping.function_arn, None)
        result = await service.runtime.invoke(
            function, version, invoked_arn, event, trace_id=trace_id, source=mapping.source_arn
        )
        mapping.invocations += 1
        if result.function_error:
            mapping.errors += 1
            mapping.last_result = "PROBLEM: Function call failed"
        else:
            mapping.last_result = "OK"
        return result


def validation(message: str) -> ServiceError:
    """InvalidParameterValueException with `message`."""
    return ServiceError("InvalidParameterValueException", message, extra={"Type": "User"})
