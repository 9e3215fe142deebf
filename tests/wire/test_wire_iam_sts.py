"""boto3's IAM and STS clients against the lab over HTTP: keys, roles, and who is calling."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.timeout(60)

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _client_with(lab, name: str, credentials: dict) -> object:
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        region_name="us-east-1",
    )
    return session.client(name, endpoint_url=lab.url, config=Config(retries={"max_attempts": 1}))


async def test_assume_role_then_get_caller_identity_shows_the_role(lab) -> None:
    iam, sts = lab.client("iam"), lab.client("sts")
    identity = await lab.call(sts.get_caller_identity)
    assert identity["Arn"] == "arn:aws:iam::123456789012:root"
    role = (await lab.call(iam.create_role, RoleName="app", AssumeRolePolicyDocument=TRUST))["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    assumed = await lab.call(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="worker")
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::123456789012:assumed-role/app/worker"
    )
    as_role = _client_with(lab, "sts", credentials)
    me = await lab.call(as_role.get_caller_identity)
    assert me["Arn"] == "arn:aws:sts::123456789012:assumed-role/app/worker"
    assert me["UserId"] == f"{role['RoleId']}:worker"


async def test_access_key_of_a_user_identifies_the_user(lab) -> None:
    iam = lab.client("iam")
    await lab.call(iam.create_user, UserName="alice")
    key = (await lab.call(iam.create_access_key, UserName="alice"))["AccessKey"]
    as_alice = _client_with(lab, "sts", key)
    me = await lab.call(as_alice.get_caller_identity)
    assert me["Arn"] == "arn:aws:iam::123456789012:user/alice"
    iam_as_alice = _client_with(lab, "iam", key)
    assert (await lab.call(iam_as_alice.get_user))["User"]["UserName"] == "alice"


async def test_policy_documents_round_trip_and_errors_are_modeled(lab) -> None:
    iam = lab.client("iam")
    await lab.call(iam.create_user, UserName="bob")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
    await lab.call(
        iam.put_user_policy, UserName="bob", PolicyName="send", PolicyDocument=json.dumps(document)
    )
    got = await lab.call(iam.get_user_policy, UserName="bob", PolicyName="send")
    assert got["PolicyDocument"] == document
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        await lab.call(iam.get_role, RoleName="missing")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        await lab.call(iam.create_user, UserName="bob")
    with pytest.raises(ClientError) as error:
        await lab.call(
            iam.put_user_policy, UserName="bob", PolicyName="bad", PolicyDocument="{not json"
        )
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocument"


async def test_enforced_calls_over_the_wire_act_as_the_key(lab) -> None:
    iam, sts, sqs = lab.client("iam"), lab.client("sts"), lab.client("sqs")
    url = (await lab.call(sqs.create_queue, QueueName="orders"))["QueueUrl"]
    arn = "arn:aws:sqs:us-east-1:123456789012:orders"
    role = await lab.call(iam.create_role, RoleName="sender", AssumeRolePolicyDocument=TRUST)
    send = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn}],
    }
    await lab.call(
        iam.put_role_policy, RoleName="sender", PolicyName="send", PolicyDocument=json.dumps(send)
    )
    await lab.call(iam.create_user, UserName="carol")
    key = (await lab.call(iam.create_access_key, UserName="carol"))["AccessKey"]
    lab.engine.settings["iam.enforce"] = True
    as_carol = _client_with(lab, "sqs", key)
    with pytest.raises(ClientError) as error:
        await lab.call(as_carol.send_message, QueueUrl=url, MessageBody="x")
    assert error.value.response["Error"]["Code"] == "AccessDenied"
    assumed = await lab.call(sts.assume_role, RoleArn=role["Role"]["Arn"], RoleSessionName="s1")
    as_role = _client_with(lab, "sqs", assumed["Credentials"])
    assert (await lab.call(as_role.send_message, QueueUrl=url, MessageBody="x"))["MessageId"]
    with pytest.raises(ClientError):
        await lab.call(as_role.purge_queue, QueueUrl=url)
    # The lab's own test key is unknown to IAM: it acts as the admin.
    await lab.call(sqs.purge_queue, QueueUrl=url)


async def test_bucket_policy_round_trips_over_the_wire(lab) -> None:
    s3 = lab.client("s3")
    await lab.call(s3.create_bucket, Bucket="shared")
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::shared/*",
                }
            ],
        }
    )
    await lab.call(s3.put_bucket_policy, Bucket="shared", Policy=text)
    assert (await lab.call(s3.get_bucket_policy, Bucket="shared"))["Policy"] == text
    await lab.call(s3.delete_bucket_policy, Bucket="shared")
    with pytest.raises(ClientError) as error:
        await lab.call(s3.get_bucket_policy, Bucket="shared")
    assert error.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
