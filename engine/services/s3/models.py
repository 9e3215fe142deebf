"""S3's resources as small typed objects: buckets, object versions, notification settings."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The owner S3 reports for every bucket and object of the lab's account (AWS no longer sends
#: owners' display names, but still names the initiator of a multipart upload).
OWNER = {"ID": "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"}
INITIATOR = {**OWNER, "DisplayName": "pipework"}

#: Request parameters stored with an object and returned by GET/HEAD as given.
HEADER_PARAMS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
)


def boto_time(epoch: float) -> datetime:
    """A timestamp as boto3 returns S3's (second precision, UTC)."""
    return datetime.fromtimestamp(int(epoch), UTC)


@dataclass(slots=True)
class ObjectVersion:
    """One version of an object (or a delete marker)."""

    key: str
    version_id: str  # "null" when versioning was never enabled or is suspended
    body: bytes
    etag: str  # MD5 hex in double quotes
    last_modified: float
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # CacheControl, ContentEncoding …
    storage_class: str = "STANDARD"
    delete_marker: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None  # CRC32 | CRC32C | CRC64NVME | SHA1 | SHA256
    checksum: str | None = None  # base64 (COMPOSITE: of the parts' checksums, then "-N")
    checksum_type: str = "FULL_OBJECT"  # FULL_OBJECT | COMPOSITE
    acl: list[dict[str, Any]] | None = None  # grants; None: the owner's FULL_CONTROL
    retention: dict[str, Any] | None = None  # Object Lock {"Mode", "RetainUntilDate"}
    legal_hold: str | None = None  # Object Lock legal hold: ON | OFF

    @property
    def size(self) -> int:
        """The body's length in bytes."""
        return len(self.body)


@dataclass(slots=True)
class MultipartUpload:
    """An upload in progress: its parts by number (body, ETag, time)."""

    upload_id: str
    key: str
    initiated: float
    content_type: str | None
    metadata: dict[str, str]
    headers: dict[str, str]
    storage_class: str
    tags: dict[str, str]
    parts: dict[int, tuple[bytes, str, float]] = field(default_factory=dict)
    checksum_algorithm: str | None = None  # named at creation
    checksum_type: str | None = None  # FULL_OBJECT | COMPOSITE, with an algorithm
    part_checksums: dict[int, str] = field(default_factory=dict)  # part number → base64


@dataclass(slots=True)
class Notification:
    """One queue/topic/function notification configuration."""

    id: str
    kind: str  # Queue | Topic | LambdaFunction
    target: str
    events: list[str]
    prefix: str = ""
    suffix: str = ""
    filter_rules: list[dict] = field(default_factory=list)  # as given, for Get

    def wants(self, event_name: str, key: str) -> bool:
        """Whether an event (e.g. ObjectCreated:Put) on `key` matches this configuration."""
        full = f"s3:{event_name}"
        family = full.rsplit(":", 1)[0] + ":*"
        if full not in self.events and family not in self.events:
            return False
        return key.startswith(self.prefix) and key.endswith(self.suffix)


@dataclass(slots=True)
class Bucket:
    """A bucket: its objects by key (versions oldest first) and a sorted index of keys."""

    name: str
    arn: str
    created: float
    region: str
    versioning: str = ""  # "" (never enabled) | Enabled | Suspended
    objects: dict[str, list[ObjectVersion]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # sorted, for ordered listing
    notifications: list[Notification] = field(default_factory=list)
    eventbridge: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None  # the bucket policy document, as put
    uploads: dict[str, MultipartUpload] = field(default_factory=dict)  # upload id → upload
    settings: dict[str, Any] = field(default_factory=dict)  # sub-resources by name (settings.py)
    puts: int = 0
    gets: int = 0
    deletes: int = 0
    notified: int = 0

    def current(self, key: str) -> ObjectVersion | None:
        """The current version of `key` (None if absent or a delete marker)."""
        versions = self.objects.get(key)
        if not versions or versions[-1].delete_marker:
            return None
        return versions[-1]

    def add_version(self, version: ObjectVersion) -> None:
        """Store a new version: replaces the "null" version unless versioning is enabled."""
        versions = self.objects.get(version.key)
        if versions is None:
            self.objects[version.key] = [version]
            bisect.insort(self.keys, version.key)
            return
        if version.version_id == "null":
            versions[:] = [v for v in versions if v.version_id != "null"]
        versions.append(version)

    def remove_key(self, key: str) -> None:
        """Forget every version of `key`."""
        if self.objects.pop(key, None) is not None:
            index = bisect.bisect_left(self.keys, key)
            if index < len(self.keys) and self.keys[index] == key:
                del self.keys[index]

    def object_count(self) -> int:
        """Keys with a current (non-deleted) version."""
        return sum(1 for versions in self.objects.values() if not versions[-1].delete_marker)
