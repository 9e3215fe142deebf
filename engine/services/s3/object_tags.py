"""Object tagging: Put/Get/DeleteObjectTagging and the `Tagging` header of PutObject."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from engine.errors import ServiceError

from .errors import invalid_argument

if TYPE_CHECKING:
    from .service import S3Service

MAX_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256


#: Characters AWS allows in tag keys and values: letters, digits, spaces and + - = . _ : / @.
_TAG_TEXT = re.compile(r"^[\w\s+\-=._:/@]*$")
_HEADER_FORMAT = (
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
    "without tag name duplicates."
)
#: What S3 says when a request's tag key starts with "aws:", by the operation that sent it.
SYSTEM_PREFIX = {
    "object": "Your TagKey cannot be prefixed with aws:",
    "bucket": "System tags cannot be added/updated by requester",
    "create-bucket": 'User-defined tag keys can\'t start with "aws:". This prefix is reserved for '
    'system tags. Remove "aws:" from your tag keys and try again.',
}


def _invalid_tag(message: str, **extra: str) -> ServiceError:
    return ServiceError("InvalidTag", message, extra=extra)


def check_tags(tags: dict[str, str], limit: int = MAX_TAGS) -> None:
    """S3's limits on a tag set (an object's unless `limit` says otherwise)."""
    if len(tags) > limit:
        raise ServiceError("BadRequest", "Object tags cannot be greater than 10")
    for key, value in tags.items():
        if not key or len(key) > MAX_KEY or not _TAG_TEXT.match(key):
            raise _invalid_tag("The TagKey you have provided is invalid", TagKey=key)
        if len(value) > MAX_VALUE or not _TAG_TEXT.match(value):
            raise _invalid_tag(
                "The TagValue you have provided is invalid", TagKey=key, TagValue=value
            )


def tag_set(tag_list: list[dict], kind: str) -> dict[str, str]:
    """A TagSet from a request body as a dict, checked as S3 checks it for `kind`."""
    tags: dict[str, str] = {}
    for tag in tag_list:
        key = tag["Key"]
        if key in tags:
            raise _invalid_tag("Cannot provide multiple Tags with the same key", TagKey=key)
        tags[key] = tag["Value"]
    for key in tags:
        if key.lower().startswith("aws:"):
            extra = {} if kind == "create-bucket" else {"TagKey": key}
            raise _invalid_tag(SYSTEM_PREFIX[kind], **extra)
    if kind != "object" and len(tags) > MAX_BUCKET_TAGS:
        raise _invalid_tag("Bucket tag count cannot be greater than 50")
    check_tags(tags, MAX_TAGS if kind == "object" else MAX_BUCKET_TAGS)
    return tags


def parse_tagging_header(text: str) -> dict[str, str]:
    """The URL-query form PutObject's Tagging takes ("k1=v1&k2=v2")."""
    pairs = parse_qsl(text, keep_blank_values=True)
    keys = [key for key, _ in pairs]
    tags = dict(pairs)
    if len(set(keys)) != len(keys) or any(
        not _TAG_TEXT.match(k) or not _TAG_TEXT.match(v) for k, v in tags.items()
    ):
        raise invalid_argument(_HEADER_FORMAT, "x-amz-tagging", text)
    check_tags(tags)
    return tags


class ObjectTaggingOperations:
    """Object tag operations (mixed into S3Service)."""

    def put_object_tagging(self: S3Service, params: dict) -> dict:
        """PutObjectTagging: replaces the tag set of the current (or given) version."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        version.tags = tag_set(params["Tagging"]["TagSet"], "object")
        return self._tag_answer(version.version_id)

    def get_object_tagging(self: S3Service, params: dict) -> dict:
        """GetObjectTagging."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        answer: dict[str, Any] = {
            "TagSet": [{"Key": k, "Value": v} for k, v in version.tags.items()]
        }
        answer.update(self._tag_answer(version.version_id))
        return answer

    def delete_object_tagging(self: S3Service, params: dict) -> dict:
        """DeleteObjectTagging."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        version.tags = {}
        return self._tag_answer(version.version_id)

    @staticmethod
    def _tag_answer(version_id: str) -> dict:
        return {"VersionId": version_id} if version_id != "null" else {}
