"""REST API Lambda proxy integration: the v1 event and the response contract (502 when broken)."""

from __future__ import annotations

import base64
import json

from .test_apigateway_kit import RestKit, body_json


async def _capture(eng, **api) -> tuple[RestKit, list[dict]]:
    seen: list[dict] = []

    def handler(event, ctx):
        seen.append(event)
        return {"statusCode": 200, "body": "ok"}

    eng.register_function("capture", handler)
    kit = await RestKit(eng).create(**api)
    await kit.proxy("/items/{id}", "capture", http_method="POST")
    await kit.deploy(variables={"color": "blue"})
    return kit, seen


async def test_event_carries_request_parts(eng):
    kit, seen = await _capture(eng)
    await kit.call(
        "POST",
        "/items/7",
        headers={"Content-Type": "application/json", "X-Trace": "a"},
        body='{"n": 1}',
        query="q=1&q=2&x=y",
    )
    event = seen[0]
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/7"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Trace"] == "a"
    assert event["multiValueHeaders"]["X-Trace"] == ["a"]
    assert event["queryStringParameters"] == {"q": "2", "x": "y"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"], "x": ["y"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] == '{"n": 1}'
    assert event["isBase64Encoded"] is False


async def test_event_request_context(eng):
    kit, seen = await _capture(eng)
    await kit.call("POST", "/items/7")
    context = seen[0]["requestContext"]
    assert context["stage"] == "prod"
    assert context["resourcePath"] == "/items/{id}"
    assert context["path"] == "/prod/items/7"
    assert context["apiId"] == kit.api_id
    assert context["accountId"] == "123456789012"
    assert context["identity"]["sourceIp"] == "127.0.0.1"


async def test_absent_parts_are_null(eng):
    kit, seen = await _capture(eng)
    await kit.call("POST", "/items/7")
    event = seen[0]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


async def test_binary_media_type_body_arrives_base64(eng):
    kit, seen = await _capture(eng, binaryMediaTypes=["image/png"])
    await kit.call("POST", "/items/7", headers={"Content-Type": "image/png"}, body=b"\x89PNG")
    assert seen[0]["isBase64Encoded"] is True
    assert base64.b64decode(seen[0]["body"]) == b"\x89PNG"


async def _answering(eng, result) -> RestKit:
    def handler(event, ctx):
        if isinstance(result, Exception):
            raise result
        return result

    eng.register_function("answer", handler)
    kit = await RestKit(eng).create()
    await kit.proxy("/r", "answer")
    await kit.deploy()
    return kit


async def test_response_status_headers_and_body(eng):
    kit = await _answering(
        eng,
        {
            "statusCode": 201,
            "headers": {"X-One": "1"},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "body": json.dumps({"made": True}),
        },
    )
    response = await kit.call("GET", "/r")
    assert response.status == 201
    assert response.headers["X-One"] == "1"
    assert response.headers["X-Many"] == "a,b"
    assert body_json(response) == {"made": True}


async def test_base64_response_is_decoded(eng):
    kit = await _answering(
        eng,
        {
            "statusCode": 200,
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\x01").decode(),
        },
    )
    assert (await kit.call("GET", "/r")).body == b"\x00\x01"


async def test_unknown_response_field_is_502(eng):
    kit = await _answering(eng, {"statusCode": 200, "body": "x", "extra": 1})
    response = await kit.call("GET", "/r")
    assert response.status == 502
    assert body_json(response) == {"message": "Internal server error"}


async def test_non_string_body_is_502(eng):
    kit = await _answering(eng, {"statusCode": 200, "body": {"a": 1}})
    assert (await kit.call("GET", "/r")).status == 502


async def test_function_error_is_502(eng):
    kit = await _answering(eng, ValueError("boom"))
    response = await kit.call("GET", "/r")
    assert response.status == 502
    assert body_json(response) == {"message": "Internal server error"}


async def test_missing_function_is_502(eng):
    kit = await RestKit(eng).create()
    await kit.proxy("/r", "ghost")
    await kit.deploy()
    assert (await kit.call("GET", "/r")).status == 502


async def test_slow_function_times_out_with_504(eng, clock):
    async def slow(event, ctx):
        await clock.sleep(40)
        return {"statusCode": 200}

    eng.register_function("slow", slow, Timeout=60)
    kit = await RestKit(eng).create()
    await kit.proxy("/s", "slow")
    await kit.deploy()
    task = eng.spawn(kit.call("GET", "/s"))
    await clock.advance(30)
    response = await task
    assert response.status == 504
    assert body_json(response) == {"message": "Endpoint request timed out"}


async def test_oversize_request_is_413(eng):
    kit, seen = await _capture(eng)
    response = await kit.call("POST", "/items/1", body=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status == 413
    assert seen == []


async def test_http_proxy_to_lab_http_api(eng):
    from .test_apigateway_kit import function_arn

    eng.register_function("inner", lambda event, ctx: {"path": event["rawPath"]})
    inner = await eng.client("apigatewayv2").create_api(
        Name="inner", ProtocolType="HTTP", Target=function_arn("inner")
    )
    kit = await RestKit(eng).create()
    resource_id = await kit.method("/fwd/{proxy+}", "GET")
    await kit.gw.put_integration(
        restApiId=kit.api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="HTTP_PROXY",
        integrationHttpMethod="GET",
        uri=f"https://{inner['ApiId']}.execute-api.us-east-1.amazonaws.com/{{proxy}}",
        requestParameters={"integration.request.path.proxy": "method.request.path.proxy"},
    )
    await kit.deploy()
    response = await kit.call("GET", "/fwd/a/b")
    assert response.status == 200
    assert body_json(response) == {"path": "/a/b"}


async def test_numeric_string_status_is_accepted(eng):
    kit = await _answering(eng, {"statusCode": "202", "body": "later"})
    assert (await kit.call("GET", "/r")).status == 202


async def test_headers_not_an_object_is_502(eng):
    kit = await _answering(eng, {"statusCode": 200, "headers": ["x"]})
    assert (await kit.call("GET", "/r")).status == 502


async def test_bad_base64_body_is_502(eng):
    kit = await _answering(eng, {"statusCode": 200, "isBase64Encoded": True, "body": "%%%"})
    assert (await kit.call("GET", "/r")).status == 502
