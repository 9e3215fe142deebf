"""REST API AWS service integrations, sent through the lab's own AWS wire endpoint."""

from __future__ import annotations

import json

from .test_apigateway_kit import RestKit, body_json, lambda_uri

ACCOUNT = "123456789012"


async def _aws(
    kit: RestKit,
    path: str,
    uri: str,
    *,
    template: str,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> None:
    resource_id = await kit.method(path, "POST")
    parameters = {f"integration.request.header.{k}": f"'{v}'" for k, v in (headers or {}).items()}
    parameters.update({f"integration.request.querystring.{k}": v for k, v in (query or {}).items()})
    await kit.gw.put_integration(
        restApiId=kit.api_id,
        resourceId=resource_id,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=uri,
        requestParameters=parameters,
        requestTemplates={"application/json": template},
        passthroughBehavior="NEVER",
    )
    await kit.gw.put_method_response(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="POST", statusCode="200"
    )
    await kit.gw.put_integration_response(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="POST", statusCode="200"
    )
    await kit.gw.put_method_response(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="POST", statusCode="400"
    )
    await kit.gw.put_integration_response(
        restApiId=kit.api_id,
        resourceId=resource_id,
        httpMethod="POST",
        statusCode="400",
        selectionPattern="4\\d\\d",
    )


async def _post(kit: RestKit, path: str, body: dict):
    return await kit.call(
        "POST", path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )


async def test_sqs_send_message_by_path(eng):
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/orders",
        f"arn:aws:apigateway:us-east-1:sqs:path/{ACCOUNT}/orders",
        template="Action=SendMessage&MessageBody=$util.urlEncode($input.body)",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    await kit.deploy()
    response = await _post(kit, "/orders", {"item": "book"})
    assert response.status == 200, response.body
    received = await sqs.receive_message(QueueUrl=url)
    assert json.loads(received["Messages"][0]["Body"]) == {"item": "book"}


async def test_sns_publish_by_action(eng):
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="news"))["TopicArn"]
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:inbox"
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/news",
        "arn:aws:apigateway:us-east-1:sns:action/Publish",
        template="",
        query={"TopicArn": f"'{topic}'", "Message": "method.request.querystring.text"},
    )
    await kit.deploy()
    response = await kit.call(
        "POST", "/news", headers={"Content-Type": "application/json"}, query="text=hello"
    )
    assert response.status == 200, response.body
    received = await sqs.receive_message(QueueUrl=url)
    assert received["Messages"][0]["Body"] == "hello"


async def test_eventbridge_put_events_by_action(eng):
    events = eng.client("events")
    await events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="bus-out"))["QueueUrl"]
    await events.put_targets(
        Rule="all", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:bus-out"}]
    )
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/events",
        "arn:aws:apigateway:us-east-1:events:action/PutEvents",
        template=(
            '{"Entries": [{"Source": "shop", "DetailType": "order", '
            '"Detail": "$util.escapeJavaScript($input.body)"}]}'
        ),
    )
    await kit.deploy()
    response = await _post(kit, "/events", {"id": 1})
    assert response.status == 200, response.body
    assert body_json(response)["FailedEntryCount"] == 0
    await eng.clock.advance(1)
    received = await sqs.receive_message(QueueUrl=url)
    assert json.loads(received["Messages"][0]["Body"])["detail"] == {"id": 1}


async def test_step_functions_start_execution(eng):
    sfn = eng.client("stepfunctions")
    machine = await sfn.create_state_machine(
        name="flow",
        definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        ),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/run",
        "arn:aws:apigateway:us-east-1:states:action/StartExecution",
        template=(
            '{"stateMachineArn": "' + machine["stateMachineArn"] + '", '
            '"input": "$util.escapeJavaScript($input.body)"}'
        ),
    )
    await kit.deploy()
    response = await _post(kit, "/run", {"go": True})
    assert response.status == 200, response.body
    assert body_json(response)["executionArn"].startswith("arn:aws:states:")


async def test_dynamodb_put_item(eng):
    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/items",
        "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        template='{"TableName": "items", "Item": {"id": {"S": "$input.path(\'$.id\')"}}}',
    )
    await kit.deploy()
    response = await _post(kit, "/items", {"id": "a1"})
    assert response.status == 200, response.body
    item = await ddb.get_item(TableName="items", Key={"id": {"S": "a1"}})
    assert item["Item"] == {"id": {"S": "a1"}}


async def test_kinesis_put_record(eng):
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/clicks",
        "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord",
        template=(
            '{"StreamName": "clicks", "PartitionKey": "k", '
            '"Data": "$util.base64Encode($input.body)"}'
        ),
    )
    await kit.deploy()
    response = await _post(kit, "/clicks", {"x": 1})
    assert response.status == 200, response.body
    assert body_json(response)["ShardId"] == "shardId-000000000000"


async def test_service_error_selects_4xx_response(eng):
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/items",
        "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        template='{"TableName": "missing", "Item": {"id": {"S": "x"}}}',
    )
    await kit.deploy()
    response = await _post(kit, "/items", {})
    assert response.status == 400
    assert "ResourceNotFoundException" in response.body.decode()


async def test_step_functions_start_sync_execution_returns_output(eng):
    sfn = eng.client("stepfunctions")
    machine = await sfn.create_state_machine(
        name="express",
        type="EXPRESS",
        definition=json.dumps(
            {
                "StartAt": "Done",
                "States": {"Done": {"Type": "Pass", "Result": {"ok": 1}, "End": True}},
            }
        ),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
    )
    kit = await RestKit(eng).create()
    await _aws(
        kit,
        "/sync",
        "arn:aws:apigateway:us-east-1:states:action/StartSyncExecution",
        template='{"stateMachineArn": "' + machine["stateMachineArn"] + '", "input": "{}"}',
    )
    await kit.deploy()
    response = await _post(kit, "/sync", {})
    assert response.status == 200, response.body
    answer = body_json(response)
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"ok": 1}


async def test_lambda_error_message_selects_integration_response(eng):
    def handler(event, ctx):
        if event.get("fail"):
            raise ValueError("Invalid order: no items")
        return {"ok": True}

    eng.register_function("orders", handler)
    kit = await RestKit(eng).create()
    resource_id = await kit.method("/o", "POST")
    await kit.gw.put_integration(
        restApiId=kit.api_id,
        resourceId=resource_id,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=lambda_uri("orders"),
    )
    for status, pattern in (("200", None), ("400", "Invalid order.*")):
        await kit.gw.put_method_response(
            restApiId=kit.api_id, resourceId=resource_id, httpMethod="POST", statusCode=status
        )
        await kit.gw.put_integration_response(
            restApiId=kit.api_id,
            resourceId=resource_id,
            httpMethod="POST",
            statusCode=status,
            **({"selectionPattern": pattern} if pattern else {}),
            responseTemplates={"application/json": "$input.json('$.errorMessage')"}
            if pattern
            else {},
        )
    await kit.deploy()
    ok = await _post(kit, "/o", {})
    assert (ok.status, body_json(ok)) == (200, {"ok": True})
    failed = await _post(kit, "/o", {"fail": True})
    assert failed.status == 400
    assert body_json(failed) == "Invalid order: no items"
