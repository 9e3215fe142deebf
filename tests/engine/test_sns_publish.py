"""SNS Publish and PublishBatch: checks, envelopes, raw delivery, filters, FIFO, outbox, trace."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Engine, ServiceError, VirtualClock


async def _topic(eng: Engine, name: str = "orders", **attributes: str) -> str:
    return (await eng.client("sns").create_topic(Name=name, Attributes=attributes))["TopicArn"]


async def _queue(eng: Engine, name: str = "q") -> tuple[str, str]:
    sqs = eng.client("sqs")
    attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    return url, arn


async def _received(eng: Engine, url: str) -> list[dict[str, Any]]:
    result = await eng.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
    )
    return result.get("Messages", [])


async def _subscribed_queue(eng: Engine, topic: str, name: str = "q", **attributes: str) -> str:
    url, arn = await _queue(eng, name)
    await eng.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes
    )
    return url


async def test_sqs_receives_the_json_envelope(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic)
    result = await eng.client("sns").publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={"n": {"DataType": "Number", "StringValue": "1.5"}},
    )
    (message,) = await _received(eng, url)
    body = json.loads(message["Body"])
    assert list(body) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert (body["MessageId"], body["Message"], body["Subject"]) == (
        result["MessageId"],
        "hello",
        "greeting",
    )
    assert body["Timestamp"] == "2026-01-01T00:00:00.000Z"
    assert body["MessageAttributes"] == {"n": {"Type": "Number", "Value": "1.5"}}
    assert message["Body"].startswith('{\n  "Type" : "Notification",\n')


async def test_envelope_shows_binary_attributes_in_base64(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic)
    await eng.client("sns").publish(
        TopicArn=topic,
        Message="x",
        MessageAttributes={"b": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"}},
    )
    (message,) = await _received(eng, url)
    assert json.loads(message["Body"])["MessageAttributes"] == {
        "b": {"Type": "Binary", "Value": "AgME"}
    }


async def test_raw_delivery_sends_message_and_attributes(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic, RawMessageDelivery="true")
    await eng.client("sns").publish(
        TopicArn=topic,
        Message="raw body",
        MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}},
    )
    (message,) = await _received(eng, url)
    assert message["Body"] == "raw body"
    assert message["MessageAttributes"] == {"a": {"DataType": "String", "StringValue": "v"}}


async def test_message_structure_json_picks_the_protocol_message(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic, RawMessageDelivery="true")
    await eng.client("sns").publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "d", "sqs": "for sqs"}),
    )
    (message,) = await _received(eng, url)
    assert message["Body"] == "for sqs"


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("not json", "Invalid parameter: Message Structure - JSON message body failed to parse"),
        (
            '{"sqs": "x"}',
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ),
    ],
)
async def test_message_structure_errors(eng: Engine, message: str, error: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn=await _topic(eng), MessageStructure="json", Message=message
        )
    assert caught.value.message == error


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x", "Subject": ""}, "Invalid parameter: Subject"),
        ({"Message": "x" * 262_145}, "Invalid parameter: Message too long"),
    ],
)
async def test_publish_message_checks(eng: Engine, kwargs: dict, error: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(TopicArn=await _topic(eng), **kwargs)
    assert (caught.value.code, caught.value.message) == ("InvalidParameter", error)


@pytest.mark.parametrize(
    ("attribute", "error"),
    [
        (
            {"DataType": "Integer", "StringValue": "1"},
            "The message attribute 'a' has an invalid message attribute type, the set of supported type "
            "prefixes is Binary, Number, and String.",
        ),
        (
            {"DataType": "String", "BinaryValue": b"1"},
            "The message attribute 'a' with type 'String' must use field 'String'.",
        ),
        (
            {"DataType": "String", "StringValue": ""},
            "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'.",
        ),
        (
            {"DataType": "Number", "StringValue": "abc"},
            "Could not cast message attribute 'a' value to number.",
        ),
    ],
)
async def test_message_attribute_checks(eng: Engine, attribute: dict, error: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn=await _topic(eng), Message="x", MessageAttributes={"a": attribute}
        )
    assert (caught.value.code, caught.value.message) == ("ParameterValueInvalid", error)


async def test_attribute_names_are_checked(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn=await _topic(eng),
            Message="x",
            MessageAttributes={"a^b": {"DataType": "String", "StringValue": "v"}},
        )
    assert caught.value.message.startswith("Invalid non-alphanumeric character '#x5E'")


async def test_publish_to_missing_topic_is_not_found(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn="arn:aws:sns:us-east-1:123456789012:nope", Message="x"
        )
    assert caught.value.code == "NotFound"


async def test_publish_to_topic_in_another_region_is_invalid(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn="arn:aws:sns:eu-west-1:123456789012:orders", Message="x"
        )
    assert caught.value.message == "Invalid parameter: TopicArn"


async def test_message_body_filter_scope(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(
        eng,
        topic,
        RawMessageDelivery="true",
        FilterPolicyScope="MessageBody",
        FilterPolicy=json.dumps({"order": {"total": [{"numeric": [">", 100]}]}}),
    )
    sns = eng.client("sns")
    await sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 50}}))
    await sns.publish(TopicArn=topic, Message=json.dumps({"order": {"total": 150}}))
    (message,) = await _received(eng, url)
    assert json.loads(message["Body"]) == {"order": {"total": 150}}


async def test_publish_batch_reports_each_entry(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic, RawMessageDelivery="true")
    result = await eng.client("sns").publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}],
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["1", "2"]
    assert result["Failed"] == []
    assert sorted(m["Body"] for m in await _received(eng, url)) == ["a", "b"]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([{"Id": str(n), "Message": "m"} for n in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "1", "Message": "m"}, {"Id": "1", "Message": "n"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "message.id", "Message": "m"}], "InvalidBatchEntryId"),
        (
            [{"Id": "1", "Message": "m" * 200_000}, {"Id": "2", "Message": "m" * 70_000}],
            "BatchRequestTooLong",
        ),
    ],
)
async def test_publish_batch_request_errors(eng: Engine, entries: list, code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish_batch(
            TopicArn=await _topic(eng), PublishBatchRequestEntries=entries
        )
    assert caught.value.code == code


async def test_fifo_topic_requires_group_id(eng: Engine) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(TopicArn=topic, Message="x")
    assert (
        caught.value.message
        == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )


async def test_fifo_topic_requires_dedup_id_without_content_dedup(eng: Engine) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true")
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(TopicArn=topic, Message="x", MessageGroupId="g")
    assert caught.value.message == (
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )


async def test_standard_topic_rejects_dedup_id(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(
            TopicArn=await _topic(eng), Message="x", MessageDeduplicationId="d"
        )
    assert caught.value.message.startswith("Invalid parameter: MessageDeduplicationId Reason:")


async def test_fifo_topic_delivers_in_order_with_group_to_fifo_queue(eng: Engine) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    url = await _subscribed_queue(eng, topic, "q.fifo", RawMessageDelivery="true")
    sns = eng.client("sns")
    sequence = [
        (await sns.publish(TopicArn=topic, Message=f"m{n}", MessageGroupId="g"))["SequenceNumber"]
        for n in range(3)
    ]
    assert sequence == sorted(sequence)
    messages = await _received(eng, url)
    assert [m["Body"] for m in messages] == ["m0", "m1", "m2"]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"


async def test_fifo_duplicate_within_five_minutes_is_dropped(
    eng: Engine, clock: VirtualClock
) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true")
    url = await _subscribed_queue(eng, topic, "q.fifo", RawMessageDelivery="true")
    sns = eng.client("sns")
    first = await sns.publish(
        TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d"
    )
    again = await sns.publish(
        TopicArn=topic, Message="b", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert again["MessageId"] == first["MessageId"]
    assert [m["Body"] for m in await _received(eng, url)] == ["a"]


async def test_fifo_dedup_id_is_reusable_after_five_minutes(
    eng: Engine, clock: VirtualClock
) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true")
    sns = eng.client("sns")
    first = await sns.publish(
        TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d"
    )
    await clock.advance(301)
    later = await sns.publish(
        TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert later["MessageId"] != first["MessageId"]


async def test_fifo_envelope_has_sequence_number_and_no_signature(eng: Engine) -> None:
    topic = await _topic(eng, "orders.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    url = await _subscribed_queue(eng, topic, "q.fifo")
    result = await eng.client("sns").publish(TopicArn=topic, Message="x", MessageGroupId="g")
    body = json.loads((await _received(eng, url))[0]["Body"])
    assert body["SequenceNumber"] == result["SequenceNumber"]
    assert "Signature" not in body


async def test_sms_publish_lands_in_outbox(eng: Engine) -> None:
    await eng.client("sns").publish(PhoneNumber="+15555550100", Message="code 1234")
    (sms,) = eng.service("sns").outbox
    assert (sms.protocol, sms.endpoint, sms.message) == ("sms", "+15555550100", "code 1234")


async def test_invalid_phone_number_is_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").publish(PhoneNumber="+1a234", Message="x")
    assert (
        caught.value.message
        == "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to"
    )


async def test_confirmed_email_receives_the_message(eng: Engine) -> None:
    sns = eng.client("sns")
    topic = await _topic(eng)
    await sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ana@example.com")
    service = eng.service("sns")
    token = service.outbox[0].message.rsplit("Token=", 1)[1]
    await sns.confirm_subscription(TopicArn=topic, Token=token)
    await sns.publish(TopicArn=topic, Message="news", Subject="Weekly")
    mail = service.outbox[-1]
    assert (mail.protocol, mail.subject, mail.message) == ("email", "Weekly", "news")


async def test_lambda_subscriber_gets_the_sns_event(eng: Engine, clock: VirtualClock) -> None:
    events: list[dict] = []
    function = eng.register_function("on-order", lambda event, context: events.append(event))
    topic = await _topic(eng)
    await eng.client("sns").subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)
    await eng.client("sns").publish(TopicArn=topic, Message="hi")
    await clock.advance(1)
    (record,) = events[0]["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["Message"] == "hi"
    assert record["Sns"]["Subject"] is None


async def test_trace_follows_the_message_into_sqs(eng: Engine) -> None:
    recorder = eng.trace.record()
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic, FilterPolicy=json.dumps({"k": ["yes"]}))
    await _subscribed_queue(eng, topic, "other", FilterPolicy=json.dumps({"k": ["no"]}))
    result = await eng.client("sns").publish(
        TopicArn=topic,
        Message="x",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "yes"}},
    )
    journey = recorder.journey(result["MessageId"])
    kinds = [(e.service, e.kind) for e in journey]
    assert ("sns", "published") in kinds
    assert ("sns", "matched") in kinds and ("sns", "filtered-out") in kinds
    assert ("sns", "delivered") in kinds and ("sqs", "sent") in kinds
    assert len({e.trace_id for e in journey}) == 1
    assert await _received(eng, url)


async def test_topology_counts_delivered_and_filtered(eng: Engine) -> None:
    topic = await _topic(eng)
    await _subscribed_queue(eng, topic, FilterPolicy=json.dumps({"k": ["yes"]}))
    sns = eng.client("sns")
    for value in ("yes", "no", "no"):
        await sns.publish(
            TopicArn=topic,
            Message="x",
            MessageAttributes={"k": {"DataType": "String", "StringValue": value}},
        )
    (edge,) = [e for e in eng.topology().edges if e.kind == "subscription"]
    assert (edge.counters["delivered"], edge.counters["filtered"]) == (1, 2)


async def test_topic_is_a_fabric_target(eng: Engine) -> None:
    from engine.service import Envelope

    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic, RawMessageDelivery="true")
    message_id = await eng.fabric.deliver(topic, Envelope({"detail": 1}, trace_id="Root=1-0-abc"))
    assert message_id
    assert json.loads((await _received(eng, url))[0]["Body"]) == {"detail": 1}


async def test_firehose_subscriber_receives_the_envelope(eng: Engine) -> None:
    firehose = eng.client("firehose")
    await eng.client("s3").create_bucket(Bucket="archive")
    stream = (
        await firehose.create_delivery_stream(
            DeliveryStreamName="archive",
            ExtendedS3DestinationConfiguration={
                "BucketARN": "arn:aws:s3:::archive",
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            },
        )
    )["DeliveryStreamARN"]
    recorder = eng.trace.record()
    topic = await _topic(eng)
    await eng.client("sns").subscribe(
        TopicArn=topic,
        Protocol="firehose",
        Endpoint=stream,
        Attributes={"SubscriptionRoleArn": "arn:aws:iam::123456789012:role/sns"},
    )
    result = await eng.client("sns").publish(TopicArn=topic, Message="to the archive")
    kinds = [(e.service, e.kind) for e in recorder.journey(result["MessageId"])]
    assert ("sns", "delivered") in kinds and ("firehose", "put") in kinds


async def test_standard_topic_passes_group_id_to_standard_queue(eng: Engine) -> None:
    topic = await _topic(eng)
    url = await _subscribed_queue(eng, topic)
    await eng.client("sns").publish(TopicArn=topic, Message="x", MessageGroupId="my-group")
    (message,) = await _received(eng, url)
    assert message["Attributes"]["MessageGroupId"] == "my-group"
