"""SNS subscriptions: protocols, endpoints, attributes, idempotency and the HTTP/email handshake."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock


async def _topic(eng: Engine, name: str = "orders") -> str:
    return (await eng.client("sns").create_topic(Name=name))["TopicArn"]


async def _queue_arn(eng: Engine, name: str = "q") -> str:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


async def test_sqs_subscription_has_aws_attributes(eng: Engine) -> None:
    sns = eng.client("sns")
    topic, queue = await _topic(eng), await _queue_arn(eng)
    arn = (await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue))["SubscriptionArn"]
    attributes = (await sns.get_subscription_attributes(SubscriptionArn=arn))["Attributes"]
    assert attributes == {
        "ConfirmationWasAuthenticated": "true",
        "Endpoint": queue,
        "Owner": "123456789012",
        "PendingConfirmation": "false",
        "Protocol": "sqs",
        "RawMessageDelivery": "false",
        "SubscriptionArn": arn,
        "SubscriptionPrincipal": "arn:aws:iam::123456789012:user/pipework",
        "TopicArn": topic,
    }


async def test_unknown_protocol_is_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").subscribe(
            TopicArn=await _topic(eng), Protocol="test-protocol", Endpoint="x"
        )
    assert caught.value.message == (
        "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol"
    )


async def test_sqs_endpoint_must_be_an_arn(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").subscribe(
            TopicArn=await _topic(eng),
            Protocol="sqs",
            Endpoint="https://sqs.us-east-1.amazonaws.com/1/q",
        )
    assert caught.value.message == "Invalid parameter: SQS endpoint ARN"


async def test_subscribe_attribute_errors_name_the_attributes(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").subscribe(
            TopicArn=await _topic(eng),
            Protocol="sqs",
            Endpoint=await _queue_arn(eng),
            Attributes={"RawMessageDelivery": "wrongvalue"},
        )
    assert caught.value.message == (
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. "
        "Must be true or false."
    )
    assert (await eng.client("sns").list_subscriptions())["Subscriptions"] == []


async def test_set_subscription_attributes_rejects_unknown_names(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (
        await sns.subscribe(
            TopicArn=await _topic(eng), Protocol="sqs", Endpoint=await _queue_arn(eng)
        )
    )["SubscriptionArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="Fake", AttributeValue="1"
        )
    assert caught.value.message == "Invalid parameter: AttributeName"


async def test_redrive_policy_needs_an_sqs_arn(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (
        await sns.subscribe(
            TopicArn=await _topic(eng), Protocol="sqs", Endpoint=await _queue_arn(eng)
        )
    )["SubscriptionArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.set_subscription_attributes(
            SubscriptionArn=arn,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": "not-an-arn"}),
        )
    assert (
        caught.value.message
        == "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"
    )


async def test_redrive_policy_parse_error_uses_aws_wording(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (
        await sns.subscribe(
            TopicArn=await _topic(eng), Protocol="sqs", Endpoint=await _queue_arn(eng)
        )
    )["SubscriptionArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue="{invalid"
        )
    assert caught.value.message.split("\n")[0] == (
        "Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' (code 105)): "
        "was expecting double-quote to start field name"
    )


async def test_subscribe_twice_returns_the_same_subscription(eng: Engine) -> None:
    sns = eng.client("sns")
    topic, queue = await _topic(eng), await _queue_arn(eng)
    first = await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    second = await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    assert first["SubscriptionArn"] == second["SubscriptionArn"]


async def test_subscribe_again_with_other_attributes_fails(eng: Engine) -> None:
    sns = eng.client("sns")
    topic, queue = await _topic(eng), await _queue_arn(eng)
    await sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
    )
    with pytest.raises(ServiceError) as caught:
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue,
            Attributes={"RawMessageDelivery": "false"},
        )
    assert caught.value.message == (
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    )


async def test_fifo_queue_cannot_subscribe_to_standard_topic(eng: Engine) -> None:
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"}))["QueueUrl"]
    queue = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").subscribe(
            TopicArn=await _topic(eng), Protocol="sqs", Endpoint=queue
        )
    assert caught.value.message == (
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
        "subscribed to standard SNS topics"
    )


@pytest.mark.parametrize("number", ["invalid-number", "+15--551234567", "/+15551234567"])
async def test_bad_sms_endpoints_are_rejected(eng: Engine, number: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").subscribe(
            TopicArn=await _topic(eng), Protocol="sms", Endpoint=number
        )
    assert caught.value.message == f"Invalid SMS endpoint: {number}"


async def test_http_subscription_waits_for_confirmation(eng: Engine, clock: VirtualClock) -> None:
    sns = eng.service("sns")
    sns.http_sink.register("http://hooks.lab/sns")
    topic = await _topic(eng)
    result = await eng.client("sns").subscribe(
        TopicArn=topic, Protocol="http", Endpoint="http://hooks.lab/sns"
    )
    await clock.settle()
    assert result["SubscriptionArn"] == "pending confirmation"
    (request,) = sns.http_sink.received("http://hooks.lab/sns")
    body = json.loads(request.body)
    assert body["Type"] == "SubscriptionConfirmation"
    assert request.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert body["SubscribeURL"].endswith(f"&Token={body['Token']}")


async def test_confirm_subscription_with_token_activates_it(
    eng: Engine, clock: VirtualClock
) -> None:
    sns = eng.service("sns")
    sns.http_sink.register("http://hooks.lab/sns")
    topic = await _topic(eng)
    await eng.client("sns").subscribe(
        TopicArn=topic, Protocol="http", Endpoint="http://hooks.lab/sns"
    )
    await clock.settle()
    token = json.loads(sns.http_sink.received("http://hooks.lab/sns")[0].body)["Token"]
    arn = (await eng.client("sns").confirm_subscription(TopicArn=topic, Token=token))[
        "SubscriptionArn"
    ]
    attributes = (await eng.client("sns").get_subscription_attributes(SubscriptionArn=arn))[
        "Attributes"
    ]
    assert attributes["PendingConfirmation"] == "false"
    assert attributes["ConfirmationWasAuthenticated"] == "false"


async def test_confirm_subscription_with_unknown_token_fails(eng: Engine) -> None:
    topic = await _topic(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").confirm_subscription(TopicArn=topic, Token="abc123")
    assert caught.value.message == "Invalid parameter: Token"


async def test_auto_confirming_lab_endpoint_confirms_itself(
    eng: Engine, clock: VirtualClock
) -> None:
    sns = eng.service("sns")
    sns.http_sink.register("http://hooks.lab/sns", auto_confirm=True)
    topic = await _topic(eng)
    await eng.client("sns").subscribe(
        TopicArn=topic, Protocol="http", Endpoint="http://hooks.lab/sns"
    )
    await clock.settle()
    listed = (await eng.client("sns").list_subscriptions_by_topic(TopicArn=topic))["Subscriptions"]
    assert listed[0]["SubscriptionArn"].startswith(topic)


async def test_email_subscription_sends_confirmation_to_outbox(eng: Engine) -> None:
    topic = await _topic(eng)
    await eng.client("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="ana@example.com")
    (mail,) = eng.service("sns").outbox
    assert mail.endpoint == "ana@example.com"
    assert "Action=ConfirmSubscription" in mail.message
    listed = (await eng.client("sns").list_subscriptions())["Subscriptions"]
    assert listed[0]["SubscriptionArn"] == "PendingConfirmation"


async def test_unsubscribe_is_idempotent(eng: Engine) -> None:
    sns = eng.client("sns")
    topic = await _topic(eng)
    arn = (await sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100"))[
        "SubscriptionArn"
    ]
    await sns.unsubscribe(SubscriptionArn=arn)
    await sns.unsubscribe(SubscriptionArn=arn)
    attributes = (await sns.get_topic_attributes(TopicArn=topic))["Attributes"]
    assert attributes["SubscriptionsDeleted"] == "1"


async def test_unsubscribe_rejects_malformed_arn(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").unsubscribe(SubscriptionArn="arn:aws:sns:us-east-1:123456789012")
    assert caught.value.message == (
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5"
    )


async def test_get_attributes_of_missing_subscription_is_not_found(eng: Engine) -> None:
    topic = await _topic(eng)
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").get_subscription_attributes(SubscriptionArn=f"{topic}:0000")
    assert (caught.value.code, caught.value.message) == ("NotFound", "Subscription does not exist")


async def test_list_subscriptions_by_topic_pages_by_100(eng: Engine) -> None:
    sns = eng.client("sns")
    topic = await _topic(eng)
    for number in range(101):
        await sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=f"+1555555{number:04d}")
    first = await sns.list_subscriptions_by_topic(TopicArn=topic)
    second = await sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert (len(first["Subscriptions"]), len(second["Subscriptions"])) == (100, 1)


async def test_filter_policy_scope_alone_is_checked(eng: Engine) -> None:
    sns = eng.client("sns")
    arn = (
        await sns.subscribe(
            TopicArn=await _topic(eng), Protocol="sqs", Endpoint=await _queue_arn(eng)
        )
    )["SubscriptionArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.set_subscription_attributes(
            SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="RandomValue"
        )
    assert caught.value.message == (
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. "
        "Please use either MessageBody or MessageAttributes"
    )


async def test_unsubscribe_with_a_topic_arn_names_the_subscription_id(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").unsubscribe(SubscriptionArn=await _topic(eng))
    assert caught.value.message == "Invalid parameter: SubscriptionId"
