"""REST API control plane: CRUD and the errors AWS gives for bad calls."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

from .test_apigateway_kit import RestKit, lambda_uri


async def test_new_api_has_root_resource_and_defaults(eng):
    gw = eng.client("apigateway")
    api = await gw.create_rest_api(name="shop")
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"]["types"] == ["EDGE"]
    resources = await gw.get_resources(restApiId=api["id"])
    assert [r["path"] for r in resources["items"]] == ["/"]
    assert resources["items"][0]["id"] == api["rootResourceId"]


async def test_unknown_api_is_not_found(eng):
    with pytest.raises(ServiceError) as caught:
        await eng.client("apigateway").get_rest_api(restApiId="nope123456")
    assert caught.value.code == "NotFoundException"
    assert caught.value.message == "Invalid API identifier specified 123456789012:nope123456"


async def test_duplicate_path_part_conflicts(eng):
    kit = await RestKit(eng).create()
    await kit.resource("/items")
    with pytest.raises(ServiceError) as caught:
        await kit.gw.create_resource(
            restApiId=kit.api_id, parentId=kit.resources["/"], pathPart="items"
        )
    assert caught.value.code == "ConflictException"


async def test_second_variable_sibling_is_rejected(eng):
    kit = await RestKit(eng).create()
    await kit.resource("/items/{id}")
    with pytest.raises(ServiceError) as caught:
        await kit.resource("/items/{name}")
    assert caught.value.code == "BadRequestException"
    assert "only one is allowed" in caught.value.message


async def test_custom_authorization_needs_an_authorizer(eng):
    kit = await RestKit(eng).create()
    with pytest.raises(ServiceError) as caught:
        await kit.method("/items", authorization="CUSTOM")
    assert caught.value.code == "BadRequestException"
    resource = await kit.gw.get_resource(restApiId=kit.api_id, resourceId=kit.resources["/items"])
    assert "resourceMethods" not in resource or not resource["resourceMethods"]


async def test_aws_proxy_integration_must_be_lambda(eng):
    kit = await RestKit(eng).create()
    resource_id = await kit.method("/items")
    with pytest.raises(ServiceError) as caught:
        await kit.gw.put_integration(
            restApiId=kit.api_id,
            resourceId=resource_id,
            httpMethod="GET",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri="arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders",
        )
    assert caught.value.code == "BadRequestException"


async def test_bad_mapping_template_changes_nothing(eng):
    kit = await RestKit(eng).create()
    resource_id = await kit.method("/items")
    with pytest.raises(ServiceError) as caught:
        await kit.gw.put_integration(
            restApiId=kit.api_id,
            resourceId=resource_id,
            httpMethod="GET",
            type="MOCK",
            requestTemplates={"application/json": "#if($x"},
        )
    assert caught.value.code == "BadRequestException"
    with pytest.raises(ServiceError) as missing:
        await kit.gw.get_integration(restApiId=kit.api_id, resourceId=resource_id, httpMethod="GET")
    assert missing.value.code == "NotFoundException"


async def test_deployment_needs_methods(eng):
    kit = await RestKit(eng).create()
    with pytest.raises(ServiceError) as caught:
        await kit.deploy()
    assert caught.value.code == "BadRequestException"
    assert caught.value.message == "The REST API doesn't contain any methods"


async def test_deployment_needs_every_integration(eng):
    kit = await RestKit(eng).create()
    await kit.method("/items")
    with pytest.raises(ServiceError) as caught:
        await kit.deploy()
    assert caught.value.message == "No integration defined for method"


async def test_deployment_in_use_cannot_be_deleted(eng):
    kit = await RestKit(eng).create()
    await kit.mock("/items")
    deployment_id = await kit.deploy()
    with pytest.raises(ServiceError) as caught:
        await kit.gw.delete_deployment(restApiId=kit.api_id, deploymentId=deployment_id)
    assert caught.value.code == "BadRequestException"


async def test_stage_variables_patch(eng):
    kit = await RestKit(eng).create()
    await kit.mock("/items")
    await kit.deploy()
    stage = await kit.gw.update_stage(
        restApiId=kit.api_id,
        stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/color", "value": "blue"}],
    )
    assert stage["variables"] == {"color": "blue"}


async def test_model_with_invalid_schema_is_rejected(eng):
    kit = await RestKit(eng).create()
    with pytest.raises(ServiceError) as caught:
        await kit.gw.create_model(
            restApiId=kit.api_id,
            name="Order",
            contentType="application/json",
            schema='{"type": 12}',
        )
    assert caught.value.code == "BadRequestException"
    assert caught.value.message.startswith("Invalid model specified")


async def test_gateway_responses_list_every_default(eng):
    kit = await RestKit(eng).create()
    items = (await kit.gw.get_gateway_responses(restApiId=kit.api_id, limit=500))["items"]
    by_type = {item["responseType"]: item for item in items}
    assert by_type["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "403"
    assert by_type["THROTTLED"]["defaultResponse"] is True


async def test_tags_round_trip(eng):
    kit = await RestKit(eng).create()
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{kit.api_id}"
    await kit.gw.tag_resource(resourceArn=arn, tags={"team": "orders"})
    assert (await kit.gw.get_tags(resourceArn=arn))["tags"] == {"team": "orders"}


async def test_integration_uri_is_kept(eng):
    kit = await RestKit(eng).create()
    resource_id = await kit.proxy("/items", "fn")
    integration = await kit.gw.get_integration(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="GET"
    )
    assert integration["uri"] == lambda_uri("fn")
    assert integration["timeoutInMillis"] == 29000


async def test_dump_and_load_keep_a_working_api(eng):
    from engine import Engine, VirtualClock

    kit = await RestKit(eng).create()
    await kit.mock(
        "/items", responses={"200": {"responseTemplates": {"application/json": "saved"}}}
    )
    await kit.deploy()
    await kit.gw.create_api_key(name="k", value="k" * 24, enabled=True)
    data = eng.service("apigateway").dump()
    async with Engine(clock=VirtualClock()) as other:
        other.service("apigateway").load(json.loads(json.dumps(data)))
        restored = RestKit(other)
        restored.api_id = kit.api_id
        assert (await restored.call("GET", "/items")).body == b"saved"
        assert other.service("apigateway").keys.key_for_value("k" * 24) is not None


async def test_update_gateway_response_starts_from_default(eng):
    kit = await RestKit(eng).create()
    updated = await kit.gw.update_gateway_response(
        restApiId=kit.api_id,
        responseType="THROTTLED",
        patchOperations=[{"op": "replace", "path": "/statusCode", "value": "503"}],
    )
    assert updated["statusCode"] == "503"
    assert (
        updated["responseTemplates"]["application/json"]
        == '{"message":$context.error.messageString}'
    )


async def test_update_model_rejects_bad_schema(eng):
    kit = await RestKit(eng).create()
    await kit.gw.create_model(
        restApiId=kit.api_id, name="M", contentType="application/json", schema='{"type": "object"}'
    )
    with pytest.raises(ServiceError) as caught:
        await kit.gw.update_model(
            restApiId=kit.api_id,
            modelName="M",
            patchOperations=[{"op": "replace", "path": "/schema", "value": "{"}],
        )
    assert caught.value.code == "BadRequestException"
    model = await kit.gw.get_model(restApiId=kit.api_id, modelName="M")
    assert model["schema"] == '{"type": "object"}'


async def test_account_throttle_settings(eng):
    account = await eng.client("apigateway").get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}


async def test_topology_edge_to_lambda(eng):
    kit = await RestKit(eng).create()
    await kit.proxy("/items", "fn")
    topology = eng.topology()
    node = topology.node(f"arn:aws:apigateway:us-east-1::/restapis/{kit.api_id}")
    assert node is not None and node.kind == "api"
    edge = next(e for e in topology.edges if e.source == node.id)
    assert (edge.target, edge.label) == (
        "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "GET /items",
    )
