"""SNS topics: creation rules, attributes with AWS's defaults, listing, tags, permissions."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError

DEFAULT_KEYS = {
    "DisplayName",
    "EffectiveDeliveryPolicy",
    "Owner",
    "Policy",
    "SubscriptionsConfirmed",
    "SubscriptionsDeleted",
    "SubscriptionsPending",
    "TopicArn",
}


async def test_create_topic_returns_arn_in_lab_account(eng: Engine) -> None:
    result = await eng.client("sns").create_topic(Name="orders")
    assert result["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:orders"


async def test_create_topic_is_idempotent(eng: Engine) -> None:
    sns = eng.client("sns")
    first = await sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})
    again = await sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})
    assert first["TopicArn"] == again["TopicArn"]
    assert len((await sns.list_topics())["Topics"]) == 1


async def test_create_existing_topic_with_other_attributes_fails(eng: Engine) -> None:
    sns = eng.client("sns")
    await sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"})
    with pytest.raises(ServiceError) as caught:
        await sns.create_topic(Name="orders", Attributes={"DisplayName": "Other"})
    assert caught.value.message == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("", {}),
        ("a" * 257, {}),
        ("bad name", {}),
        ("orders.fifo", {}),
        ("orders", {"FifoTopic": "true"}),
    ],
)
async def test_topic_name_rules(eng: Engine, name: str, attributes: dict) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").create_topic(Name=name, Attributes=attributes)
    assert (caught.value.code, caught.value.message) == (
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    )


async def test_standard_topic_attributes_have_aws_defaults(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    attributes = (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]
    assert set(attributes) == DEFAULT_KEYS
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])["http"]
    assert effective["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert effective["defaultRequestPolicy"] == {"headerContentType": "text/plain; charset=UTF-8"}
    policy = json.loads(attributes["Policy"])
    assert policy["Statement"][0]["Resource"] == arn


async def test_fifo_topic_shows_fifo_attributes(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"}))["TopicArn"]
    attributes = (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]
    assert attributes["FifoTopic"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"


async def test_fifo_topic_cannot_be_changed_after_creation(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.set_topic_attributes(
            TopicArn=arn, AttributeName="FifoTopic", AttributeValue="false"
        )
    assert caught.value.message == "Invalid parameter: AttributeName"


async def test_delivery_policy_merges_into_effective_policy(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    policy = {
        "http": {
            "defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1}
        }
    }
    await sns.set_topic_attributes(
        TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
    )
    attributes = (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]
    retry = json.loads(attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]
    assert retry == {
        "minDelayTarget": 5,
        "maxDelayTarget": 6,
        "numRetries": 1,
        "numMaxDelayRetries": 0,
        "numNoDelayRetries": 0,
        "numMinDelayRetries": 0,
        "backoffFunction": "linear",
    }


async def test_unknown_topic_is_not_found(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").get_topic_attributes(
            TopicArn="arn:aws:sns:us-east-1:123456789012:missing"
        )
    assert (caught.value.code, caught.value.status_code) == ("NotFound", 404)
    assert caught.value.message == "Topic does not exist"


async def test_malformed_topic_arn_is_invalid(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").get_topic_attributes(TopicArn="orders")
    assert caught.value.message == (
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    )


async def test_delete_topic_is_idempotent_and_removes_subscriptions(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    await sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")
    await sns.delete_topic(TopicArn=arn)
    await sns.delete_topic(TopicArn=arn)
    assert (await sns.list_subscriptions())["Subscriptions"] == []


async def test_list_topics_pages_by_100(eng: Engine) -> None:
    sns = eng.client("sns")
    for number in range(150):
        await sns.create_topic(Name=f"t{number}")
    first = await sns.list_topics()
    second = await sns.list_topics(NextToken=first["NextToken"])
    assert (len(first["Topics"]), len(second["Topics"])) == (100, 50)
    assert "NextToken" not in second


async def test_tags_are_added_replaced_and_removed(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders", Tags=[{"Key": "k1", "Value": "v1"}]))["TopicArn"]
    await sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    await sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2b"}])
    await sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    assert (await sns.list_tags_for_resource(ResourceArn=arn))["Tags"] == [
        {"Key": "k2", "Value": "v2b"}
    ]


async def test_duplicate_tag_keys_are_rejected(eng: Engine) -> None:
    sns = eng.client("sns")
    with pytest.raises(ServiceError) as caught:
        await sns.create_topic(
            Name="orders", Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
        )
    assert caught.value.message == "Invalid parameter: Duplicated keys are not allowed."
    assert (await sns.list_topics())["Topics"] == []


async def test_add_permission_adds_a_statement_once(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    await sns.add_permission(
        TopicArn=arn, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    with pytest.raises(ServiceError) as caught:
        await sns.add_permission(
            TopicArn=arn, Label="share", AWSAccountId=["111122223333"], ActionName=["Publish"]
        )
    assert caught.value.message == "Invalid parameter: Statement already exists"
    await sns.remove_permission(TopicArn=arn, Label="share")
    policy = json.loads((await sns.get_topic_attributes(TopicArn=arn))["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]


async def test_data_protection_policy_round_trips(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (await sns.create_topic(Name="orders"))["TopicArn"]
    text = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    await sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=text)
    assert (await sns.get_data_protection_policy(ResourceArn=arn))["DataProtectionPolicy"] == text
