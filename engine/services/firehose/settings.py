"""Firehose stream settings: server-side encryption and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ServiceError

from .config import invalid

if TYPE_CHECKING:
    from .service import FirehoseService
    from .stream import DeliveryStream

MAX_TAGS = 50


class StreamSettings:
    """Encryption and tag operations, delegated to by FirehoseService."""

    def __init__(self, service: FirehoseService) -> None:
        self.service = service

    # -- encryption ---------------------------------------------------------------------
    def checked_encryption(self, stream: DeliveryStream, given: dict) -> dict:
        """The stream's encryption settings for a request's configuration, or InvalidArgumentException."""
        key_type = given.get("KeyType", "AWS_OWNED_CMK")
        if stream.kind == "KinesisStreamAsSource":
            raise invalid(
                "Server-side encryption is not supported for a delivery stream whose source is "
                "a Kinesis data stream."
            )
        out = {"KeyType": key_type, "Status": "ENABLED"}
        if key_type == "CUSTOMER_MANAGED_CMK":
            if "KeyARN" not in given:
                raise invalid("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.")
            out["KeyARN"] = given["KeyARN"]
        elif "KeyARN" in given:
            raise invalid("KeyARN must not be given when KeyType is AWS_OWNED_CMK.")
        return out

    def start_delivery_stream_encryption(self, params: dict) -> dict:
        """StartDeliveryStreamEncryption: server-side encryption on (ENABLED at once)."""
        stream = self.service.stream_named(params["DeliveryStreamName"])
        stream.encryption = self.checked_encryption(
            stream, params.get("DeliveryStreamEncryptionConfigurationInput", {})
        )
        return {}

    def stop_delivery_stream_encryption(self, params: dict) -> dict:
        """StopDeliveryStreamEncryption: server-side encryption off."""
        stream = self.service.stream_named(params["DeliveryStreamName"])
        stream.encryption = {"Status": "DISABLED"}
        return {}

    # -- tags ---------------------------------------------------------------------------
    def check_tags(self, adding: list[dict], existing: dict[str, str]) -> None:
        """LimitExceededException when `adding` would take the stream past its tag limit."""
        if len(set(existing) | {t["Key"] for t in adding}) > MAX_TAGS:
            raise ServiceError(
                "LimitExceededException",
                f"A Firehose stream cannot have more than {MAX_TAGS} tags.",
            )

    def tag_delivery_stream(self, params: dict) -> dict:
        """TagDeliveryStream: add or overwrite tags."""
        stream = self.service.stream_named(params["DeliveryStreamName"])
        self.check_tags(params["Tags"], stream.tags)
        stream.tags.update({t["Key"]: t.get("Value", "") for t in params["Tags"]})
        return {}

    def untag_delivery_stream(self, params: dict) -> dict:
        """UntagDeliveryStream: remove tags by key."""
        stream = self.service.stream_named(params["DeliveryStreamName"])
        for key in params["TagKeys"]:
            stream.tags.pop(key, None)
        return {}

    def list_tags_for_delivery_stream(self, params: dict) -> dict:
        """ListTagsForDeliveryStream: tags in key order, paginated."""
        stream = self.service.stream_named(params["DeliveryStreamName"])
        keys = sorted(stream.tags)
        after = params.get("ExclusiveStartTagKey")
        if after is not None:
            keys = [k for k in keys if k > after]
        limit = params.get("Limit", 50)
        return {
            "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }
