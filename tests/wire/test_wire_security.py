"""The endpoint refuses cross-site requests and foreign Host names, and keeps a hardened server's limits."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile
from xml.etree import ElementTree

import httpx
import pytest

from engine import Engine, RealClock
from engine.wire import WireServer
from engine.wire.guard import RequestGuard
from engine.wire.limits import ServerLimits

pytestmark = pytest.mark.timeout(60)

_CODE = "import os\ndef handler(e, c):\n    return os.getcwd()\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", _CODE)
    return buffer.getvalue()


def _create_function_body() -> bytes:
    return json.dumps(
        {
            "FunctionName": "pwned",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Handler": "index.handler",
            "Code": {"ZipFile": base64.b64encode(_zip()).decode()},
        }
    ).encode()


def _presigned_query() -> str:
    """Credentials in the query string, as a web page can put them in a form's action URL."""
    return (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIALAB%2F20260101%2Fus-east-1%2Flambda"
        "%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
    )


async def _served(**options):
    engine = Engine(clock=RealClock())
    server = WireServer(engine, "127.0.0.1", 0, **options)
    url = await server.start()
    return engine, server, url


async def test_cross_site_text_plain_post_cannot_create_a_function() -> None:
    engine, server, url = await _served()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post(
                f"/2015-03-31/functions?{_presigned_query()}",
                content=_create_function_body(),
                headers={"content-type": "text/plain", "origin": "https://evil.example"},
            )
        assert answer.status_code == 403
        assert answer.headers["x-amzn-errortype"] == "AccessDeniedException"
        assert "--allow-origin https://evil.example" in answer.json()["message"]
        listed = await engine.client("lambda").list_functions()
        assert listed["Functions"] == []
    finally:
        await server.stop()
        await engine.close()


async def test_allow_origin_opens_the_endpoint_to_that_origin_only() -> None:
    engine, server, url = await _served(allow_origins=["https://app.example/"])
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            allowed = await http.post(
                "/",
                json={},
                headers={"x-amz-target": "AmazonSQS.ListQueues", "origin": "https://app.example"},
            )
            other = await http.post(
                "/",
                json={},
                headers={"x-amz-target": "AmazonSQS.ListQueues", "referer": "https://b.example/x"},
            )
        assert allowed.status_code == 200
        assert other.status_code == 403
        assert other.json()["__type"] == "AccessDeniedException"
    finally:
        await server.stop()
        await engine.close()


async def test_cross_site_get_without_origin_is_refused_in_xml(lab) -> None:
    """An <img> pointing at the SQS query API: no Origin, no Referer, but Sec-Fetch-Site."""
    async with httpx.AsyncClient(base_url=lab.url) as http:
        answer = await http.get(
            "/?Action=CreateQueue&QueueName=pwned&AWSAccessKeyId=AKIALAB&Signature=x",
            headers={
                "sec-fetch-site": "cross-site",
                "authorization": "AWS4-HMAC-SHA256 Credential=AKIALAB/20260101/us-east-1/"
                "sqs/aws4_request, SignedHeaders=host, Signature=00",
            },
        )
    assert answer.status_code == 403
    code = ElementTree.fromstring(answer.content).find(".//{*}Code")
    assert code is not None and code.text == "AccessDenied"
    assert (await lab.engine.client("sqs").list_queues()).get("QueueUrls", []) == []


async def test_sdk_requests_without_browser_headers_pass(lab) -> None:
    sqs = lab.client("sqs")
    await lab.call(sqs.create_queue, QueueName="fine")
    assert len((await lab.call(sqs.list_queues))["QueueUrls"]) == 1


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:4566",
        "evil.example",
        "attacker.com.:80",
        "10.0.0.5:4566",
        "http://evil.example:4566",
    ],
)
async def test_rebinding_host_is_refused(lab, host: str) -> None:
    async with httpx.AsyncClient(base_url=lab.url) as http:
        answer = await http.post(
            "/",
            json={"QueueName": "rebound"},
            headers={"x-amz-target": "AmazonSQS.CreateQueue", "host": host},
        )
    assert answer.status_code == 403
    assert "DNS rebinding" in answer.json()["message"]
    assert (await lab.engine.client("sqs").list_queues()).get("QueueUrls", []) == []


@pytest.mark.parametrize(
    "host",
    [
        "localhost:4566",
        "127.0.0.1:4566",
        "[::1]:4566",
        "127.0.0.2",
        "sqs.localhost:4566",
        "abc123.execute-api.localhost:4566",
        "site.s3.localhost:4566",
        "sqs.us-east-1.amazonaws.com",
        # A client that puts its endpoint URL in Host (LocalStack's Kinesis CBOR client does).
        "http://127.0.0.1:4566",
        "https://localhost:4566/",
    ],
)
def test_hosts_naming_the_listener_are_accepted(host: str) -> None:
    assert RequestGuard.build("127.0.0.1").host_allowed(host)


def test_the_configured_bind_host_is_accepted() -> None:
    guard = RequestGuard.build("192.168.1.20")
    assert guard.host_allowed("192.168.1.20:4566")
    assert not guard.host_allowed("192.168.1.21:4566")


async def test_deployed_api_with_cors_answers_browsers_as_api_gateway_does(lab) -> None:
    engine = lab.engine
    engine.register_function("web", lambda event, context: {"statusCode": 200, "body": "hi"})
    v2 = engine.client("apigatewayv2")
    api = await v2.create_api(
        Name="site",
        ProtocolType="HTTP",
        CorsConfiguration={"AllowOrigins": ["https://shop.example"], "AllowMethods": ["POST"]},
    )
    arn = (await engine.client("lambda").get_function(FunctionName="web"))["Configuration"]
    integration = await v2.create_integration(
        ApiId=api["ApiId"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=arn["FunctionArn"],
        PayloadFormatVersion="2.0",
    )
    await v2.create_route(
        ApiId=api["ApiId"],
        RouteKey="POST /buy",
        Target=f"integrations/{integration['IntegrationId']}",
    )
    await v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    host = f"{api['ApiId']}.execute-api.localhost:{lab.url.rsplit(':', 1)[1]}"
    async with httpx.AsyncClient(base_url=lab.url) as http:
        preflight = await http.options(
            "/buy",
            headers={
                "host": host,
                "origin": "https://shop.example",
                "access-control-request-method": "POST",
            },
        )
        bought = await http.post(
            "/buy", content=b"x", headers={"host": host, "origin": "https://shop.example"}
        )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert bought.status_code == 200
    assert bought.text == "hi"


# -- limits -------------------------------------------------------------------------------------
_FAST = ServerLimits(header_timeout=0.5, body_timeout=0.5, keep_alive_timeout=1, max_connections=50)


async def test_slowloris_headers_are_cut_off() -> None:
    engine, server, url = await _served(limits=_FAST)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: localhost\r\n")
        await writer.drain()
        answer = b""
        for _ in range(30):  # one header byte every 0.1 s: never finishes in time
            writer.write(b"X")
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(), 0.1)
                break
            except TimeoutError:
                continue
        assert answer.startswith(b"HTTP/1.1 408")
        writer.close()
    finally:
        await server.stop()
        await engine.close()


async def test_slow_body_is_cut_off() -> None:
    engine, server, url = await _served(limits=_FAST)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 408")
        writer.close()
    finally:
        await server.stop()
        await engine.close()


async def test_half_open_connections_do_not_exhaust_the_lab() -> None:
    engine, server, url = await _served(limits=_FAST)
    sockets = []
    try:
        for _ in range(2000):
            try:
                sockets.append(await asyncio.open_connection("127.0.0.1", server.port))
            except OSError:
                pass
        await asyncio.sleep(0)
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            answer = await http.post("/", json={}, headers={"x-amz-target": "AmazonSQS.ListQueues"})
        assert answer.status_code == 200
        registry = server.connections()
        assert len(registry.open) <= _FAST.max_connections
    finally:
        for _, writer in sockets:
            writer.close()
        await server.stop()
        await engine.close()


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /" + b"a" * (17 * 1024) + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * (16 * 1024 * 1024), 431),
        (
            b"GET / HTTP/1.1\r\nHost: localhost\r\n"
            + b"".join(b"X-H%d: v\r\n" % i for i in range(101))
            + b"\r\n",
            431,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: localhost\r\n"
            + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 8000) for i in range(10))
            + b"\r\n",
            431,
        ),
    ],
    ids=["request-line", "16MB-header", "header-count", "header-total"],
)
async def test_oversized_request_heads_are_refused(lab, head: bytes, status: int) -> None:
    port = int(lab.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
    except OSError:
        pass  # the server answered and closed while a 16 MB header was still going out
    try:
        answer = await asyncio.wait_for(reader.read(), 5)
    except OSError:
        answer = b""
    assert answer.startswith(b"HTTP/1.1 %d" % status)
    writer.close()
    sqs = lab.engine.client("sqs")
    assert "QueueUrls" not in await sqs.list_queues()  # and the lab is fine


async def test_body_limit_follows_the_protocol(lab) -> None:
    async with httpx.AsyncClient(base_url=lab.url, timeout=10) as http:
        json_too_big = await http.post(
            "/",
            content=b" " * (17 * 1024 * 1024),
            headers={"x-amz-target": "AmazonSQS.ListQueues"},
        )
    assert json_too_big.status_code == 413


async def test_deep_json_is_a_400_not_a_500(lab) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    async with httpx.AsyncClient(base_url=lab.url) as http:
        answer = await http.post(
            "/", content=b'{"a":' + deep + b"}", headers={"x-amz-target": "AmazonSQS.ListQueues"}
        )
        moderate = b'{"QueueName": "q", "Attributes": {"x": ' + b"[" * 500 + b"]" * 500 + b"}}"
        second = await http.post(
            "/", content=moderate, headers={"x-amz-target": "AmazonSQS.CreateQueue"}
        )
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"
    assert "nested" in answer.json()["message"]
    assert "Recursion" not in answer.text
    assert second.status_code == 400


async def test_dynamodb_refuses_documents_deeper_than_32_levels(lab) -> None:
    dynamodb = lab.client("dynamodb")
    await lab.call(
        dynamodb.create_table,
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def nested(levels: int) -> dict:
        value: dict = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"a": value}}
        return value

    await lab.call(dynamodb.put_item, TableName="t", Item={"k": {"S": "ok"}, "d": nested(32)})
    with pytest.raises(Exception) as refused:
        await lab.call(dynamodb.put_item, TableName="t", Item={"k": {"S": "no"}, "d": nested(33)})
    error = refused.value.response["Error"]  # type: ignore[attr-defined]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == "Nesting Levels have exceeded supported limits"
