"""Access control lists on buckets and objects: canned ACLs, grant headers, AccessControlPolicy.

The lab stores and returns ACLs as S3 does and refuses them where the bucket's ObjectOwnership
(BucketOwnerEnforced, the default since 2023) disables them; IAM enforcement reads policies only.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .models import OWNER

if TYPE_CHECKING:
    from .models import Bucket
    from .service import S3Service

_GROUPS = "http://acs.amazonaws.com/groups/"
ALL_USERS = _GROUPS + "global/AllUsers"
AUTHENTICATED_USERS = _GROUPS + "global/AuthenticatedUsers"
LOG_DELIVERY = _GROUPS + "s3/LogDelivery"

#: The grants each canned ACL adds beside the owner's FULL_CONTROL.
CANNED = {
    "private": [],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "aws-exec-read": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
}
#: ACLs a bucket with BucketOwnerEnforced still accepts (they grant nothing beyond the owner).
_OWNER_ONLY = ("private", "bucket-owner-full-control")
_GRANT_HEADERS = {
    "GrantFullControl": "FULL_CONTROL",
    "GrantRead": "READ",
    "GrantReadACP": "READ_ACP",
    "GrantWrite": "WRITE",
    "GrantWriteACP": "WRITE_ACP",
}
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)')


def _owner_grant() -> dict[str, Any]:
    return {"Grantee": {"ID": OWNER["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}


def _group_grant(uri: str, permission: str) -> dict[str, Any]:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def default_acl() -> list[dict[str, Any]]:
    """What a new bucket or object has: its owner with FULL_CONTROL."""
    return [_owner_grant()]


def _header_grants(params: dict) -> list[dict[str, Any]] | None:
    grants = []
    for member, permission in _GRANT_HEADERS.items():
        text = params.get(member)
        if text is None:
            continue
        found = _GRANTEE.findall(text)
        if not found:
            raise ServiceError("InvalidArgument", "Argument format not recognized")
        for kind, value in found:
            if kind == "uri":
                grantee = {"Type": "Group", "URI": value}
            elif kind == "id":
                grantee = {"ID": value, "Type": "CanonicalUser"}
            else:
                grantee = {"EmailAddress": value, "Type": "AmazonCustomerByEmail"}
            grants.append({"Grantee": grantee, "Permission": permission})
    return grants if grants else None


def grants_from(params: dict) -> tuple[list[dict[str, Any]] | None, bool]:
    """The grants a request sets (None: it sets none) and whether they go beyond the owner."""
    canned = params.get("ACL")
    headers = _header_grants(params)
    policy = params.get("AccessControlPolicy")
    if sum(x is not None for x in (canned, headers, policy)) > 1:
        raise ServiceError(
            "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed"
        )
    if canned is not None:
        if canned not in CANNED:
            raise ServiceError(
                "InvalidArgument", "", extra={"ArgumentName": "x-amz-acl", "ArgumentValue": canned}
            )
        extra = [_group_grant(uri, permission) for uri, permission in CANNED[canned]]
        return [_owner_grant(), *extra], canned not in _OWNER_ONLY
    if headers is not None:
        return headers, True
    if policy is not None:
        if not policy.get("Owner"):
            raise ServiceError(
                "MalformedACLError",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema",
            )
        grants = copy.deepcopy(policy.get("Grants") or [])
        beyond = any(
            g.get("Grantee", {}).get("ID") != OWNER["ID"] or g.get("Permission") != "FULL_CONTROL"
            for g in grants
        )
        return grants, beyond
    return None, False


def acls_disabled(bucket: Bucket) -> bool:
    """Whether the bucket's ObjectOwnership is BucketOwnerEnforced (ACLs disabled)."""
    if "-OwnershipControls" in bucket.settings:
        return False
    controls = bucket.settings.get("OwnershipControls")
    if controls is None:
        return True
    rules = controls.get("Rules") or [{}]
    return rules[0].get("ObjectOwnership") == "BucketOwnerEnforced"


def check_allowed(bucket: Bucket, beyond_owner: bool) -> None:
    """AccessControlListNotSupported when ACLs are disabled and the request grants anything."""
    if beyond_owner and acls_disabled(bucket):
        raise ServiceError("AccessControlListNotSupported", "The bucket does not allow ACLs")


def answer(grants: list[dict[str, Any]] | None) -> dict[str, Any]:
    """GetBucketAcl's and GetObjectAcl's answer."""
    return {"Owner": dict(OWNER), "Grants": copy.deepcopy(grants or default_acl())}


class AclOperations:
    """Bucket and object ACL operations (mixed into S3Service)."""

    def put_bucket_acl(self: S3Service, params: dict) -> dict:
        """PutBucketAcl: a canned ACL, grant headers or an AccessControlPolicy."""
        bucket = self.bucket_for(params)
        grants, beyond = grants_from(params)
        if grants is None:
            raise ServiceError(
                "MissingSecurityHeader",
                "Your request was missing a required header",
                extra={"MissingHeaderName": "x-amz-acl"},
            )
        check_allowed(bucket, beyond)
        bucket.settings["ACL"] = grants
        return {}

    def get_bucket_acl(self: S3Service, params: dict) -> dict:
        """GetBucketAcl."""
        return answer(self.bucket_for(params).settings.get("ACL"))

    def put_object_acl(self: S3Service, params: dict) -> dict:
        """PutObjectAcl on the current (or given) version."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        grants, beyond = grants_from(params)
        if grants is None:
            raise ServiceError(
                "MissingSecurityHeader",
                "Your request was missing a required header",
                extra={"MissingHeaderName": "x-amz-acl"},
            )
        check_allowed(bucket, beyond)
        version.acl = grants
        return {"VersionId": version.version_id} if version.version_id != "null" else {}

    def get_object_acl(self: S3Service, params: dict) -> dict:
        """GetObjectAcl."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        result = answer(version.acl)
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        return result
