"""SQS queue lifecycle: create, attributes, list, tags, permissions, delete."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock


@pytest.fixture
def sqs(eng: Engine):
    return eng.client("sqs")


async def test_create_queue_returns_aws_shaped_url(sqs) -> None:
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    assert url == "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    assert (await sqs.get_queue_url(QueueName="orders"))["QueueUrl"] == url


async def test_default_attributes_match_aws(sqs) -> None:
    url = (await sqs.create_queue(QueueName="orders"))["QueueUrl"]
    attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
        "Attributes"
    ]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "CreatedTimestamp": attributes["CreatedTimestamp"],
        "DelaySeconds": "0",
        "LastModifiedTimestamp": attributes["LastModifiedTimestamp"],
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:orders",
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": "30",
    }


async def test_fifo_queue_attributes(sqs) -> None:
    url = (
        await sqs.create_queue(
            QueueName="orders.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )
    )["QueueUrl"]
    attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
        "Attributes"
    ]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


async def test_get_specific_attributes_only(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    result = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert result["Attributes"] == {"VisibilityTimeout": "30"}


async def test_unknown_attribute_name_is_rejected(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    with pytest.raises(ServiceError) as error:
        await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert error.value.code == "InvalidAttributeName"


async def test_create_is_idempotent_with_same_attributes(sqs) -> None:
    first = await sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})
    second = await sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})
    assert first["QueueUrl"] == second["QueueUrl"]


async def test_create_with_different_attributes_raises_queue_already_exists(sqs) -> None:
    await sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "5"})
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="q", Attributes={"DelaySeconds": "6"})
    assert error.value.code == "QueueAlreadyExists"
    assert error.value.message == (
        "A queue already exists with the same name and a different value for attribute DelaySeconds"
    )


@pytest.mark.parametrize("name", ["", "has space", "x" * 81, "bad!"])
async def test_invalid_queue_names(sqs, name: str) -> None:
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName=name)
    assert error.value.code in ("InvalidParameterValue", "ParamValidationError")


async def test_fifo_queue_needs_fifo_suffix(sqs) -> None:
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="orders", Attributes={"FifoQueue": "true"})
    assert error.value.code == "InvalidParameterValue"
    assert ".fifo suffix" in error.value.message


async def test_standard_queue_rejects_fifo_attributes(sqs) -> None:
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="q", Attributes={"ContentBasedDeduplication": "true"})
    assert error.value.code == "InvalidAttributeName"
    assert error.value.message == "Unknown Attribute ContentBasedDeduplication."
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="q", Attributes={"DeduplicationScope": "queue"})
    assert (
        error.value.message
        == "You can specify the DeduplicationScope only when FifoQueue is set to true."
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VisibilityTimeout", "43201"),
        ("DelaySeconds", "901"),
        ("MessageRetentionPeriod", "59"),
        ("MaximumMessageSize", "1023"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "abc"),
    ],
)
async def test_attribute_ranges(sqs, name: str, value: str) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    with pytest.raises(ServiceError) as error:
        await sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    assert error.value.code == "InvalidAttributeValue"
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
    assert attributes["Attributes"][name] != value  # unchanged


async def test_set_attributes_is_all_or_nothing(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    with pytest.raises(ServiceError):
        await sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"DelaySeconds": "10", "VisibilityTimeout": "-1"}
        )
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])
    assert attributes["Attributes"]["DelaySeconds"] == "0"


async def test_cannot_change_queue_type(sqs) -> None:
    url = (
        await sqs.create_queue(
            QueueName="q.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )
    )["QueueUrl"]
    with pytest.raises(ServiceError) as error:
        await sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert error.value.code == "InvalidAttributeValue"


async def test_sse_kms_and_sqs_are_mutually_exclusive(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    with pytest.raises(ServiceError) as error:
        await sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"KmsMasterKeyId": "key", "SqsManagedSseEnabled": "true"}
        )
    assert error.value.code == "InvalidAttributeName"
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId"})
    attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))[
        "Attributes"
    ]
    assert attributes["SqsManagedSseEnabled"] == "false"
    assert attributes["KmsDataKeyReusePeriodSeconds"] == "300"


async def test_non_existent_queue(sqs) -> None:
    with pytest.raises(ServiceError) as error:
        await sqs.get_queue_url(QueueName="missing")
    assert error.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.value.message == "The specified queue does not exist."
    assert error.value.extra["QueryErrorCode"] == "QueueDoesNotExist"
    with pytest.raises(ServiceError):
        await sqs.send_message(
            QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/missing", MessageBody="x"
        )


async def test_list_queues_with_prefix_and_pagination(sqs) -> None:
    for index in range(5):
        await sqs.create_queue(QueueName=f"app-{index}")
    await sqs.create_queue(QueueName="other")
    assert len((await sqs.list_queues())["QueueUrls"]) == 6
    assert len((await sqs.list_queues(QueueNamePrefix="app-"))["QueueUrls"]) == 5
    first = await sqs.list_queues(QueueNamePrefix="app-", MaxResults=2)
    assert len(first["QueueUrls"]) == 2 and "NextToken" in first
    rest = await sqs.list_queues(
        QueueNamePrefix="app-", MaxResults=10, NextToken=first["NextToken"]
    )
    assert len(rest["QueueUrls"]) == 3 and "NextToken" not in rest
    assert "QueueUrls" not in await sqs.list_queues(QueueNamePrefix="zzz")


async def test_delete_queue_and_recreate_within_60_seconds(
    eng: Engine, clock: VirtualClock
) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    await sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ServiceError) as error:
        await sqs.get_queue_url(QueueName="q")
    assert error.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="q")
    assert error.value.code == "AWS.SimpleQueueService.QueueDeletedRecently"
    await clock.advance(61)
    await sqs.create_queue(QueueName="q")


async def test_tags(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q", tags={"team": "a"}))["QueueUrl"]
    await sqs.tag_queue(QueueUrl=url, Tags={"env": "lab"})
    assert (await sqs.list_queue_tags(QueueUrl=url))["Tags"] == {"team": "a", "env": "lab"}
    await sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env"])
    assert "Tags" not in await sqs.list_queue_tags(QueueUrl=url)


async def test_permissions_lifecycle(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    await sqs.add_permission(
        QueueUrl=url, Label="p1", AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"]
    )
    with pytest.raises(ServiceError) as error:
        await sqs.add_permission(
            QueueUrl=url, Label="p1", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
        )
    assert error.value.message == "Value p1 for parameter Label is invalid. Reason: Already exists."
    policy = json.loads(
        (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]))["Attributes"][
            "Policy"
        ]
    )
    assert policy["Statement"][0] == {
        "Sid": "p1",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SQS:ReceiveMessage",
        "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
    }
    await sqs.remove_permission(QueueUrl=url, Label="p1")
    assert "Attributes" not in await sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["Policy"]
    )
    with pytest.raises(ServiceError) as error:
        await sqs.remove_permission(QueueUrl=url, Label="p1")
    assert (
        error.value.message == "Value p1 for parameter Label is invalid. Reason: can't find label."
    )


async def test_unknown_parameter_and_missing_parameter(sqs) -> None:
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue(QueueName="q", Bogus=True)
    assert error.value.code == "ParamValidationError"
    with pytest.raises(ServiceError) as error:
        await sqs.create_queue()
    assert 'Missing required parameter in input: "QueueName"' in error.value.message


async def test_dead_letter_source_queues(sqs) -> None:
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    source = (await sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": policy}))[
        "QueueUrl"
    ]
    assert (await sqs.list_dead_letter_source_queues(QueueUrl=dlq))["queueUrls"] == [source]


async def test_redrive_policy_validation(sqs) -> None:
    url = (await sqs.create_queue(QueueName="q"))["QueueUrl"]
    for bad in (
        "not json",
        json.dumps({"maxReceiveCount": 3}),
        json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:nope", "maxReceiveCount": 3}
        ),
    ):
        with pytest.raises(ServiceError) as error:
            await sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": bad})
        assert error.value.code == "InvalidAttributeValue"
    dlq = (await sqs.create_queue(QueueName="dlq"))["QueueUrl"]
    arn = "arn:aws:sqs:us-east-1:123456789012:dlq"
    assert dlq.endswith("/dlq")
    with pytest.raises(ServiceError):
        await sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 0})
            },
        )
    await sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 5})
        },
    )
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in await sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"]
    )


async def test_redrive_allow_policy_blocks_sources(sqs) -> None:
    await sqs.create_queue(
        QueueName="dlq",
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )
    arn = "arn:aws:sqs:us-east-1:123456789012:dlq"
    with pytest.raises(ServiceError):
        await sqs.create_queue(
            QueueName="src",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
            },
        )


async def test_every_sqs_operation_is_emulated(eng: Engine) -> None:
    sqs = eng.client("sqs")
    service = eng.service("sqs")
    missing = [op for op in sqs.operation_names if not hasattr(service, op)]
    assert missing == []


async def test_topology_shows_queues_and_dead_letter_edges(eng: Engine) -> None:
    sqs = eng.client("sqs")
    await sqs.create_queue(QueueName="dlq")
    arn = "arn:aws:sqs:us-east-1:123456789012:dlq"
    await sqs.create_queue(
        QueueName="src",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
        },
    )
    topology = eng.topology()
    assert {n.name for n in topology.nodes} == {"dlq", "src"}
    assert [(e.kind, e.target) for e in topology.edges] == [("dead-letter", arn)]
