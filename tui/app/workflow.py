"""A state machine's definition as a graph, coloured by one execution's per-state status."""

from __future__ import annotations

import json
from typing import Any

from engine import Engine

from .flow_canvas import EdgeView, NodeView

#: StateStatus.status (Step Functions' execution view) → the flow map flag that colours it.
STATUS_FLAGS = {
    "running": "running",
    "succeeded": "succeeded",
    "failed": "error",
    "caught": "caught",
    "retrying": "retry",
}


def definition_graph(definition: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The top-level states in reading order and their transitions (from, to, how)."""
    states = definition.get("States", {})
    order: list[str] = []
    transitions: list[tuple[str, str, str]] = []
    pending = [definition.get("StartAt")]
    while pending:
        name = pending.pop(0)
        if name is None or name in order or name not in states:
            continue
        order.append(name)
        state = states[name]
        targets = []
        if state.get("Next"):
            targets.append((state["Next"], "next"))
        if state.get("Default"):
            targets.append((state["Default"], "default"))
        for choice in state.get("Choices") or []:
            if choice.get("Next"):
                targets.append((choice["Next"], "choice"))
        for catcher in state.get("Catch") or []:
            if catcher.get("Next"):
                targets.append((catcher["Next"], "catch"))
        for target, how in targets:
            transitions.append((name, target, how))
            pending.append(target)
    order += [name for name in states if name not in order]
    return order, transitions


async def load_workflow(engine: Engine, machine_arn: str, execution_arn: str | None) -> dict:
    """Definition, recent executions, the chosen execution's view and its history (engine side)."""
    sfn = engine.client("stepfunctions")
    machine = await sfn.describe_state_machine(stateMachineArn=machine_arn)
    executions = (await sfn.list_executions(stateMachineArn=machine_arn, maxResults=20))[
        "executions"
    ]
    if execution_arn is None and executions:
        execution_arn = executions[0]["executionArn"]
    view, history = None, []
    if execution_arn is not None:
        service: Any = engine.service("stepfunctions")
        view = service.execution_view(execution_arn)
        history = (
            await sfn.get_execution_history(
                executionArn=execution_arn, maxResults=60, reverseOrder=True
            )
        )["events"]
    return {
        "name": machine["name"],
        "definition": json.loads(machine["definition"]),
        "executions": [
            {"arn": e["executionArn"], "name": e["name"], "status": e["status"]} for e in executions
        ],
        "execution": execution_arn,
        "view": view,
        "history": [{"id": e["id"], "type": e["type"], "details": _details(e)} for e in history],
    }


def _details(event: dict[str, Any]) -> str:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            name = value.get("name") or value.get("error") or ""
            cause = value.get("cause") or ""
            return f"{name} {cause}".strip()[:40]
    return ""


def workflow_views(data: dict) -> tuple[list[NodeView], list[EdgeView]]:
    """Flow map views of the states, flagged by the execution's status for each."""
    order, transitions = definition_graph(data["definition"])
    states = data["definition"].get("States", {})
    statuses = (data["view"] or {}).get("states", {})
    nodes = []
    for name in order:
        status = statuses.get(name)
        summary = "not reached"
        flag = None
        if status is not None:
            summary = status["status"]
            if status["retries"]:
                summary += f" · {status['retries']} retries"
            if status["duration"] is not None:
                summary += f" · {status['duration']:.1f}s"
            flag = STATUS_FLAGS.get(status["status"])
        kind = states.get(name, {}).get("Type", "state").lower()
        nodes.append(NodeView(name, kind, name, summary, summary.split(" ")[0], flag))
    edges = [EdgeView(a, b, "catch" if how == "catch" else "next") for a, b, how in transitions]
    return nodes, edges
