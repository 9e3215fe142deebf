"""Object Lock: retention (GOVERNANCE/COMPLIANCE until a date) and legal holds on object versions.

A locked version cannot be deleted (by version id) until its retention passes, except GOVERNANCE
with BypassGovernanceRetention; a legal hold blocks deletion until it is turned OFF.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import invalid_argument

if TYPE_CHECKING:
    from .models import Bucket, ObjectVersion
    from .service import S3Service

_MODES = ("GOVERNANCE", "COMPLIANCE")
_MALFORMED = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)


def lock_enabled(bucket: Bucket) -> bool:
    """Whether the bucket has Object Lock enabled."""
    config = bucket.settings.get("ObjectLockConfiguration") or {}
    return config.get("ObjectLockEnabled") == "Enabled"


def _epoch(value: Any) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _no_lock_configuration() -> ServiceError:
    return ServiceError(
        "NoSuchObjectLockConfiguration",
        "The specified object does not have a ObjectLock configuration",
        status_code=404,
    )


def _missing_configuration() -> ServiceError:
    return ServiceError("InvalidRequest", "Bucket is missing Object Lock Configuration")


def lock_for_write(bucket: Bucket, params: dict, now: float) -> tuple[dict | None, str | None]:
    """The retention and legal hold a PutObject sets (checked), or the bucket's default."""
    mode, until = params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    if mode is None and until is None and hold is None:
        return _default_retention(bucket, now), None
    if (mode is None) != (until is None):
        raise invalid_argument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            "x-amz-object-lock-mode" if mode is None else "x-amz-object-lock-retain-until-date",
        )
    if mode is not None and mode not in _MODES:
        raise invalid_argument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
    if not lock_enabled(bucket):
        raise _missing_configuration()
    retention = {"Mode": mode, "RetainUntilDate": until} if mode is not None else None
    return retention, hold


def _default_retention(bucket: Bucket, now: float) -> dict | None:
    """The retention a bucket's default rule gives a new version, counted from now."""
    config = bucket.settings.get("ObjectLockConfiguration") or {}
    rule = (config.get("Rule") or {}).get("DefaultRetention")
    if not rule or "Mode" not in rule:
        return None
    days = rule.get("Days") or 365 * (rule.get("Years") or 0)
    until = datetime.fromtimestamp(int(now + days * 86400), UTC)
    return {"Mode": rule["Mode"], "RetainUntilDate": until}


def lock_answer(version: ObjectVersion) -> dict[str, Any]:
    """The x-amz-object-lock-* members GET/HEAD answer."""
    result: dict[str, Any] = {}
    if version.retention:
        result["ObjectLockMode"] = version.retention["Mode"]
        result["ObjectLockRetainUntilDate"] = version.retention["RetainUntilDate"]
    if version.legal_hold:
        result["ObjectLockLegalHoldStatus"] = version.legal_hold
    return result


def check_delete(version: ObjectVersion, bypass: bool, now: float) -> None:
    """AccessDenied for a version under retention or legal hold."""
    if version.legal_hold == "ON":
        raise _protected()
    retention = version.retention
    active = retention is not None and _epoch(retention["RetainUntilDate"]) > now
    if active and not (retention["Mode"] == "GOVERNANCE" and bypass):
        raise _protected()


def check_bypass(bucket: Bucket, params: dict) -> None:
    """BypassGovernanceRetention only means something on an Object Lock bucket."""
    if params.get("BypassGovernanceRetention") and not lock_enabled(bucket):
        raise invalid_argument(
            "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
            "x-amz-bypass-governance-retention",
        )


def _protected() -> ServiceError:
    return ServiceError(
        "AccessDenied", "Access Denied because object protected by object lock.", status_code=403
    )


class ObjectLockOperations:
    """Object retention and legal hold operations (mixed into S3Service)."""

    def _locked_version(self: S3Service, params: dict, method: str) -> ObjectVersion:
        bucket = self.bucket_for(params)
        if not lock_enabled(bucket):
            raise _missing_configuration()
        wanted = params.get("VersionId")
        versions = bucket.objects.get(params["Key"]) or []
        found = [v for v in versions if v.version_id == wanted] if wanted else versions[-1:]
        if found and found[0].delete_marker:
            raise ServiceError(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                status_code=405,
                extra={"Method": method, "ResourceType": "DeleteMarker"},
            )
        return self._version(bucket, params["Key"], wanted, head=False)

    def put_object_retention(self: S3Service, params: dict) -> dict:
        """PutObjectRetention: shortening or removing GOVERNANCE retention needs the bypass."""
        version = self._locked_version(params, "PUT")
        retention = params.get("Retention") or {}
        if retention and ("Mode" not in retention or "RetainUntilDate" not in retention):
            raise ServiceError("MalformedXML", _MALFORMED)
        current = version.retention
        if current and _epoch(current["RetainUntilDate"]) > self.clock.now():
            shorter = not retention or _epoch(retention["RetainUntilDate"]) < _epoch(
                current["RetainUntilDate"]
            )
            bypass = current["Mode"] == "GOVERNANCE" and params.get("BypassGovernanceRetention")
            if shorter and not bypass:
                raise _protected()
        if retention and _epoch(retention["RetainUntilDate"]) <= self.clock.now():
            until = retention["RetainUntilDate"]
            text = (
                until.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
                if isinstance(until, datetime)
                else str(until)
            )
            raise invalid_argument(
                "The retain until date must be in the future!", "RetainUntilDate", text
            )
        version.retention = dict(retention) if retention else None
        return {}

    def get_object_retention(self: S3Service, params: dict) -> dict:
        """GetObjectRetention."""
        version = self._locked_version(params, "GET")
        if not version.retention:
            raise _no_lock_configuration()
        return {"Retention": dict(version.retention)}

    def put_object_legal_hold(self: S3Service, params: dict) -> dict:
        """PutObjectLegalHold: ON or OFF."""
        version = self._locked_version(params, "PUT")
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise ServiceError("MalformedXML", _MALFORMED)
        version.legal_hold = status
        return {}

    def get_object_legal_hold(self: S3Service, params: dict) -> dict:
        """GetObjectLegalHold."""
        version = self._locked_version(params, "GET")
        if not version.legal_hold:
            raise _no_lock_configuration()
        return {"LegalHold": {"Status": version.legal_hold}}


def check_configuration(bucket: Bucket, config: dict[str, Any]) -> None:
    """Object Lock can be put on an existing bucket only once versioning is Enabled."""
    if bucket.versioning != "Enabled":
        raise ServiceError(
            "InvalidBucketState",
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
            status_code=409,
        )
