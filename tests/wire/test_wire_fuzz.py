"""The listener survives malformed requests, and answers each the way AWS would (an error, not a crash)."""

from __future__ import annotations

import random

import httpx

from engine import Engine, VirtualClock
from engine.http import HttpRequest
from engine.wire import WireEndpoint

TARGETS = [
    "AmazonSQS.SendMessage",
    "AmazonSQS.Nope",
    "Kinesis_20131202.PutRecord",
    "AWSEvents.PutEvents",
    "Bogus.Op",
    "",
]
BODIES = [
    b"",
    b"{",
    b"[]",
    b"null",
    b'{"QueueUrl": 5}',
    b'{"QueueUrl": "x", "MessageBody": {"a": 1}}',
    b"\xff\xfe\x00",
    b"Action=Publish&TopicArn=",
    b"<xml>",
    b'{"Entries": "nope"}',
]
AUTH = [
    "",
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x",
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x",
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x",
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x",
    "garbage",
]
PATHS = [
    "/",
    "/2015-03-31/functions/x/invocations",
    "/bucket/key",
    "/%zz",
    "/restapis/a/b/_user_request_/c",
    "//",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def _random_request(rng: random.Random) -> HttpRequest:
    headers = {"host": "localhost:4566"}
    target = rng.choice(TARGETS)
    if target:
        headers["x-amz-target"] = target
    auth = rng.choice(AUTH)
    if auth:
        headers["authorization"] = auth
    if rng.random() < 0.3:
        headers["content-type"] = rng.choice(
            ["application/x-www-form-urlencoded", "application/json", "text/plain"]
        )
    body = rng.choice(BODIES)
    if rng.random() < 0.2:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    return HttpRequest(rng.choice(METHODS), rng.choice(PATHS), [], headers, body)


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=x"
    )


#: Well-formed requests per protocol that the structured fuzzer mutates:
#: (service, method, path, headers, body).
TEMPLATES = [
    ("sqs", "POST", "/", {}, b"Action=SendMessage&QueueUrl=survivor&MessageBody=hi"),
    (
        "sqs",
        "POST",
        "/123456789012/survivor",
        {},
        b"Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a"
        b"&SendMessageBatchRequestEntry.1.MessageBody=x"
        b"&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
        b"&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Binary"
        b"&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue=AAE=",
    ),
    (
        "sqs",
        "POST",
        "/",
        {},
        b"Action=ReceiveMessage&QueueUrl=survivor&MaxNumberOfMessages=3&AttributeName.1=All",
    ),
    (
        "sns",
        "POST",
        "/",
        {},
        b"Action=Publish&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Message=m"
        b"&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Number"
        b"&MessageAttributes.entry.1.Value.StringValue=5",
    ),
    ("sns", "POST", "/", {}, b"Action=CreateTopic&Name=t&Attributes.entry.1.key=FifoTopic"),
    (
        "lambda",
        "POST",
        "/2015-03-31/functions/f/invocations",
        {"x-amz-invocation-type": "RequestResponse", "x-amz-log-type": "Tail"},
        b'{"n": 1}',
    ),
    (
        "lambda",
        "POST",
        "/2015-03-31/functions",
        {"content-type": "application/json"},
        b'{"FunctionName": "f", "Role": "r", "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}',
    ),
    (
        "s3",
        "PUT",
        "/bucket",
        {},
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>",
    ),
    ("s3", "PUT", "/bucket/key", {"x-amz-meta-a": "b", "content-md5": "abc"}, b"data"),
    (
        "s3",
        "GET",
        "/bucket/key",
        {"range": "bytes=0-3", "if-modified-since": "Sat, 01 Jan 2000"},
        b"",
    ),
    ("s3", "GET", "/bucket", {}, b""),
    ("s3", "PUT", "/bucket/key", {"content-encoding": "aws-chunked"}, b"5\r\nhello\r\n0\r\n\r\n"),
    ("apigateway", "POST", "/restapis", {"content-type": "application/json"}, b'{"name": "x"}'),
    ("scheduler", "POST", "/schedules/s", {}, b'{"ScheduleExpression": "rate(1 hour)"}'),
]
GARBAGE = ["", "%", "%zz", "\xff", "[", "{", "<", "-1", "99999999999999999999", "abc", "=", "&&"]


def _mutate(rng: random.Random, text: str) -> str:
    choice = rng.randrange(5)
    if choice == 0 and text:
        return text[: rng.randrange(len(text))]
    if choice == 1 and text:
        index = rng.randrange(len(text))
        return text[:index] + rng.choice(GARBAGE) + text[index + 1 :]
    if choice == 2:
        return text + rng.choice(GARBAGE)
    if choice == 3:
        # Replace every value of one field: numbers become words, indexes skip.
        return text.replace("=", "=" + rng.choice(GARBAGE), 1).replace(".1.", ".0.")
    return rng.choice(GARBAGE)


def _structured_request(rng: random.Random) -> HttpRequest:
    service, method, path, headers, body = rng.choice(TEMPLATES)
    headers = {"host": "localhost:4566", "authorization": _auth(service), **headers}
    if body.startswith(b"Action="):
        headers["content-type"] = "application/x-www-form-urlencoded"
    if rng.random() < 0.7:
        body = _mutate(rng, body.decode("latin-1")).encode("latin-1")
    if rng.random() < 0.3:
        key = rng.choice(list(headers))
        headers[key] = _mutate(rng, headers[key])
    if rng.random() < 0.2:
        path = _mutate(rng, path) or "/"
    return HttpRequest(method, path if path.startswith("/") else "/" + path, [], headers, body)


async def test_ten_thousand_malformed_requests_get_error_answers() -> None:
    rng = random.Random(1234)
    async with Engine(clock=VirtualClock()) as engine:
        endpoint = WireEndpoint(engine)
        sqs = engine.client("sqs")
        await sqs.create_queue(QueueName="survivor")
        internal_errors: list[bytes] = []
        for index in range(10_000):
            make = _random_request if index % 2 else _structured_request
            response = await endpoint.handle(make(rng))
            assert 200 <= response.status < 600
            if response.status == 500:
                internal_errors.append(response.body[:300])
        assert internal_errors == [], "a malformed request reached an internal error"
        # The lab still works afterwards.
        assert (await sqs.get_queue_url(QueueName="survivor"))["QueueUrl"]


async def test_real_socket_survives_garbage_and_oversize(lab) -> None:
    rng = random.Random(99)
    async with httpx.AsyncClient(base_url=lab.url, timeout=10) as http:
        for _ in range(300):
            request = _random_request(rng)
            response = await http.request(
                request.method, request.path, headers=request.headers, content=request.body
            )
            assert 400 <= response.status_code < 500
        huge = await http.post(
            "/", headers={"x-amz-target": "AmazonSQS.ListQueues"}, content=b"x" * (65 * 1024 * 1024)
        )
        assert huge.status_code == 413
        alive = await http.post(
            "/",
            headers={
                "x-amz-target": "AmazonSQS.ListQueues",
                "content-type": "application/x-amz-json-1.0",
            },
            content=b"{}",
        )
        assert alive.status_code == 200
