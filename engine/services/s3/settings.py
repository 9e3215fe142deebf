"""Bucket sub-resources stored as put and returned by Get: CORS, lifecycle, encryption, ownership …

Each setting is one row of SETTINGS: the request member that carries it, what Get answers when it
was never put (AWS's default for new buckets, or its not-found error) and whether Delete puts the
default back. The Put/Get/Delete operations are made from the rows, so they all behave alike.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from . import setting_checks as checks
from .object_lock import check_configuration

if TYPE_CHECKING:
    from .models import Bucket
    from .service import S3Service


@dataclass(frozen=True, slots=True)
class Setting:
    """One bucket sub-resource: where Put carries it and what Get answers without it."""

    name: str  # the operations' suffix: Cors → PutBucketCors, GetBucketCors, DeleteBucketCors
    member: str  # the Put request member holding the configuration
    answer: str | None  # Get's member (None: Get answers the configuration's members directly)
    default: dict | None = None  # what a new bucket has (None: Get raises `missing`)
    missing: tuple[str, str] | None = None  # (code, message) of Get's 404 when unset
    delete: str | None = ""  # the Delete operation's suffix ("": `name`; None: S3 has none)
    infix: str = "Bucket"  # PutBucketCors, but PutPublicAccessBlock
    check: Callable[[Bucket, dict], None] | None = None  # what Put requires (bucket, config)
    # A request member kept beside the configuration and answered by Put and Get, with its default.
    companion: tuple[str, str] | None = None


_ENCRYPTION = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
        }
    ]
}
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

SETTINGS = (
    Setting(
        "Cors",
        "CORSConfiguration",
        None,
        missing=("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
        check=checks.cors,
    ),
    Setting(
        "LifecycleConfiguration",
        "LifecycleConfiguration",
        None,
        missing=("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
        delete="Lifecycle",
        companion=("TransitionDefaultMinimumObjectSize", "all_storage_classes_128K"),
    ),
    Setting(
        "Encryption",
        "ServerSideEncryptionConfiguration",
        "ServerSideEncryptionConfiguration",
        default=_ENCRYPTION,
        check=checks.encryption,
    ),
    Setting(
        "OwnershipControls",
        "OwnershipControls",
        "OwnershipControls",
        default={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        missing=("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
        check=checks.ownership,
    ),
    Setting(
        "Website",
        "WebsiteConfiguration",
        None,
        missing=(
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
    ),
    Setting(
        "Replication",
        "ReplicationConfiguration",
        "ReplicationConfiguration",
        missing=(
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
        ),
    ),
    Setting(
        "AccelerateConfiguration",
        "AccelerateConfiguration",
        None,
        default={},
        delete=None,
        check=checks.accelerate,
    ),
    Setting(
        "RequestPayment",
        "RequestPaymentConfiguration",
        None,
        default={"Payer": "BucketOwner"},
        delete=None,
        check=checks.request_payment,
    ),
    Setting("Logging", "BucketLoggingStatus", None, default={}, delete=None),
    Setting(
        "PublicAccessBlock",
        "PublicAccessBlockConfiguration",
        "PublicAccessBlockConfiguration",
        default=_PUBLIC_ACCESS_BLOCK,
        missing=(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        ),
        infix="",
    ),
    Setting(
        "ObjectLockConfiguration",
        "ObjectLockConfiguration",
        "ObjectLockConfiguration",
        missing=(
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ),
        delete=None,
        infix="",
        check=check_configuration,
    ),
)


def _stored(service: S3Service, params: dict) -> dict[str, Any]:
    return service.bucket_for(params).settings


def _put(setting: Setting) -> Callable[[S3Service, dict], dict]:
    def operation(self: S3Service, params: dict) -> dict:
        stored = _stored(self, params)
        if setting.check is not None:
            setting.check(self.bucket_for(params), params[setting.member])
        stored[setting.name] = copy.deepcopy(params[setting.member])
        stored.pop(f"-{setting.name}", None)
        if setting.companion is None:
            return {}
        member, default = setting.companion
        stored[f"{setting.name}:{member}"] = params.get(member, default)
        return {member: stored[f"{setting.name}:{member}"]}

    operation.__doc__ = f"Store the bucket's {setting.member}."
    return operation


def _get(setting: Setting) -> Callable[[S3Service, dict], dict]:
    def operation(self: S3Service, params: dict) -> dict:
        stored = _stored(self, params)
        if setting.name in stored:
            value = stored[setting.name]
        elif setting.default is not None and f"-{setting.name}" not in stored:
            value = setting.default
        else:
            assert setting.missing is not None
            code, message = setting.missing
            raise ServiceError(
                code, message, status_code=404, extra={"BucketName": params["Bucket"]}
            )
        answer = {setting.answer: copy.deepcopy(value)} if setting.answer else copy.deepcopy(value)
        if setting.companion is not None:
            member, default = setting.companion
            answer[member] = stored.get(f"{setting.name}:{member}", default)
        return answer

    operation.__doc__ = f"The bucket's {setting.member} (AWS's default or 404 when unset)."
    return operation


def _delete(setting: Setting) -> Callable[[S3Service, dict], dict]:
    def operation(self: S3Service, params: dict) -> dict:
        stored = _stored(self, params)
        stored.pop(setting.name, None)
        if setting.missing is not None and setting.default is not None:
            stored[f"-{setting.name}"] = True  # deleted: Get now answers not-found, not the default
        return {}

    operation.__doc__ = f"Remove the bucket's {setting.member}."
    return operation


def operations() -> dict[str, Callable[[S3Service, dict], dict]]:
    """Every setting's Put/Get/Delete operation, by the engine's snake_case name."""
    from botocore import xform_name

    made: dict[str, Callable[[S3Service, dict], dict]] = {}
    for setting in SETTINGS:
        made[xform_name(f"Put{setting.infix}{setting.name}")] = _put(setting)
        made[xform_name(f"Get{setting.infix}{setting.name}")] = _get(setting)
        if setting.delete is not None:
            delete = f"Delete{setting.infix}{setting.delete or setting.name}"
            made[xform_name(delete)] = _delete(setting)
    return made


class SettingOperations:
    """The bucket sub-resource operations (mixed into S3Service), made from SETTINGS."""


for _name, _operation in operations().items():
    _operation.__name__ = _name
    setattr(SettingOperations, _name, _operation)


#: Bucket configurations kept by Id (PutBucketMetricsConfiguration …): their request member.
BY_ID = {
    "Metrics": "MetricsConfiguration",
    "Analytics": "AnalyticsConfiguration",
    "Inventory": "InventoryConfiguration",
    "IntelligentTiering": "IntelligentTieringConfiguration",
}


def _no_such_configuration() -> ServiceError:
    return ServiceError(
        "NoSuchConfiguration", "The specified configuration does not exist.", status_code=404
    )


def _by_id_operations(kind: str, member: str) -> dict[str, Callable[[S3Service, dict], dict]]:
    def configurations(self: S3Service, params: dict) -> dict[str, Any]:
        return _stored(self, params).setdefault(f"{kind}ById", {})

    def put(self: S3Service, params: dict) -> dict:
        configurations(self, params)[params["Id"]] = copy.deepcopy(params[member])
        return {}

    def get(self: S3Service, params: dict) -> dict:
        found = configurations(self, params).get(params["Id"])
        if found is None:
            raise _no_such_configuration()
        return {member: copy.deepcopy(found)}

    def delete(self: S3Service, params: dict) -> dict:
        if configurations(self, params).pop(params["Id"], None) is None:
            raise _no_such_configuration()
        return {}

    def list_all(self: S3Service, params: dict) -> dict:
        found = configurations(self, params)
        result: dict[str, Any] = {"IsTruncated": False}
        if found:
            result[f"{member}List"] = [copy.deepcopy(found[key]) for key in sorted(found)]
        if "ContinuationToken" in params:
            result["ContinuationToken"] = params["ContinuationToken"]
        return result

    put.__doc__ = f"Store a {member} under its Id."
    get.__doc__ = f"The {member} with this Id (NoSuchConfiguration otherwise)."
    delete.__doc__ = f"Remove the {member} with this Id."
    list_all.__doc__ = f"Every {member} of the bucket, by Id."
    return {
        f"put_bucket_{xform(kind)}_configuration": put,
        f"get_bucket_{xform(kind)}_configuration": get,
        f"delete_bucket_{xform(kind)}_configuration": delete,
        f"list_bucket_{xform(kind)}_configurations": list_all,
    }


def xform(name: str) -> str:
    """A CamelCase name as the engine's snake_case operation names spell it."""
    from botocore import xform_name

    return xform_name(name)


for _kind, _member in BY_ID.items():
    for _name, _operation in _by_id_operations(_kind, _member).items():
        _operation.__name__ = _name
        setattr(SettingOperations, _name, _operation)


def expiration(bucket: Bucket, key: str, last_modified: float) -> str | None:
    """The x-amz-expiration value of an object a lifecycle Expiration rule (in days) covers.

    S3 rounds the expiry up to the next midnight UTC after `Days` days from the object's creation.
    """
    config = bucket.settings.get("LifecycleConfiguration")
    for rule in (config or {}).get("Rules") or []:
        days = (rule.get("Expiration") or {}).get("Days")
        prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", ""))
        if rule.get("Status") != "Enabled" or not days or not key.startswith(prefix or ""):
            continue
        midnight = (int(last_modified) // 86400 + 1 + int(days)) * 86400
        when = formatdate(midnight, usegmt=True)
        return f'expiry-date="{when}", rule-id="{rule.get("ID", "")}"'
    return None
