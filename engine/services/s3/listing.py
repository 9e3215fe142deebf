"""Ordered listing of a bucket's keys (prefix, delimiter, start, page size) and the list operations."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .errors import check_encoding_type, invalid_argument
from .models import OWNER, Bucket, ObjectVersion, boto_time

if TYPE_CHECKING:
    from .service import S3Service


def walk(bucket: Bucket, prefix: str, delimiter: str, after: str) -> Iterator[tuple[str, bool]]:
    """Yield (key or common prefix, is_prefix) in key order, strictly after `after`.

    Starts with a bisect on the sorted key index and jumps over each common prefix, so a page
    costs O(log n + page size) rather than a scan of the bucket.
    """
    keys = bucket.keys
    start = max(prefix, after)
    index = bisect.bisect_right(keys, after) if after >= prefix else bisect.bisect_left(keys, start)
    count = len(keys)
    while index < count:
        key = keys[index]
        if not key.startswith(prefix):
            return
        if bucket.current(key) is None:
            index += 1
            continue
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
                if common > after:
                    yield common, True
                # Skip every key under this common prefix.
                index = bisect.bisect_left(keys, common + "\U0010ffff", index)
                continue
        yield key, False
        index += 1


def page(
    bucket: Bucket, prefix: str, delimiter: str, after: str, max_keys: int
) -> tuple[list[str], list[str], bool, str]:
    """(keys, common prefixes, truncated, last entry) of one page."""
    keys: list[str] = []
    prefixes: list[str] = []
    last = ""
    truncated = False
    for entry, is_prefix in walk(bucket, prefix, delimiter, after):
        if len(keys) + len(prefixes) >= max_keys:
            truncated = True
            break
        (prefixes if is_prefix else keys).append(entry)
        last = entry
    return keys, prefixes, truncated, last


def _checksum_members(version: ObjectVersion) -> dict[str, Any]:
    """How a listing names an object's checksum: its algorithm and type, not its value."""
    if not version.checksum_algorithm:
        return {}
    return {
        "ChecksumAlgorithm": [version.checksum_algorithm],
        "ChecksumType": version.checksum_type,
    }


class ListingOperations:
    """ListObjects, ListObjectsV2 and ListObjectVersions (mixed into S3Service)."""

    def _content(self: S3Service, bucket: Bucket, key: str, owner: bool) -> dict:
        version = bucket.current(key)
        assert version is not None
        entry: dict[str, Any] = {
            "Key": key,
            "LastModified": boto_time(version.last_modified),
            "ETag": version.etag,
            "Size": version.size,
            "StorageClass": version.storage_class,
            **_checksum_members(version),
        }
        if owner:
            entry["Owner"] = dict(OWNER)
        return entry

    def list_objects_v2(self: S3Service, params: dict) -> dict:
        """ListObjectsV2: Prefix, Delimiter, MaxKeys, StartAfter, ContinuationToken."""
        bucket = self.bucket_for(params)
        check_encoding_type(params)
        prefix = params.get("Prefix", "")
        delimiter = params.get("Delimiter", "")
        max_keys = params.get("MaxKeys", 1000)
        after = params.get("StartAfter", "")
        token = params.get("ContinuationToken")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise invalid_argument(
                    "The continuation token provided is incorrect", "continuation-token", token
                ) from None
        keys, prefixes, truncated, last = page(bucket, prefix, delimiter, after, max_keys)
        result: dict[str, Any] = {
            "IsTruncated": truncated,
            "Name": bucket.name,
            "Prefix": prefix,
            "MaxKeys": max_keys,
            "KeyCount": len(keys) + len(prefixes),
        }
        if keys:
            result["Contents"] = [
                self._content(bucket, k, bool(params.get("FetchOwner"))) for k in keys
            ]
        if prefixes:
            result["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if delimiter:
            result["Delimiter"] = delimiter
        if "StartAfter" in params:
            result["StartAfter"] = params["StartAfter"]
        if token is not None:
            result["ContinuationToken"] = token
        if truncated:
            result["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode()).decode()
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        return result

    def list_objects(self: S3Service, params: dict) -> dict:
        """ListObjects (v1): Prefix, Delimiter, Marker, MaxKeys; NextMarker only with a delimiter."""
        bucket = self.bucket_for(params)
        check_encoding_type(params)
        prefix = params.get("Prefix", "")
        delimiter = params.get("Delimiter", "")
        max_keys = params.get("MaxKeys", 1000)
        marker = params.get("Marker", "")
        keys, prefixes, truncated, last = page(bucket, prefix, delimiter, marker, max_keys)
        result: dict[str, Any] = {
            "IsTruncated": truncated,
            "Marker": marker,
            "Name": bucket.name,
            "Prefix": prefix,
            "MaxKeys": max_keys,
        }
        if keys:
            result["Contents"] = [self._content(bucket, k, True) for k in keys]
        if prefixes:
            result["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if delimiter:
            result["Delimiter"] = delimiter
            if truncated:
                result["NextMarker"] = last
        return result

    def list_object_versions(self: S3Service, params: dict) -> dict:
        """ListObjectVersions: every version and delete marker, newest first per key."""
        bucket = self.bucket_for(params)
        check_encoding_type(params)
        prefix = params.get("Prefix", "")
        max_keys = params.get("MaxKeys", 1000)
        versions: list[dict] = []
        markers: list[dict] = []
        count = 0
        truncated = False
        key_marker = params.get("KeyMarker", "")
        version_marker = params.get("VersionIdMarker", "")
        last: tuple[str, str] = ("", "")
        for key in bucket.keys:
            if not key.startswith(prefix) or key < key_marker:
                continue
            history = list(reversed(bucket.objects[key]))
            if key == key_marker:
                # resume after VersionIdMarker within the marker's key (or skip the key)
                ids = [v.version_id for v in history]
                if not version_marker or version_marker not in ids:
                    continue
                start = ids.index(version_marker) + 1
            else:
                start = 0
            for index, version in enumerate(history):
                if index < start:
                    continue
                if count >= max_keys:
                    truncated = True
                    break
                last = (key, version.version_id)
                entry: dict[str, Any] = {
                    "Key": key,
                    "VersionId": version.version_id,
                    "IsLatest": index == 0,
                    "LastModified": boto_time(version.last_modified),
                    "Owner": dict(OWNER),
                }
                if version.delete_marker:
                    markers.append(entry)
                else:
                    entry.update(
                        {
                            "ETag": version.etag,
                            "Size": version.size,
                            "StorageClass": version.storage_class,
                            **_checksum_members(version),
                        }
                    )
                    versions.append(entry)
                count += 1
            if truncated:
                break
        result: dict[str, Any] = {
            "IsTruncated": truncated,
            "KeyMarker": params.get("KeyMarker", ""),
            "VersionIdMarker": params.get("VersionIdMarker", ""),
            "Name": bucket.name,
            "Prefix": prefix,
            "MaxKeys": max_keys,
        }
        if truncated:
            result["NextKeyMarker"], result["NextVersionIdMarker"] = last
        if versions:
            result["Versions"] = versions
        if markers:
            result["DeleteMarkers"] = markers
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        return result
