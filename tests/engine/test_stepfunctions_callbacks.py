"""Task tokens, heartbeats, activities and nested executions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"


async def start(eng: Engine, states: dict[str, Any], value: Any = None, name: str = "m") -> str:
    """Create a machine and start it; returns the execution ARN."""
    sfn = eng.client("stepfunctions")
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    machine = await sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)
    started = await sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(value or {})
    )
    return started["executionArn"]


async def status(eng: Engine, arn: str) -> dict[str, Any]:
    """DescribeExecution."""
    return await eng.client("stepfunctions").describe_execution(executionArn=arn)


def callback_state(heartbeat: int | None = None) -> dict[str, Any]:
    """A lambda:invoke.waitForTaskToken Task that hands the token to function `keeper`."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "keeper", "Payload": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    if heartbeat:
        state["HeartbeatSeconds"] = heartbeat
    return state


def keeper(eng: Engine) -> list[str]:
    """Register `keeper`, a function that remembers the tokens it is given."""
    tokens: list[str] = []

    def handler(event: Any, context: Any) -> Any:
        tokens.append(event["token"])
        return {}

    eng.register_function("keeper", handler)
    return tokens


async def test_wait_for_task_token_resumes_on_success(eng: Engine, clock: VirtualClock) -> None:
    tokens = keeper(eng)
    arn = await start(eng, {"T": callback_state()})
    await clock.advance(3600)
    assert (await status(eng, arn))["status"] == "RUNNING"
    await eng.client("stepfunctions").send_task_success(
        taskToken=tokens[0], output='{"done": true}'
    )
    await clock.settle()
    described = await status(eng, arn)
    assert json.loads(described["output"]) == {"done": True}


async def test_send_task_failure_fails_the_task(eng: Engine, clock: VirtualClock) -> None:
    tokens = keeper(eng)
    arn = await start(eng, {"T": callback_state()})
    await clock.settle()
    await eng.client("stepfunctions").send_task_failure(
        taskToken=tokens[0], error="Nope", cause="why"
    )
    await clock.settle()
    described = await status(eng, arn)
    assert (described["error"], described["cause"]) == ("Nope", "why")


async def test_missed_heartbeat_times_out(eng: Engine, clock: VirtualClock) -> None:
    tokens = keeper(eng)
    arn = await start(eng, {"T": callback_state(heartbeat=10)})
    await clock.advance(8)
    await eng.client("stepfunctions").send_task_heartbeat(taskToken=tokens[0])
    await clock.advance(8)
    assert (await status(eng, arn))["status"] == "RUNNING"
    await clock.advance(5)
    # AWS reports a missed heartbeat as States.Timeout (its recorded TaskTimedOut says so).
    assert (await status(eng, arn))["error"] == "States.Timeout"
    history = await eng.client("stepfunctions").get_execution_history(executionArn=arn)
    (timed_out,) = [e for e in history["events"] if e["type"] == "TaskTimedOut"]
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"


@pytest.mark.parametrize(
    ("names", "caught"),
    [
        (["States.Timeout"], True),  # AWS: States.Timeout covers HeartbeatSeconds too
        (["States.HeartbeatTimeout"], True),
        (["States.TaskFailed"], False),
    ],
)
async def test_catch_of_a_missed_heartbeat(
    eng: Engine, clock: VirtualClock, names: list[str], caught: bool
) -> None:
    keeper(eng)
    state = callback_state(heartbeat=10)
    state["Catch"] = [{"ErrorEquals": names, "Next": "Late"}]
    late = {"Type": "Pass", "Result": "late", "End": True}
    arn = await start(eng, {"T": state, "Late": late})
    await clock.advance(11)
    described = await status(eng, arn)
    if caught:
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", "late")
    else:
        assert described["error"] == "States.Timeout"


async def test_states_heartbeat_timeout_does_not_catch_a_timeout_seconds_timeout(
    eng: Engine, clock: VirtualClock
) -> None:
    keeper(eng)
    state = callback_state(heartbeat=30)
    state["TimeoutSeconds"] = 10
    state["Catch"] = [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Late"}]
    late = {"Type": "Pass", "Result": "late", "End": True}
    arn = await start(eng, {"T": state, "Late": late})
    await clock.advance(11)
    described = await status(eng, arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")


async def test_retry_of_states_timeout_retries_a_missed_heartbeat(
    eng: Engine, clock: VirtualClock
) -> None:
    tokens = keeper(eng)
    state = callback_state(heartbeat=10)
    state["Retry"] = [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    await start(eng, {"T": state})
    await clock.advance(11.5)
    assert len(tokens) == 2  # the task ran again


async def test_answered_token_cannot_be_used_again(eng: Engine, clock: VirtualClock) -> None:
    tokens = keeper(eng)
    await start(eng, {"T": callback_state()})
    await clock.settle()
    sfn = eng.client("stepfunctions")
    await sfn.send_task_success(taskToken=tokens[0], output="{}")
    with pytest.raises(ServiceError) as caught:
        await sfn.send_task_success(taskToken=tokens[0], output="{}")
    assert caught.value.code == "TaskDoesNotExist"


async def test_activity_worker_gets_the_task_and_answers(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    activity = (await sfn.create_activity(name="work"))["activityArn"]
    arn = await start(eng, {"T": {"Type": "Task", "Resource": activity, "End": True}}, {"job": 1})
    await clock.settle()
    task = await sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"job": 1}
    await sfn.send_task_success(taskToken=task["taskToken"], output='"ok"')
    await clock.settle()
    assert json.loads((await status(eng, arn))["output"]) == "ok"
    history = await sfn.get_execution_history(executionArn=arn)
    assert "ActivityStarted" in [e["type"] for e in history["events"]]


async def test_activity_poll_waits_for_a_task(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    activity = (await sfn.create_activity(name="work"))["activityArn"]
    poll = asyncio.ensure_future(sfn.get_activity_task(activityArn=activity))
    await clock.advance(5)
    await start(eng, {"T": {"Type": "Task", "Resource": activity, "End": True}}, {"n": 2})
    await clock.settle()
    assert json.loads((await poll)["input"]) == {"n": 2}


async def test_activity_poll_returns_empty_after_60_seconds(
    eng: Engine, clock: VirtualClock
) -> None:
    sfn = eng.client("stepfunctions")
    activity = (await sfn.create_activity(name="idle"))["activityArn"]
    poll = asyncio.ensure_future(sfn.get_activity_task(activityArn=activity))
    await clock.advance(61)
    assert "taskToken" not in await poll


async def test_nested_execution_sync_returns_child_output(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    child = json.dumps(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 30, "Next": "R"},
                "R": {"Type": "Pass", "Parameters": {"got.$": "$.v"}, "End": True},
            },
        }
    )
    child_arn = (await sfn.create_state_machine(name="child", definition=child, roleArn=ROLE))[
        "stateMachineArn"
    ]
    parent = {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"v.$": "$.v"}},
            "OutputPath": "$.Output",
            "End": True,
        }
    }
    arn = await start(eng, parent, {"v": 9}, name="parent")
    await clock.advance(31)
    described = await status(eng, arn)
    assert json.loads(described["output"]) == {"got": 9}


async def test_nested_execution_failure_is_task_failed(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    child = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Child"}}})
    child_arn = (await sfn.create_state_machine(name="child", definition=child, roleArn=ROLE))[
        "stateMachineArn"
    ]
    parent = {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": child_arn},
            "End": True,
        }
    }
    arn = await start(eng, parent, name="parent")
    await clock.settle()
    described = await status(eng, arn)
    assert described["error"] == "States.TaskFailed"
    assert json.loads(described["cause"])["Error"] == "Child"
