"""Evaluating a step's checks against the live lab: engine state through read-only commands, and the trace.

Trace checks see only events after a point (`since`, a trace sequence number): the lesson's
start, or the previous step's tick, so that work done before the lesson never counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError

from .model import Check, Step

if TYPE_CHECKING:
    from tui.console import Console


@dataclass(slots=True)
class Outcome:
    """Whether a check holds now, and what the learner should read when it does not."""

    met: bool
    detail: str = ""  # e.g. "2 of 3 so far", or the error of the check's command
    value: Any = None  # the observed value (trace count, or the expression's result)


class _Functions(functions.Functions):
    """JMESPath functions checks may use beside the standard ones."""

    @functions.signature({"types": ["string", "null"]})
    def _func_from_json(self, text: str | None) -> Any:
        """`from_json(Attributes.RedrivePolicy).maxReceiveCount`: a JSON text's value (or null)."""
        try:
            return json.loads(text) if text is not None else None
        except ValueError:
            return None


OPTIONS = jmespath.Options(custom_functions=_Functions())


def _resource_matches(resource: str, wanted: str, named: set[str]) -> bool:
    if resource == wanted or resource in named:
        return True
    tail = resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return tail == wanted


def _ids_named(console: Console, name: str) -> set[str]:
    """ARNs of the resources called `name` (a REST API's ARN ends in its id, not its name)."""
    return {node.id for node in console.engine.topology().nodes if node.name == name}


def count_events(console: Console, check: Check, since: int = 0, limit: int | None = None) -> int:
    """How many events after sequence number `since` match a trace check (stops at `limit`)."""
    return len(matching_events(console, check, since, limit))


def matching_events(
    console: Console, check: Check, since: int = 0, limit: int | None = None
) -> list[dict]:
    """The events after `since` that a trace check matches, newest first (at most `limit`)."""
    found: list[dict] = []
    named: set[str] | None = None
    for event in reversed(console.recorder.events):
        if event.seq <= since:
            break  # the recorder holds events in order: everything older is before the window
        if event.kind != check.trace:
            continue
        if check.resource:
            if named is None:
                named = _ids_named(console, check.resource)
            if not _resource_matches(event.resource, check.resource, named):
                continue
        data = event.as_dict()
        if check.where and not _holds(check.where, data):
            continue
        found.append(data)
        if limit is not None and len(found) >= limit:
            break
    return found


async def evaluate(console: Console, check: Check, since: int = 0) -> Outcome:
    """Whether one check holds now (trace events counted after `since`), with its detail."""
    if check.command is not None:
        kept, shown = console.last_value, console.last_shown
        try:
            result = await console.execute(check.command)
        finally:
            console.last_value, console.last_shown = kept, shown  # checks must not move `expect`
        if not result.ok:
            return Outcome(False, (result.error or "").strip().splitlines()[0][:200])
        value = _search(check.expect, result.value)
        return Outcome(_truthy(value), value=value)
    if check.lag is not None:
        value = _search(check.expect, _lag_rows(console, check.lag))
        return Outcome(_truthy(value), value=value)
    if check.at_most is not None:
        count = count_events(console, check, since, check.at_most + 1)
        if count <= check.at_most:
            return Outcome(True, value=count)
        return Outcome(False, f"more than {check.at_most} since the lesson started", count)
    count = count_events(console, check, since, check.at_least)
    if count >= check.at_least:
        return Outcome(True, value=count)
    window = "since the lesson started" if check.since == "lesson" else "since the last step"
    if check.at_least > 1:
        return Outcome(False, f"{count} of {check.at_least} {window}", count)
    return Outcome(False, f"none yet {window}", count)


async def observe(console: Console, check: Check, since: int = 0) -> Any:
    """A predict step's observed answer: a trace count, or the expression's value."""
    if check.trace is not None:
        events = matching_events(console, check, since)
        return _search(check.expect, events[::-1]) if check.expect else len(events)
    return (await evaluate(console, check, since)).value


async def check_passes(console: Console, check: Check, since: int = 0) -> bool:
    """Whether one check holds now."""
    return (await evaluate(console, check, since)).met


def _search(expression: str | None, data: Any) -> Any:
    """`expression` on `data`; a type error (a missing field, say) is None."""
    try:
        return jmespath.search(expression or "@", data, options=OPTIONS)
    except (JMESPathError, TypeError, ValueError):  # comparing a number with text raises TypeError
        return None


def _truthy(value: Any) -> bool:
    """Python's truth of a JMESPath result: null, false, 0 and empty values are not met."""
    return bool(value)


def _holds(expression: str | None, data: Any) -> bool:
    """Whether `expression` is truthy on `data`."""
    return _truthy(_search(expression, data))


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


async def step_passes(
    console: Console, step: Step, since: int = 0, step_since: int | None = 0
) -> bool:
    """Whether every check of `step` holds (trace checks after `since` or `step_since`).

    `step_since` None: the previous step is not done, so `since = "step"` checks cannot hold.
    """
    for check in step.checks:
        window = step_since if check.since == "step" else since
        if window is None or not await check_passes(console, check, window):
            return False
    return True
