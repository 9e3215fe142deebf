"""REST API control-plane answers as AWS recorded them: defaults, resource moves, patch errors."""

from __future__ import annotations

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


async def new_api(gw, **extra) -> tuple[str, str]:
    api = await gw.create_rest_api(name="shop", **extra)
    return api["id"], api["rootResourceId"]


async def failure(call, **params) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        await call(**params)
    return raised.value


async def test_endpoint_configuration_reports_its_ip_address_type(eng):
    gw = eng.client("apigateway")
    edge = await gw.create_rest_api(name="a")
    private = await gw.create_rest_api(name="b", endpointConfiguration={"types": ["PRIVATE"]})
    assert edge["endpointConfiguration"] == {"types": ["EDGE"], "ipAddressType": "ipv4"}
    assert private["endpointConfiguration"]["ipAddressType"] == "dualstack"
    updated = await gw.update_rest_api(
        restApiId=edge["id"],
        patchOperations=[
            {"op": "replace", "path": "/endpointConfiguration/ipAddressType", "value": "dualstack"}
        ],
    )
    assert updated["endpointConfiguration"]["ipAddressType"] == "dualstack"


async def test_renaming_a_resource_changes_its_path_and_its_childrens(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    pets = await gw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    child = await gw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{id}")
    renamed = await gw.update_resource(
        restApiId=api_id,
        resourceId=pets["id"],
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "dogs"}],
    )
    assert renamed["path"] == "/dogs"
    moved_child = await gw.get_resource(restApiId=api_id, resourceId=child["id"])
    assert moved_child["path"] == "/dogs/{id}"


async def test_moving_a_resource_checks_cycles_siblings_and_the_root(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    pets = await gw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    sub = await gw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="sub")
    twin = await gw.create_resource(restApiId=api_id, parentId=sub["id"], pathPart="pets")

    def move(resource_id: str, parent: str) -> dict:
        return {
            "restApiId": api_id,
            "resourceId": resource_id,
            "patchOperations": [{"op": "replace", "path": "/parentId", "value": parent}],
        }

    cyclic = await failure(gw.update_resource, **move(pets["id"], sub["id"]))
    assert cyclic.message == "Resources cannot be cyclical."
    clash = await failure(gw.update_resource, **move(twin["id"], root))
    assert clash.code == "ConflictException"
    root_move = await failure(gw.update_resource, **move(root, pets["id"]))
    assert root_move.message == "Root resource cannot update its parentId."
    missing = await failure(gw.update_resource, **move(sub["id"], "nope"))
    assert missing.code == "NotFoundException"
    assert missing.message == "Invalid Resource identifier specified"
    moved = await gw.update_resource(**move(sub["id"], root))
    assert moved["path"] == "/sub" and moved["parentId"] == root
    below = await gw.get_resource(restApiId=api_id, resourceId=twin["id"])
    assert below["path"] == "/sub/pets"


async def test_patch_errors_name_the_path_and_op(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    pets = await gw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    wrong_path = await failure(
        gw.update_resource,
        restApiId=api_id,
        resourceId=pets["id"],
        patchOperations=[{"op": "replace", "path": "/invalid", "value": "x"}],
    )
    assert wrong_path.message == (
        "Invalid patch path  '/invalid' specified for op 'replace'. "
        "Must be one of: [/parentId, /pathPart]"
    )
    wrong_op = await failure(
        gw.update_resource,
        restApiId=api_id,
        resourceId=pets["id"],
        patchOperations=[{"op": "remove", "path": "/pathPart"}],
    )
    assert wrong_op.message == (
        "Invalid patch path  '/pathPart' specified for op 'remove'. "
        "Please choose supported operations"
    )


async def test_gateway_responses_take_defaults_and_their_familys_settings(eng):
    gw = eng.client("apigateway")
    api_id, _ = await new_api(gw)
    status_only = await gw.put_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN", statusCode="404"
    )
    assert status_only["responseTemplates"] == {
        "application/json": '{"message":$context.error.messageString}'
    }
    no_status = await gw.put_gateway_response(restApiId=api_id, responseType="AUTHORIZER_FAILURE")
    assert no_status["statusCode"] == "500"
    await gw.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_5XX",
        statusCode="599",
        responseParameters={"gatewayresponse.header.x": "'y'"},
    )
    inherited = await gw.get_gateway_response(restApiId=api_id, responseType="INTEGRATION_TIMEOUT")
    assert inherited["statusCode"] == "599" and inherited["defaultResponse"] is True
    assert inherited["responseParameters"] == {"gatewayresponse.header.x": "'y'"}
    not_set = await failure(gw.delete_gateway_response, restApiId=api_id, responseType="THROTTLED")
    assert not_set.message == "Gateway response type not defined on api"


async def test_method_responses_show_the_maps_they_were_given(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    await gw.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    given = await gw.put_method_response(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        statusCode="200",
        responseParameters={},
        responseModels={},
    )
    assert given["responseParameters"] == {} and given["responseModels"] == {}
    bare = await gw.put_method_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="404"
    )
    assert "responseModels" not in bare


async def test_only_http_integrations_report_a_connection_type(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    for method in ("GET", "POST"):
        await gw.put_method(
            restApiId=api_id, resourceId=root, httpMethod=method, authorizationType="NONE"
        )
    mock = await gw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK"
    )
    assert "connectionType" not in mock
    http = await gw.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        type="HTTP",
        integrationHttpMethod="GET",
        uri="http://example.com",
    )
    assert http["connectionType"] == "INTERNET"


async def test_an_unknown_api_is_named_as_aws_names_it_per_call(eng):
    gw = eng.client("apigateway")
    method = await failure(
        gw.put_method,
        restApiId="nope",
        resourceId="r",
        httpMethod="GET",
        authorizationType="NONE",
    )
    assert (method.code, method.message) == (
        "NotFoundException",
        "Invalid Resource identifier specified",
    )
    integration = await failure(
        gw.get_integration, restApiId="nope", resourceId="r", httpMethod="GET"
    )
    assert integration.message == "Invalid Resource identifier specified"
    created = await failure(gw.create_request_validator, restApiId="nope", name="v")
    assert (created.code, created.message) == (
        "BadRequestException",
        "Invalid REST API identifier specified",
    )
    read = await failure(gw.get_request_validator, restApiId="nope", requestValidatorId="v")
    assert read.message == "Invalid Request Validator identifier specified"
    authorizer = await failure(
        gw.create_authorizer, restApiId="nope", name="a", type="TOKEN", identitySource="x"
    )
    assert authorizer.code == "ConflictException"
    model = await failure(gw.update_model, restApiId="nope", modelName="m", patchOperations=[])
    assert model.message == "Invalid model name specified: m"


async def test_put_method_errors_use_awss_wording(eng):
    gw = eng.client("apigateway")
    api_id, root = await new_api(gw)
    wrong = await failure(
        gw.put_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod="WRONG",
        authorizationType="NONE",
    )
    assert wrong.message == (
        "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
    )
    no_authorizer = await failure(
        gw.put_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        authorizationType="CUSTOM",
    )
    assert no_authorizer.message == (
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer."
    )


async def test_vpc_links_are_kept_with_awss_answers(eng):
    gw = eng.client("apigateway")
    nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/lb/50dc6c495c0c9188"
    created = await gw.create_vpc_link(name="link", targetArns=[nlb])
    assert created["status"] == "PENDING" and "tags" not in created
    link_id = created["id"]
    read = await gw.get_vpc_link(vpcLinkId=link_id)
    assert read["status"] == "AVAILABLE"
    assert read["statusMessage"] == "Your vpc link is ready for use"
    assert read["tags"] == {}
    listed = await gw.get_vpc_links()
    assert [item["id"] for item in listed["items"]] == [link_id]
    assert "tags" not in listed["items"][0]
    renamed = await gw.update_vpc_link(
        vpcLinkId=link_id, patchOperations=[{"op": "replace", "path": "/name", "value": "new"}]
    )
    assert renamed["name"] == "new"
    await gw.delete_vpc_link(vpcLinkId=link_id)
    gone = await failure(gw.get_vpc_link, vpcLinkId=link_id)
    assert (gone.code, gone.message) == (
        "NotFoundException",
        "Invalid Vpc Link identifier specified",
    )


async def test_vpc_link_arguments_are_checked(eng):
    gw = eng.client("apigateway")
    bad_arn = await failure(gw.create_vpc_link, name="link", targetArns=["invalid-arn"])
    assert bad_arn.message == "Invalid ARN. ARN is not well formed invalid-arn"
    blank = await failure(gw.create_vpc_link, name=" ", targetArns=[])
    assert blank.message == "Name cannot be empty"


async def test_vpc_links_are_saved_and_opened(eng):
    gw = eng.client("apigateway")
    nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/lb/1"
    link = await gw.create_vpc_link(name="link", targetArns=[nlb], tags={"team": "a"})
    service = eng.service("apigateway")
    saved = service.dump()
    service.vpc_links.links = {}
    service.load(saved)
    read = await gw.get_vpc_link(vpcLinkId=link["id"])
    assert read["name"] == "link" and read["tags"] == {"team": "a"}
