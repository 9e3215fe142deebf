"""The AWS CLI (from the awscli package) against the lab, one command per service that exists."""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest

AWS = shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="the awscli package is not installed")


async def aws(lab, *args: str) -> dict:
    """Run `aws --endpoint-url … ARGS` and parse its JSON output."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIALAB",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    process = await asyncio.create_subprocess_exec(
        AWS,
        "--endpoint-url",
        lab.url,
        "--output",
        "json",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out or b"{}")


async def test_aws_cli_sqs_round_trip(lab) -> None:
    created = await aws(lab, "sqs", "create-queue", "--queue-name", "cli")
    url = created["QueueUrl"]
    await aws(lab, "sqs", "send-message", "--queue-url", url, "--message-body", "from the cli")
    received = await aws(lab, "sqs", "receive-message", "--queue-url", url)
    assert received["Messages"][0]["Body"] == "from the cli"
    listed = await aws(lab, "sqs", "list-queues")
    assert listed["QueueUrls"] == [url]
