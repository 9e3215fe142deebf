"""Saving and resuming Standard executions: their history, and where a running one stands.

A running execution is saved with its position: the top-level state it is in and that state's
input (from the history), plus what it waits for — a Wait state's time left, a callback Task's
task token. On open it resumes there: a Wait waits out the rest of its time, a callback Task
keeps waiting for the same token (SendTaskSuccess with the old token works). Any other state
(a Lambda Task, a Parallel or Map in progress) runs again from its input. Express executions and
the child executions of distributed Map runs are not saved.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .records import Execution, StateStatus

if TYPE_CHECKING:
    from .service import StepFunctionsService


def dump_executions(service: StepFunctionsService, now: float) -> list[dict[str, Any]]:
    """Every Standard execution (not map-run children) as plain data."""
    saved = []
    for execution in service.executions.values():
        if execution.map_run_arn is not None:
            continue
        item: dict[str, Any] = {
            "arn": execution.arn,
            "name": execution.name,
            "machine_arn": execution.machine.arn,
            "input_text": execution.input_text,
            "started": execution.started,
            "trace_id": execution.trace_id,
            "status": execution.status,
            "stopped": execution.stopped,
            "output": execution.output,
            "error": execution.error,
            "cause": execution.cause,
            "history": execution.history,
            "version_arn": execution.version_arn,
            "alias_arn": execution.alias_arn,
            "parent_arn": execution.parent_arn,
            "redrive_count": execution.redrive_count,
            "redrive_time": execution.redrive_time,
            "states": [
                [s.name, s.status, s.entered, s.exited, s.retries]
                for s in execution.states.values()
            ],
        }
        if execution.status == "RUNNING":
            item["resume"] = _position(execution, now)
        saved.append(item)
    return saved


def _position(execution: Execution, now: float) -> dict[str, Any] | None:
    """The top-level state a running execution is in, its input, and what it waits for."""
    top = execution.machine.document.get("States", {})
    point = execution.resume_point or {}
    name = point.get("state")
    if name is None:
        running = [state for state in execution.current if state in top]
        if len(running) != 1:
            return None
        name = running[0]
    state_input = None
    for event in reversed(execution.history or []):
        details = event.get("stateEnteredEventDetails")
        if details is not None and details.get("name") == name:
            state_input = details.get("input")
            break
    if state_input is None:
        return None
    position: dict[str, Any] = {"state": name, "input": state_input}
    if point.get("state") == name:
        if "until" in point:
            position["remaining"] = max(0.0, point["until"] - now)
        if "token" in point:
            position["token"] = point["token"]
    return position


def load_executions(service: StepFunctionsService, saved: list[dict[str, Any]], now: float) -> None:
    """Recreate saved executions; running ones resume where they stood."""
    for item in saved:
        machine = service._machine(item["machine_arn"])
        execution = Execution(
            arn=item["arn"],
            name=item["name"],
            machine=machine,
            input=json.loads(item["input_text"] or "{}"),
            input_text=item["input_text"],
            started=item["started"],
            trace_id=item["trace_id"],
            status=item["status"],
            stopped=item.get("stopped"),
            output=item.get("output"),
            error=item.get("error"),
            cause=item.get("cause"),
            history=list(item.get("history") or []),
            version_arn=item.get("version_arn"),
            alias_arn=item.get("alias_arn"),
            parent_arn=item.get("parent_arn"),
            redrive_count=item.get("redrive_count", 0),
            redrive_time=item.get("redrive_time"),
        )
        for name, status, entered, exited, retries in item.get("states", []):
            execution.states[name] = StateStatus(name, status, entered, exited, retries)
        root = service._root(machine)
        root.executions_started += 1
        service.executions[execution.arn] = execution
        service.executions_by_machine.setdefault(root.arn, []).append(execution.arn)
        if execution.status == "SUCCEEDED":
            root.succeeded += 1
        elif execution.status != "RUNNING":
            root.failed += 1
        else:
            root.running += 1
            _resume(service, execution, item.get("resume"), now)


def _resume(
    service: StepFunctionsService,
    execution: Execution,
    position: dict[str, Any] | None,
    now: float,
) -> None:
    if position is None or position.get("state") not in execution.machine.document["States"]:
        # Nowhere to resume from (e.g. between two states of a parallel branch): it ends.
        service._abort_unresumable(execution)
        return
    point: dict[str, Any] = {"state": position["state"], "resumed": True}
    if "remaining" in position:
        point["until"] = now + float(position["remaining"])
    if "token" in position:
        point["token"] = position["token"]
    execution.resume_point = point
    service._launch(execution, position["state"], json.loads(position["input"]))
