"""Saving and restoring buckets, versions and bodies (notification settings are not saved)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .models import Bucket, ObjectVersion

if TYPE_CHECKING:
    from .service import S3Service


def dump(self: S3Service) -> dict[str, Any] | None:
    """Buckets, settings and current objects as JSON-able data."""
    if not self.buckets:
        return None
    return {
        "buckets": [
            {
                "name": b.name,
                "region": b.region,
                "created": b.created,
                "versioning": b.versioning,
                "tags": dict(b.tags),
                "settings": dict(b.settings),
                "objects": [
                    {
                        "key": v.key,
                        "version_id": v.version_id,
                        "body": base64.b64encode(v.body).decode(),
                        "etag": v.etag,
                        "last_modified": v.last_modified,
                        "content_type": v.content_type,
                        "metadata": dict(v.metadata),
                        "headers": dict(v.headers),
                        "storage_class": v.storage_class,
                        "delete_marker": v.delete_marker,
                        "tags": dict(v.tags),
                        "checksum_algorithm": v.checksum_algorithm,
                        "checksum": v.checksum,
                        "checksum_type": v.checksum_type,
                        "acl": v.acl,
                    }
                    for key in b.keys
                    for v in b.objects[key]
                ],
            }
            for b in self.buckets.values()
        ]
    }


def load(self: S3Service, data: dict[str, Any]) -> None:
    """Restore what dump() produced (notification settings are not saved)."""
    for saved in data.get("buckets", []):
        bucket = Bucket(
            saved["name"],
            f"arn:aws:s3:::{saved['name']}",
            saved["created"],
            saved["region"],
            versioning=saved.get("versioning", ""),
            tags=dict(saved.get("tags", {})),
            settings=dict(saved.get("settings", {})),
        )
        for o in saved.get("objects", []):
            bucket.add_version(
                ObjectVersion(
                    o["key"],
                    o["version_id"],
                    base64.b64decode(o["body"]),
                    o["etag"],
                    o["last_modified"],
                    o["content_type"],
                    dict(o["metadata"]),
                    dict(o["headers"]),
                    o["storage_class"],
                    o["delete_marker"],
                    dict(o.get("tags", {})),
                    o.get("checksum_algorithm"),
                    o.get("checksum"),
                    o.get("checksum_type", "FULL_OBJECT"),
                    o.get("acl"),
                )
            )
        self.buckets[bucket.name] = bucket
