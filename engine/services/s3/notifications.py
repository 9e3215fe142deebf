"""Bucket notifications: configuration checks, AWS's event records, delivery through the fabric."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from engine.arn import parse_arn
from engine.errors import ServiceError
from engine.service import Envelope
from engine.services.iam.enforcement import check_configuration

from .errors import invalid_argument
from .models import Bucket, Notification, ObjectVersion

if TYPE_CHECKING:
    from .service import S3Service

#: Event types S3 accepts in a notification configuration.
EVENT_TYPES = frozenset(
    {
        "s3:ReducedRedundancyLostObject",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAcl:Put",
    }
)
_KINDS = (
    ("QueueConfigurations", "Queue", "QueueArn", "sqs"),
    ("TopicConfigurations", "Topic", "TopicArn", "sns"),
    ("LambdaFunctionConfigurations", "LambdaFunction", "LambdaFunctionArn", "lambda"),
)
_UNVALIDATED = "Unable to validate the following destination configurations"


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def parse_configuration(
    service: S3Service, config: dict, skip_validation: bool, bucket_arn: str | None = None
) -> tuple[list[Notification], bool]:
    """Check a NotificationConfiguration and build its notifications (nothing is changed yet)."""
    notifications: list[Notification] = []
    for list_name, kind, arn_key, arn_service in _KINDS:
        for entry in config.get(list_name) or []:
            target = entry[arn_key]
            parsed = parse_arn(target)
            if parsed is None or parsed.service != arn_service:
                raise invalid_argument(_UNVALIDATED, target, "Invalid ARN")
            events = list(entry["Events"])
            for event in events:
                if event not in EVENT_TYPES:
                    raise invalid_argument(
                        "The event is not supported for notifications", event, event
                    )
            prefix = suffix = ""
            rules = ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            seen: set[str] = set()
            for rule in rules:
                name = str(rule.get("Name", "")).lower()
                if name not in ("prefix", "suffix"):
                    raise invalid_argument(
                        "filter rule name must be either prefix or suffix",
                        "FilterRule.Name",
                        rule.get("Name", ""),
                    )
                if name in seen:
                    raise invalid_argument(
                        f"Cannot specify more than one {name} rule in a filter.",
                        "FilterRule.Name",
                        rule.get("Name", ""),
                    )
                seen.add(name)
                if name == "prefix":
                    prefix = rule.get("Value", "")
                else:
                    suffix = rule.get("Value", "")
            if not skip_validation and not await service.engine.fabric.exists(target):
                raise invalid_argument(_UNVALIDATED, target, "The destination does not exist")
            if bucket_arn is not None and not skip_validation:
                _check_permission(service, bucket_arn, target, arn_service)
            ident = entry.get("Id") or service.ids.uuid()
            notifications.append(
                Notification(ident, kind, target, events, prefix, suffix, [dict(r) for r in rules])
            )
    _check_overlap(notifications)
    return notifications, "EventBridgeConfiguration" in config


#: What S3 must be allowed to do on each kind of destination, and AWS's words when it is not.
_PERMISSIONS = {
    "sqs": (
        "sqs:SendMessage",
        "Permissions on the destination queue do not allow S3 to publish notifications from this bucket",
    ),
    "sns": (
        "sns:Publish",
        "Permissions on the destination topic do not allow S3 to publish notifications from this bucket",
    ),
    "lambda": (
        "lambda:InvokeFunction",
        "Permissions on the destination function do not allow S3 to invoke it",
    ),
}


def _check_permission(service: S3Service, bucket_arn: str, target: str, kind: str) -> None:
    """With IAM enforcement on, the destination's resource policy must allow S3 (AWS checks it)."""
    action, reason = _PERMISSIONS[kind]
    if check_configuration(service.engine, bucket_arn, target, action) is not None:
        raise invalid_argument(_UNVALIDATED, target, reason)


def _check_overlap(notifications: list[Notification]) -> None:
    """Two configurations may not share an event type for keys both filters can match."""
    for index, first in enumerate(notifications):
        for second in notifications[index + 1 :]:
            shared = _events_overlap(first.events, second.events)
            prefixes = first.prefix.startswith(second.prefix) or second.prefix.startswith(
                first.prefix
            )
            suffixes = first.suffix.endswith(second.suffix) or second.suffix.endswith(first.suffix)
            if shared and prefixes and suffixes:
                raise invalid_argument(
                    "Configurations overlap. Configurations on the same bucket cannot share a "
                    "common event type.",
                    "Event",
                    ", ".join(sorted(set(first.events) & set(second.events)) or first.events),
                )


def _events_overlap(first: list[str], second: list[str]) -> bool:
    for a in first:
        for b in second:
            if a == b:
                return True
            a_family, b_family = a.rsplit(":", 1)[0], b.rsplit(":", 1)[0]
            if (a.endswith(":*") or b.endswith(":*")) and a_family == b_family:
                return True
    return False


def describe(bucket: Bucket) -> dict:
    """GetBucketNotificationConfiguration's answer."""
    result: dict[str, Any] = {}
    for list_name, kind, arn_key, _ in _KINDS:
        entries = []
        for n in bucket.notifications:
            if n.kind != kind:
                continue
            entry: dict[str, Any] = {"Id": n.id, arn_key: n.target, "Events": list(n.events)}
            if n.filter_rules:
                entry["Filter"] = {
                    "Key": {
                        "FilterRules": [
                            {
                                "Name": r["Name"][:1].upper() + r["Name"][1:].lower(),
                                "Value": r["Value"],
                            }
                            for r in n.filter_rules
                        ]
                    }
                }
            entries.append(entry)
        if entries:
            result[list_name] = entries
    if bucket.eventbridge:
        result["EventBridgeConfiguration"] = {}
    return result


def test_event(service: S3Service, bucket: Bucket) -> str:
    """The s3:TestEvent message S3 sends to queues and topics when notifications are configured."""
    return json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": _iso(service.clock.now()),
            "Bucket": bucket.name,
            "RequestId": service.ids.hex(16).upper(),
            "HostId": service.ids.token(76),
        }
    )


def event_record(
    service: S3Service,
    bucket: Bucket,
    event_name: str,
    version: ObjectVersion,
    configuration_id: str,
    sequencer: str,
    request_id: str,
) -> dict:
    """One record of an S3 event notification, in AWS's format (eventVersion 2.1)."""
    obj: dict[str, Any] = {"key": _url_key(version.key), "sequencer": sequencer}
    if event_name.startswith("ObjectCreated"):
        obj = {"key": _url_key(version.key), "size": version.size, "eTag": version.etag.strip('"')}
        if version.version_id != "null":
            obj["versionId"] = version.version_id
        obj["sequencer"] = sequencer
    elif version.version_id != "null":
        obj = {
            "key": _url_key(version.key),
            "versionId": version.version_id,
            "sequencer": sequencer,
        }
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region,
        "eventTime": _iso(service.clock.now()),
        "eventName": event_name,
        "userIdentity": {"principalId": f"AWS:{service.account_id}"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": request_id,
            "x-amz-id-2": service.ids.token(76),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket.name,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": bucket.arn,
            },
            "object": obj,
        },
    }


def _url_key(key: str) -> str:
    """Keys in event records are URL-encoded, with spaces as '+' (as S3 sends them)."""
    from urllib.parse import quote_plus

    return quote_plus(key, safe="/")


def eventbridge_entry(
    service: S3Service,
    bucket: Bucket,
    event_name: str,
    version: ObjectVersion,
    sequencer: str,
    request_id: str,
    reason: str,
) -> dict:
    """The PutEvents entry S3 sends to the default bus for an object event."""
    created = event_name.startswith("ObjectCreated")
    obj: dict[str, Any] = {"key": version.key}
    if created:
        obj.update({"size": version.size, "etag": version.etag.strip('"')})
    if version.version_id != "null":
        obj["version-id"] = version.version_id
    obj["sequencer"] = sequencer
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": request_id,
        "requester": service.account_id,
        "source-ip-address": "127.0.0.1",
        "reason": reason,
    }
    if not created:
        detail["deletion-type"] = (
            "Delete Marker Created"
            if event_name.endswith("DeleteMarkerCreated")
            else "Permanently Deleted"
        )
    return {
        "Source": "aws.s3",
        "DetailType": "Object Created" if created else "Object Deleted",
        "Detail": json.dumps(detail),
        "Resources": [bucket.arn],
        "Time": service.clock.datetime(),
    }


async def send_test_events(
    service: S3Service, bucket: Bucket, notifications: list[Notification]
) -> None:
    """Send s3:TestEvent to every queue and topic just configured."""
    for notification in notifications:
        if notification.kind in ("Queue", "Topic"):
            envelope = Envelope(test_event(service, bucket), bucket.arn)
            try:
                await service.engine.fabric.deliver(notification.target, envelope)
            except ServiceError:
                continue


async def notify(
    service: S3Service,
    bucket: Bucket,
    event_name: str,
    version: ObjectVersion,
    reason: str,
    trace_id: str | None,
) -> None:
    """Deliver one object event to every matching configuration and to EventBridge."""
    sequencer = service.next_sequencer()
    request_id = service.ids.hex(16).upper()
    for notification in bucket.notifications:
        if not notification.wants(event_name, version.key):
            continue
        record = event_record(
            service, bucket, event_name, version, notification.id, sequencer, request_id
        )
        event = {"Records": [record]}
        if notification.kind == "LambdaFunction":
            envelope = Envelope(event, bucket.arn, trace_id, options={"invocation_type": "Event"})
        else:
            envelope = Envelope(json.dumps(event), bucket.arn, trace_id)
        await _deliver(service, bucket, notification.target, envelope, trace_id, version.key)
    if bucket.eventbridge:
        bus = f"arn:aws:events:{service.region}:{service.account_id}:event-bus/default"
        entry = eventbridge_entry(
            service, bucket, event_name, version, sequencer, request_id, reason
        )
        await _deliver(
            service, bucket, bus, Envelope(entry, bucket.arn, trace_id), trace_id, version.key
        )


async def _deliver(
    service: S3Service,
    bucket: Bucket,
    target: str,
    envelope: Envelope,
    trace_id: str | None,
    key: str,
) -> None:
    try:
        await service.engine.fabric.deliver(target, envelope)
    except ServiceError as error:
        service.emit(
            "delivery-failed",
            bucket.arn,
            trace_id=trace_id,
            target=target,
            key=key,
            error=f"{error.code}: {error.message}"[:256],
        )
        return
    bucket.notified += 1
    service.emit("delivered", bucket.arn, trace_id=trace_id, target=target, key=key)
