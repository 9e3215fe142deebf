"""S3 uploads in the aws-chunked encoding (what SDKs stream with SigV4), decoded by the endpoint."""

from __future__ import annotations

import pytest

from engine.http import HttpRequest
from engine.wire import WireEndpoint
from engine.wire.chunked import decode_aws_chunked
from engine.wire.errors import WireError

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIASDK/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=lab"
)
SIGNED_BODY = (
    b"5;chunk-signature=" + b"a" * 64 + b"\r\nhello\r\n"
    b"6;chunk-signature=" + b"b" * 64 + b"\r\n world\r\n"
    b"0;chunk-signature=" + b"c" * 64 + b"\r\n\r\n"
)
TRAILER_BODY = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n"


def test_signed_chunks_decode_to_the_payload() -> None:
    assert decode_aws_chunked(SIGNED_BODY) == (b"hello world", {})


def test_unsigned_chunks_with_a_trailer_decode_to_the_payload_and_trailers() -> None:
    assert decode_aws_chunked(TRAILER_BODY) == (b"abc", {"x-amz-checksum-crc32": "NSRBwg=="})


def test_a_cut_short_body_is_incomplete() -> None:
    with pytest.raises(WireError) as error:
        decode_aws_chunked(SIGNED_BODY[:40])
    assert error.value.code == "IncompleteBody"


async def test_streamed_put_object_stores_the_decoded_bytes(eng) -> None:
    await eng.client("s3").create_bucket(Bucket="sdk-bucket")
    endpoint = WireEndpoint(eng)
    response = await endpoint.handle(
        HttpRequest(
            "PUT",
            "/sdk-bucket/greeting.txt",
            [],
            {
                "host": "localhost:4566",
                "authorization": AUTH,
                "content-encoding": "aws-chunked",
                "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                "x-amz-decoded-content-length": "11",
                "content-length": str(len(SIGNED_BODY)),
            },
            SIGNED_BODY,
        )
    )
    assert response.status == 200
    stored = await eng.client("s3").get_object(Bucket="sdk-bucket", Key="greeting.txt")
    assert stored["Body"].read() == b"hello world"
    assert "ContentEncoding" not in stored


def _trailer_put(key: str, body: bytes) -> HttpRequest:
    return HttpRequest(
        "PUT",
        f"/sdk-bucket/{key}",
        [],
        {
            "host": "localhost:4566",
            "authorization": AUTH,
            "content-encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-sdk-checksum-algorithm": "CRC32",
            "content-length": str(len(body)),
        },
        body,
    )


async def test_a_trailer_checksum_is_verified_and_stored(eng) -> None:
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="sdk-bucket")
    endpoint = WireEndpoint(eng)
    response = await endpoint.handle(_trailer_put("abc.txt", TRAILER_BODY))
    assert response.status == 200
    assert response.headers["x-amz-checksum-crc32"] == "NSRBwg=="
    head = await s3.head_object(Bucket="sdk-bucket", Key="abc.txt", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == "NSRBwg=="
    wrong = TRAILER_BODY.replace(b"NSRBwg==", b"AAAAAA==")
    response = await endpoint.handle(_trailer_put("bad.txt", wrong))
    assert response.status == 400
    assert b"<Code>BadDigest</Code>" in response.body
