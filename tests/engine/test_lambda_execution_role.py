"""Lambda's execution role under `iam enforce on`: mappings, destinations and the function's SDK."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from engine import Engine, ServiceError, VirtualClock
from engine.services.awslambda.esm import ROLE_RETRY_SECONDS

pytestmark = pytest.mark.timeout(60)

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/fn-role"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


async def _role(eng: Engine, *statements: dict) -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    await eng.client("iam").create_role(RoleName="fn-role", AssumeRolePolicyDocument=trust)
    if statements:
        await _allow(eng, *statements)


async def _allow(eng: Engine, *statements: dict) -> None:
    await eng.client("iam").put_role_policy(
        RoleName="fn-role", PolicyName="p", PolicyDocument=policy(*statements)
    )


async def _queue(eng: Engine, name: str) -> tuple[str, str]:
    url = (await eng.client("sqs").create_queue(QueueName=name))["QueueUrl"]
    return url, f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def _denied(recorder) -> list:
    return [e for e in recorder.events if e.kind == "denied"]


SQS_READ = {
    "Effect": "Allow",
    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    "Resource": "*",
}


async def test_mapping_refused_when_the_role_cannot_read_the_queue(eng: Engine) -> None:
    await _role(eng)
    eng.register_function("reader", lambda event, context: None, Role=ROLE)
    _, arn = await _queue(eng, "jobs")
    eng.settings["iam.enforce"] = True
    recorder = eng.trace.record()
    with pytest.raises(ServiceError) as error:
        await eng.client("lambda").create_event_source_mapping(
            EventSourceArn=arn, FunctionName="reader"
        )
    assert error.value.code == "InvalidParameterValueException"
    assert error.value.message == (
        "The provided execution role does not have permissions to call ReceiveMessage on SQS"
    )
    [denied] = _denied(recorder)
    assert denied.detail["principal"] == f"{SESSION}/reader"
    assert denied.detail["action"] == "sqs:ReceiveMessage" and denied.resource == arn
    await _allow(eng, SQS_READ)
    created = await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="reader"
    )
    assert created["EventSourceArn"] == arn


async def test_poller_acts_as_the_role_and_resumes_once_allowed(
    eng: Engine, clock: VirtualClock
) -> None:
    await _role(eng)
    seen: list[str] = []
    eng.register_function(
        "reader",
        lambda event, context: seen.extend(r["body"] for r in event["Records"]),
        Role=ROLE,
    )
    url, arn = await _queue(eng, "jobs")
    mapping = await eng.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="reader", BatchSize=1
    )
    eng.settings["iam.enforce"] = True  # the role loses its say after the mapping exists
    recorder = eng.trace.record()
    await eng.client("sqs").send_message(QueueUrl=url, MessageBody="hello")
    await clock.advance(30)
    assert seen == []
    attributes = await eng.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"  # never received
    described = await eng.client("lambda").get_event_source_mapping(UUID=mapping["UUID"])
    assert described["LastProcessingResult"].startswith("PROBLEM: The provided execution role")
    assert {e.detail["action"] for e in _denied(recorder)} == {"sqs:ReceiveMessage"}
    await _allow(eng, SQS_READ)
    await clock.advance(ROLE_RETRY_SECONDS + 1)
    assert seen == ["hello"]


async def test_dead_letter_queue_send_needs_the_role(eng: Engine, clock: VirtualClock) -> None:
    await _role(eng)
    url, arn = await _queue(eng, "dlq")

    def fail(event, context):
        raise RuntimeError("boom")

    eng.register_function("fails", fail, Role=ROLE, DeadLetterConfig={"TargetArn": arn}, Timeout=3)
    await eng.client("lambda").put_function_event_invoke_config(
        FunctionName="fails", MaximumRetryAttempts=0
    )
    eng.settings["iam.enforce"] = True
    recorder = eng.trace.record()
    lam = eng.client("lambda")
    await lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b"{}")
    await clock.advance(60)
    [denied] = _denied(recorder)
    assert denied.detail["principal"] == f"{SESSION}/fails"
    assert denied.detail["action"] == "sqs:SendMessage" and denied.resource == arn
    failed = [e for e in recorder.events if e.kind == "delivery-failed"]
    assert failed and failed[0].detail["error"].startswith("AccessDenied")
    got = await eng.client("sqs").receive_message(QueueUrl=url)
    assert "Messages" not in got
    await _allow(eng, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn})
    await lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b"{}")
    await clock.advance(60)
    got = await eng.client("sqs").receive_message(QueueUrl=url)
    assert json.loads(got["Messages"][0]["Body"]) == {}


SDK_CODE = """
import boto3

def handler(event, context):
    who = boto3.client("sts").get_caller_identity()["Arn"]
    sqs = boto3.client("sqs")
    try:
        sqs.send_message(QueueUrl=event["url"], MessageBody="from the function")
        sent = "sent"
    except Exception as error:
        sent = str(error)
    return {"who": who, "sent": sent}
"""


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


async def test_function_sdk_calls_act_as_the_execution_role(eng: Engine) -> None:
    from engine.wire import WireServer

    server = WireServer(eng, "127.0.0.1", 0)
    await server.start()
    try:
        await _role(eng)
        url, arn = await _queue(eng, "out")
        lam = eng.client("lambda")
        await lam.create_function(
            FunctionName="caller",
            Runtime="python3.12",
            Role=ROLE,
            Handler="index.handler",
            Code={"ZipFile": _zipped(SDK_CODE)},
            Timeout=30,
            MemorySize=512,
        )
        eng.settings["iam.enforce"] = True
        recorder = eng.trace.record()
        response = await lam.invoke(FunctionName="caller", Payload=json.dumps({"url": url}))
        result = json.loads(response["Payload"].read())
        assert result["who"] == f"{SESSION}/caller"
        assert "AccessDenied" in result["sent"]
        assert (
            f"User: {SESSION}/caller is not authorized to perform: sqs:SendMessage"
            in (result["sent"])
        )
        assert any(e.detail.get("action") == "sqs:SendMessage" for e in _denied(recorder))
        await _allow(eng, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn})
        response = await lam.invoke(FunctionName="caller", Payload=json.dumps({"url": url}))
        assert json.loads(response["Payload"].read())["sent"] == "sent"
    finally:
        await server.stop()


KEY_CODE = """
import os
import boto3

def handler(event, context):
    who = boto3.client("sts").get_caller_identity()["Arn"]
    return {"who": who, "key": os.environ["AWS_ACCESS_KEY_ID"]}
"""


async def test_each_environment_has_its_own_keys_and_one_letter_names_get_a_suffix(
    eng: Engine,
) -> None:
    from engine.wire import WireServer

    server = WireServer(eng, "127.0.0.1", 0)
    await server.start()
    try:
        lam = eng.client("lambda")
        await lam.create_function(
            FunctionName="w",
            Runtime="python3.12",
            Role=ROLE,
            Handler="index.handler",
            Code={"ZipFile": _zipped(KEY_CODE)},
            Timeout=30,
            MemorySize=512,
        )
        first = json.loads((await lam.invoke(FunctionName="w"))["Payload"].read())
        assert first["who"] == f"{SESSION}/w@lambda_function"
        assert first["key"].startswith("ASIA")
        # New configuration: the warm environment retires and the next one gets new keys.
        await lam.update_function_configuration(FunctionName="w", Description="again")
        second = json.loads((await lam.invoke(FunctionName="w"))["Payload"].read())
        assert second["who"] == first["who"] and second["key"] != first["key"]
    finally:
        await server.stop()
