"""Running state machines on the virtual clock: data flow, waits, retries, catches, timeouts."""

from __future__ import annotations

import json
from typing import Any

from engine import Engine, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"


async def execute(
    eng: Engine, clock: VirtualClock, states: dict[str, Any], value: Any = None, **top: Any
) -> dict[str, Any]:
    """Run a machine whose first state is the first in `states`; returns DescribeExecution."""
    sfn = eng.client("stepfunctions")
    definition = json.dumps({"StartAt": next(iter(states)), "States": states, **top})
    machine = await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    started = await sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(value or {})
    )
    for _ in range(1000):
        described = await sfn.describe_execution(executionArn=started["executionArn"])
        if described["status"] != "RUNNING":
            return described
        if not await clock.step():
            await clock.settle()
    return described


def output(described: dict[str, Any]) -> Any:
    """The execution's output as JSON data."""
    return json.loads(described["output"])


async def test_year_long_wait_finishes_instantly_on_the_virtual_clock(
    eng: Engine, clock: VirtualClock
) -> None:
    start = clock.now()
    described = await execute(
        eng, clock, {"W": {"Type": "Wait", "Seconds": 365 * 86400, "End": True}}
    )
    assert described["status"] == "SUCCEEDED"
    assert clock.now() - start == 365 * 86400


async def test_wait_until_timestamp_path(eng: Engine, clock: VirtualClock) -> None:
    states = {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}
    described = await execute(eng, clock, states, {"at": "2026-01-02T00:00:00Z"})
    assert described["status"] == "SUCCEEDED"
    assert clock.now() == 1_767_312_000.0


async def test_negative_seconds_path_fails_with_aws_words(eng: Engine, clock: VirtualClock) -> None:
    states = {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}
    described = await execute(eng, clock, states, {"s": -1})
    assert described["error"] == "States.Runtime"
    assert described["cause"].endswith(
        "The SecondsPath parameter references a negative value: $.s == -1"
    )


async def test_jsonpath_data_flow(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "P": {
            "Type": "Pass",
            "InputPath": "$.in",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)", "name.$": "$$.State.Name"},
            "ResultPath": "$.in.result",
            "OutputPath": "$.in",
            "End": True,
        }
    }
    described = await execute(eng, clock, states, {"in": {"n": 4}, "other": 1})
    assert output(described) == {"n": 4, "result": {"doubled": 8, "name": "P"}}


async def test_choice_operators_and_default(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.n", "NumericGreaterThan": 1},
                        {"Not": {"Variable": "$.s", "StringMatches": "no*"}},
                    ],
                    "Next": "Big",
                },
            ],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True},
    }
    assert output(await execute(eng, clock, states, {"n": 5, "s": "yes"})) == "big"


async def test_no_choice_matched_fails(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"},
    }
    described = await execute(eng, clock, states, {"n": 2})
    assert described["error"] == "States.NoChoiceMatched"


async def test_fail_state_error_and_cause(eng: Engine, clock: VirtualClock) -> None:
    states = {"F": {"Type": "Fail", "ErrorPath": "$.e", "Cause": "because"}}
    described = await execute(eng, clock, states, {"e": "Oops"})
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Oops",
        "because",
    )


async def test_missing_input_path_fails_uncatchably(eng: Engine, clock: VirtualClock) -> None:
    states = {"P": {"Type": "Pass", "InputPath": "$.nope", "End": True}}
    described = await execute(eng, clock, states)
    assert described["error"] == "States.Runtime"
    assert described["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "Invalid path '$.nope' : No results for path: $['nope']"
    )


async def test_retry_waits_with_backoff_then_catch(eng: Engine, clock: VirtualClock) -> None:
    calls: list[float] = []

    def flaky(event: Any, context: Any) -> Any:
        calls.append(clock.now())
        raise RuntimeError("down")

    arn = eng.register_function("flaky", flaky)
    states = {
        "T": {
            "Type": "Task",
            "Resource": arn,
            "Retry": [
                {
                    "ErrorEquals": ["RuntimeError"],
                    "IntervalSeconds": 2,
                    "BackoffRate": 3,
                    "MaxAttempts": 2,
                }
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}],
            "End": True,
        },
        "H": {"Type": "Pass", "End": True},
    }
    described = await execute(eng, clock, states, {"x": 1})
    gaps = [round(b - a, 3) for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps == [2.0, 6.0]
    result = output(described)
    assert result["x"] == 1
    assert result["err"]["Error"] == "RuntimeError"


async def test_task_timeout_is_states_timeout(eng: Engine, clock: VirtualClock) -> None:
    async def slow(event: Any, context: Any) -> Any:
        await clock.sleep(100)
        return event

    arn = eng.register_function("slow", slow, Timeout=300)
    states = {"T": {"Type": "Task", "Resource": arn, "TimeoutSeconds": 5, "End": True}}
    described = await execute(eng, clock, states)
    assert described["error"] == "States.Timeout"


async def test_parallel_runs_branches_and_keeps_their_order(
    eng: Engine, clock: VirtualClock
) -> None:
    def branch(seconds: int, value: str) -> dict[str, Any]:
        return {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": seconds, "Next": "R"},
                "R": {"Type": "Pass", "Result": value, "End": True},
            },
        }

    states = {
        "P": {"Type": "Parallel", "Branches": [branch(30, "slow"), branch(1, "fast")], "End": True}
    }
    start = clock.now()
    described = await execute(eng, clock, states)
    assert output(described) == ["slow", "fast"]
    assert clock.now() - start == 30


async def test_parallel_branch_failure_fails_the_state(eng: Engine, clock: VirtualClock) -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad"}}}
    ok = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}}
    states = {"P": {"Type": "Parallel", "Branches": [ok, failing], "End": True}}
    described = await execute(eng, clock, states)
    assert described["error"] == "Bad"


async def test_jsonata_state_with_variables(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "A": {
            "Type": "Pass",
            "Assign": {"total": "{% $states.input.a + $states.input.b %}"},
            "Next": "B",
        },
        "B": {
            "Type": "Pass",
            "Output": {"sum": "{% $total %}", "ctx": "{% $states.context.State.Name %}"},
            "End": True,
        },
    }
    described = await execute(eng, clock, states, {"a": 2, "b": 3}, QueryLanguage="JSONata")
    assert output(described) == {"sum": 5, "ctx": "B"}


async def test_jsonata_undefined_result_is_a_query_evaluation_error(
    eng: Engine, clock: VirtualClock
) -> None:
    states = {"A": {"Type": "Pass", "Output": "{% $nothing %}", "End": True}}
    described = await execute(eng, clock, states, QueryLanguage="JSONata")
    assert described["error"] == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in described["cause"]


async def test_jsonpath_variables_are_visible_in_later_states(
    eng: Engine, clock: VirtualClock
) -> None:
    states = {
        "A": {"Type": "Pass", "Assign": {"greeting.$": "$.hi"}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"said.$": "$greeting"}, "End": True},
    }
    assert output(await execute(eng, clock, states, {"hi": "hello"})) == {"said": "hello"}


async def test_map_iterations_cannot_change_outer_variables(
    eng: Engine, clock: VirtualClock
) -> None:
    states = {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "I",
                "States": {"I": {"Type": "Pass", "Assign": {"x": 2}, "End": True}},
            },
            "Next": "B",
        },
        "B": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
    }
    assert output(await execute(eng, clock, states, [1, 2])) == {"x": 1}


async def test_state_machine_timeout(eng: Engine, clock: VirtualClock) -> None:
    states = {"W": {"Type": "Wait", "Seconds": 100, "End": True}}
    described = await execute(eng, clock, states, TimeoutSeconds=10)
    assert described["status"] == "TIMED_OUT"


async def test_large_result_exceeds_the_data_limit(eng: Engine, clock: VirtualClock) -> None:
    states = {"P": {"Type": "Pass", "Result": "a" * 300_000, "End": True}}
    described = await execute(eng, clock, states)
    assert described["error"] == "States.DataLimitExceeded"


async def test_execution_view_shows_current_state_and_timings(
    eng: Engine, clock: VirtualClock
) -> None:
    sfn = eng.client("stepfunctions")
    definition = json.dumps(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 5, "End": True},
            },
        }
    )
    machine = await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    arn = (await sfn.start_execution(stateMachineArn=machine["stateMachineArn"]))["executionArn"]
    await clock.advance(2)
    view = eng.service("stepfunctions").execution_view(arn)
    assert view["current"] == ["W"]
    assert view["states"]["A"]["status"] == "succeeded"
    assert view["states"]["W"]["status"] == "running"
    await clock.advance(5)
    view = eng.service("stepfunctions").execution_view(arn)
    assert view["states"]["W"]["duration"] == 5
    assert view["status"] == "SUCCEEDED"


async def test_trace_events_for_states_and_execution(eng: Engine, clock: VirtualClock) -> None:
    with eng.trace.subscribe() as subscription:
        await execute(eng, clock, {"A": {"Type": "Pass", "End": True}})
        kinds = [e.kind for e in subscription.drain() if e.service == "stepfunctions"]
    assert kinds == [
        "created",
        "execution-started",
        "state-entered",
        "state-exited",
        "execution-succeeded",
    ]


async def test_test_state_runs_one_state(eng: Engine) -> None:
    result = await eng.client("stepfunctions").test_state(
        definition=json.dumps({"Type": "Pass", "Parameters": {"v.$": "$.a"}, "Next": "X"}),
        roleArn=ROLE,
        input='{"a": 7}',
    )
    assert (result["status"], json.loads(result["output"]), result["nextState"]) == (
        "SUCCEEDED",
        {"v": 7},
        "X",
    )


async def test_test_state_with_a_mocked_task_error_is_caught(eng: Engine) -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["Boom"], "Next": "H"}],
        "End": True,
    }
    result = await eng.client("stepfunctions").test_state(
        definition=json.dumps(state),
        roleArn=ROLE,
        input="{}",
        mock={"errorOutput": {"error": "Boom", "cause": "mocked"}},
    )
    assert (result["status"], result["nextState"]) == ("CAUGHT_ERROR", "H")


async def test_test_state_debug_shows_each_data_flow_stage(eng: Engine) -> None:
    state = {
        "Type": "Pass",
        "InputPath": "$.in",
        "Parameters": {"v.$": "$.a"},
        "ResultPath": "$.out",
        "End": True,
    }
    result = await eng.client("stepfunctions").test_state(
        definition=json.dumps(state),
        roleArn=ROLE,
        input='{"in": {"a": 1}}',
        inspectionLevel="DEBUG",
    )
    data = {k: json.loads(v) for k, v in result["inspectionData"].items()}
    assert data["afterInputPath"] == {"a": 1}
    assert data["afterParameters"] == {"v": 1}
    assert data["afterResultPath"] == {"in": {"a": 1}, "out": {"v": 1}}


async def test_result_path_into_a_non_object_is_a_match_failure(
    eng: Engine, clock: VirtualClock
) -> None:
    sfn = eng.client("stepfunctions")
    definition = json.dumps(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Result": 1, "ResultPath": "$.x", "End": True}},
        }
    )
    machine = await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    started = await sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='"text"')
    await clock.settle()
    described = await sfn.describe_execution(executionArn=started["executionArn"])
    assert described["error"] == "States.ResultPathMatchFailure"
    assert described["cause"] == 'Unable to apply ResultPath "$.x" to input ""text""'


async def test_branch_failed_catches_a_parallel_branch_error(
    eng: Engine, clock: VirtualClock
) -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Custom"}}}
    states = {
        "P": {
            "Type": "Parallel",
            "Branches": [failing],
            "End": True,
            "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "H"}],
        },
        "H": {"Type": "Pass", "End": True},
    }
    described = await execute(eng, clock, states)
    assert output(described) == {"Error": "Custom"}


async def test_endless_loop_fails_at_the_history_limit(eng: Engine, clock: VirtualClock) -> None:
    states = {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}
    described = await execute(eng, clock, states)
    assert described["error"] == "States.Runtime"
    assert "25000 history events" in described["cause"]
