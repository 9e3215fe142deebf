"""Evaluating a step's checks against the live lab: engine state through read-only commands, and the trace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jmespath
from jmespath.exceptions import JMESPathError

from .model import Check, Step

if TYPE_CHECKING:
    from tui.console import Console


def _resource_matches(resource: str, wanted: str, named: set[str]) -> bool:
    if resource == wanted or resource in named:
        return True
    tail = resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return tail == wanted


def _ids_named(console: Console, name: str) -> set[str]:
    """ARNs of the resources called `name` (a REST API's ARN ends in its id, not its name)."""
    return {node.id for node in console.engine.topology().nodes if node.name == name}


async def check_passes(console: Console, check: Check) -> bool:
    """Whether one check holds now."""
    if check.command is not None:
        kept = console.last_value
        try:
            result = await console.execute(check.command)
        finally:
            console.last_value = kept  # a check must not change what `expect` sees
        if not result.ok:
            return False
        return _holds(check.expect, result.value)
    if check.lag is not None:
        return _holds(check.expect, _lag_rows(console, check.lag))
    count = 0
    named: set[str] | None = None
    for event in console.recorder.events:
        if event.kind != check.trace:
            continue
        if check.resource:
            if named is None:
                named = _ids_named(console, check.resource)
            if not _resource_matches(event.resource, check.resource, named):
                continue
        if check.where and not _holds(check.where, _event_data(event)):
            continue
        count += 1
        if count >= check.at_least:
            return True
    return False


def _holds(expression: str | None, data: Any) -> bool:
    """Whether `expression` is truthy on `data`; a type error (a missing field, say) is false."""
    try:
        return bool(jmespath.search(expression or "@", data))
    except JMESPathError:
        return False


def _lag_rows(console: Console, stream: str) -> list[dict]:
    """Every consumer's lag on every shard of a Kinesis stream (empty if there is no such stream)."""
    engine = console.engine
    arn = (
        stream
        if stream.startswith("arn:")
        else (f"arn:aws:kinesis:{engine.region}:{engine.account_id}:stream/{stream}")
    )
    kinesis = next((s for s in engine.started_services() if s.name == "kinesis"), None)
    if kinesis is None or kinesis.stream_for_arn(arn) is None:
        return []  # looking must not start a service
    return [
        {
            "shard_id": row.shard_id,
            "consumer": row.consumer,
            "consumer_kind": row.consumer_kind,
            "records_behind": row.records_behind,
            "iterator_age_ms": row.iterator_age_ms,
        }
        for row in kinesis.lag(arn)
    ]


def _event_data(event: Any) -> dict:
    return event.as_dict()


async def step_passes(console: Console, step: Step) -> bool:
    """Whether every check of `step` holds."""
    for check in step.checks:
        if not await check_passes(console, check):
            return False
    return True
