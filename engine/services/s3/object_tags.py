"""Object tagging: Put/Get/DeleteObjectTagging and the `Tagging` header of PutObject."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from engine.errors import ServiceError

from .errors import invalid_argument

if TYPE_CHECKING:
    from .service import S3Service

MAX_TAGS = 10
MAX_KEY = 128
MAX_VALUE = 256


def check_tags(tags: dict[str, str]) -> None:
    """S3's limits on an object's tag set."""
    if len(tags) > MAX_TAGS:
        raise ServiceError("BadRequest", "Object tags cannot be greater than 10")
    for key, value in tags.items():
        if not key or len(key) > MAX_KEY:
            raise invalid_argument("The TagKey you have provided is invalid", "TagKey", key)
        if len(value) > MAX_VALUE:
            raise invalid_argument("The TagValue you have provided is invalid", "TagValue", value)


def parse_tagging_header(text: str) -> dict[str, str]:
    """The URL-query form PutObject's Tagging takes ("k1=v1&k2=v2")."""
    pairs = parse_qsl(text, keep_blank_values=True)
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise invalid_argument(
            "Cannot provide multiple Tags with the same key", "x-amz-tagging", text
        )
    tags = dict(pairs)
    check_tags(tags)
    return tags


class ObjectTaggingOperations:
    """Object tag operations (mixed into S3Service)."""

    def put_object_tagging(self: S3Service, params: dict) -> dict:
        """PutObjectTagging: replaces the tag set of the current (or given) version."""
        bucket = self.bucket(params["Bucket"])
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        tag_set = params["Tagging"]["TagSet"]
        tags = {t["Key"]: t["Value"] for t in tag_set}
        if len(tags) != len(tag_set):
            raise invalid_argument("Cannot provide multiple Tags with the same key", "TagKey", "")
        check_tags(tags)
        version.tags = tags
        return self._tag_answer(version.version_id)

    def get_object_tagging(self: S3Service, params: dict) -> dict:
        """GetObjectTagging."""
        bucket = self.bucket(params["Bucket"])
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        answer: dict[str, Any] = {
            "TagSet": [{"Key": k, "Value": v} for k, v in version.tags.items()]
        }
        answer.update(self._tag_answer(version.version_id))
        return answer

    def delete_object_tagging(self: S3Service, params: dict) -> dict:
        """DeleteObjectTagging."""
        bucket = self.bucket(params["Bucket"])
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        version.tags = {}
        return self._tag_answer(version.version_id)

    @staticmethod
    def _tag_answer(version_id: str) -> dict:
        return {"VersionId": version_id} if version_id != "null" else {}
