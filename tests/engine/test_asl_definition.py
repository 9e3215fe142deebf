"""Definition validation: what AWS rejects, with diagnostics naming the state and field."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError

ROLE = "arn:aws:iam::123456789012:role/sfn"


def machine(**states: dict) -> str:
    """A definition whose first state is the first keyword."""
    return json.dumps({"StartAt": next(iter(states)), "States": states})


async def create_error(
    eng: Engine, definition: str, machine_type: str = "STANDARD"
) -> ServiceError:
    """The error CreateStateMachine raises for `definition`."""
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").create_state_machine(
            name="m", definition=definition, roleArn=ROLE, type=machine_type
        )
    return caught.value


async def test_missing_start_at_is_reported_at_the_root(eng: Engine) -> None:
    error = await create_error(eng, json.dumps({"States": {"A": {"Type": "Pass", "End": True}}}))
    assert error.code == "InvalidDefinition"
    assert error.message == (
        "Invalid State Machine Definition: "
        "'SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /'"
    )


async def test_unknown_next_target_names_the_state_and_field(eng: Engine) -> None:
    error = await create_error(eng, machine(A={"Type": "Pass", "Next": "Nowhere"}))
    assert (
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at /States/A/Next"
        in error.message
    )


async def test_bad_state_type_lists_the_valid_ones(eng: Engine) -> None:
    error = await create_error(eng, machine(A={"Type": "Nap", "End": True}))
    assert "should have one of these values: [Task, Wait, Pass" in error.message
    assert "/States/A/Type" in error.message


async def test_invalid_path_in_parameters_is_rejected(eng: Engine) -> None:
    error = await create_error(
        eng, machine(A={"Type": "Pass", "Parameters": {"x.$": "not a path"}, "End": True})
    )
    assert "The value for the field 'x.$' must be a valid JSONPath" in error.message


async def test_malformed_intrinsic_is_rejected(eng: Engine) -> None:
    error = await create_error(
        eng, machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Array(1"}, "End": True})
    )
    assert "/States/A/Parameters" in error.message


async def test_express_machine_refuses_callbacks(eng: Engine) -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "End": True,
    }
    error = await create_error(eng, machine(A=state), "EXPRESS")
    assert "Express state machine does not support '.waitForTaskToken'" in error.message


async def test_jsonpath_state_inside_a_jsonata_machine_is_rejected(eng: Engine) -> None:
    definition = json.dumps(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}},
        }
    )
    error = await create_error(eng, definition)
    assert "'QueryLanguage' can not be 'JSONPath'" in error.message


async def test_validate_returns_diagnostics_instead_of_an_error(eng: Engine) -> None:
    result = await eng.client("stepfunctions").validate_state_machine_definition(
        definition=json.dumps({})
    )
    assert result["result"] == "FAIL"
    assert result["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "These fields are required: [States, StartAt]",
            "location": "/",
        }
    ]


async def test_validate_reports_text_that_is_not_json(eng: Engine) -> None:
    result = await eng.client("stepfunctions").validate_state_machine_definition(
        definition="not a definition"
    )
    assert result["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


async def test_validate_accepts_a_good_definition(eng: Engine) -> None:
    result = await eng.client("stepfunctions").validate_state_machine_definition(
        definition=machine(A={"Type": "Pass", "End": True})
    )
    assert result == {
        "result": "OK",
        "diagnostics": [],
        "truncated": False,
        "ResponseMetadata": result["ResponseMetadata"],
    }


async def test_a_rejected_definition_creates_nothing(eng: Engine) -> None:
    await create_error(eng, machine(A={"Type": "Pass"}))
    listed = await eng.client("stepfunctions").list_state_machines()
    assert listed["stateMachines"] == []


async def test_unknown_optimized_action_is_rejected(eng: Engine) -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}
    error = await create_error(eng, machine(Query=state))
    assert error.message == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided "
        "arn:aws:states:::dynamodb:query is not recognized. The value is not a valid resource "
        "ARN, or the resource is not available in this region. at /States/Query/Resource'"
    )
