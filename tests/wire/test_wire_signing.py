"""The caller's SigV4 access key and region show in the trace, whichever protocol carried the call."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

CALLS = {
    "json": ("sqs", "list_queues", {}),
    "query": ("sns", "list_topics", {}),
    "rest-json": ("lambda", "list_functions", {}),
    "rest-xml": ("s3", "list_buckets", {}),
}


@pytest.mark.parametrize("protocol", sorted(CALLS))
async def test_trace_names_the_signer(lab, protocol: str) -> None:
    service, operation, params = CALLS[protocol]
    client = boto3.session.Session(
        aws_access_key_id=f"AKIA{protocol.upper().replace('-', '')}",
        aws_secret_access_key="secret",
        region_name="eu-west-1",
    ).client(service, endpoint_url=lab.url, config=Config(retries={"max_attempts": 1}))
    with lab.engine.trace.subscribe() as events:
        await lab.call(getattr(client, operation), **params)
        requests = [e for e in events.drain() if e.kind == "request"]
    assert requests[0].detail["access_key"] == f"AKIA{protocol.upper().replace('-', '')}"
    assert requests[0].detail["region"] == "eu-west-1"
