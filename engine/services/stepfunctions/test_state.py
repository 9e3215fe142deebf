"""TestState: run a single state against an input and report what it did."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .definition import DefinitionError, Diagnostic, Validator
from .errors import Failure
from .interpreter import Cursor, Runner
from .payload import Scope, compact
from .records import Execution, StateMachine

if TYPE_CHECKING:
    from .service import StepFunctionsService

TEST_STATE_NAME = "TestState"


def _state_document(params: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(state name, state, machine) from TestState's definition (one state or a whole machine)."""
    try:
        document = json.loads(params["definition"])
    except ValueError:
        raise ServiceError(
            "InvalidDefinition",
            "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: Definition must be a valid JSON object'",
        ) from None
    if not isinstance(document, dict):
        raise ServiceError(
            "InvalidDefinition",
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object'",
        )
    if "States" in document:
        name = params.get("stateName") or document.get("StartAt")
        if name not in document.get("States", {}):
            raise ServiceError(
                "ValidationException", f"State '{name}' does not exist in the definition"
            )
        return name, document["States"][name], document
    name = params.get("stateName") or TEST_STATE_NAME
    return name, document, {"StartAt": name, "States": {name: document}}


def _validate(state_name: str, state: dict[str, Any], machine: dict[str, Any]) -> None:
    """Check the state alone: its own fields, not whether its Next targets exist."""
    states = dict(machine.get("States", {}))
    for target in _targets(state):
        states.setdefault(target, {"Type": "Succeed"})
    diagnostics: list[Diagnostic] = []
    probe = {key: value for key, value in machine.items() if key != "States"}
    probe["States"] = states
    probe["StartAt"] = state_name
    Validator("STANDARD", diagnostics).machine(probe, "", None)
    if diagnostics:
        raise ServiceError("InvalidDefinition", DefinitionError(diagnostics).message)


def _targets(state: dict[str, Any]) -> list[str]:
    out = [state["Next"]] if isinstance(state.get("Next"), str) else []
    out += [s for s in [state.get("Default")] if isinstance(s, str)]
    for key in ("Choices", "Catch"):
        for item in state.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("Next"), str):
                out.append(item["Next"])
    return out


async def run_test_state(service: StepFunctionsService, params: dict[str, Any]) -> dict[str, Any]:
    """Run one state once (no retries wait) and describe the outcome as TestState does."""
    state_name, state, machine_doc = _state_document(params)
    _validate(state_name, state, machine_doc)
    text = params.get("input", "{}")
    try:
        value = json.loads(text)
    except ValueError:
        raise ServiceError(
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Invalid execution input.'",
        ) from None
    variables = {}
    if params.get("variables"):
        try:
            variables = json.loads(params["variables"])
        except ValueError:
            raise ServiceError("ValidationException", "Variables must be a JSON object") from None
    machine = StateMachine(
        arn=service.arn("stateMachine:TestStateMachine", service="states"),
        name="TestStateMachine",
        definition=params["definition"],
        document=machine_doc,
        role_arn=params.get("roleArn", ""),
        type="EXPRESS",
        created=service.clock.now(),
    )
    execution = Execution(
        arn=service.arn(f"express:TestStateMachine:{service.ids.uuid()}", service="states"),
        name="TestState",
        machine=machine,
        input=value,
        input_text=text,
        started=service.clock.now(),
        trace_id=service.ids.trace_id(service.clock.now()),
    )
    runner = Runner(service, execution)
    runner.mock = params.get("mock")
    runner.retry_once = True
    runner.inspection = {}
    scope = Scope(values=dict(variables))
    language = machine_doc.get("QueryLanguage", "JSONPath")
    level = params.get("inspectionLevel", "INFO")
    inspection: dict[str, Any] = {"input": compact(value)}
    result: dict[str, Any] = {}
    try:
        step = await runner.run_state(state_name, state, value, scope, Cursor(), language, None)
    except Failure as failure:
        result["status"] = "RETRIABLE" if runner.retry_pending else "FAILED"
        if failure.error is not None:
            result["error"] = failure.error
        if failure.cause is not None:
            result["cause"] = failure.cause
    else:
        status = execution.states.get(state_name)
        result["status"] = (
            "CAUGHT_ERROR" if status is not None and status.status == "caught" else "SUCCEEDED"
        )
        result["output"] = compact(step.output)
        if step.next is not None:
            result["nextState"] = step.next
        if scope.values:
            inspection["variables"] = compact(scope.values)
    if level in ("DEBUG", "TRACE"):
        inspection.update({k: compact(v) for k, v in runner.inspection.items()})
    result["inspectionData"] = inspection
    return result
