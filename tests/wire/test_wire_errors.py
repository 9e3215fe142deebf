"""Error documents per protocol, read back with botocore's own response parsers."""

from __future__ import annotations

import json

import pytest
from botocore.parsers import create_parser

from engine.http import HttpRequest
from engine.model import service_model
from engine.wire import WireEndpoint
from engine.wire.errors import error_shape, json_error, query_error, rest_json_error, rest_xml_error
from engine.wire.sqs_query import SQS_QUERY_NAMESPACE


def _parse(service: str, protocol: str, status: int, headers: dict, body: bytes, code: str) -> dict:
    shape = error_shape(service, code)
    response = {"status_code": status, "headers": headers, "body": body}
    parsed = create_parser(protocol).parse(response, None)
    if shape is not None:
        parsed.update(create_parser(protocol)._do_modeled_error_parse(response, shape))
    return parsed


def test_json_error_encodes_binary_members_through_the_shape() -> None:
    item = {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01"]}}
    headers, body = json_error(
        "dynamodb",
        "ConditionalCheckFailedException",
        "The conditional request failed",
        {"Item": item},
        True,
    )
    parsed = _parse("dynamodb", "json", 400, headers, body, "ConditionalCheckFailedException")
    assert parsed["Error"]["Code"] == "ConditionalCheckFailedException"
    assert parsed["Item"] == item


def test_json_error_keeps_unmodeled_binary_members_serializable() -> None:
    _, body = json_error(
        "dynamodb", "SomethingNew", "m", {"Blob": b"\x00", "Nested": [b"\x01"]}, True
    )
    assert json.loads(body)["Blob"] == "AA=="


def test_sqs_json_error_carries_the_query_code_header() -> None:
    headers, body = json_error(
        "sqs",
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        {"QueryErrorCode": "QueueDoesNotExist", "Type": "Sender"},
        True,
    )
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(body) == {
        "__type": "QueueDoesNotExist",
        "message": "The specified queue does not exist.",
    }


def test_rest_json_error_modeled_members_and_code_header() -> None:
    headers, body = rest_json_error(
        "lambda",
        "TooManyRequestsException",
        "Rate Exceeded.",
        {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User"},
    )
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    parsed = _parse("lambda", "rest-json", 429, headers, body, "TooManyRequestsException")
    assert parsed["Error"]["Code"] == "TooManyRequestsException"
    assert parsed["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert parsed["Type"] == "User"


def test_rest_xml_error_members_are_elements() -> None:
    body = rest_xml_error(
        "s3", "NoSuchKey", "The specified key does not exist.", {"Key": "k"}, "rid"
    )
    parsed = _parse("s3", "rest-xml", 404, {}, body, "NoSuchKey")
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "k",
    }


def test_query_error_document_in_the_services_namespace() -> None:
    namespace = service_model("sns").metadata["xmlNamespace"]
    body = query_error(namespace, "sns", "NotFound", "Topic does not exist", {}, True, "rid")
    parsed = _parse("sns", "query", 404, {}, body, "NotFound")
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "NotFound",
        "Message": "Topic does not exist",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid"


def test_sqs_json_error_sends_the_header_even_when_codes_agree() -> None:
    headers, body = json_error(
        "sqs",
        "InvalidAttributeName",
        "Unknown Attribute FifoQueue.",
        {"QueryErrorCode": "InvalidAttributeName", "Type": "Sender"},
        True,
    )
    parsed = _parse("sqs", "json", 400, headers, body, "InvalidAttributeName")
    assert parsed["Error"] == {
        "Code": "InvalidAttributeName",
        "Message": "Unknown Attribute FifoQueue.",
        "QueryErrorCode": "InvalidAttributeName",
        "Type": "Sender",
    }


def test_sqs_query_error_has_an_empty_detail_like_aws() -> None:
    body = query_error(
        SQS_QUERY_NAMESPACE, "sqs", "InvalidParameterValue", "Value 11 …", {}, True, "rid"
    )
    parsed = _parse("sqs", "query", 400, {}, body, "InvalidParameterValue")
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "InvalidParameterValue",
        "Message": "Value 11 …",
        "Detail": None,
    }


async def test_a_blob_that_is_not_base64_is_a_serialization_error(eng) -> None:
    endpoint = WireEndpoint(eng)
    await eng.client("kinesis").create_stream(StreamName="s", ShardCount=1)
    response = await endpoint.handle(
        HttpRequest(
            "POST",
            "/",
            [],
            {"x-amz-target": "Kinesis_20131202.PutRecord", "host": "localhost"},
            b'{"StreamName": "s", "PartitionKey": "k", "Data": "not base64!"}',
        )
    )
    assert response.status == 400
    assert json.loads(response.body)["__type"] == "SerializationException"


@pytest.mark.parametrize(
    ("target", "body", "message"),
    [
        (
            "DynamoDB_20120810.ListTables",
            {"Limit": 0},
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "DynamoDB_20120810.DescribeTable",
            {},
            "1 validation error detected: Value null at 'tableName' failed to satisfy "
            "constraint: Member must not be null",
        ),
        (
            "Kinesis_20131202.PutRecords",
            {"Records": [], "StreamName": "s"},
            "1 validation error detected: Value '[]' at 'records' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1",
        ),
    ],
)
async def test_json_services_word_what_boto3_checks_as_aws_does(
    lab, target: str, body: dict, message: str
) -> None:
    # boto3 stops these before sending; a raw caller (or one with parameter validation off)
    # meets AWS's server-side wording.
    import httpx

    async with httpx.AsyncClient(base_url=lab.url) as http:
        answer = await http.post(
            "/",
            json=body,
            headers={
                "x-amz-target": target,
                "content-type": "application/x-amz-json-1.1",
            },
        )
    assert answer.status_code == 400
    assert answer.json()["__type"].endswith("ValidationException")
    assert answer.json()["message"] == message
