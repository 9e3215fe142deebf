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
PATHS = ["/", "/2015-03-31/functions/x/invocations", "/bucket/key", "/%zz", "/restapis/a/b/_user_request_/c", "//"]
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


async def test_ten_thousand_malformed_requests_get_error_answers() -> None:
    rng = random.Random(1234)
    async with Engine(clock=VirtualClock()) as engine:
        endpoint = WireEndpoint(engine)
        sqs = engine.client("sqs")
        await sqs.create_queue(QueueName="survivor")
        internal_errors: list[bytes] = []
        for _ in range(10_000):
            response = await endpoint.handle(_random_request(rng))
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
            headers={"x-amz-target": "AmazonSQS.ListQueues", "content-type": "application/x-amz-json-1.0"},
            content=b"{}",
        )
        assert alive.status_code == 200
