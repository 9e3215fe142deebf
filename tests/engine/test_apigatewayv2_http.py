"""HTTP APIs serving requests: routing, Lambda payloads 2.0 and 1.0, CORS, throttling, stages."""

from __future__ import annotations

import base64

from engine.http import HttpRequest

from .test_apigateway_kit import body_json, function_arn


class HttpKit:
    """An HTTP API with Lambda routes, served on `$default` (auto-deploy) unless told otherwise."""

    def __init__(self, eng) -> None:
        self.eng = eng
        self.v2 = eng.client("apigatewayv2")
        self.api_id = ""

    async def create(self, **params) -> HttpKit:
        api = await self.v2.create_api(Name="http", ProtocolType="HTTP", **params)
        self.api_id = api["ApiId"]
        return self

    async def integration(self, function: str, version: str = "2.0") -> str:
        made = await self.v2.create_integration(
            ApiId=self.api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=function_arn(function),
            PayloadFormatVersion=version,
        )
        return made["IntegrationId"]

    async def route(self, key: str, function: str, version: str = "2.0", **params) -> str:
        integration = await self.integration(function, version)
        made = await self.v2.create_route(
            ApiId=self.api_id, RouteKey=key, Target=f"integrations/{integration}", **params
        )
        return made["RouteId"]

    async def stage(self, name: str = "$default", **params) -> None:
        await self.v2.create_stage(ApiId=self.api_id, StageName=name, AutoDeploy=True, **params)

    async def call(self, method: str, path: str, *, stage: str = "$default", **parts):
        body = parts.pop("body", b"")
        request = HttpRequest.build(
            method,
            path,
            query_string=parts.pop("query", ""),
            headers=parts.pop("headers", None),
            body=body.encode() if isinstance(body, str) else body,
        )
        return await self.eng.service("apigatewayv2").invoke(self.api_id, stage, request)


def _recorder(eng, name: str = "rec", answer=None) -> list[dict]:
    seen: list[dict] = []

    def handler(event, ctx):
        seen.append(event)
        return answer if answer is not None else {"statusCode": 200, "body": "ok"}

    eng.register_function(name, handler)
    return seen


async def _routed(eng) -> HttpKit:
    for name in ("exact", "var", "greedy", "fallback", "any"):
        eng.register_function(
            name, lambda event, ctx, n=name: {"fn": n, "p": event.get("pathParameters")}
        )
    kit = await HttpKit(eng).create()
    await kit.route("GET /items/special", "exact")
    await kit.route("GET /items/{id}", "var")
    await kit.route("GET /files/{proxy+}", "greedy")
    await kit.route("ANY /things", "any")
    await kit.route("$default", "fallback")
    await kit.stage()
    return kit


async def test_literal_route_beats_variable(eng):
    kit = await _routed(eng)
    assert body_json(await kit.call("GET", "/items/special"))["fn"] == "exact"


async def test_variable_route_fills_path_parameters(eng):
    kit = await _routed(eng)
    assert body_json(await kit.call("GET", "/items/7")) == {"fn": "var", "p": {"id": "7"}}


async def test_greedy_route_takes_the_rest(eng):
    kit = await _routed(eng)
    assert body_json(await kit.call("GET", "/files/a/b"))["p"] == {"proxy": "a/b"}


async def test_any_route_takes_every_method(eng):
    kit = await _routed(eng)
    assert body_json(await kit.call("PATCH", "/things"))["fn"] == "any"


async def test_default_route_catches_unmatched(eng):
    kit = await _routed(eng)
    assert body_json(await kit.call("POST", "/elsewhere"))["fn"] == "fallback"


async def test_no_route_is_404_not_found(eng):
    eng.register_function("x", lambda e, c: {"statusCode": 200})
    kit = await HttpKit(eng).create()
    await kit.route("GET /only", "x")
    await kit.stage()
    response = await kit.call("GET", "/other")
    assert response.status == 404
    assert body_json(response) == {"message": "Not Found"}


async def test_undeployed_stage_is_404(eng):
    kit = await HttpKit(eng).create()
    assert (await kit.call("GET", "/x", stage="nope")).status == 404


async def test_payload_v2_event(eng):
    seen = _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("POST /items/{id}", "rec")
    await kit.stage("prod", StageVariables={"env": "lab"})
    await kit.call(
        "POST",
        "/items/9",
        stage="prod",
        headers={"Content-Type": "application/json", "Cookie": "a=1; b=2", "X-Up": "y"},
        body='{"k": 1}',
        query="q=1&q=2",
    )
    event = seen[0]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/prod/items/9"
    assert event["rawQueryString"] == "q=1&q=2"
    assert event["queryStringParameters"] == {"q": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-up"] == "y"
    assert event["pathParameters"] == {"id": "9"}
    assert event["stageVariables"] == {"env": "lab"}
    assert event["body"] == '{"k": 1}'
    assert event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"]) == ("POST", "/prod/items/9")
    assert event["requestContext"]["stage"] == "prod"


async def test_payload_v2_binary_body_is_base64(eng):
    seen = _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("POST /up", "rec")
    await kit.stage()
    await kit.call("POST", "/up", headers={"Content-Type": "image/png"}, body=b"\x89PNG")
    assert seen[0]["isBase64Encoded"] is True
    assert base64.b64decode(seen[0]["body"]) == b"\x89PNG"


async def test_payload_v1_event(eng):
    seen = _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("GET /items/{id}", "rec", version="1.0")
    await kit.stage()
    await kit.call("GET", "/items/3", query="a=b")
    event = seen[0]
    assert event["version"] == "1.0"
    assert event["resource"] == "/items/{id}"
    assert event["httpMethod"] == "GET"
    assert event["multiValueQueryStringParameters"] == {"a": ["b"]}
    assert event["pathParameters"] == {"id": "3"}
    assert event["requestContext"]["resourceId"] == "GET /items/{id}"


async def test_v2_plain_object_answer_becomes_json_body(eng):
    _recorder(eng, answer={"hello": "world"})
    kit = await HttpKit(eng).create()
    await kit.route("GET /h", "rec")
    await kit.stage()
    response = await kit.call("GET", "/h")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert body_json(response) == {"hello": "world"}


async def test_v2_structured_answer_with_cookies(eng):
    _recorder(
        eng,
        answer={"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["s=1"], "body": "made"},
    )
    kit = await HttpKit(eng).create()
    await kit.route("GET /h", "rec")
    await kit.stage()
    response = await kit.call("GET", "/h")
    assert (response.status, response.body) == (201, b"made")
    assert response.headers["x-a"] == "1"
    assert response.headers["set-cookie"] == "s=1"


async def test_v1_malformed_answer_is_500(eng):
    _recorder(eng, answer={"statusCode": 200, "extra": True})
    kit = await HttpKit(eng).create()
    await kit.route("GET /h", "rec", version="1.0")
    await kit.stage()
    response = await kit.call("GET", "/h")
    assert response.status == 500
    assert body_json(response) == {"message": "Internal Server Error"}


async def test_function_error_is_500(eng):
    def failing(event, ctx):
        raise RuntimeError("broken")

    eng.register_function("fails", failing)
    kit = await HttpKit(eng).create()
    await kit.route("GET /f", "fails")
    await kit.stage()
    assert (await kit.call("GET", "/f")).status == 500


async def test_slow_function_times_out_with_503(eng, clock):
    async def slow(event, ctx):
        await clock.sleep(40)
        return {"statusCode": 200}

    eng.register_function("slow", slow, Timeout=60)
    kit = await HttpKit(eng).create()
    await kit.route("GET /s", "slow")
    await kit.stage()
    task = eng.spawn(kit.call("GET", "/s"))
    await clock.advance(31)
    response = await task
    assert response.status == 503
    assert body_json(response) == {"message": "Service Unavailable"}


async def test_named_stage_served_by_path_over_url(eng):
    _recorder(eng, answer={"statusCode": 200, "body": "staged"})
    kit = await HttpKit(eng).create()
    await kit.route("GET /s", "rec")
    await kit.stage("beta")
    request = HttpRequest.build(
        "GET", "/beta/s", headers={"Host": f"{kit.api_id}.execute-api.localhost"}
    )
    response = await eng.service("apigateway").handle_http(request)
    assert response.body == b"staged"


async def _cors(eng) -> HttpKit:
    _recorder(eng, answer={"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "evil"}})
    kit = await HttpKit(eng).create(
        CorsConfiguration={
            "AllowOrigins": ["https://shop.example"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["content-type"],
            "MaxAge": 300,
        }
    )
    await kit.route("GET /c", "rec")
    await kit.stage()
    return kit


async def test_cors_preflight_answered_by_gateway(eng):
    kit = await _cors(eng)
    response = await kit.call(
        "OPTIONS",
        "/c",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-max-age"] == "300"


async def test_cors_headers_replace_backend_ones(eng):
    kit = await _cors(eng)
    response = await kit.call("GET", "/c", headers={"Origin": "https://shop.example"})
    assert response.headers["access-control-allow-origin"] == "https://shop.example"


async def test_cors_other_origin_gets_no_allow_header(eng):
    kit = await _cors(eng)
    response = await kit.call("GET", "/c", headers={"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_route_throttling(eng, clock):
    _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("GET /t", "rec")
    await kit.route("GET /free", "rec")
    await kit.stage(RouteSettings={"GET /t": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1}})
    assert (await kit.call("GET", "/t")).status == 200
    throttled = await kit.call("GET", "/t")
    assert throttled.status == 429
    assert body_json(throttled) == {"message": "Too Many Requests"}
    assert (await kit.call("GET", "/free")).status == 200
    await clock.advance(1)
    assert (await kit.call("GET", "/t")).status == 200


async def test_access_log_line(eng):
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
    assert list(eng.service("apigatewayv2").pipeline.access_logs[(kit.api_id, "$default")]) == [
        "GET /l 200"
    ]


async def test_request_shows_in_trace(eng):
    _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("GET /t", "rec")
    await kit.stage()
    recorder = eng.trace.record()
    await kit.call("GET", "/t")
    kinds = [e.kind for e in recorder.events if e.service == "apigatewayv2"]
    assert kinds[0] == "request" and kinds[-1] == "response"


async def test_http_proxy_to_another_lab_api(eng):
    eng.register_function(
        "backend", lambda event, ctx: {"got": event["rawPath"], "q": event.get("rawQueryString")}
    )
    backend = await eng.client("apigatewayv2").create_api(
        Name="backend", ProtocolType="HTTP", Target=function_arn("backend")
    )
    kit = await HttpKit(eng).create()
    integration = await kit.v2.create_integration(
        ApiId=kit.api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=f"https://{backend['ApiId']}.execute-api.us-east-1.amazonaws.com/{{proxy}}",
    )
    await kit.v2.create_route(
        ApiId=kit.api_id,
        RouteKey="ANY /{proxy+}",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    await kit.stage()
    response = await kit.call("GET", "/a/b", query="x=1")
    assert response.status == 200
    assert body_json(response) == {"got": "/a/b", "q": "x=1"}


async def test_http_proxy_to_unreachable_host_is_500(eng):
    kit = await HttpKit(eng).create()
    integration = await kit.v2.create_integration(
        ApiId=kit.api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="GET",
        IntegrationUri="https://example.com/",
    )
    await kit.v2.create_route(
        ApiId=kit.api_id, RouteKey="GET /x", Target=f"integrations/{integration['IntegrationId']}"
    )
    await kit.stage()
    assert (await kit.call("GET", "/x")).status == 500


async def test_trace_id_travels_to_the_function(eng):
    _recorder(eng)
    kit = await HttpKit(eng).create()
    await kit.route("GET /t", "rec")
    await kit.stage()
    recorder = eng.trace.record()
    await kit.call("GET", "/t")
    request = next(e for e in recorder.events if e.kind == "request")
    lambda_events = [e for e in recorder.events if e.service == "lambda"]
    assert lambda_events
    assert {e.trace_id for e in lambda_events} == {request.trace_id}
