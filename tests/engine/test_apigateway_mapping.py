"""REST API MOCK integrations, integration responses and VTL mapping templates."""

from __future__ import annotations

from .test_apigateway_kit import RestKit, body_json

SELECTING = {
    "200": {"responseTemplates": {"application/json": '{"ok": true}'}},
    "404": {
        "selectionPattern": "404",
        "responseTemplates": {"application/json": '{"ok": false}'},
        "responseParameters": {"method.response.header.X-Why": "'missing'"},
    },
}


async def test_mock_status_selects_integration_response(eng):
    kit = await RestKit(eng).create()
    await kit.mock(
        "/m",
        request_template='#if($input.params("q") == "gone"){"statusCode": 404}#else{"statusCode": 200}#end',
        responses=SELECTING,
    )
    await kit.deploy()
    missing = await kit.call("GET", "/m", query="q=gone")
    assert missing.status == 404
    assert body_json(missing) == {"ok": False}
    assert missing.headers["X-Why"] == "missing"
    found = await kit.call("GET", "/m", query="q=here")
    assert (found.status, body_json(found)) == (200, {"ok": True})


async def test_unmatched_status_without_default_is_500(eng):
    kit = await RestKit(eng).create()
    await kit.mock(
        "/m",
        request_template='{"statusCode": 500}',
        responses={"404": {"selectionPattern": "404"}},
    )
    await kit.deploy()
    response = await kit.call("GET", "/m")
    assert response.status == 500
    assert body_json(response) == {"message": "Internal server error"}


async def _render(eng, template: str, **call) -> str:
    kit = await RestKit(eng).create()
    await kit.mock(
        "/t", "POST", responses={"200": {"responseTemplates": {"application/json": template}}}
    )
    await kit.deploy(variables={"env": "test"})
    response = await kit.call("POST", "/t", **call)
    assert response.status == 200, response.body
    return response.body.decode()


async def test_stage_variables_and_context_in_templates(eng):
    text = await _render(eng, "$stageVariables.env $context.stage $context.httpMethod")
    assert text == "test prod POST"


async def test_util_helpers(eng):
    text = await _render(
        eng, '$util.escapeJavaScript("a\\"b") $util.urlEncode("a b") $util.base64Encode("hi")'
    )
    assert text == 'a\\"b a%20b aGk='


async def test_request_template_reads_json_body(eng):
    kit = await RestKit(eng).create()
    await kit.mock(
        "/t",
        "POST",
        request_template='{"statusCode": $input.path("$.code")}',
        responses={
            "200": {},
            "201": {
                "selectionPattern": "201",
                "responseTemplates": {"application/json": "created"},
            },
        },
    )
    await kit.deploy()
    response = await kit.call(
        "POST", "/t", headers={"Content-Type": "application/json"}, body='{"code": 201}'
    )
    assert (response.status, response.body) == (201, b"created")


async def test_passthrough_never_rejects_unmapped_content_type(eng):
    kit = await RestKit(eng).create()
    resource_id = await kit.method("/t", "POST")
    await kit.gw.put_integration(
        restApiId=kit.api_id,
        resourceId=resource_id,
        httpMethod="POST",
        type="MOCK",
        passthroughBehavior="NEVER",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    await kit.gw.put_integration_response(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="POST", statusCode="200"
    )
    await kit.deploy()
    response = await kit.call("POST", "/t", headers={"Content-Type": "text/plain"}, body="x")
    assert response.status == 415
    assert body_json(response) == {"message": "Unsupported Media Type"}


async def test_cors_preflight_through_mock(eng):
    kit = await RestKit(eng).create()
    await kit.mock(
        "/items",
        "OPTIONS",
        responses={
            "200": {
                "responseParameters": {
                    "method.response.header.Access-Control-Allow-Origin": "'*'",
                    "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                    "method.response.header.Access-Control-Allow-Headers": "'Content-Type'",
                }
            }
        },
    )
    await kit.deploy()
    response = await kit.call(
        "OPTIONS",
        "/items",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"


async def test_test_invoke_runs_undeployed_method(eng):
    kit = await RestKit(eng).create()
    resource_id = await kit.mock(
        "/t", responses={"200": {"responseTemplates": {"application/json": "$context.stage"}}}
    )
    result = await kit.gw.test_invoke_method(
        restApiId=kit.api_id, resourceId=resource_id, httpMethod="GET"
    )
    assert result["status"] == 200
    assert result["body"] == "test-invoke-stage"
    assert "Method completed with status: 200" in result["log"]


async def test_customised_gateway_response(eng):
    kit = await RestKit(eng).create()
    await kit.mock("/t")
    await kit.gw.put_gateway_response(
        restApiId=kit.api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        statusCode="404",
        responseParameters={"gatewayresponse.header.X-Lab": "'yes'"},
        responseTemplates={"application/json": '{"error": $context.error.messageString}'},
    )
    await kit.deploy()
    response = await kit.call("GET", "/unknown")
    assert response.status == 404
    assert response.headers["X-Lab"] == "yes"
    assert body_json(response) == {"error": "Missing Authentication Token"}


async def test_access_log_line_uses_context_variables(eng):
    kit = await RestKit(eng).create()
    await kit.mock("/t")
    await kit.deploy()
    await kit.gw.update_stage(
        restApiId=kit.api_id,
        stageName="prod",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:123456789012:log-group:access",
            },
            {
                "op": "replace",
                "path": "/accessLogSettings/format",
                "value": "$context.httpMethod $context.resourcePath $context.status",
            },
        ],
    )
    await kit.call("GET", "/t")
    log = eng.service("apigateway").pipeline.access_logs[(kit.api_id, "prod")]
    assert list(log) == ["GET /t 200"]
