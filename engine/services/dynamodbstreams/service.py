"""DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords.

The records live in the `dynamodb` service (see its module docstring for the internal API);
this service only reads them. Shard iterators are self-describing tokens, valid 15 minutes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from engine.errors import ServiceError
from engine.service import Service

from ..dynamodb.streams import StreamLog

ITERATOR_SECONDS = 15 * 60
MAX_RECORDS = 1000


def _not_found(what: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Requested resource not found: {what}")


def _sequence(text: str) -> int:
    """A SequenceNumber parameter as an int (AWS's are decimal strings of up to 40 digits)."""
    if not text.isdigit() or len(text) > 40:
        raise ServiceError("ValidationException", f"Invalid SequenceNumber: {text}")
    return int(text)


class DynamoDbStreamsService(Service):
    """Amazon DynamoDB Streams."""

    name = "dynamodbstreams"
    validation_error_code = "ValidationException"

    @property
    def _dynamodb(self) -> Any:
        return self.engine.service("dynamodb")

    def _stream(self, arn: str) -> StreamLog:
        log = self._dynamodb.stream_for_arn(arn)
        if log is None:
            raise _not_found(f"Stream: {arn} not found")
        return log

    def list_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListStreams: every stream (of one table, if named), paged by ARN."""
        table = params.get("TableName")
        limit = params.get("Limit", 100)
        logs = [
            log for log in self._dynamodb.live_streams() if table is None or log.table_name == table
        ]
        logs.sort(key=lambda log: log.arn)
        start = params.get("ExclusiveStartStreamArn")
        if start is not None:
            logs = [log for log in logs if log.arn > start]
        page = logs[:limit]
        result: dict[str, Any] = {
            "Streams": [
                {"StreamArn": log.arn, "TableName": log.table_name, "StreamLabel": log.label}
                for log in page
            ]
        }
        if len(logs) > limit:
            result["LastEvaluatedStreamArn"] = page[-1].arn
        return result

    def describe_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeStream: status, view type, key schema and the shards in retention."""
        log = self._stream(params["StreamArn"])
        described = log.description(self.region)
        shards = described["Shards"]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            ids = [s["ShardId"] for s in shards]
            shards = shards[ids.index(start) + 1 :] if start in ids else shards
        limit = params.get("Limit", 100)
        described["Shards"] = shards[:limit]
        if len(shards) > limit:
            described["LastEvaluatedShardId"] = shards[limit - 1]["ShardId"]
        return {"StreamDescription": described}

    def get_shard_iterator(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetShardIterator: TRIM_HORIZON, LATEST, AT_ or AFTER_SEQUENCE_NUMBER."""
        log = self._stream(params["StreamArn"])
        shard = log.shard(params["ShardId"])
        if shard is None:
            raise _not_found(f"Shard: {params['ShardId']} in Stream: {log.arn} not found")
        kind = params["ShardIteratorType"]
        number = params.get("SequenceNumber")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if number is None:
                raise ServiceError(
                    "ValidationException",
                    f"Sequence number is required for shard iterator type {kind}",
                )
            sequence = _sequence(number)
            if sequence < shard.first_live_sequence() and shard.live():
                raise ServiceError(
                    "TrimmedDataAccessException",
                    "The operation attempted to read past the oldest stream record in a shard.",
                )
            after = sequence - 1 if kind == "AT_SEQUENCE_NUMBER" else sequence
        elif number is not None:
            raise ServiceError(
                "ValidationException",
                f"Sequence number must not be specified for shard iterator type {kind}",
            )
        elif kind == "TRIM_HORIZON":
            after = shard.first_live_sequence() - 1
        else:  # LATEST
            after = shard.sequences[-1] if shard.sequences else shard.starting_sequence - 1
        return {"ShardIterator": self._iterator(log.arn, shard.shard_id, after)}

    def _iterator(self, arn: str, shard_id: str, after: int) -> str:
        payload = json.dumps([shard_id, after, self.clock.now()]).encode()
        return f"{arn}|1|{base64.urlsafe_b64encode(payload).decode()}"

    def get_records(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetRecords: up to Limit (1000) records after the iterator, and the next iterator."""
        token = params["ShardIterator"]
        try:
            arn, _, encoded = token.rsplit("|", 2)
            shard_id, after, issued = json.loads(base64.urlsafe_b64decode(encoded))
        except (ValueError, TypeError):
            raise ServiceError("ValidationException", "Invalid ShardIterator") from None
        if self.clock.now() - issued > ITERATOR_SECONDS:
            raise ServiceError("ExpiredIteratorException", "Iterator expired")
        log = self._stream(arn)
        shard = log.shard(shard_id)
        if shard is None:
            raise _not_found(f"Shard: {shard_id} in Stream: {arn} not found")
        if (
            shard.live()
            and after + 1 < shard.first_live_sequence()
            and after >= shard.starting_sequence
        ):
            raise ServiceError(
                "TrimmedDataAccessException",
                "The operation attempted to read past the oldest stream record in a shard.",
            )
        limit = params.get("Limit", MAX_RECORDS)
        if limit > MAX_RECORDS:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_RECORDS}",
            )
        records = shard.read_after(after, limit)
        result: dict[str, Any] = {"Records": [r.as_api(self.region) for r in records]}
        last = records[-1].sequence if records else after
        exhausted = shard.closed and (not shard.sequences or last >= shard.sequences[-1])
        if not exhausted:
            result["NextShardIterator"] = self._iterator(arn, shard_id, last)
        if self.trace.enabled and records:
            self.emit("received", arn, count=len(records), shard_id=shard_id)
        return result
