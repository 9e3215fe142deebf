"""Sending one event to one target: shape the input, call the fabric, retry, dead-letter.

Retries follow the target's RetryPolicy (default 185 attempts within 24 hours) with
exponential backoff and jitter on the engine clock; errors AWS does not retry (a missing
resource, a bad input transformation) go straight to the dead-letter queue. Every step is traced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...arn import owner_of, parse_arn
from ...errors import ServiceError
from ...faults import target_fails
from ...service import Envelope
from .models import Rule, Target
from .transform import TransformContext, TransformError, compact, target_input

if TYPE_CHECKING:
    from .service import EventsService

#: Backoff: the first retry waits about BASE seconds, doubling up to CAP, each with jitter.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
_NOT_RETRIED = (
    "NotFound",
    "NonExistent",
    "DoesNotExist",
    "InvalidParameter",
    "AccessDenied",
    "Transform",
    "ClientError",
)


def retry_delay(attempt: int, jitter: float) -> float:
    """Seconds before retry number `attempt` (1-based): capped exponential, equal jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * jitter


def is_retried(error: ServiceError) -> bool:
    """Whether EventBridge retries after this error (it does not for missing resources)."""
    return not any(marker in error.code for marker in _NOT_RETRIED)


def _event_entry(event: dict) -> dict[str, Any]:
    """A matched event in PutEvents entry form, for a bus target."""
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": compact(event.get("detail", {})),
        "Resources": list(event.get("resources", [])),
        "Time": event.get("time"),
    }


def build_envelope(
    target: Target, event: dict, text: str, trace_id: str | None, source: str
) -> Envelope:
    """The fabric envelope for `target`, per the kind of resource its ARN names."""
    owner = owner_of(target.arn)
    envelope = Envelope(body=text, source_arn=source, trace_id=trace_id)
    if owner == "sqs":
        group = (target.spec.get("SqsParameters") or {}).get("MessageGroupId")
        if group is not None:
            envelope.group_id = group
        if target.arn.endswith(".fifo"):
            # EventBridge uses the event id as the FIFO deduplication id.
            envelope.dedup_id = event["id"]
    elif owner == "events" and ":api-destination/" in target.arn:
        envelope.options["http_parameters"] = target.spec.get("HttpParameters") or {}
    elif owner == "events":
        envelope.body = _event_entry(event)
    elif owner == "lambda":
        envelope.body = json.loads(text)
        envelope.options["invocation_type"] = "Event"
    elif owner in ("kinesis", "firehose"):
        envelope.body = text.encode()
        if owner == "kinesis":
            path = (target.spec.get("KinesisParameters") or {}).get("PartitionKeyPath")
            key = _partition_key(event, path) if path else event["id"]
            envelope.options["partition_key"] = key
    return envelope


def _partition_key(event: dict, path: str) -> str:
    from .transform import _MISSING, resolve_path

    value = resolve_path(event, path)
    if value is _MISSING:
        return event["id"]
    return value if isinstance(value, str) else compact(value)


class TargetDelivery:
    """Delivers events to targets for one EventsService, on the engine clock."""

    def __init__(self, service: EventsService) -> None:
        self._service = service

    async def deliver(self, rule: Rule, target: Target, event: dict, trace_id: str | None) -> None:
        """Deliver `event` to `target`, retrying and dead-lettering as AWS does."""
        service = self._service
        clock = service.clock
        started = clock.now()
        context = TransformContext(rule.arn, rule.name, event.get("time", ""))
        try:
            text = target_input(target, event, context)
        except TransformError as error:
            failure = ServiceError("TransformFailed", str(error))
            await self._give_up(rule, target, event, trace_id, failure, 0, "TransformationFailed")
            return
        attempt = 0
        while True:
            try:
                await self._apply_faults(target.arn)
                envelope = build_envelope(target, event, text, trace_id, rule.arn)
                await service.engine.fabric.deliver(target.arn, envelope)
            except ServiceError as error:
                service.emit(
                    "delivery-failed",
                    target.arn,
                    message_id=event["id"],
                    trace_id=trace_id,
                    rule=rule.arn,
                    error=error.code,
                    attempt=attempt,
                )
                if not is_retried(error):
                    await self._give_up(
                        rule, target, event, trace_id, error, attempt, "NonRetriableError"
                    )
                    return
                if attempt >= target.max_retry_attempts:
                    await self._give_up(
                        rule,
                        target,
                        event,
                        trace_id,
                        error,
                        attempt,
                        "MaximumRetryAttemptsExhausted",
                    )
                    return
                attempt += 1
                delay = retry_delay(attempt, service.ids.random())
                if clock.now() + delay - started > target.max_event_age:
                    await self._give_up(
                        rule,
                        target,
                        event,
                        trace_id,
                        error,
                        attempt - 1,
                        "MaximumEventAgeExhausted",
                    )
                    return
                service.emit(
                    "retried",
                    target.arn,
                    message_id=event["id"],
                    trace_id=trace_id,
                    attempt=attempt,
                    delay=delay,
                )
                await clock.sleep(delay)
                continue
            target.delivered += 1
            service.emit(
                "delivered",
                target.arn,
                message_id=event["id"],
                trace_id=trace_id,
                rule=rule.arn,
                target_id=target.id,
            )
            return

    async def _apply_faults(self, target_arn: str) -> None:
        """Lab faults on the call to a target: added latency, and throttling (retried)."""
        faults = self._service.engine.faults
        if not faults.enabled:
            return
        policy = faults.policy_for(target_arn)
        if policy is None:
            return
        if policy.latency:
            await self._service.clock.sleep(policy.latency)
        if faults.roll(policy.throttle):
            raise ServiceError("ThrottlingException", "Rate exceeded (injected fault).")
        if target_fails(faults, target_arn):
            raise ServiceError("InternalException", "The target failed (injected fault).")

    async def _give_up(
        self,
        rule: Rule,
        target: Target,
        event: dict,
        trace_id: str | None,
        error: ServiceError,
        attempts: int,
        condition: str,
    ) -> None:
        service = self._service
        target.failed += 1
        if target.dead_letter_arn is None:
            service.emit(
                "dropped",
                target.arn,
                message_id=event["id"],
                trace_id=trace_id,
                reason=condition,
                error=error.code,
            )
            return
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target.arn,
            "ERROR_CODE": error.code,
            "ERROR_MESSAGE": error.message[:256],
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": str(attempts),
        }
        envelope = Envelope(
            body=compact(event),
            source_arn=rule.arn,
            trace_id=trace_id,
            attributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
        try:
            await service.engine.fabric.deliver(target.dead_letter_arn, envelope)
        except ServiceError as dlq_error:
            service.emit(
                "dropped",
                target.dead_letter_arn,
                message_id=event["id"],
                trace_id=trace_id,
                reason="DeadLetterQueueDeliveryFailed",
                error=dlq_error.code,
            )
            return
        service.emit(
            "dead-lettered",
            target.dead_letter_arn,
            message_id=event["id"],
            trace_id=trace_id,
            rule=rule.arn,
            target=target.arn,
            reason=condition,
        )


def bus_name_from(value: str) -> str:
    """A bus name from a name or an event-bus ARN."""
    parsed = parse_arn(value)
    if parsed is not None and parsed.resource.startswith("event-bus/"):
        return parsed.resource[len("event-bus/") :]
    return value
