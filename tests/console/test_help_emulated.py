"""`help` marks an operation emulated exactly when the lab's service implements it."""

from __future__ import annotations

import pytest

from tui.console.lab.help import emulated

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("iam", "CreateRole"),  # served by a delegated object
        ("iam", "SimulatePrincipalPolicy"),
        ("kafka", "CreateClusterV2"),
        ("kafka", "UpdateBrokerCount"),  # made by its delegate at run time
        ("sqs", "SendMessage"),
        ("dynamodb", "EnableKinesisStreamingDestination"),
        ("sns", "Publish"),
        ("sns", "CreateSMSSandboxPhoneNumber"),
        ("events", "PutRule"),
        ("events", "StartReplay"),
        ("events", "CreateApiDestination"),
        ("kinesis", "PutRecords"),
        ("kinesis", "SubscribeToShard"),
        ("kinesis", "UpdateShardCount"),
        ("firehose", "TagDeliveryStream"),
        ("s3", "CreateMultipartUpload"),
        ("s3", "PutObjectTagging"),
        ("apigateway", "UpdateAuthorizer"),
        ("apigateway", "UpdateAccount"),
    ],
)
def test_delegated_operations_count_as_emulated(service: str, operation: str) -> None:
    assert emulated(service, operation)


def test_an_operation_without_a_method_is_not_emulated() -> None:
    assert not emulated("iam", "CreateSAMLProvider")
