"""boto3's Step Functions client against the lab: executions, history, paginators, errors."""

from __future__ import annotations

import asyncio
import json

import pytest

DEFINITION = {
    "StartAt": "Add",
    "States": {
        "Add": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": True}
    },
}
ROLE = "arn:aws:iam::123456789012:role/sfn"


async def _finished(lab, client, arn: str) -> dict:
    for _ in range(50):
        described = await lab.call(client.describe_execution, executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        await asyncio.sleep(0.02)
    raise AssertionError("the execution did not finish")


async def test_execution_output_and_history(lab) -> None:
    sfn = lab.client("stepfunctions")
    machine = await lab.call(
        sfn.create_state_machine, name="adder", definition=json.dumps(DEFINITION), roleArn=ROLE
    )
    started = await lab.call(
        sfn.start_execution, stateMachineArn=machine["stateMachineArn"], input='{"a": 2, "b": 3}'
    )
    described = await _finished(lab, sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"sum": 5}
    assert described["startDate"] <= described["stopDate"]
    history = await lab.call(sfn.get_execution_history, executionArn=started["executionArn"])
    kinds = [event["type"] for event in history["events"]]
    assert kinds[0] == "ExecutionStarted"
    assert kinds[-1] == "ExecutionSucceeded"


async def test_list_executions_paginator(lab) -> None:
    sfn = lab.client("stepfunctions")
    machine = await lab.call(
        sfn.create_state_machine, name="many", definition=json.dumps(DEFINITION), roleArn=ROLE
    )
    for index in range(3):
        await lab.call(
            sfn.start_execution,
            stateMachineArn=machine["stateMachineArn"],
            name=f"run{index}",
            input='{"a": 1, "b": 1}',
        )
    paginator = sfn.get_paginator("list_executions")

    def collect() -> list[str]:
        pages = paginator.paginate(
            stateMachineArn=machine["stateMachineArn"], PaginationConfig={"PageSize": 2}
        )
        return sorted(e["name"] for page in pages for e in page["executions"])

    assert await lab.call(collect) == ["run0", "run1", "run2"]


async def test_modeled_errors(lab) -> None:
    sfn = lab.client("stepfunctions")
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        await lab.call(sfn.create_state_machine, name="bad", definition="{}", roleArn=ROLE)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        await lab.call(
            sfn.start_execution,
            stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:none",
        )


async def test_sync_express_execution_without_host_prefix(lab) -> None:
    sfn = lab.client("stepfunctions", inject_host_prefix=False)
    machine = await lab.call(
        sfn.create_state_machine,
        name="express",
        definition=json.dumps(DEFINITION),
        roleArn=ROLE,
        type="EXPRESS",
    )
    answer = await lab.call(
        sfn.start_sync_execution,
        stateMachineArn=machine["stateMachineArn"],
        input='{"a": 4, "b": 5}',
    )
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"sum": 9}
