"""Secrets Manager over HTTP: raw requests must carry ClientRequestToken; rotation Lambdas use boto3."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest

pytestmark = pytest.mark.timeout(60)

HEADERS = {"Content-Type": "application/x-amz-json-1.1"}
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIALAB/20260101/us-east-1/secretsmanager/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("CreateSecret", "InvalidRequestException"),
        ("UpdateSecret", "InvalidRequestException"),
        ("PutSecretValue", "InvalidRequestException"),
        ("RotateSecret", "InvalidParameterException"),
    ],
)
async def test_raw_http_without_client_request_token_is_refused(lab, operation, code) -> None:
    body = {"SecretString": "s"}
    body["Name" if operation == "CreateSecret" else "SecretId"] = "raw-secret"
    async with httpx.AsyncClient(base_url=lab.url) as http:
        response = await http.post(
            "/",
            content=json.dumps(body),
            headers={
                **HEADERS,
                "X-Amz-Target": f"secretsmanager.{operation}",
                "Authorization": AUTH,
            },
        )
    assert response.status_code == 400
    assert response.json() == {
        "__type": code,
        "Message": "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    }
    assert lab.engine.service("secretsmanager").secrets == {}


async def test_sdk_callers_fill_the_token(lab) -> None:
    sm = lab.client("secretsmanager")
    created = await lab.call(sm.create_secret, Name="sdk", SecretString="v")
    assert len(created["VersionId"]) == 36  # boto3's uuid4


ROTATION = """
import boto3

def handler(event, context):
    sm = boto3.client("secretsmanager")
    token, arn = event["ClientRequestToken"], event["SecretId"]
    if event["Step"] == "createSecret":
        sm.put_secret_value(
            SecretId=arn, ClientRequestToken=token, SecretString="rotated",
            VersionStages=["AWSPENDING"],
        )
    elif event["Step"] == "finishSecret":
        current = [
            v for v, stages in sm.describe_secret(SecretId=arn)["VersionIdsToStages"].items()
            if "AWSCURRENT" in stages
        ][0]
        sm.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
"""


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


async def test_rotation_lambda_calls_the_lab_with_boto3(lab) -> None:
    lam, sm = lab.client("lambda"), lab.client("secretsmanager")
    function = await lab.call(
        lam.create_function,
        FunctionName="rotator",
        Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/rotator",
        Handler="index.handler",
        Code={"ZipFile": _zipped(ROTATION)},
        Timeout=30,
        MemorySize=512,
    )
    first = await lab.call(sm.create_secret, Name="db", SecretString="initial")
    rotated = await lab.call(
        sm.rotate_secret,
        SecretId="db",
        RotationLambdaARN=function["FunctionArn"],
        RotationRules={"AutomaticallyAfterDays": 1},
    )
    value = await lab.call(sm.get_secret_value, SecretId="db")
    assert value["SecretString"] == "rotated" and value["VersionId"] == rotated["VersionId"]
    stages = (await lab.call(sm.describe_secret, SecretId="db"))["VersionIdsToStages"]
    assert stages[first["VersionId"]] == ["AWSPREVIOUS"]
