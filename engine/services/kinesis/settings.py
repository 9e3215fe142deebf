"""Kinesis stream settings: retention, encryption, enhanced monitoring, tags, resource policies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import invalid, no_policy

if TYPE_CHECKING:
    from .service import KinesisService

MAX_TAGS = 50
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


class StreamSettings:
    """Operations that change a stream's configuration, not its shards or records."""

    def __init__(self, service: KinesisService) -> None:
        self.service = service

    # -- retention ----------------------------------------------------------------------
    def increase_stream_retention_period(self, params: dict) -> dict:
        """IncreaseStreamRetentionPeriod: keep records longer (up to 8,760 hours)."""
        stream = self.service.control_api.requested_stream(params)
        hours = self._check_retention(params["RetentionPeriodHours"])
        if hours < stream.retention_hours:
            raise invalid(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be "
                f"shorter than existing retention period ({stream.retention_hours} hours). Use "
                "DecreaseRetentionPeriod API."
            )
        stream.retention_hours = hours
        return {}

    def decrease_stream_retention_period(self, params: dict) -> dict:
        """DecreaseStreamRetentionPeriod: keep records for less time (at least 24 hours)."""
        stream = self.service.control_api.requested_stream(params)
        hours = self._check_retention(params["RetentionPeriodHours"])
        if hours > stream.retention_hours:
            raise invalid(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be "
                f"longer than existing retention period ({stream.retention_hours} hours). Use "
                "IncreaseRetentionPeriod API."
            )
        stream.retention_hours = hours
        return {}

    def _check_retention(self, hours: int) -> int:
        if hours < MIN_RETENTION_HOURS:
            raise invalid(
                f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. Requested "
                f"retention period ({hours} hours) is too short."
            )
        if hours > MAX_RETENTION_HOURS:
            raise invalid(
                f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested "
                f"retention period ({hours} hours) is too long."
            )
        return hours

    def update_max_record_size(self, params: dict) -> dict:
        """UpdateMaxRecordSize: the largest record (data plus partition key) a put accepts."""
        stream = self.service.control_api.requested_stream(params)
        stream.max_record_kib = params["MaxRecordSizeInKiB"]
        return {}

    # -- encryption and monitoring --------------------------------------------------------
    def start_stream_encryption(self, params: dict) -> dict:
        """StartStreamEncryption: records put from now on are KMS-encrypted."""
        stream = self.service.control_api.requested_stream(params)
        stream.encryption = params["EncryptionType"]
        stream.key_id = params["KeyId"] if stream.encryption == "KMS" else None
        return {}

    def stop_stream_encryption(self, params: dict) -> dict:
        """StopStreamEncryption: records put from now on are stored unencrypted."""
        stream = self.service.control_api.requested_stream(params)
        if stream.encryption == "KMS" and params["KeyId"] != stream.key_id:
            raise invalid(
                f"Stream {stream.name} under account {self.service.account_id} is not encrypted with "
                f"key {params['KeyId']}."
            )
        stream.encryption = "NONE"
        stream.key_id = None
        return {}

    def enable_enhanced_monitoring(self, params: dict) -> dict:
        """EnableEnhancedMonitoring: turn on shard-level metrics."""
        return self._set_metrics(params, enable=True)

    def disable_enhanced_monitoring(self, params: dict) -> dict:
        """DisableEnhancedMonitoring: turn off shard-level metrics."""
        return self._set_metrics(params, enable=False)

    def _set_metrics(self, params: dict, *, enable: bool) -> dict:
        stream = self.service.control_api.requested_stream(params)
        asked = set(params["ShardLevelMetrics"])
        if "ALL" in asked:
            asked = set(SHARD_LEVEL_METRICS)
        before = list(stream.shard_level_metrics)
        current = set(before)
        after = current | asked if enable else current - asked
        stream.shard_level_metrics = [m for m in SHARD_LEVEL_METRICS if m in after]
        return {
            "StreamName": stream.name,
            "CurrentShardLevelMetrics": before,
            "DesiredShardLevelMetrics": list(stream.shard_level_metrics),
            "StreamARN": stream.arn,
        }

    # -- tags ---------------------------------------------------------------------------
    def check_tags(self, adding: dict[str, str], existing: dict[str, str]) -> None:
        if len(set(existing) | set(adding)) > MAX_TAGS:
            raise invalid(f"A resource cannot have more than {MAX_TAGS} tags.")

    def add_tags_to_stream(self, params: dict) -> dict:
        """AddTagsToStream: add or overwrite tags."""
        stream = self.service.control_api.requested_stream(params)
        self.check_tags(params["Tags"], stream.tags)
        stream.tags.update(params["Tags"])
        return {}

    def remove_tags_from_stream(self, params: dict) -> dict:
        """RemoveTagsFromStream: drop tags by key."""
        stream = self.service.control_api.requested_stream(params)
        for key in params["TagKeys"]:
            stream.tags.pop(key, None)
        return {}

    def list_tags_for_stream(self, params: dict) -> dict:
        """ListTagsForStream: tags in key order, after ExclusiveStartTagKey, up to Limit."""
        stream = self.service.control_api.requested_stream(params)
        keys = sorted(stream.tags)
        after = params.get("ExclusiveStartTagKey")
        if after is not None:
            keys = [k for k in keys if k > after]
        limit = params.get("Limit", 50)
        page = keys[:limit]
        return {
            "Tags": [{"Key": k, "Value": stream.tags[k]} for k in page],
            "HasMoreTags": len(keys) > limit,
        }

    def _tagged(self, arn: str) -> dict[str, str]:
        if "/consumer/" in arn:
            return self.service.fanout_api.consumer_by_arn(arn)[1].tags
        return self.service.control_api.requested_stream({"StreamARN": arn}).tags

    def tag_resource(self, params: dict) -> dict:
        """TagResource: tag a stream or consumer by ARN."""
        tags = self._tagged(params["ResourceARN"])
        self.check_tags(params["Tags"], tags)
        tags.update(params["Tags"])
        return {}

    def untag_resource(self, params: dict) -> dict:
        """UntagResource: remove tags from a stream or consumer by ARN."""
        tags = self._tagged(params["ResourceARN"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        """ListTagsForResource: a stream's or consumer's tags."""
        tags = self._tagged(params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}

    # -- resource policies ----------------------------------------------------------------
    def _policy_owner(self, arn: str) -> Any:
        if "/consumer/" in arn:
            return self.service.fanout_api.consumer_by_arn(arn)[1]
        return self.service.control_api.requested_stream({"StreamARN": arn})

    def put_resource_policy(self, params: dict) -> dict:
        """PutResourcePolicy: attach a JSON policy to a stream or consumer."""
        owner = self._policy_owner(params["ResourceARN"])
        try:
            json.loads(params["Policy"])
        except ValueError:
            raise invalid("Policy is not valid JSON.") from None
        owner.policy = params["Policy"]
        return {}

    def get_resource_policy(self, params: dict) -> dict:
        """GetResourcePolicy: the policy text ("{}" when none is attached)."""
        owner = self._policy_owner(params["ResourceARN"])
        return {"Policy": owner.policy or "{}"}

    def delete_resource_policy(self, params: dict) -> dict:
        """DeleteResourcePolicy: detach the policy."""
        owner = self._policy_owner(params["ResourceARN"])
        if owner.policy is None:
            raise no_policy(params["ResourceARN"])
        owner.policy = None
        return {}
