"""What S3 requires of a bucket sub-resource before it stores it (settings.py calls these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import invalid_argument, invalid_request

if TYPE_CHECKING:
    from .models import Bucket

OWNERSHIPS = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")
_CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
_KMS = ("aws:kms", "aws:kms:dsse")


def malformed_xml() -> ServiceError:
    """MalformedXML: a body that does not validate against S3's schema."""
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def encryption(bucket: Bucket, config: dict[str, Any]) -> None:
    """One rule; a KMS key only with a KMS algorithm."""
    rules = config.get("Rules") or []
    if len(rules) != 1:
        raise malformed_xml()
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    if "KMSMasterKeyID" in default and default.get("SSEAlgorithm") not in _KMS:
        raise invalid_argument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
            "aws:kms:dsse",
            "ApplyServerSideEncryptionByDefault",
        )


def ownership(bucket: Bucket, config: dict[str, Any]) -> None:
    """Exactly one rule naming a known ObjectOwnership."""
    rules = config.get("Rules") or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIPS:
        raise malformed_xml()


def accelerate(bucket: Bucket, config: dict[str, Any]) -> None:
    """Enabled or Suspended, and never on a bucket whose name has a period."""
    if config.get("Status") not in ("Enabled", "Suspended"):
        raise malformed_xml()
    if "." in bucket.name:
        raise invalid_request(
            "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
        )


def request_payment(bucket: Bucket, config: dict[str, Any]) -> None:
    """Requester or BucketOwner."""
    if config.get("Payer") not in ("Requester", "BucketOwner"):
        raise malformed_xml()


def cors(bucket: Bucket, config: dict[str, Any]) -> None:
    """At least one rule, each with methods S3 knows."""
    rules = config.get("CORSRules") or []
    if not rules:
        raise malformed_xml()
    for rule in rules:
        for method in rule.get("AllowedMethods") or []:
            if method not in _CORS_METHODS:
                raise invalid_request(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
