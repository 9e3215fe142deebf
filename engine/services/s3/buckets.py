"""Bucket operations: create, delete, head, list, location, versioning, tags, notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ServiceError
from engine.identity import caller_region
from engine.services.iam.documents import check_resource_policy

from . import acl, notifications, object_lock
from .errors import check_bucket_name, invalid_argument, no_such_bucket_policy, not_found_head
from .models import OWNER, Bucket, boto_time
from .object_tags import tag_set
from .setting_checks import OWNERSHIPS

if TYPE_CHECKING:
    from .service import S3Service


class BucketOperations:
    """S3 bucket operations (mixed into S3Service)."""

    def create_bucket(self: S3Service, params: dict) -> dict:
        """CreateBucket (us-east-1 answers success when you already own the bucket)."""
        name = params["Bucket"]
        check_bucket_name(name)
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        region = constraint or "us-east-1"
        # The endpoint the request reached: the region it was signed for (buckets are global).
        endpoint = caller_region.get() or self.region
        if endpoint == "us-east-1":
            if constraint == "us-east-1":
                raise ServiceError(
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                    extra={"LocationConstraint": constraint},
                )
            if constraint and constraint != endpoint:
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    f"The {constraint} location constraint is incompatible for the region specific "
                    "endpoint this request was sent to.",
                )
        elif constraint != endpoint:
            raise ServiceError(
                "IllegalLocationConstraintException",
                f"The {constraint or 'unspecified'} location constraint is incompatible for the "
                "region specific endpoint this request was sent to.",
            )
        if name in self.buckets:
            tagged = bool((params.get("CreateBucketConfiguration") or {}).get("Tags"))
            if endpoint != "us-east-1" or tagged:  # us-east-1 repeats a plain create only
                raise ServiceError(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    status_code=409,
                    extra={"BucketName": name},
                )
            return {"Location": f"/{name}", "BucketArn": self.buckets[name].arn}
        bucket = Bucket(name, f"arn:aws:s3:::{name}", self.clock.now(), region)
        tags = (params.get("CreateBucketConfiguration") or {}).get("Tags")
        if tags:
            bucket.tags = tag_set(tags, "create-bucket")
        if "ObjectOwnership" in params:
            if params["ObjectOwnership"] not in OWNERSHIPS:
                raise invalid_argument(
                    f"Invalid x-amz-object-ownership header: {params['ObjectOwnership']}",
                    "x-amz-object-ownership",
                )
            bucket.settings["OwnershipControls"] = {
                "Rules": [{"ObjectOwnership": params["ObjectOwnership"]}]
            }
        grants, beyond_owner = acl.grants_from(params)
        if beyond_owner and acl.acls_disabled(bucket):
            raise ServiceError(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            )
        if grants is not None:
            bucket.settings["ACL"] = grants
        if params.get("ObjectLockEnabledForBucket"):
            bucket.versioning = "Enabled"  # Object Lock turns versioning on for good
            bucket.settings["ObjectLockConfiguration"] = {"ObjectLockEnabled": "Enabled"}
        self.buckets[name] = bucket
        self.emit("created", bucket.arn)
        location = f"/{name}" if endpoint == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location, "BucketArn": bucket.arn}

    def delete_bucket(self: S3Service, params: dict) -> dict:
        """DeleteBucket (only when empty, versions included)."""
        bucket = self.bucket_for(params)
        if bucket.objects:
            raise ServiceError(
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
                status_code=409,
                extra={"BucketName": bucket.name},
            )
        del self.buckets[bucket.name]
        self.emit("deleted", bucket.arn)
        return {}

    def head_bucket(self: S3Service, params: dict) -> dict:
        """HeadBucket."""
        bucket = self.buckets.get(params["Bucket"])
        if bucket is None:
            raise not_found_head()
        return {"BucketRegion": bucket.region, "AccessPointAlias": False}

    def list_buckets(self: S3Service, params: dict) -> dict:
        """ListBuckets (optionally by Prefix)."""
        prefix = params.get("Prefix", "")
        return {
            "Buckets": [
                {"Name": b.name, "CreationDate": boto_time(b.created), "BucketRegion": b.region}
                for b in sorted(self.buckets.values(), key=lambda b: b.name)
                if b.name.startswith(prefix)
            ],
            "Owner": dict(OWNER),
        }

    def get_bucket_location(self: S3Service, params: dict) -> dict:
        """GetBucketLocation (None for us-east-1, as AWS answers)."""
        bucket = self.bucket_for(params)
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    def put_bucket_versioning(self: S3Service, params: dict) -> dict:
        """PutBucketVersioning: Enabled or Suspended (never back to unversioned)."""
        bucket = self.bucket_for(params)
        status = (params["VersioningConfiguration"] or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        if status != "Enabled" and object_lock.lock_enabled(bucket):
            raise ServiceError(
                "InvalidBucketState",
                "An Object Lock configuration is present on this bucket, so the versioning state "
                "cannot be changed.",
                status_code=409,
            )
        bucket.versioning = status
        return {}

    def get_bucket_versioning(self: S3Service, params: dict) -> dict:
        """GetBucketVersioning ({} if versioning was never enabled)."""
        bucket = self.bucket_for(params)
        return {"Status": bucket.versioning} if bucket.versioning else {}

    def put_bucket_tagging(self: S3Service, params: dict) -> dict:
        """PutBucketTagging."""
        bucket = self.bucket_for(params)
        bucket.tags = tag_set(params["Tagging"]["TagSet"], "bucket")
        return {}

    def get_bucket_tagging(self: S3Service, params: dict) -> dict:
        """GetBucketTagging."""
        bucket = self.bucket_for(params)
        if not bucket.tags:
            raise ServiceError(
                "NoSuchTagSet",
                "The TagSet does not exist",
                status_code=404,
                extra={"BucketName": bucket.name},
            )
        return {"TagSet": [{"Key": k, "Value": v} for k, v in bucket.tags.items()]}

    def delete_bucket_tagging(self: S3Service, params: dict) -> dict:
        """DeleteBucketTagging."""
        self.bucket_for(params).tags = {}
        return {}

    async def put_bucket_notification_configuration(self: S3Service, params: dict) -> dict:
        """PutBucketNotificationConfiguration: validates destinations, then sends s3:TestEvent."""
        bucket = self.bucket_for(params)
        parsed, eventbridge = await notifications.parse_configuration(
            self,
            params["NotificationConfiguration"],
            bool(params.get("SkipDestinationValidation")),
            f"arn:aws:s3:::{bucket.name}",
        )
        bucket.notifications = parsed
        bucket.eventbridge = eventbridge
        await notifications.send_test_events(self, bucket, parsed)
        return {}

    def put_bucket_policy(self: S3Service, params: dict) -> dict:
        """PutBucketPolicy: a resource-based policy (IAM evaluates it when enforcement is on)."""
        bucket = self.bucket_for(params)
        text = params["Policy"]
        try:
            check_resource_policy(text)
        except ServiceError as error:
            raise ServiceError("MalformedPolicy", error.message) from None
        bucket.policy = text
        return {}

    def get_bucket_policy(self: S3Service, params: dict) -> dict:
        """GetBucketPolicy."""
        bucket = self.bucket_for(params)
        if bucket.policy is None:
            raise no_such_bucket_policy(bucket.name)
        return {"Policy": bucket.policy}

    def delete_bucket_policy(self: S3Service, params: dict) -> dict:
        """DeleteBucketPolicy."""
        self.bucket_for(params).policy = None
        return {}

    def bucket_policy_text(self: S3Service, name: str) -> str | None:
        """The bucket policy of `name` (None when it has none or does not exist)."""
        bucket = self.buckets.get(name)
        return bucket.policy if bucket is not None else None

    def get_bucket_notification_configuration(self: S3Service, params: dict) -> dict:
        """GetBucketNotificationConfiguration."""
        return notifications.describe(self.bucket_for(params))
