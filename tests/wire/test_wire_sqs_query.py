"""SQS's legacy query protocol: form-encoded actions in, XML in SQS's namespace out."""

from __future__ import annotations

import base64
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from engine.http import HttpRequest
from engine.wire import WireEndpoint
from engine.wire.sqs_query import sqs_query_model

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIAQUERY/20260101/eu-west-1/sqs/aws4_request, "
    "SignedHeaders=host, Signature=lab"
)
FORM = {"content-type": "application/x-www-form-urlencoded", "authorization": AUTH}


@pytest.fixture
async def endpoint(eng) -> WireEndpoint:
    """The endpoint on the virtual-clock engine, with one queue."""
    await eng.client("sqs").create_queue(QueueName="legacy")
    return WireEndpoint(eng)


async def _post(
    endpoint: WireEndpoint, form: dict[str, str], path: str = "/"
) -> tuple[int, ElementTree.Element]:
    body = urlencode(form).encode()
    request = HttpRequest("POST", path, [], {"host": "localhost:4566", **FORM}, body)
    response = await endpoint.handle(request)
    assert response.headers["content-type"] == "text/xml"
    return response.status, ElementTree.fromstring(response.body)


async def _url(eng) -> str:
    return (await eng.client("sqs").get_queue_url(QueueName="legacy"))["QueueUrl"]


async def test_send_message_with_attributes(eng, endpoint) -> None:
    url = await _url(eng)
    status, root = await _post(
        endpoint,
        {
            "Action": "SendMessage",
            "Version": "2012-11-05",
            "QueueUrl": url,
            "MessageBody": "hello",
            "DelaySeconds": "0",
            "MessageAttribute.1.Name": "kind",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "order",
            "MessageAttribute.2.Name": "raw",
            "MessageAttribute.2.Value.DataType": "Binary",
            "MessageAttribute.2.Value.BinaryValue": base64.b64encode(b"\x01\x02").decode(),
        },
    )
    assert status == 200
    assert root.tag == f"{{{NS['q']}}}SendMessageResponse"
    result = root.find("q:SendMessageResult", NS)
    assert (
        result.findtext("q:MD5OfMessageBody", namespaces=NS) == "5d41402abc4b2a76b9719d911017c592"
    )
    assert result.findtext("q:MessageId", namespaces=NS)
    assert root.findtext("q:ResponseMetadata/q:RequestId", namespaces=NS)
    received = await eng.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])
    attributes = received["Messages"][0]["MessageAttributes"]
    assert attributes["kind"] == {"DataType": "String", "StringValue": "order"}
    assert attributes["raw"]["BinaryValue"] == b"\x01\x02"


async def test_receive_message_answers_flattened_xml(eng, endpoint) -> None:
    url = await _url(eng)
    await eng.client("sqs").send_message(
        QueueUrl=url,
        MessageBody="hi",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}},
    )
    _, root = await _post(
        endpoint,
        {
            "Action": "ReceiveMessage",
            "QueueUrl": url,
            "AttributeName.1": "All",
            "MessageAttributeName.1": "All",
            "MaxNumberOfMessages": "5",
        },
    )
    message = root.find("q:ReceiveMessageResult/q:Message", NS)
    assert message.findtext("q:Body", namespaces=NS) == "hi"
    names = [a.findtext("q:Name", namespaces=NS) for a in message.findall("q:Attribute", NS)]
    assert "SentTimestamp" in names
    attribute = message.find("q:MessageAttribute", NS)
    assert attribute.findtext("q:Name", namespaces=NS) == "kind"
    assert attribute.findtext("q:Value/q:StringValue", namespaces=NS) == "x"


async def test_batch_entries_are_read_by_index(eng, endpoint) -> None:
    url = await _url(eng)
    _, root = await _post(
        endpoint,
        {
            "Action": "SendMessageBatch",
            "QueueUrl": url,
            "SendMessageBatchRequestEntry.1.Id": "a",
            "SendMessageBatchRequestEntry.1.MessageBody": "one",
            "SendMessageBatchRequestEntry.2.Id": "b",
            "SendMessageBatchRequestEntry.2.MessageBody": "two",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Name": "n",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType": "Number",
            "SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue": "7",
        },
    )
    entries = root.findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry", NS)
    assert [e.findtext("q:Id", namespaces=NS) for e in entries] == ["a", "b"]
    received = await eng.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    assert sorted(m["Body"] for m in received["Messages"]) == ["one", "two"]


async def test_create_queue_with_attributes_and_tags(eng, endpoint) -> None:
    _, root = await _post(
        endpoint,
        {
            "Action": "CreateQueue",
            "QueueName": "made.fifo",
            "Attribute.1.Name": "FifoQueue",
            "Attribute.1.Value": "true",
            "Attribute.2.Name": "VisibilityTimeout",
            "Attribute.2.Value": "45",
            "Tag.1.Key": "team",
            "Tag.1.Value": "orders",
        },
    )
    url = root.findtext("q:CreateQueueResult/q:QueueUrl", namespaces=NS)
    _, root = await _post(
        endpoint, {"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "All"}
    )
    attributes = {
        a.findtext("q:Name", namespaces=NS): a.findtext("q:Value", namespaces=NS)
        for a in root.findall("q:GetQueueAttributesResult/q:Attribute", NS)
    }
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["FifoQueue"] == "true"
    _, root = await _post(endpoint, {"Action": "ListQueueTags", "QueueUrl": url})
    tag = root.find("q:ListQueueTagsResult/q:Tag", NS)
    assert (tag.findtext("q:Key", namespaces=NS), tag.findtext("q:Value", namespaces=NS)) == (
        "team",
        "orders",
    )


async def test_queue_url_taken_from_the_path(eng, endpoint) -> None:
    status, root = await _post(
        endpoint, {"Action": "SendMessage", "MessageBody": "by path"}, path="/123456789012/legacy"
    )
    assert status == 200
    received = await eng.client("sqs").receive_message(QueueUrl=await _url(eng))
    assert received["Messages"][0]["Body"] == "by path"


async def test_list_queues_answers_flattened_urls(eng, endpoint) -> None:
    _, root = await _post(endpoint, {"Action": "ListQueues"})
    urls = [e.text for e in root.findall("q:ListQueuesResult/q:QueueUrl", NS)]
    assert urls == [await _url(eng)]


async def test_errors_use_the_query_codes(endpoint) -> None:
    status, root = await _post(endpoint, {"Action": "GetQueueUrl", "QueueName": "missing"})
    assert status == 400
    assert root.tag == f"{{{NS['q']}}}ErrorResponse"
    assert (
        root.findtext("q:Error/q:Code", namespaces=NS) == "AWS.SimpleQueueService.NonExistentQueue"
    )
    assert root.findtext("q:Error/q:Type", namespaces=NS) == "Sender"
    status, root = await _post(endpoint, {"Action": "Frobnicate"})
    assert root.findtext("q:Error/q:Code", namespaces=NS) == "InvalidAction"


async def test_rejected_batch_changes_nothing(eng, endpoint) -> None:
    url = await _url(eng)
    status, root = await _post(
        endpoint,
        {
            "Action": "SendMessageBatch",
            "QueueUrl": url,
            "SendMessageBatchRequestEntry.1.Id": "same",
            "SendMessageBatchRequestEntry.1.MessageBody": "one",
            "SendMessageBatchRequestEntry.2.Id": "same",
            "SendMessageBatchRequestEntry.2.MessageBody": "two",
        },
    )
    assert status == 400
    assert (
        root.findtext("q:Error/q:Code", namespaces=NS)
        == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    )
    assert "Messages" not in await eng.client("sqs").receive_message(QueueUrl=url)


async def test_trace_shows_the_query_callers_key_and_region(eng, endpoint) -> None:
    with eng.trace.subscribe() as events:
        await _post(endpoint, {"Action": "ListQueues"})
        requests = [e for e in events.drain() if e.kind == "request"]
    assert (requests[0].detail["access_key"], requests[0].detail["region"]) == (
        "AKIAQUERY",
        "eu-west-1",
    )


async def test_missing_parameter_is_named(endpoint) -> None:
    status, root = await _post(endpoint, {"Action": "SendMessage", "MessageBody": "no queue"})
    assert status == 400
    assert root.findtext("q:Error/q:Code", namespaces=NS) == "MissingParameter"
    assert (
        root.findtext("q:Error/q:Message", namespaces=NS)
        == "The request must contain the parameter QueueUrl."
    )


async def test_every_sqs_operation_answers_in_the_query_form(eng) -> None:
    endpoint = WireEndpoint(eng)
    base = "https://sqs.us-east-1.amazonaws.com/123456789012"
    source, dlq = f"{base}/work", f"{base}/work-dlq"
    dlq_arn = "arn:aws:sqs:us-east-1:123456789012:work-dlq"
    answered: dict[str, int] = {}

    async def call(action: str, **fields: str) -> ElementTree.Element:
        status, root = await _post(endpoint, {"Action": action, **fields})
        answered[action] = status
        return root

    def handles(root: ElementTree.Element) -> list[str]:
        return [e.text or "" for e in root.iter(f"{{{NS['q']}}}ReceiptHandle")]

    await call("CreateQueue", QueueName="work-dlq")
    await call("CreateQueue", QueueName="work")
    redrive = f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}'
    await call(
        "SetQueueAttributes",
        QueueUrl=source,
        **{"Attribute.1.Name": "RedrivePolicy", "Attribute.1.Value": redrive},
    )
    await call("GetQueueAttributes", QueueUrl=source, **{"AttributeName.1": "All"})
    await call("GetQueueUrl", QueueName="work")
    await call("ListQueues", QueueNamePrefix="work")
    await call("ListDeadLetterSourceQueues", QueueUrl=dlq)
    await call(
        "AddPermission",
        QueueUrl=source,
        Label="share",
        **{"AWSAccountId.1": "111122223333", "ActionName.1": "SendMessage"},
    )
    await call("RemovePermission", QueueUrl=source, Label="share")
    await call("TagQueue", QueueUrl=source, **{"Tag.1.Key": "team", "Tag.1.Value": "ops"})
    await call("ListQueueTags", QueueUrl=source)
    await call("UntagQueue", QueueUrl=source, **{"TagKey.1": "team"})
    await call("SendMessage", QueueUrl=dlq, MessageBody="stuck")
    await call(
        "SendMessageBatch",
        QueueUrl=source,
        **{
            "SendMessageBatchRequestEntry.1.Id": "a",
            "SendMessageBatchRequestEntry.1.MessageBody": "one",
            "SendMessageBatchRequestEntry.2.Id": "b",
            "SendMessageBatchRequestEntry.2.MessageBody": "two",
        },
    )
    received = handles(await call("ReceiveMessage", QueueUrl=source, MaxNumberOfMessages="2"))
    await call(
        "ChangeMessageVisibility", QueueUrl=source, ReceiptHandle=received[0], VisibilityTimeout="5"
    )
    await call(
        "ChangeMessageVisibilityBatch",
        QueueUrl=source,
        **{
            "ChangeMessageVisibilityBatchRequestEntry.1.Id": "a",
            "ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle": received[1],
            "ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout": "5",
        },
    )
    await call("DeleteMessage", QueueUrl=source, ReceiptHandle=received[0])
    await call(
        "DeleteMessageBatch",
        QueueUrl=source,
        **{
            "DeleteMessageBatchRequestEntry.1.Id": "b",
            "DeleteMessageBatchRequestEntry.1.ReceiptHandle": received[1],
        },
    )
    started = await call("StartMessageMoveTask", SourceArn=dlq_arn)
    task = started.findtext("q:StartMessageMoveTaskResult/q:TaskHandle", namespaces=NS)
    await call("ListMessageMoveTasks", SourceArn=dlq_arn)
    await call("CancelMessageMoveTask", TaskHandle=task or "")
    await call("PurgeQueue", QueueUrl=source)
    await call("DeleteQueue", QueueUrl=source)
    assert answered == dict.fromkeys(sqs_query_model().operation_names, 200)
