"""Service integrations: Task states calling other emulated services through the fabric."""

from __future__ import annotations

import json
from typing import Any

from engine import Engine, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"


async def execute(
    eng: Engine, clock: VirtualClock, states: dict[str, Any], value: Any = None
) -> dict:
    """Run a machine to its end; returns DescribeExecution."""
    sfn = eng.client("stepfunctions")
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    machine = await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    started = await sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(value or {})
    )
    await clock.settle()
    return await sfn.describe_execution(executionArn=started["executionArn"])


def task(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A Task state calling `resource`."""
    return {"T": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}}


async def test_sqs_send_message_delivers_to_the_queue(eng: Engine, clock: VirtualClock) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    states = task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody.$": "$"})
    described = await execute(eng, clock, states, {"id": 7})
    assert "MessageId" in json.loads(described["output"])
    received = await sqs.receive_message(QueueUrl=url)
    assert json.loads(received["Messages"][0]["Body"]) == {"id": 7}


async def test_missing_queue_is_an_sqs_error(eng: Engine, clock: VirtualClock) -> None:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/none"
    described = await execute(
        eng, clock, task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": "x"})
    )
    assert described["status"] == "FAILED"
    assert described["error"].startswith("SQS.")


async def test_sns_publish_reaches_a_subscribed_queue(eng: Engine, clock: VirtualClock) -> None:
    sqs, sns = eng.client("sqs"), eng.client("sns")
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    topic = (await sns.create_topic(Name="t"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    described = await execute(
        eng, clock, task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": "hello"})
    )
    assert described["status"] == "SUCCEEDED"
    await clock.settle()
    received = await sqs.receive_message(QueueUrl=url)
    assert received["Messages"][0]["Body"] == "hello"


async def test_events_put_events_returns_event_ids(eng: Engine, clock: VirtualClock) -> None:
    entry = {"Source": "lab", "DetailType": "t", "Detail": {"a": 1}}
    described = await execute(
        eng, clock, task("arn:aws:states:::events:putEvents", {"Entries": [entry]})
    )
    result = json.loads(described["output"])
    assert result["FailedEntryCount"] == 0
    assert len(result["Entries"]) == 1


async def test_dynamodb_put_then_get_item(eng: Engine, clock: VirtualClock) -> None:
    await eng.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    states = {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": "t", "Item": {"pk": {"S.$": "$.id"}}},
            "ResultPath": None,
            "Next": "Get",
        },
        "Get": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": "t", "Key": {"pk": {"S.$": "$.id"}}},
            "End": True,
        },
    }
    described = await execute(eng, clock, states, {"id": "k1"})
    assert json.loads(described["output"])["Item"] == {"pk": {"S": "k1"}}


async def test_aws_sdk_form_calls_the_api(eng: Engine, clock: VirtualClock) -> None:
    await eng.client("s3").create_bucket(Bucket="lab-bucket")
    states = task(
        "arn:aws:states:::aws-sdk:s3:putObject",
        {"Bucket": "lab-bucket", "Key": "k", "Body": "data"},
    )
    described = await execute(eng, clock, states)
    assert described["status"] == "SUCCEEDED"
    body = await eng.client("s3").get_object(Bucket="lab-bucket", Key="k")
    assert body["Body"].read() == b"data"


async def test_aws_sdk_error_names_the_service(eng: Engine, clock: VirtualClock) -> None:
    states = task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "no-such-bucket", "Key": "k"})
    described = await execute(eng, clock, states)
    assert described["error"].startswith("S3.")


async def test_lambda_invoke_integration_shape(eng: Engine, clock: VirtualClock) -> None:
    eng.register_function("echo", lambda event, context: {"got": event})
    states = task("arn:aws:states:::lambda:invoke", {"FunctionName": "echo", "Payload.$": "$"})
    result = json.loads((await execute(eng, clock, states, {"a": 1}))["output"])
    assert (result["Payload"], result["StatusCode"], result["ExecutedVersion"]) == (
        {"got": {"a": 1}},
        200,
        "$LATEST",
    )


async def test_missing_function_is_lambda_resource_not_found(
    eng: Engine, clock: VirtualClock
) -> None:
    await eng.client("lambda").list_functions()
    states = task("arn:aws:states:::lambda:invoke", {"FunctionName": "absent"})
    described = await execute(eng, clock, states)
    assert described["error"] == "Lambda.ResourceNotFoundException"


async def test_topology_has_task_edges(eng: Engine, clock: VirtualClock) -> None:
    arn = eng.register_function("echo", lambda event, context: event)
    await execute(eng, clock, {"T": {"Type": "Task", "Resource": arn, "End": True}})
    topology = eng.topology()
    machine = topology.node("m")
    assert machine is not None and machine.kind == "state-machine"
    assert any(e.kind == "task" and e.target == arn for e in topology.neighbours(machine.id))


async def test_event_bridge_rule_starts_an_execution(eng: Engine, clock: VirtualClock) -> None:
    sfn = eng.client("stepfunctions")
    definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    machine = (await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE))[
        "stateMachineArn"
    ]
    execution = await eng.fabric.deliver(machine, _envelope('{"from": "fabric"}'))
    await clock.settle()
    described = await sfn.describe_execution(executionArn=execution)
    assert json.loads(described["output"]) == {"from": "fabric"}


def _envelope(body: str) -> Any:
    from engine import Envelope

    return Envelope(body=body)


async def test_topology_counts_executions(eng: Engine, clock: VirtualClock) -> None:
    await execute(eng, clock, {"F": {"Type": "Fail", "Error": "E"}})
    node = eng.topology().node("m")
    assert node is not None
    assert node.counters == {"executions": 1, "running": 0, "succeeded": 0, "failed": 1}


async def test_api_gateway_invoke_calls_a_deployed_stage(eng: Engine, clock: VirtualClock) -> None:
    def handler(event: Any, context: Any) -> Any:
        return {
            "statusCode": 200,
            "body": json.dumps({"path": event["path"], "q": event["queryStringParameters"]}),
        }

    function_arn = eng.register_function("api-backend", handler)
    api = eng.client("apigateway")
    api_id = (await api.create_rest_api(name="lab"))["id"]
    root = (await api.get_resources(restApiId=api_id))["items"][0]["id"]
    items = (await api.create_resource(restApiId=api_id, parentId=root, pathPart="items"))["id"]
    await api.put_method(
        restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType="NONE"
    )
    await api.put_integration(
        restApiId=api_id,
        resourceId=items,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    await api.create_deployment(restApiId=api_id, stageName="prod")
    states = task(
        "arn:aws:states:::apigateway:invoke",
        {
            "ApiEndpoint": f"{api_id}.execute-api.us-east-1.amazonaws.com",
            "Method": "GET",
            "Stage": "prod",
            "Path": "/items",
            "QueryParameters": {"size": ["2"]},
            "AuthType": "NO_AUTH",
        },
    )
    result = json.loads((await execute(eng, clock, states))["output"])
    assert (result["StatusCode"], result["StatusText"]) == (200, "OK")
    assert result["ResponseBody"] == {"path": "/items", "q": {"size": "2"}}


async def test_api_gateway_error_status_names_the_failure(eng: Engine, clock: VirtualClock) -> None:
    api = eng.client("apigateway")
    api_id = (await api.create_rest_api(name="lab"))["id"]
    root = (await api.get_resources(restApiId=api_id))["items"][0]["id"]
    await api.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    await api.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    await api.create_deployment(restApiId=api_id, stageName="prod")
    states = task(
        "arn:aws:states:::apigateway:invoke",
        {
            "ApiEndpoint": f"{api_id}.execute-api.us-east-1.amazonaws.com",
            "Method": "GET",
            "Stage": "prod",
            "Path": "/missing",
        },
    )
    described = await execute(eng, clock, states)
    assert described["error"] == "ApiGateway.403"
