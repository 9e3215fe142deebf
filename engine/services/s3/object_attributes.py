"""GetObjectAttributes: an object's ETag, checksum, parts, storage class and size, as asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import checksums
from .models import boto_time

if TYPE_CHECKING:
    from .service import S3Service


class ObjectAttributeOperations:
    """GetObjectAttributes (mixed into S3Service)."""

    def get_object_attributes(self: S3Service, params: dict) -> dict:
        """The attributes named in ObjectAttributes (the ETag without its quotes, as AWS gives it)."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        wanted = set(params["ObjectAttributes"])
        result: dict[str, Any] = {"LastModified": boto_time(version.last_modified)}
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        if "ETag" in wanted:
            result["ETag"] = version.etag.strip('"')
        if "Checksum" in wanted and version.checksum_algorithm:
            value = (version.checksum or "").partition("-")[0]  # a composite's "-N" left out
            result["Checksum"] = checksums.answer(
                version.checksum_algorithm, value, version.checksum_type
            )
        parts = version.etag.strip('"').partition("-")[2]
        if "ObjectParts" in wanted and parts.isdigit():
            result["ObjectParts"] = {"TotalPartsCount": int(parts)}
        if "StorageClass" in wanted:
            result["StorageClass"] = version.storage_class
        if "ObjectSize" in wanted:
            result["ObjectSize"] = version.size
        return result
