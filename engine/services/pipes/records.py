"""Source records as Pipes hands them on: the SQS event record, and filtering on it."""

from __future__ import annotations

import base64
import json
from typing import Any

from engine.patterns import CompiledPattern
from engine.patterns.evaluate import compiled_matches


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One received SQS message in the event-record form Pipes and Lambda use."""
    attributes = {}
    for name, attribute in (message.get("MessageAttributes") or {}).items():
        binary = attribute.get("BinaryValue")
        attributes[name] = {
            "stringValue": attribute.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if binary else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": attribute["DataType"],
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def kinesis_record(
    record: dict[str, Any], shard_id: str, stream_arn: str, region: str, role_arn: str
) -> dict[str, Any]:
    """One Kinesis record in the flat event-record form Pipes sends on."""
    arrival = record["ApproximateArrivalTimestamp"]
    return {
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
        "kinesisSchemaVersion": "1.0",
        "partitionKey": record["PartitionKey"],
        "sequenceNumber": record["SequenceNumber"],
        "data": base64.b64encode(record["Data"]).decode(),
        "approximateArrivalTimestamp": arrival.timestamp()
        if hasattr(arrival, "timestamp")
        else float(arrival),
    }


def filter_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as filters see it: JSON bodies and data are matched as objects, not text."""
    if record.get("eventSource") == "aws:kinesis":
        try:
            parsed = json.loads(base64.b64decode(record["data"]))
        except ValueError:
            return record
        return {**record, "data": parsed} if isinstance(parsed, (dict, list)) else record
    body = record.get("body")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return record
        if isinstance(parsed, (dict, list)):
            return {**record, "body": parsed}
    return record


def passes(filters: list[CompiledPattern], record: dict[str, Any]) -> bool:
    """Whether any filter matches the record (no filters: everything passes)."""
    if not filters:
        return True
    view = filter_view(record)
    return any(compiled_matches(pattern, view) for pattern in filters)
