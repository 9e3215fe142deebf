"""HTTP API first-class AWS service integrations (IntegrationSubtype) through the wire endpoint."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

from .test_apigatewayv2_http import HttpKit

ROLE = "arn:aws:iam::123456789012:role/apigw"


async def _service_route(kit: HttpKit, key: str, subtype: str, parameters: dict) -> None:
    integration = await kit.v2.create_integration(
        ApiId=kit.api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype=subtype,
        CredentialsArn=ROLE,
        PayloadFormatVersion="1.0",
        RequestParameters=parameters,
    )
    await kit.v2.create_route(
        ApiId=kit.api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
    )


async def test_sqs_send_message_from_body(eng):
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    kit = await HttpKit(eng).create()
    await _service_route(
        kit,
        "POST /messages",
        "SQS-SendMessage",
        {"QueueUrl": url, "MessageBody": "$request.body.text"},
    )
    await kit.stage()
    response = await kit.call("POST", "/messages", body=json.dumps({"text": "hello"}))
    assert response.status == 200, response.body
    assert "MessageId" in json.loads(response.body)
    received = await sqs.receive_message(QueueUrl=url)
    assert received["Messages"][0]["Body"] == "hello"


async def test_eventbridge_put_events(eng):
    kit = await HttpKit(eng).create()
    await _service_route(
        kit,
        "POST /events",
        "EventBridge-PutEvents",
        {"Source": "shop", "DetailType": "$request.header.x-kind", "Detail": "$request.body"},
    )
    await kit.stage()
    response = await kit.call(
        "POST", "/events", headers={"x-kind": "order"}, body=json.dumps({"id": 1})
    )
    assert response.status == 200, response.body
    assert json.loads(response.body)["FailedEntryCount"] == 0


async def test_kinesis_put_record(eng):
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    kit = await HttpKit(eng).create()
    await _service_route(
        kit,
        "POST /clicks",
        "Kinesis-PutRecord",
        {"StreamName": "clicks", "Data": "$request.body", "PartitionKey": "$context.requestId"},
    )
    await kit.stage()
    response = await kit.call("POST", "/clicks", body="click!")
    assert response.status == 200, response.body
    assert json.loads(response.body)["ShardId"] == "shardId-000000000000"


async def test_service_error_status_passes_through(eng):
    kit = await HttpKit(eng).create()
    await _service_route(
        kit,
        "POST /run",
        "StepFunctions-StartExecution",
        {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:none"},
    )
    await kit.stage()
    response = await kit.call("POST", "/run")
    assert response.status == 400
    assert "StateMachineDoesNotExist" in response.body.decode()


async def test_missing_required_parameter_is_rejected(eng):
    kit = await HttpKit(eng).create()
    with pytest.raises(ServiceError) as caught:
        await _service_route(kit, "POST /m", "SQS-SendMessage", {"QueueUrl": "q"})
    assert caught.value.code == "BadRequestException"
    assert "MessageBody" in caught.value.message


async def test_subtype_needs_credentials(eng):
    kit = await HttpKit(eng).create()
    with pytest.raises(ServiceError) as caught:
        await kit.v2.create_integration(
            ApiId=kit.api_id,
            IntegrationType="AWS_PROXY",
            IntegrationSubtype="SQS-PurgeQueue",
            PayloadFormatVersion="1.0",
            RequestParameters={"QueueUrl": "q"},
        )
    assert caught.value.code == "BadRequestException"
