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
    """Encryption and tag operations (mixed into FirehoseService)."""

    # -- encryption ---------------------------------------------------------------------
    def _encryption(self: FirehoseService, stream: DeliveryStream, given: dict) -> dict:
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

    def start_delivery_stream_encryption(self: FirehoseService, params: dict) -> dict:
        """StartDeliveryStreamEncryption: server-side encryption on (ENABLED at once)."""
        stream = self._stream(params["DeliveryStreamName"])
        stream.encryption = self._encryption(
            stream, params.get("DeliveryStreamEncryptionConfigurationInput", {})
        )
        return {}

    def stop_delivery_stream_encryption(self: FirehoseService, params: dict) -> dict:
        """StopDeliveryStreamEncryption: server-side encryption off."""
        stream = self._stream(params["DeliveryStreamName"])
        stream.encryption = {"Status": "DISABLED"}
        return {}

    # -- tags ---------------------------------------------------------------------------
    def _check_tags(self: FirehoseService, adding: list[dict], existing: dict[str, str]) -> None:
        if len(set(existing) | {t["Key"] for t in adding}) > MAX_TAGS:
            raise ServiceError(
                "LimitExceededException",
                f"A Firehose stream cannot have more than {MAX_TAGS} tags.",
            )

    def tag_delivery_stream(self: FirehoseService, params: dict) -> dict:
        """TagDeliveryStream: add or overwrite tags."""
        stream = self._stream(params["DeliveryStreamName"])
        self._check_tags(params["Tags"], stream.tags)
        stream.tags.update({t["Key"]: t.get("Value", "") for t in params["Tags"]})
        return {}

    def untag_delivery_stream(self: FirehoseService, params: dict) -> dict:
        """UntagDeliveryStream: remove tags by key."""
        stream = self._stream(params["DeliveryStreamName"])
        for key in params["TagKeys"]:
            stream.tags.pop(key, None)
        return {}

    def list_tags_for_delivery_stream(self: FirehoseService, params: dict) -> dict:
        """ListTagsForDeliveryStream: tags in key order, paginated."""
        stream = self._stream(params["DeliveryStreamName"])
        keys = sorted(stream.tags)
        after = params.get("ExclusiveStartTagKey")
        if after is not None:
            keys = [k for k in keys if k > after]
        limit = params.get("Limit", 50)
        return {
            "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }
