"""boto3 against the lab for CloudWatch (rpc-v2-cbor, json, query), Logs and Secrets Manager."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from botocore.session import get_session

pytestmark = pytest.mark.timeout(60)


def _cloudwatch_speaking(protocol: str, url: str):
    """A boto3 CloudWatch client that uses `protocol` (botocore picks rpc-v2-cbor by default)."""
    session = get_session()
    loader = session.get_component("data_loader")
    original = loader.load_service_model

    def load(service_name, type_name, api_version=None):
        model = original(service_name, type_name, api_version)
        if service_name == "cloudwatch" and type_name == "service-2":
            model = {
                **model,
                "metadata": {**model["metadata"], "protocol": protocol, "protocols": [protocol]},
            }
        return model

    loader.load_service_model = load
    return session.create_client(
        "cloudwatch",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIALAB",
        aws_secret_access_key="secret",
    )


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
async def test_cloudwatch_in_each_protocol(lab, protocol) -> None:
    client = _cloudwatch_speaking(protocol, lab.url)
    now = datetime.now(UTC)
    await lab.call(
        client.put_metric_data,
        Namespace="Lab",
        MetricData=[{"MetricName": "m", "Value": 3.0, "Unit": "Count"}],
    )
    result = await lab.call(
        client.get_metric_statistics,
        Namespace="Lab",
        MetricName="m",
        StartTime=datetime.fromtimestamp(now.timestamp() - 600, UTC),
        EndTime=datetime.fromtimestamp(now.timestamp() + 600, UTC),
        Period=60,
        Statistics=["Sum"],
    )
    assert result["Datapoints"][0]["Sum"] == 3.0
    assert isinstance(result["Datapoints"][0]["Timestamp"], datetime)
    with pytest.raises(ClientError) as error:
        await lab.call(
            client.put_metric_data,
            Namespace="Lab",
            MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [1.0]}],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as error:
        await lab.call(client.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x")
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


async def test_logs_and_secrets_over_the_wire(lab) -> None:
    logs, sm = lab.client("logs"), lab.client("secretsmanager")
    await lab.call(logs.create_log_group, logGroupName="g")
    await lab.call(logs.create_log_stream, logGroupName="g", logStreamName="s")
    stamp = int(datetime.now(UTC).timestamp() * 1000)
    await lab.call(
        logs.put_log_events,
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": stamp, "message": "hello"}],
    )
    events = (await lab.call(logs.get_log_events, logGroupName="g", logStreamName="s"))["events"]
    assert [e["message"] for e in events] == ["hello"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        await lab.call(logs.delete_log_group, logGroupName="missing")
    await lab.call(sm.create_secret, Name="s", SecretBinary=b"\x00\x01")
    assert (await lab.call(sm.get_secret_value, SecretId="s"))["SecretBinary"] == b"\x00\x01"
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        await lab.call(sm.get_secret_value, SecretId="missing")
