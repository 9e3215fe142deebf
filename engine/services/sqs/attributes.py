"""Queue attributes: which exist, their defaults and ranges, and how AWS checks them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.arn import parse_arn

from .errors import invalid_attribute_name, invalid_attribute_value

MAX_MESSAGE_SIZE = 1_048_576  # 1 MiB since August 2025
DEFAULT_RETENTION = 345_600  # 4 days
MAX_VISIBILITY = 43_200  # 12 hours

#: Integer attributes: name → (minimum, maximum).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, MAX_MESSAGE_SIZE),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, MAX_VISIBILITY),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}

COMMON_SETTABLE = {
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "Policy",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
}
FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
READ_ONLY = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
}
ALL_NAMES = COMMON_SETTABLE | FIFO_ONLY | READ_ONLY


@dataclass(slots=True)
class RedrivePolicy:
    """Where messages go after too many receives."""

    dead_letter_target_arn: str
    max_receive_count: int


@dataclass(slots=True)
class QueueSettings:
    """A queue's configurable attributes as typed values."""

    fifo: bool = False
    delay_seconds: int = 0
    maximum_message_size: int = MAX_MESSAGE_SIZE
    retention_period: int = DEFAULT_RETENTION
    receive_wait_seconds: int = 0
    visibility_timeout: int = 30
    policy: str | None = None
    redrive_policy: RedrivePolicy | None = None
    redrive_allow_policy: str | None = None
    kms_master_key_id: str | None = None
    kms_data_key_reuse_period: int | None = None
    sqs_managed_sse: bool = True
    content_based_deduplication: bool = False
    deduplication_scope: str = "queue"
    fifo_throughput_limit: str = "perQueue"
    raw: dict[str, str] = field(default_factory=dict)  # attribute strings as last set


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise invalid_attribute_value(f"Invalid value for the parameter {name}.")
    return lowered == "true"


def _parse_int(name: str, value: str) -> int:
    low, high = INTEGER_RANGES[name]
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid_attribute_value(f"Invalid value for the parameter {name}.") from None
    if not low <= number <= high:
        raise invalid_attribute_value(f"Invalid value for the parameter {name}.")
    return number


def _parse_redrive_policy(value: str) -> RedrivePolicy | None:
    if value == "":
        return None
    try:
        policy = json.loads(value)
    except ValueError:
        raise invalid_attribute_value(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."
        ) from None
    if not isinstance(policy, dict):
        raise invalid_attribute_value(
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map."
        )
    target = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if target is None or count is None:
        missing = "deadLetterTargetArn" if target is None else "maxReceiveCount"
        raise invalid_attribute_value(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: {missing}."
        )
    parsed = parse_arn(str(target))
    if parsed is None or parsed.service != "sqs":
        raise invalid_attribute_value(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn."
        )
    try:
        count_value = int(count)
    except (TypeError, ValueError):
        count_value = -1
    if not 1 <= count_value <= 1000:
        raise invalid_attribute_value(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive."
        )
    return RedrivePolicy(str(target), count_value)


def _check_redrive_allow_policy(value: str) -> None:
    try:
        policy = json.loads(value)
    except ValueError:
        policy = None
    if not isinstance(policy, dict) or policy.get("redrivePermission") not in (
        "allowAll",
        "denyAll",
        "byQueue",
    ):
        raise invalid_attribute_value(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."
        )
    sources = policy.get("sourceQueueArns", [])
    if policy["redrivePermission"] == "byQueue" and not 1 <= len(sources) <= 10:
        raise invalid_attribute_value(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values."
        )
    if policy["redrivePermission"] != "byQueue" and sources:
        raise invalid_attribute_value(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. To specify one or more source queues, you must set redrivePermission to byQueue."
        )


def check_names(attributes: dict[str, str], fifo: bool, *, creating: bool) -> None:
    """Reject attribute names this queue type does not accept, in AWS's words."""
    for name in attributes:
        if name in READ_ONLY or name not in ALL_NAMES:
            raise invalid_attribute_name(f"Unknown Attribute {name}.")
        if not fifo and name in ("DeduplicationScope", "FifoThroughputLimit"):
            raise invalid_attribute_name(
                f"You can specify the {name} only when FifoQueue is set to true."
            )
        if not fifo and name in ("FifoQueue", "ContentBasedDeduplication"):
            raise invalid_attribute_name(f"Unknown Attribute {name}.")
        if fifo and name == "FifoQueue" and not creating and attributes[name].lower() != "true":
            raise invalid_attribute_value(
                "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
            )


def apply(settings: QueueSettings, attributes: dict[str, str]) -> QueueSettings:
    """A copy of `settings` with `attributes` applied; raises before anything changes."""
    updated = QueueSettings(**{f: getattr(settings, f) for f in settings.__slots__})
    updated.raw = dict(settings.raw)
    for name, value in attributes.items():
        if not isinstance(value, str):
            raise invalid_attribute_value(f"Invalid value for the parameter {name}.")
        if name in INTEGER_RANGES:
            number = _parse_int(name, value)
            if name == "DelaySeconds":
                updated.delay_seconds = number
            elif name == "MaximumMessageSize":
                updated.maximum_message_size = number
            elif name == "MessageRetentionPeriod":
                updated.retention_period = number
            elif name == "ReceiveMessageWaitTimeSeconds":
                updated.receive_wait_seconds = number
            elif name == "VisibilityTimeout":
                updated.visibility_timeout = number
            else:
                updated.kms_data_key_reuse_period = number
        elif name == "Policy":
            if value:
                try:
                    if not isinstance(json.loads(value), dict):
                        raise ValueError
                except ValueError:
                    raise invalid_attribute_value(
                        "Invalid value for the parameter Policy."
                    ) from None
            updated.policy = value or None
        elif name == "RedrivePolicy":
            updated.redrive_policy = _parse_redrive_policy(value)
        elif name == "RedriveAllowPolicy":
            if value:
                _check_redrive_allow_policy(value)
            updated.redrive_allow_policy = value or None
        elif name == "KmsMasterKeyId":
            updated.kms_master_key_id = value or None
            if value:
                updated.sqs_managed_sse = False
                if updated.kms_data_key_reuse_period is None:
                    updated.kms_data_key_reuse_period = 300
        elif name == "SqsManagedSseEnabled":
            updated.sqs_managed_sse = _parse_bool(name, value)
        elif name == "FifoQueue":
            updated.fifo = _parse_bool(name, value)
        elif name == "ContentBasedDeduplication":
            updated.content_based_deduplication = _parse_bool(name, value)
        elif name == "DeduplicationScope":
            if value not in ("queue", "messageGroup"):
                raise invalid_attribute_value(f"Invalid value for the parameter {name}.")
            updated.deduplication_scope = value
        elif name == "FifoThroughputLimit":
            if value not in ("perQueue", "perMessageGroupId"):
                raise invalid_attribute_value(f"Invalid value for the parameter {name}.")
            updated.fifo_throughput_limit = value
        updated.raw[name] = value
    sse_enabled_now = "SqsManagedSseEnabled" in attributes and updated.sqs_managed_sse
    if sse_enabled_now and attributes.get("KmsMasterKeyId"):
        raise invalid_attribute_name(
            "You can use one type of server-side encryption (SSE) at one time. "
            "You can either enable KMS SSE or SQS SSE."
        )
    if sse_enabled_now and "KmsMasterKeyId" not in attributes and settings.kms_master_key_id:
        # Turning SQS-managed SSE on replaces KMS encryption.
        updated.kms_master_key_id = None
        updated.kms_data_key_reuse_period = None
    if (
        updated.fifo
        and updated.fifo_throughput_limit == "perMessageGroupId"
        and updated.deduplication_scope == "queue"
    ):
        raise invalid_attribute_value(
            "Invalid value for the parameter FifoThroughputLimit. Reason: "
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup."
        )
    return updated


def configured_values(settings: QueueSettings) -> dict[str, str]:
    """The configurable attributes as GetQueueAttributes returns them."""
    values: dict[str, str] = {
        "DelaySeconds": str(settings.delay_seconds),
        "MaximumMessageSize": str(settings.maximum_message_size),
        "MessageRetentionPeriod": str(settings.retention_period),
        "ReceiveMessageWaitTimeSeconds": str(settings.receive_wait_seconds),
        "VisibilityTimeout": str(settings.visibility_timeout),
        "SqsManagedSseEnabled": "true" if settings.sqs_managed_sse else "false",
    }
    if settings.policy:
        values["Policy"] = settings.policy
    if settings.redrive_policy:
        values["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": settings.redrive_policy.dead_letter_target_arn,
                "maxReceiveCount": settings.redrive_policy.max_receive_count,
            },
            separators=(",", ":"),
        )
    if settings.redrive_allow_policy:
        values["RedriveAllowPolicy"] = settings.redrive_allow_policy
    if settings.kms_master_key_id:
        values["KmsMasterKeyId"] = settings.kms_master_key_id
        values["KmsDataKeyReusePeriodSeconds"] = str(settings.kms_data_key_reuse_period or 300)
    if settings.fifo:
        values["FifoQueue"] = "true"
        values["ContentBasedDeduplication"] = (
            "true" if settings.content_based_deduplication else "false"
        )
        values["DeduplicationScope"] = settings.deduplication_scope
        values["FifoThroughputLimit"] = settings.fifo_throughput_limit
    return values


def creation_conflict(existing: QueueSettings, requested: dict[str, str]) -> str | None:
    """The first requested attribute that differs from an existing queue's, or None."""
    current = configured_values(existing)
    defaults = configured_values(QueueSettings(fifo=existing.fifo))
    for name, value in requested.items():
        have = current.get(name, defaults.get(name, ""))
        if name in ("RedrivePolicy", "Policy", "RedriveAllowPolicy"):
            try:
                same = json.loads(value or "null") == json.loads(have or "null")
            except ValueError:
                same = value == have
        else:
            same = value.lower() == have.lower() if have else value == have
        if not same:
            return name
    return None


def any_to_str(value: Any) -> str:
    """Attribute values as the strings SQS stores."""
    return value if isinstance(value, str) else str(value)
