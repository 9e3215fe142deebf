"""Bucket operations: create, delete, head, list, location, versioning, tags, notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ServiceError
from engine.services.iam.documents import check_resource_policy

from . import notifications
from .errors import check_bucket_name, no_such_bucket_policy, not_found_head
from .models import OWNER, Bucket, boto_time

if TYPE_CHECKING:
    from .service import S3Service


class BucketOperations:
    """S3 bucket operations (delegated to by S3Service)."""

    def __init__(self, service: S3Service) -> None:
        self.service = service

    def create_bucket(self, params: dict) -> dict:
        """CreateBucket (us-east-1 answers success when you already own the bucket)."""
        name = params["Bucket"]
        check_bucket_name(name)
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        region = constraint or "us-east-1"
        if self.service.region == "us-east-1":
            if constraint == "us-east-1":
                raise ServiceError(
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                    extra={"LocationConstraint": constraint},
                )
            if constraint and constraint != self.service.region:
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    f"The {constraint} location constraint is incompatible for the region specific "
                    "endpoint this request was sent to.",
                )
        elif constraint != self.service.region:
            raise ServiceError(
                "IllegalLocationConstraintException",
                f"The {constraint or 'unspecified'} location constraint is incompatible for the "
                "region specific endpoint this request was sent to.",
            )
        if name in self.service.buckets:
            if self.service.region != "us-east-1":
                raise ServiceError(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    status_code=409,
                    extra={"BucketName": name},
                )
            return {"Location": f"/{name}", "BucketArn": self.service.buckets[name].arn}
        bucket = Bucket(name, f"arn:aws:s3:::{name}", self.service.clock.now(), region)
        self.service.buckets[name] = bucket
        self.service.emit("created", bucket.arn)
        location = (
            f"/{name}" if self.service.region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        )
        return {"Location": location, "BucketArn": bucket.arn}

    def delete_bucket(self, params: dict) -> dict:
        """DeleteBucket (only when empty, versions included)."""
        bucket = self.service.bucket(params["Bucket"])
        if bucket.objects:
            raise ServiceError(
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
                status_code=409,
                extra={"BucketName": bucket.name},
            )
        del self.service.buckets[bucket.name]
        self.service.emit("deleted", bucket.arn)
        return {}

    def head_bucket(self, params: dict) -> dict:
        """HeadBucket."""
        bucket = self.service.buckets.get(params["Bucket"])
        if bucket is None:
            raise not_found_head()
        return {"BucketRegion": bucket.region, "AccessPointAlias": False}

    def list_buckets(self, params: dict) -> dict:
        """ListBuckets (optionally by Prefix)."""
        prefix = params.get("Prefix", "")
        return {
            "Buckets": [
                {"Name": b.name, "CreationDate": boto_time(b.created), "BucketRegion": b.region}
                for b in sorted(self.service.buckets.values(), key=lambda b: b.name)
                if b.name.startswith(prefix)
            ],
            "Owner": dict(OWNER),
        }

    def get_bucket_location(self, params: dict) -> dict:
        """GetBucketLocation (None for us-east-1, as AWS answers)."""
        bucket = self.service.bucket(params["Bucket"])
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    def put_bucket_versioning(self, params: dict) -> dict:
        """PutBucketVersioning: Enabled or Suspended (never back to unversioned)."""
        bucket = self.service.bucket(params["Bucket"])
        status = (params["VersioningConfiguration"] or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        bucket.versioning = status
        return {}

    def get_bucket_versioning(self, params: dict) -> dict:
        """GetBucketVersioning ({} if versioning was never enabled)."""
        bucket = self.service.bucket(params["Bucket"])
        return {"Status": bucket.versioning} if bucket.versioning else {}

    def put_bucket_tagging(self, params: dict) -> dict:
        """PutBucketTagging."""
        bucket = self.service.bucket(params["Bucket"])
        bucket.tags = {t["Key"]: t["Value"] for t in params["Tagging"]["TagSet"]}
        return {}

    def get_bucket_tagging(self, params: dict) -> dict:
        """GetBucketTagging."""
        bucket = self.service.bucket(params["Bucket"])
        if not bucket.tags:
            raise ServiceError(
                "NoSuchTagSet",
                "The TagSet does not exist",
                status_code=404,
                extra={"BucketName": bucket.name},
            )
        return {"TagSet": [{"Key": k, "Value": v} for k, v in bucket.tags.items()]}

    def delete_bucket_tagging(self, params: dict) -> dict:
        """DeleteBucketTagging."""
        self.service.bucket(params["Bucket"]).tags = {}
        return {}

    async def put_bucket_notification_configuration(self, params: dict) -> dict:
        """PutBucketNotificationConfiguration: validates destinations, then sends s3:TestEvent."""
        bucket = self.service.bucket(params["Bucket"])
        parsed, eventbridge = await notifications.parse_configuration(
            self.service,
            params["NotificationConfiguration"],
            bool(params.get("SkipDestinationValidation")),
            f"arn:aws:s3:::{bucket.name}",
        )
        bucket.notifications = parsed
        bucket.eventbridge = eventbridge
        await notifications.send_test_events(self.service, bucket, parsed)
        return {}

    def put_bucket_policy(self, params: dict) -> dict:
        """PutBucketPolicy: a resource-based policy (IAM evaluates it when enforcement is on)."""
        bucket = self.service.bucket(params["Bucket"])
        text = params["Policy"]
        try:
            check_resource_policy(text)
        except ServiceError as error:
            raise ServiceError("MalformedPolicy", error.message) from None
        bucket.policy = text
        return {}

    def get_bucket_policy(self, params: dict) -> dict:
        """GetBucketPolicy."""
        bucket = self.service.bucket(params["Bucket"])
        if bucket.policy is None:
            raise no_such_bucket_policy(bucket.name)
        return {"Policy": bucket.policy}

    def delete_bucket_policy(self, params: dict) -> dict:
        """DeleteBucketPolicy."""
        self.service.bucket(params["Bucket"]).policy = None
        return {}

    def bucket_policy_text(self, name: str) -> str | None:
        """The bucket policy of `name` (None when it has none or does not exist)."""
        bucket = self.service.buckets.get(name)
        return bucket.policy if bucket is not None else None

    def get_bucket_notification_configuration(self, params: dict) -> dict:
        """GetBucketNotificationConfiguration."""
        return notifications.describe(self.service.bucket(params["Bucket"]))
