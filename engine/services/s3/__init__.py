"""Amazon S3: buckets, objects, versioning and event notifications (see docs/services/s3.md)."""

from .service import S3Service as SERVICE

__all__ = ["SERVICE"]
