"""Kinesis stream lifecycle: create, describe, list, delete, lookups and pagination tokens."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.arn import parse_arn
from engine.errors import ServiceError

from .errors import (
    expired_token,
    in_use,
    invalid,
    limit_exceeded,
    shard_not_found,
    stream_not_found,
    validation,
)
from .shard import HASH_KEY_MAX, Shard
from .stream import Stream

if TYPE_CHECKING:
    from .service import KinesisService

STREAM_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
#: Default account quotas (DescribeLimits in us-east-1).
SHARD_LIMIT = 500
ON_DEMAND_STREAM_LIMIT = 50
ON_DEMAND_SHARDS = 4
NEXT_TOKEN_LIFETIME = 300.0


def epoch_of(value: Any) -> float:
    """Seconds since the epoch of a boto3 timestamp parameter (datetime, number or ISO text)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


HASH_KEY_PATTERN = re.compile(r"0|([1-9]\d{0,38})")


def parse_hash_key(text: str, what: str, path: str) -> int:
    """A hash key parameter as an int.

    Text that is not a decimal number fails the model's pattern (ValidationException at
    `path`); a number past 2**128 - 1 is an InvalidArgumentException.
    """
    if not HASH_KEY_PATTERN.fullmatch(text):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{text}' at '{path}' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
        )
    if int(text) > HASH_KEY_MAX:
        raise invalid(
            f"Invalid {what}. {what} must be in the range: [0, 2^128-1]. Specified value was {text}"
        )
    return int(text)


class ControlPlane:
    """Stream lifecycle operations and the lookups every other operation uses."""

    def __init__(self, service: KinesisService) -> None:
        self.service = service

    # -- lookups ------------------------------------------------------------------------
    def requested_stream(self, params: dict) -> Stream:
        """The stream named by StreamName and/or StreamARN."""
        name = params.get("StreamName")
        arn = params.get("StreamARN")
        if arn is not None:
            arn_name = self._stream_name_of_arn(arn)
            if name is not None and name != arn_name:
                raise invalid(f"StreamARN {arn} and StreamName {name} do not match.")
            name = arn_name
        if name is None:
            raise invalid("Either StreamName or StreamARN must be provided.")
        stream = self.service.streams.get(name)
        if stream is None:
            raise stream_not_found(name, self.service.account_id)
        return stream

    def _stream_name_of_arn(self, arn: str) -> str:
        parsed = parse_arn(arn)
        if (
            parsed is None
            or parsed.service != "kinesis"
            or not parsed.resource.startswith("stream/")
        ):
            raise invalid(f"Invalid StreamARN: {arn}")
        if parsed.account != self.service.account_id or parsed.region != self.service.region:
            raise stream_not_found(parsed.resource.split("/")[1], parsed.account)
        return parsed.resource.split("/")[1]

    def find_shard(self, stream: Stream, shard_id: str) -> Shard:
        shard = stream.shard(shard_id)
        if shard is None:
            raise shard_not_found(shard_id, stream.name, self.service.account_id)
        return shard

    def find_open_shard(self, stream: Stream, shard_id: str) -> Shard:
        shard = self.find_shard(stream, shard_id)
        if not shard.is_open:
            raise invalid(
                f"Shard {shard_id} in stream {stream.name} under account {self.service.account_id} "
                "has already been merged or split, and thus is not eligible for merging or "
                "splitting."
            )
        return shard

    def open_shard_total(self) -> int:
        return sum(len(s.open_shards()) for s in self.service.streams.values())

    # -- streams ------------------------------------------------------------------------
    def create_stream(self, params: dict) -> dict:
        """CreateStream: provisioned with ShardCount, or on-demand with four shards."""
        name = params["StreamName"]
        if not STREAM_NAME.fullmatch(name):
            raise validation(
                "streamName",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            )
        # With neither a shard count nor a mode, AWS makes an on-demand stream (of four shards).
        default_mode = "PROVISIONED" if "ShardCount" in params else "ON_DEMAND"
        mode = params.get("StreamModeDetails", {}).get("StreamMode", default_mode)
        if mode == "PROVISIONED":
            if "ShardCount" not in params:
                raise invalid("ShardCount is required for a stream in PROVISIONED mode.")
            count = params["ShardCount"]
        else:
            count = ON_DEMAND_SHARDS
            on_demand = sum(1 for s in self.service.streams.values() if s.mode == "ON_DEMAND")
            if on_demand >= ON_DEMAND_STREAM_LIMIT:
                raise limit_exceeded(
                    f"This request would exceed the on-demand stream limit for the account "
                    f"{self.service.account_id} in {self.service.region}. Limit: {ON_DEMAND_STREAM_LIMIT}."
                )
        if name in self.service.streams:
            raise in_use(f"Stream {name} under account {self.service.account_id} already exists.")
        current = self.open_shard_total()
        if current + count > SHARD_LIMIT:
            raise limit_exceeded(
                f"This request would exceed the shard limit for the account {self.service.account_id} "
                f"in {self.service.region}. Current provisioned shard count for the account in "
                f"{self.service.region}: {current}. Limit: {SHARD_LIMIT}. Number of additional shards "
                f"that would have resulted from this request: {count}."
            )
        self.service.settings_api.check_tags(params.get("Tags", {}), {})
        now = self.service.clock.now()
        stream = Stream(
            name=name,
            arn=self.service.arn(f"stream/{name}"),
            uid=self.service.ids.hex(12),
            created=now,
            mode=mode,
            tags=dict(params.get("Tags", {})),
            # Start the stream's counter high, so its sequence numbers look like AWS's.
            counter=int(self.service.ids.digits(24)) * 10**22,
        )
        if "MaxRecordSizeInKiB" in params:
            stream.max_record_kib = params["MaxRecordSizeInKiB"]
        stream.add_shards_uniform(count, now)
        self.service.streams[name] = stream
        self.service.by_uid[stream.uid] = stream
        self.service.emit("created", stream.arn, shards=count, mode=mode)
        return {}

    def delete_stream(self, params: dict) -> dict:
        """DeleteStream: refuses while consumers are registered unless told to remove them."""
        stream = self.requested_stream(params)
        if stream.consumers and not params.get("EnforceConsumerDeletion", False):
            raise in_use(
                f"Stream {stream.name} under account {self.service.account_id} has registered "
                "consumers. Set EnforceConsumerDeletion to true to delete it with its consumers."
            )
        del self.service.streams[stream.name]
        self.service.by_uid.pop(stream.uid, None)
        stream.status = "DELETING"
        stream.listeners.clear()
        self.service.emit("deleted", stream.arn)
        return {}

    def _mode_details(self, stream: Stream) -> dict:
        return {"StreamMode": stream.mode}

    def _encryption_members(self, stream: Stream) -> dict:
        out: dict[str, Any] = {"EncryptionType": stream.encryption}
        if stream.key_id is not None:
            out["KeyId"] = stream.key_id
        return out

    def describe_stream(self, params: dict) -> dict:
        """DescribeStream: the stream and up to Limit (default 100) of its shards."""
        stream = self.requested_stream(params)
        now = self.service.clock.now()
        stream.expire_closed_shards(now)
        shards = list(stream.shards.values())
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            shards = [s for s in shards if s.shard_id > start]
        limit = params.get("Limit", 100)
        page = shards[:limit]
        return {
            "StreamDescription": {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": stream.status,
                "StreamModeDetails": self._mode_details(stream),
                "Shards": [s.as_dict() for s in page],
                "HasMoreShards": len(shards) > limit,
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": self.service.when(stream.created),
                "EnhancedMonitoring": [{"ShardLevelMetrics": list(stream.shard_level_metrics)}],
                **self._encryption_members(stream),
            }
        }

    def describe_stream_summary(self, params: dict) -> dict:
        """DescribeStreamSummary: the stream without its shard list."""
        stream = self.requested_stream(params)
        return {
            "StreamDescriptionSummary": {
                "StreamName": stream.name,
                "StreamARN": stream.arn,
                "StreamStatus": stream.status,
                "StreamModeDetails": self._mode_details(stream),
                "RetentionPeriodHours": stream.retention_hours,
                "StreamCreationTimestamp": self.service.when(stream.created),
                "EnhancedMonitoring": [{"ShardLevelMetrics": list(stream.shard_level_metrics)}],
                **self._encryption_members(stream),
                "OpenShardCount": len(stream.open_shards()),
                "ConsumerCount": len(stream.consumers),
                "MaxRecordSizeInKiB": stream.max_record_kib,
            }
        }

    def list_streams(self, params: dict) -> dict:
        """ListStreams: names and summaries in name order, paginated."""
        names = sorted(self.service.streams)
        if "NextToken" in params:
            if "ExclusiveStartStreamName" in params:
                raise invalid("NextToken and ExclusiveStartStreamName cannot both be provided.")
            after = self.read_token(params["NextToken"], "streams")
        else:
            after = params.get("ExclusiveStartStreamName")
        if after is not None:
            names = [n for n in names if n > after]
        limit = params.get("Limit", 100)
        page, more = names[:limit], len(names) > limit
        out: dict[str, Any] = {
            "StreamNames": page,
            "HasMoreStreams": more,
            "StreamSummaries": [
                {
                    "StreamName": n,
                    "StreamARN": self.service.streams[n].arn,
                    "StreamStatus": self.service.streams[n].status,
                    "StreamModeDetails": self._mode_details(self.service.streams[n]),
                    "StreamCreationTimestamp": self.service.when(self.service.streams[n].created),
                }
                for n in page
            ],
        }
        if more:
            out["NextToken"] = self.make_token("streams", page[-1])
        return out

    def describe_limits(self, params: dict) -> dict:
        """DescribeLimits: the account's shard and on-demand stream quotas and usage."""
        return {
            "ShardLimit": SHARD_LIMIT,
            "OpenShardCount": self.open_shard_total(),
            "OnDemandStreamCount": sum(
                1 for s in self.service.streams.values() if s.mode == "ON_DEMAND"
            ),
            "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
        }

    def update_stream_mode(self, params: dict) -> dict:
        """UpdateStreamMode: switch between PROVISIONED and ON_DEMAND capacity."""
        stream = self.requested_stream(params)
        stream.mode = params["StreamModeDetails"]["StreamMode"]
        return {}

    # -- pagination tokens ---------------------------------------------------------------
    def make_token(self, kind: str, after: str, extra: Any = None) -> str:
        body = json.dumps([kind, after, self.service.clock.now(), extra])
        return base64.b64encode(body.encode()).decode()

    def read_token(self, token: str, kind: str) -> Any:
        try:
            found_kind, after, issued, extra = json.loads(base64.b64decode(token))
        except (ValueError, TypeError):
            raise invalid(f"Invalid NextToken: {token}") from None
        if found_kind != kind:
            raise invalid(f"Invalid NextToken: {token}")
        if self.service.clock.now() - issued > NEXT_TOKEN_LIFETIME:
            raise expired_token(token)
        return after if extra is None else (after, extra)
