"""`--verify-signatures`: SigV4 recomputed with the lab's secret keys; AWS's codes for each failure."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from engine import Engine, RealClock
from engine.wire import WireServer
from engine.wire.signing import SignatureVerifier

pytestmark = pytest.mark.timeout(60)

KEYS = {"AKIAGOOD": ("arn:aws:iam::123456789012:user/alice", "right-secret")}


async def _served(now=time.time):
    engine = Engine(clock=RealClock())
    verifier = SignatureVerifier(KEYS.get, now=now)
    server = WireServer(engine, "127.0.0.1", 0, verifier=verifier)
    return engine, server, await server.start()


_SESSION = boto3.session.Session(region_name="us-east-1")  # one model loader for every client


def _client(url: str, service: str, key: str, secret: str, **config):
    return _SESSION.client(
        service,
        endpoint_url=url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


CALLS = {
    "sqs": lambda c: c.list_queues(),
    "sns": lambda c: c.list_topics(),
    "s3": lambda c: c.list_buckets(),
    "lambda": lambda c: c.list_functions(),
    "dynamodb": lambda c: c.list_tables(),
}


async def test_signed_with_the_right_secret_passes() -> None:
    import asyncio

    engine, server, url = await _served()
    try:
        for service in sorted(CALLS):
            client = _client(url, service, "AKIAGOOD", "right-secret")
            await asyncio.to_thread(CALLS[service], client)
    finally:
        await server.stop()
        await engine.close()


#: service → (code for a wrong secret, code for an unknown key), per protocol family.
CODES = {
    "sqs": ("InvalidSignatureException", "UnrecognizedClientException"),
    "dynamodb": ("InvalidSignatureException", "UnrecognizedClientException"),
    "sns": ("SignatureDoesNotMatch", "InvalidClientTokenId"),
    "s3": ("SignatureDoesNotMatch", "InvalidAccessKeyId"),
    "lambda": ("InvalidSignatureException", "UnrecognizedClientException"),
}


async def test_bad_signature_and_unknown_key_get_aws_codes() -> None:
    import asyncio

    engine, server, url = await _served()
    try:
        for service, (wrong_secret, unknown_key) in CODES.items():
            with pytest.raises(ClientError) as bad:
                await asyncio.to_thread(CALLS[service], _client(url, service, "AKIAGOOD", "wrong"))
            assert bad.value.response["Error"]["Code"] == wrong_secret, service
            assert "does not match" in bad.value.response["Error"]["Message"]
            with pytest.raises(ClientError) as unknown:
                await asyncio.to_thread(CALLS[service], _client(url, service, "AKIANOBODY", "x"))
            assert unknown.value.response["Error"]["Code"] == unknown_key, service
    finally:
        await server.stop()
        await engine.close()


async def test_a_request_signed_long_ago_has_expired() -> None:
    import asyncio

    engine, server, url = await _served(now=lambda: time.time() + 3600)
    try:
        expected = {"sqs": "InvalidSignatureException", "sns": "RequestExpired"}
        expected["s3"] = "RequestTimeTooSkewed"
        for service, code in expected.items():
            with pytest.raises(ClientError) as expired:
                await asyncio.to_thread(
                    CALLS[service], _client(url, service, "AKIAGOOD", "right-secret")
                )
            assert expired.value.response["Error"]["Code"] == code
            if service == "sqs":
                message = expired.value.response["Error"]["Message"]
                assert message.startswith("Signature expired: ")
    finally:
        await server.stop()
        await engine.close()


async def test_presigned_url_is_verified() -> None:
    import asyncio

    import httpx

    engine, server, url = await _served()
    try:
        good = _client(url, "s3", "AKIAGOOD", "right-secret")
        await asyncio.to_thread(good.create_bucket, Bucket="bkt")
        await asyncio.to_thread(good.put_object, Bucket="bkt", Key="k", Body=b"data")
        params = {"Bucket": "bkt", "Key": "k"}
        v4 = _client(url, "s3", "AKIAGOOD", "right-secret", signature_version="s3v4")
        link = v4.generate_presigned_url("get_object", Params=params)
        sigv2 = good.generate_presigned_url("get_object", Params=params)
        forger = _client(url, "s3", "AKIAGOOD", "nope", signature_version="s3v4")
        forged = forger.generate_presigned_url("get_object", Params=params)
        async with httpx.AsyncClient() as http:
            got = await http.get(link)
            assert got.content == b"data", got.text
            assert (await http.get(forged)).status_code == 403
            assert "Version 4 only" in (await http.get(sigv2)).text
            assert (await http.get(f"{url}/bkt/k")).status_code == 403  # unsigned
    finally:
        await server.stop()
        await engine.close()


async def test_keys_come_from_the_lab_iam() -> None:
    import asyncio

    from engine.wire.signing import issue_admin_key

    engine = Engine(clock=RealClock())
    server = WireServer(engine, "127.0.0.1", 0, verifier=SignatureVerifier.for_engine(engine))
    url = await server.start()
    try:
        key, secret = await issue_admin_key(engine)
        admin = _client(url, "iam", key, secret)
        await asyncio.to_thread(admin.create_user, UserName="bob")
        made = (await asyncio.to_thread(admin.create_access_key, UserName="bob"))["AccessKey"]
        bob = _client(url, "sqs", made["AccessKeyId"], made["SecretAccessKey"])
        await asyncio.to_thread(bob.list_queues)
        with pytest.raises(ClientError) as stranger:
            await asyncio.to_thread(_client(url, "sqs", "test", "test").list_queues)
        assert stranger.value.response["Error"]["Code"] == "UnrecognizedClientException"
        await asyncio.to_thread(
            admin.delete_access_key, UserName="bob", AccessKeyId=made["AccessKeyId"]
        )
        with pytest.raises(ClientError) as revoked:
            await asyncio.to_thread(bob.list_queues)
        assert revoked.value.response["Error"]["Code"] == "UnrecognizedClientException"
    finally:
        await server.stop()
        await engine.close()
