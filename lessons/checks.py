"""Evaluating a step's checks against the live lab: engine state through read-only commands, and the trace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jmespath

from .model import Check, Step

if TYPE_CHECKING:
    from tui.console import Console


def _resource_matches(resource: str, wanted: str) -> bool:
    if resource == wanted:
        return True
    tail = resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    return tail == wanted


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
        return bool(jmespath.search(check.expect or "@", result.value))
    count = 0
    for event in console.recorder.events:
        if event.kind != check.trace:
            continue
        if check.resource and not _resource_matches(event.resource, check.resource):
            continue
        if check.where and not jmespath.search(check.where, _event_data(event)):
            continue
        count += 1
        if count >= check.at_least:
            return True
    return False


def _event_data(event: Any) -> dict:
    return event.as_dict()


async def step_passes(console: Console, step: Step) -> bool:
    """Whether every check of `step` holds."""
    for check in step.checks:
        if not await check_passes(console, check):
            return False
    return True
