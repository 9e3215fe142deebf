"""The Step Functions API: machines, executions, history, versions, aliases, tags, errors."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASS = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}})


async def create(eng: Engine, definition: str = PASS, name: str = "m", **extra: object) -> str:
    """Create a machine; returns its ARN."""
    result = await eng.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=ROLE, **extra
    )
    return result["stateMachineArn"]


async def test_create_and_describe_round_trip(eng: Engine) -> None:
    arn = await create(eng)
    described = await eng.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    assert described["definition"] == PASS
    assert described["type"] == "STANDARD"
    assert described["status"] == "ACTIVE"


async def test_create_is_idempotent_for_the_same_definition(eng: Engine) -> None:
    assert await create(eng) == await create(eng)


async def test_create_with_another_definition_is_refused(eng: Engine) -> None:
    await create(eng)
    with pytest.raises(ServiceError) as caught:
        await create(eng, WAIT)
    assert caught.value.code == "StateMachineAlreadyExists"


async def test_invalid_name_is_refused(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await create(eng, name="bad name")
    assert (caught.value.code, caught.value.message) == ("InvalidName", "Invalid Name: 'bad name'")


async def test_describe_unknown_machine(eng: Engine) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:none"
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert caught.value.message == f"State Machine Does Not Exist: '{arn}'"


async def test_update_changes_revision_and_can_publish(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng)
    # As on AWS, a machine shows no revision until its first update.
    assert "revisionId" not in await sfn.describe_state_machine(stateMachineArn=arn)
    updated = await sfn.update_state_machine(stateMachineArn=arn, definition=WAIT, publish=True)
    described = await sfn.describe_state_machine(stateMachineArn=arn)
    assert described["revisionId"] == updated["revisionId"]
    assert updated["stateMachineVersionArn"] == f"{arn}:1"
    version = await sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert version["revisionId"] == updated["revisionId"]
    # A version published as the machine was created has no revision to show either.
    first = await sfn.create_state_machine(
        name="published", definition=WAIT, roleArn=ROLE, publish=True
    )
    described = await sfn.describe_state_machine(stateMachineArn=first["stateMachineVersionArn"])
    assert "revisionId" not in described
    unchanged = await sfn.update_state_machine(
        stateMachineArn=first["stateMachineArn"], definition=WAIT, publish=True
    )
    assert "revisionId" not in unchanged


async def test_update_without_changes_is_refused(eng: Engine) -> None:
    arn = await create(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").update_state_machine(stateMachineArn=arn)
    assert caught.value.code == "MissingRequiredParameter"


async def test_delete_removes_from_list(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng)
    await sfn.delete_state_machine(stateMachineArn=arn)
    assert (await sfn.list_state_machines())["stateMachines"] == []


async def test_list_state_machines_paginates(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    for name in ("a", "b", "c"):
        await create(eng, name=name)
    first = await sfn.list_state_machines(maxResults=2)
    second = await sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    names = [m["name"] for m in first["stateMachines"] + second["stateMachines"]]
    assert names == ["a", "b", "c"]
    assert "nextToken" not in second


async def test_start_execution_with_bad_json_input(eng: Engine) -> None:
    arn = await create(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").start_execution(stateMachineArn=arn, input="not json")
    assert caught.value.code == "InvalidExecutionInput"
    assert caught.value.message.startswith(
        "Invalid State Machine Execution Input: 'Unrecognized token 'not'"
    )


async def test_execution_name_reuse_is_refused_with_other_input(
    eng: Engine, clock: VirtualClock
) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng)
    await sfn.start_execution(stateMachineArn=arn, name="run", input="{}")
    await clock.settle()
    with pytest.raises(ServiceError) as caught:
        await sfn.start_execution(stateMachineArn=arn, name="run", input='{"a": 1}')
    assert caught.value.code == "ExecutionAlreadyExists"


async def test_describe_execution_after_success(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng)
    started = await sfn.start_execution(stateMachineArn=arn, input='{"x": 1}')
    await clock.settle()
    described = await sfn.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"x": 1}
    assert described["redriveStatus"] == "NOT_REDRIVABLE"


async def test_list_executions_filters_by_status(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, WAIT)
    await sfn.start_execution(stateMachineArn=arn, name="one")
    await clock.advance(20)
    await sfn.start_execution(stateMachineArn=arn, name="two")
    await clock.settle()
    running = await sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")
    assert [e["name"] for e in running["executions"]] == ["two"]


async def test_history_pages_and_reverses(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng)
    execution = (await sfn.start_execution(stateMachineArn=arn))["executionArn"]
    await clock.settle()
    page = await sfn.get_execution_history(executionArn=execution, maxResults=2)
    rest = await sfn.get_execution_history(executionArn=execution, nextToken=page["nextToken"])
    types = [e["type"] for e in page["events"] + rest["events"]]
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    reverse = await sfn.get_execution_history(executionArn=execution, reverseOrder=True)
    assert reverse["events"][0]["type"] == "ExecutionSucceeded"
    assert [(e["id"], e["previousEventId"]) for e in page["events"]] == [(1, 0), (2, 0)]


async def test_stop_execution_aborts_it(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, WAIT)
    execution = (await sfn.start_execution(stateMachineArn=arn))["executionArn"]
    await clock.settle()
    await sfn.stop_execution(executionArn=execution, error="Stopped", cause="by hand")
    described = await sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "Stopped",
        "by hand",
    )
    history = await sfn.get_execution_history(executionArn=execution)
    assert history["events"][-1]["type"] == "ExecutionAborted"


async def test_redrive_restarts_from_the_failed_state(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    definition = json.dumps(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "Check"},
                "Check": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.ok", "IsPresent": True, "Next": "Done"}],
                },
                "Done": {"Type": "Succeed"},
            },
        }
    )
    arn = await create(eng, definition)
    execution = (await sfn.start_execution(stateMachineArn=arn))["executionArn"]
    await clock.settle()
    assert (await sfn.describe_execution(executionArn=execution))[
        "error"
    ] == "States.NoChoiceMatched"
    await sfn.redrive_execution(executionArn=execution)
    await clock.settle()
    described = await sfn.describe_execution(executionArn=execution)
    assert described["redriveCount"] == 1
    assert described["status"] == "FAILED"  # the same input fails the same way again


async def test_redrive_of_a_success_is_refused(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    execution = (await sfn.start_execution(stateMachineArn=await create(eng)))["executionArn"]
    await clock.settle()
    with pytest.raises(ServiceError) as caught:
        await sfn.redrive_execution(executionArn=execution)
    assert caught.value.code == "ExecutionNotRedrivable"


async def test_start_sync_execution_needs_an_express_machine(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").start_sync_execution(stateMachineArn=await create(eng))
    assert caught.value.code == "StateMachineTypeNotSupported"


async def test_start_sync_execution_returns_the_output(eng: Engine) -> None:
    arn = await create(eng, type="EXPRESS")
    result = await eng.client("stepfunctions").start_sync_execution(
        stateMachineArn=arn, input='{"v": 2}'
    )
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"v": 2}
    assert ":express:m:" in result["executionArn"]


async def test_versions_and_alias_route_executions(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, publish=True)
    versions = await sfn.list_state_machine_versions(stateMachineArn=arn)
    version_arn = versions["stateMachineVersions"][0]["stateMachineVersionArn"]
    alias = await sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version_arn, "weight": 100}]
    )
    started = await sfn.start_execution(stateMachineArn=alias["stateMachineAliasArn"])
    await clock.settle()
    described = await sfn.describe_execution(executionArn=started["executionArn"])
    assert described["stateMachineVersionArn"] == version_arn
    assert described["stateMachineAliasArn"] == alias["stateMachineAliasArn"]


async def test_version_in_use_by_alias_cannot_be_deleted(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, publish=True)
    version_arn = f"{arn}:1"
    await sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version_arn, "weight": 100}]
    )
    with pytest.raises(ServiceError) as caught:
        await sfn.delete_state_machine_version(stateMachineVersionArn=version_arn)
    assert caught.value.code == "ConflictException"


async def test_tags_round_trip(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, tags=[{"key": "team", "value": "a"}])
    await sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "lab"}])
    await sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    tags = await sfn.list_tags_for_resource(resourceArn=arn)
    assert tags["tags"] == [{"key": "env", "value": "lab"}]


async def test_activity_lifecycle_and_name_rules(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = (await sfn.create_activity(name="work"))["activityArn"]
    assert (await sfn.describe_activity(activityArn=arn))["name"] == "work"
    await sfn.delete_activity(activityArn=arn)
    with pytest.raises(ServiceError) as caught:
        await sfn.describe_activity(activityArn=arn)
    assert caught.value.message == f"Activity Does Not Exist: '{arn}'"


async def test_unknown_task_token_is_refused(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").send_task_success(taskToken="nope", output="{}")
    assert caught.value.code == "TaskDoesNotExist"


async def test_unsupported_parameters_are_client_errors(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("stepfunctions").list_state_machines(maxResults=1001)
    assert caught.value.code == "ValidationException"


async def test_express_executions_have_no_describe(eng: Engine) -> None:
    sfn = eng.client("stepfunctions")
    arn = await create(eng, type="EXPRESS")
    started = await sfn.start_execution(stateMachineArn=arn)
    with pytest.raises(ServiceError) as caught:
        await sfn.describe_execution(executionArn=started["executionArn"])
    assert caught.value.message == "Invalid Arn: 'Resource type not valid in this context: express'"


async def test_jsonata_now_reads_the_engine_clock(eng: Engine, clock: VirtualClock) -> None:
    definition = json.dumps(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Output": "{% $now() %}", "End": True}},
        }
    )
    arn = await create(eng, definition, type="EXPRESS")
    await clock.advance(90)
    result = await eng.client("stepfunctions").start_sync_execution(stateMachineArn=arn)
    assert json.loads(result["output"]) == "2026-01-01T00:01:30.000Z"


async def test_dump_and_load_restore_machines_and_activities(eng: Engine) -> None:
    await create(eng, WAIT, name="saved")
    await eng.client("stepfunctions").create_activity(name="act")
    saved = eng.service("stepfunctions").dump()
    async with Engine(clock=VirtualClock()) as other:
        other.service("stepfunctions").load(saved)
        sfn = other.client("stepfunctions")
        machines = (await sfn.list_state_machines())["stateMachines"]
        assert [m["name"] for m in machines] == ["saved"]
        described = await sfn.describe_state_machine(stateMachineArn=machines[0]["stateMachineArn"])
        assert described["definition"] == WAIT
        assert [a["name"] for a in (await sfn.list_activities())["activities"]] == ["act"]


async def test_express_execution_times_out_after_five_minutes(
    eng: Engine, clock: VirtualClock
) -> None:
    definition = json.dumps(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
    )
    arn = await create(eng, definition, type="EXPRESS")
    result = await clock.run(eng.client("stepfunctions").start_sync_execution(stateMachineArn=arn))
    assert (result["status"], result["error"]) == ("TIMED_OUT", "States.Timeout")
    assert (result["stopDate"] - result["startDate"]).total_seconds() == 300
