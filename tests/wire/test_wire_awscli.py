"""The AWS CLI (from the awscli package) against the lab: one representative command per service."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

AWS = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="the awscli package is not installed")
BATCH = Path(__file__).with_name("awscli_batch.py")


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIACLI",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }


async def aws(lab, *args: str) -> dict:
    """Run the real `aws --endpoint-url … ARGS` executable and parse its JSON output."""
    process = await asyncio.create_subprocess_exec(
        AWS,
        "--endpoint-url",
        lab.url,
        "--output",
        "json",
        *args,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out or b"{}")


async def aws_batch(lab, commands: list[list[str]]) -> list[dict]:
    """Run many AWS CLI command lines in one process; each result is {rc, out, err}."""
    lines = [["--endpoint-url", lab.url, "--output", "json", *c] for c in commands]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BATCH),
        env=_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(json.dumps(lines).encode())
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_the_aws_executable_lists_queues(lab) -> None:
    url = (await lab.engine.client("sqs").create_queue(QueueName="cli"))["QueueUrl"]
    listed = await aws(lab, "sqs", "list-queues")
    assert listed["QueueUrls"] == [url]


async def test_aws_cli_one_command_per_service(lab, tmp_path) -> None:
    lab.engine.register_function("echo", lambda event, context: {"echo": event})
    upload = tmp_path / "upload.txt"
    upload.write_text("from the cli")
    payload = tmp_path / "payload.json"
    payload.write_text('{"n": 1}')
    answer = tmp_path / "answer.json"
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    queue = (await lab.engine.client("sqs").create_queue(QueueName="cli"))["QueueUrl"]
    commands = {
        "sqs-send": ["sqs", "send-message", "--queue-url", queue, "--message-body", "from the cli"],
        "sqs-receive": ["sqs", "receive-message", "--queue-url", queue],
        "sns": ["sns", "create-topic", "--name", "cli-topic"],
        "events": [
            "events",
            "put-events",
            "--entries",
            json.dumps([{"Source": "cli", "DetailType": "t", "Detail": "{}"}]),
        ],
        "kinesis": ["kinesis", "create-stream", "--stream-name", "cli", "--shard-count", "1"],
        "kinesis-put": [
            "kinesis",
            "put-record",
            "--stream-name",
            "cli",
            "--partition-key",
            "k",
            "--data",
            "hi",
        ],
        "firehose": ["firehose", "list-delivery-streams"],
        "stepfunctions": [
            "stepfunctions",
            "create-state-machine",
            "--name",
            "cli",
            "--definition",
            definition,
            "--role-arn",
            "arn:aws:iam::123456789012:role/sfn",
        ],
        "lambda": [
            "lambda",
            "invoke",
            "--function-name",
            "echo",
            "--payload",
            f"file://{payload}",
            str(answer),
        ],
        "s3api": ["s3api", "create-bucket", "--bucket", "cli-bucket"],
        "s3-cp": ["s3", "cp", str(upload), "s3://cli-bucket/upload.txt"],
        "s3-ls": ["s3", "ls", "s3://cli-bucket/"],
        "dynamodb": [
            "dynamodb",
            "create-table",
            "--table-name",
            "cli",
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
        "apigateway": ["apigateway", "create-rest-api", "--name", "cli"],
        "schemas": ["schemas", "create-registry", "--registry-name", "cli"],
        "scheduler": ["scheduler", "list-schedules"],
        "pipes": ["pipes", "list-pipes"],
    }
    results = dict(zip(commands, await aws_batch(lab, list(commands.values())), strict=True))
    failed = {name: r["err"] for name, r in results.items() if r["rc"] != 0}
    assert failed == {}

    def output(name: str) -> dict:
        return json.loads(results[name]["out"] or "{}")

    assert output("sqs-send")["MD5OfMessageBody"] == "adc1c5502a75b5c1afdc54d0d67abd6f"
    assert output("sqs-receive")["Messages"][0]["Body"] == "from the cli"
    assert output("sns")["TopicArn"].endswith(":cli-topic")
    assert output("events")["FailedEntryCount"] == 0
    assert output("kinesis-put")["SequenceNumber"]
    assert output("firehose")["DeliveryStreamNames"] == []
    assert output("stepfunctions")["stateMachineArn"].endswith(":cli")
    assert output("lambda")["StatusCode"] == 200
    assert json.loads(answer.read_text()) == {"echo": {"n": 1}}
    assert "upload.txt" in results["s3-ls"]["out"]
    assert output("dynamodb")["TableDescription"]["TableName"] == "cli"
    assert output("apigateway")["name"] == "cli"
    assert output("schemas")["RegistryName"] == "cli"
    assert output("scheduler")["Schedules"] == []
    assert output("pipes")["Pipes"] == []
