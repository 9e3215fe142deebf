"""Service logs landing in CloudWatch Logs: Step Functions execution logs, API Gateway access logs."""

from __future__ import annotations

import json

import pytest

from tests.engine.test_apigatewayv2_http import HttpKit, _recorder

pytestmark = pytest.mark.timeout(60)

GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/flow:*"


async def _messages(logs, group: str) -> list[str]:
    return [e["message"] for e in (await logs.filter_log_events(logGroupName=group))["events"]]


@pytest.mark.parametrize(
    ("level", "kinds"),
    [
        ("ALL", None),
        ("ERROR", {"ExecutionFailed", "PassStateExited"}),
        ("FATAL", {"ExecutionFailed"}),
    ],
)
async def test_step_functions_execution_logs_follow_the_level(eng, clock, level, kinds):
    sfn, logs = eng.client("stepfunctions"), eng.client("logs")
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Next": "F"}, "F": {"Type": "Fail", "Error": "Boom"}},
    }
    arn = (
        await sfn.create_state_machine(
            name="flow",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/r",
            loggingConfiguration={
                "level": level,
                "includeExecutionData": False,
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}],
            },
        )
    )["stateMachineArn"]
    await sfn.start_execution(stateMachineArn=arn, input='{"secret": 1}')
    await clock.advance(1)
    records = [json.loads(m) for m in await _messages(logs, "/aws/vendedlogs/states/flow")]
    types = [r["type"] for r in records]
    if level == "ALL":
        assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionFailed" and len(types) >= 5
    else:
        assert set(types) <= kinds and "ExecutionFailed" in types
    assert all("secret" not in json.dumps(r["details"]) for r in records)
    assert records[-1]["execution_arn"].startswith(
        "arn:aws:states:us-east-1:123456789012:execution:flow:"
    )
    [stream] = (await logs.describe_log_streams(logGroupName="/aws/vendedlogs/states/flow"))[
        "logStreams"
    ]
    assert stream["logStreamName"].startswith("states/flow/")


async def test_http_api_access_logs_land_in_the_log_group(eng):
    _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("GET /l", "rec")
    await kit.stage(
        AccessLogSettings={
            "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:http",
            "Format": "$context.routeKey $context.status",
        }
    )
    await kit.call("GET", "/l")
    assert await _messages(eng.client("logs"), "http") == ["GET /l 200"]
