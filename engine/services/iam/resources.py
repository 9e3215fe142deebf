"""What an API call acts on, for policy evaluation: the IAM action, the resource ARN, and the
resource-based policy that resource carries (queue, topic, function, bucket, bus policies).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

from ...errors import ServiceError
from ...model import service_metadata

if TYPE_CHECKING:
    from ...engine import Engine

#: Operations IAM authorizes under another action name (batch calls, S3's object and list calls).
ACTION_ALIASES = {
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("kinesis", "PutRecords"): "PutRecords",
    ("dynamodb", "BatchWriteItem"): "BatchWriteItem",
}


@cache
def action_prefix(service: str) -> str:
    """The IAM service prefix of a boto3 service (`states` for stepfunctions …)."""
    metadata = service_metadata(service)
    return metadata.get("signingName") or metadata.get("endpointPrefix") or service


@cache
def action_for(service: str, operation: str) -> str:
    """The IAM action an operation is authorized as (`sqs:SendMessage` for SendMessageBatch)."""
    return f"{action_prefix(service)}:{ACTION_ALIASES.get((service, operation), operation)}"


def resource_for(engine: Engine, service: str, params: dict) -> str:
    """The ARN of the resource a call acts on ("*" when it names none)."""
    region, account = engine.region, engine.account_id
    if service == "sqs":
        url = params.get("QueueUrl") or params.get("QueueName")
        if url:
            return f"arn:aws:sqs:{region}:{account}:{url.rstrip('/').rsplit('/', 1)[-1]}"
    elif service == "sns":
        arn = params.get("TopicArn") or params.get("TargetArn") or params.get("ResourceArn")
        if arn:
            return arn
        if params.get("Name"):
            return f"arn:aws:sns:{region}:{account}:{params['Name']}"
    elif service == "lambda":
        name = params.get("FunctionName")
        if name:
            if name.startswith("arn:"):
                return name
            return f"arn:aws:lambda:{region}:{account}:function:{name}"
    elif service == "s3":
        bucket = params.get("Bucket")
        if bucket:
            key = params.get("Key")
            return f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
    elif service == "dynamodb":
        table = params.get("TableName")
        if table:
            return (
                table
                if table.startswith("arn:")
                else (f"arn:aws:dynamodb:{region}:{account}:table/{table}")
            )
    elif service == "kinesis":
        if params.get("StreamARN"):
            return params["StreamARN"]
        if params.get("StreamName"):
            return f"arn:aws:kinesis:{region}:{account}:stream/{params['StreamName']}"
    elif service == "events":
        bus = params.get("EventBusName") or "default"
        if bus.startswith("arn:"):
            return bus
        return f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    elif service == "iam":
        for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
            if params.get(key):
                return f"arn:aws:iam::{account}:{kind}/{params[key]}"
        if params.get("PolicyArn"):
            return params["PolicyArn"]
    for key in ("stateMachineArn", "executionArn", "ResourceArn", "resourceArn", "Arn"):
        value = params.get(key)
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    return "*"


#: ARN service part → how a decision names that service's resource policy.
POLICY_LABELS = {
    "sqs": "queue policy",
    "sns": "topic policy",
    "lambda": "function policy",
    "events": "bus policy",
    "s3": "bucket policy",
}


def _arn_service(arn: str) -> str:
    parts = arn.split(":", 3)
    return parts[2] if len(parts) > 3 else ""


def policy_label(arn: str) -> str:
    """How a decision names the resource policy of `arn` ("queue policy of arn:…")."""
    return f"{POLICY_LABELS.get(_arn_service(arn), 'resource policy')} of {arn}"


def _queue_policy(engine: Engine, arn: str) -> str | None:
    return engine.service("sqs").queue_for_arn(arn).settings.policy  # type: ignore[attr-defined]


def _topic_policy(engine: Engine, arn: str) -> str | None:
    topic = engine.service("sns").topic_for_arn(arn)  # type: ignore[attr-defined]
    return topic.attributes.get("Policy") if topic is not None else None


def _function_policy(engine: Engine, arn: str) -> str | None:
    function = engine.service("lambda").get_function_named(arn)  # type: ignore[attr-defined]
    if not function.policy:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": list(function.policy.values())})


def _bus_policy(engine: Engine, arn: str) -> str | None:
    statements = list(engine.service("events").bus(arn).statements.values())  # type: ignore[attr-defined]
    if not statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _bucket_policy(engine: Engine, arn: str) -> str | None:
    bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
    return engine.service("s3").bucket_policy_text(bucket)  # type: ignore[attr-defined]


_POLICY_READERS = {
    "sqs": _queue_policy,
    "sns": _topic_policy,
    "lambda": _function_policy,
    "events": _bus_policy,
    "s3": _bucket_policy,
}


def resource_policy(engine: Engine, arn: str) -> str | None:
    """The resource-based policy text `arn` carries (None: none, or no such resource yet)."""
    reader = _POLICY_READERS.get(_arn_service(arn))
    if reader is None:
        return None
    try:
        return reader(engine, arn)
    except ServiceError:  # the resource does not exist (yet): the call itself will say so
        return None
