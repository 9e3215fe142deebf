"""boto3's rest-json clients against the lab: schemas, scheduler, pipes and API Gateway's control plane."""

from __future__ import annotations

import json

import pytest

ROLE = "arn:aws:iam::123456789012:role/lab"


async def test_schemas_registry_and_schema(lab) -> None:
    schemas = lab.client("schemas")
    await lab.call(schemas.create_registry, RegistryName="shop")
    content = json.dumps(
        {
            "openapi": "3.0.0",
            "info": {"version": "1.0.0", "title": "Order"},
            "paths": {},
            "components": {"schemas": {"Order": {"type": "object"}}},
        }
    )
    created = await lab.call(
        schemas.create_schema,
        RegistryName="shop",
        SchemaName="Order",
        Type="OpenApi3",
        Content=content,
    )
    assert created["SchemaVersion"] == "1"
    described = await lab.call(schemas.describe_schema, RegistryName="shop", SchemaName="Order")
    assert json.loads(described["Content"])["info"]["title"] == "Order"
    with pytest.raises(schemas.exceptions.NotFoundException):
        await lab.call(schemas.describe_registry, RegistryName="missing")


async def test_scheduler_schedule_round_trip(lab) -> None:
    scheduler = lab.client("scheduler")
    sqs = lab.client("sqs")
    url = (await lab.call(sqs.create_queue, QueueName="ticks"))["QueueUrl"]
    arn = (await lab.call(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    created = await lab.call(
        scheduler.create_schedule,
        Name="hourly",
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "tick"},
    )
    assert created["ScheduleArn"].endswith("schedule/default/hourly")
    got = await lab.call(scheduler.get_schedule, Name="hourly")
    assert got["ScheduleExpression"] == "rate(1 hour)"
    assert got["Target"]["Arn"] == arn
    listed = await lab.call(scheduler.list_schedules)
    assert [s["Name"] for s in listed["Schedules"]] == ["hourly"]
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        await lab.call(scheduler.get_schedule, Name="missing")


async def test_pipes_create_and_describe(lab) -> None:
    pipes = lab.client("pipes")
    sqs = lab.client("sqs")
    arns = []
    for name in ("source", "target"):
        url = (await lab.call(sqs.create_queue, QueueName=name))["QueueUrl"]
        attributes = await lab.call(
            sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn"]
        )
        arns.append(attributes["Attributes"]["QueueArn"])
    created = await lab.call(
        pipes.create_pipe, Name="relay", Source=arns[0], Target=arns[1], RoleArn=ROLE
    )
    assert created["Name"] == "relay"
    described = await lab.call(pipes.describe_pipe, Name="relay")
    assert described["Source"] == arns[0]
    assert described["CreationTime"].year >= 2020
    with pytest.raises(pipes.exceptions.NotFoundException):
        await lab.call(pipes.describe_pipe, Name="missing")


async def test_api_gateway_control_plane(lab) -> None:
    apigw = lab.client("apigateway")
    api = await lab.call(apigw.create_rest_api, name="shop")
    resources = await lab.call(apigw.get_resources, restApiId=api["id"])
    root = resources["items"][0]["id"]
    orders = await lab.call(
        apigw.create_resource, restApiId=api["id"], parentId=root, pathPart="orders"
    )
    await lab.call(
        apigw.put_method,
        restApiId=api["id"],
        resourceId=orders["id"],
        httpMethod="GET",
        authorizationType="NONE",
    )
    await lab.call(
        apigw.put_integration,
        restApiId=api["id"],
        resourceId=orders["id"],
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    method = await lab.call(
        apigw.get_method, restApiId=api["id"], resourceId=orders["id"], httpMethod="GET"
    )
    assert method["methodIntegration"]["type"] == "MOCK"
    paths = sorted(
        r["path"] for r in (await lab.call(apigw.get_resources, restApiId=api["id"]))["items"]
    )
    assert paths == ["/", "/orders"]
    with pytest.raises(apigw.exceptions.NotFoundException):
        await lab.call(apigw.get_rest_api, restApiId="missing")


async def test_api_gateway_v2_json_members_use_their_wire_names(lab) -> None:
    apigw = lab.client("apigatewayv2")
    created = await lab.call(apigw.create_api, Name="http-api", ProtocolType="HTTP")
    assert created["Name"] == "http-api"
    assert created["ProtocolType"] == "HTTP"
    listed = await lab.call(apigw.get_apis)
    assert [item["ApiId"] for item in listed["Items"]] == [created["ApiId"]]
