"""Topic and subscription attributes: AWS's names, defaults, checks and rendered values."""

from __future__ import annotations

import json
from typing import Any

from .errors import invalid, parse_json

#: Topic attributes CreateTopic and SetTopicAttributes accept (FifoTopic only at creation).
FEEDBACK_ATTRIBUTES = frozenset(
    f"{protocol}{outcome}"
    for protocol in ("Application", "Firehose", "HTTP", "Lambda", "SQS")
    for outcome in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
TOPIC_SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "SignatureVersion",
        "TracingConfig",
        "KmsMasterKeyId",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
    }
    | FEEDBACK_ATTRIBUTES
)
TOPIC_CREATE_ONLY = frozenset({"FifoTopic", "DataProtectionPolicy"})
FIFO_ONLY = frozenset({"ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy"})

#: Subscription attributes Subscribe and SetSubscriptionAttributes accept.
SUBSCRIPTION_SETTABLE = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
RAW_DELIVERY_PROTOCOLS = frozenset({"sqs", "http", "https", "firehose"})

#: AWS's default retry policy for HTTP/S endpoints (EffectiveDeliveryPolicy).
DEFAULT_HTTP_RETRY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"
BACKOFF_FUNCTIONS = ("arithmetic", "exponential", "geometric", "linear")


def compact(value: Any) -> str:
    """JSON text the way SNS returns policies (no spaces)."""
    return json.dumps(value, separators=(",", ":"))


def default_topic_policy(topic_arn: str, account_id: str) -> str:
    """The access policy AWS gives every new topic."""
    return compact(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
                }
            ],
        }
    )


def check_topic_attribute(name: str, value: str, *, fifo: bool, creating: bool) -> str:
    """Check one topic attribute; returns the value to store ("" means remove)."""
    allowed = TOPIC_SETTABLE | (TOPIC_CREATE_ONLY if creating else frozenset())
    if name not in allowed:
        raise invalid("AttributeName")
    if name in FIFO_ONLY and not fifo and value not in ("", "false"):
        raise invalid(f"{name} Reason: {name} can only be set for FIFO topics")
    if name in ("ContentBasedDeduplication", "FifoTopic") and value.lower() not in (
        "true",
        "false",
    ):
        raise invalid(f"{name}: Invalid value [{value}]. Must be true or false.")
    if name == "DisplayName" and len(value) > 100:
        raise invalid("DisplayName")
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid("SignatureVersion")
    if name == "TracingConfig" and value not in ("PassThrough", "Active"):
        raise invalid("TracingConfig")
    if name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
        raise invalid("FifoThroughputScope")
    if name.endswith("SampleRate") and value and not (value.isdigit() and int(value) <= 100):
        raise invalid(name)
    policy_names = ("Policy", "DataProtectionPolicy", "ArchivePolicy")
    if name in policy_names and value and not isinstance(parse_json(value, name), dict):
        raise invalid(name)
    if name == "DeliveryPolicy" and value:
        check_delivery_policy(parse_json(value, name), topic=True)
    if name in ("ContentBasedDeduplication", "FifoTopic"):
        return value.lower()
    return value


def check_delivery_policy(policy: Any, *, topic: bool) -> None:
    """Reject delivery policies whose retry settings AWS would refuse."""
    if not isinstance(policy, dict):
        raise invalid("DeliveryPolicy")
    if topic:
        http = policy.get("http", {})
        if not isinstance(http, dict):
            raise invalid("DeliveryPolicy: http must be an object")
        retry = http.get("defaultHealthyRetryPolicy")
    else:
        retry = policy.get("healthyRetryPolicy")
    if retry is None:
        return
    if not isinstance(retry, dict):
        raise invalid("DeliveryPolicy: healthyRetryPolicy must be an object")
    merged = {**DEFAULT_HTTP_RETRY, **retry}
    numbers = [k for k in DEFAULT_HTTP_RETRY if k != "backoffFunction"]
    for key in numbers:
        if not isinstance(merged[key], int) or merged[key] < 0:
            raise invalid(f"DeliveryPolicy: {key} must be a non-negative integer")
    if merged["backoffFunction"] not in BACKOFF_FUNCTIONS:
        raise invalid(
            f"DeliveryPolicy: backoffFunction must be one of {', '.join(BACKOFF_FUNCTIONS)}"
        )
    if merged["numRetries"] > 100:
        raise invalid("DeliveryPolicy: numRetries must be at most 100")
    if not 1 <= merged["minDelayTarget"] <= merged["maxDelayTarget"] <= 3600:
        raise invalid("DeliveryPolicy: minDelayTarget must be ≥ 1 and ≤ maxDelayTarget (≤ 3600)")
    phases = merged["numNoDelayRetries"] + merged["numMinDelayRetries"]
    if phases + merged["numMaxDelayRetries"] > merged["numRetries"]:
        raise invalid("DeliveryPolicy: the retry phases add up to more than numRetries")


def effective_topic_delivery_policy(delivery_policy: str) -> dict[str, Any]:
    """The EffectiveDeliveryPolicy of a topic: its DeliveryPolicy over AWS's defaults."""
    http = json.loads(delivery_policy).get("http", {}) if delivery_policy else {}
    effective: dict[str, Any] = {
        "defaultHealthyRetryPolicy": {
            **DEFAULT_HTTP_RETRY,
            **(http.get("defaultHealthyRetryPolicy") or {}),
        },
        "disableSubscriptionOverrides": bool(http.get("disableSubscriptionOverrides", False)),
        "defaultRequestPolicy": {
            "headerContentType": DEFAULT_CONTENT_TYPE,
            **(http.get("defaultRequestPolicy") or {}),
        },
    }
    if http.get("defaultThrottlePolicy"):
        effective["defaultThrottlePolicy"] = http["defaultThrottlePolicy"]
    return {"http": effective}


def effective_subscription_delivery_policy(
    subscription_policy: str, topic_policy: str
) -> dict[str, Any]:
    """The EffectiveDeliveryPolicy of an HTTP/S subscription (its own over the topic's)."""
    topic_http = effective_topic_delivery_policy(topic_policy)["http"]
    own = json.loads(subscription_policy) if subscription_policy else {}
    overrides = not topic_http["disableSubscriptionOverrides"]
    retry = topic_http["defaultHealthyRetryPolicy"]
    if overrides and own.get("healthyRetryPolicy"):
        retry = {**DEFAULT_HTTP_RETRY, **own["healthyRetryPolicy"]}
    request = dict(topic_http["defaultRequestPolicy"])
    if overrides and own.get("requestPolicy"):
        request.update(own["requestPolicy"])
    return {
        "healthyRetryPolicy": retry,
        "sicklyRetryPolicy": own.get("sicklyRetryPolicy"),
        "throttlePolicy": own.get("throttlePolicy") or topic_http.get("defaultThrottlePolicy"),
        "requestPolicy": request,
        "guaranteed": bool(own.get("guaranteed", False)),
    }


def check_raw_delivery(value: str, protocol: str) -> bool:
    """RawMessageDelivery's value as a bool, or AWS's error."""
    if value.lower() not in ("true", "false"):
        raise invalid(f"RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
    raw = value.lower() == "true"
    if raw and protocol not in RAW_DELIVERY_PROTOCOLS:
        raise invalid(f"Delivery protocol [{protocol}] does not support raw message delivery.")
    return raw


def check_redrive_policy(
    value: str, *, fifo_topic: bool, protocol: str, endpoint: str
) -> str | None:
    """The dead-letter queue ARN of a RedrivePolicy ("" clears it), or AWS's error."""
    if not value:
        return None
    policy = parse_json(value, "RedrivePolicy")
    if not isinstance(policy, dict) or "deadLetterTargetArn" not in policy:
        raise invalid("RedrivePolicy: deadLetterTargetArn is required")
    arn = policy["deadLetterTargetArn"]
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        raise invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if (
        fifo_topic
        and protocol == "sqs"
        and endpoint.endswith(".fifo")
        and not arn.endswith(".fifo")
    ):
        raise invalid(
            "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        )
    return arn
