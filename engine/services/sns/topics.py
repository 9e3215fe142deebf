"""Topic operations: create, delete, attributes, listing, tags, permissions, data protection."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .attributes import (
    TOPIC_CREATE_ONLY,
    check_topic_attribute,
    compact,
    default_topic_policy,
    effective_topic_delivery_policy,
)
from .errors import check_arn, invalid, not_found, parse_json
from .models import Topic
from .paging import page

if TYPE_CHECKING:
    from .service import SnsService

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_TAGS = 50


class TopicOperations:
    """CreateTopic, DeleteTopic, Get/SetTopicAttributes, ListTopics, tags and permissions."""

    def __init__(self, service: SnsService) -> None:
        self.service = service

    def create_topic(self, params: dict) -> dict:
        name = params["Name"]
        attributes = dict(params.get("Attributes") or {})
        tags = _tags_dict(params.get("Tags") or [])
        fifo = attributes.get("FifoTopic", "false").lower() == "true"
        stem = name[:-5] if name.endswith(".fifo") else name
        if not _TOPIC_NAME.fullmatch(stem) or len(name) > 256 or name.endswith(".fifo") != fifo:
            raise invalid("Topic Name")
        if "DataProtectionPolicy" in params:
            attributes["DataProtectionPolicy"] = params["DataProtectionPolicy"]
        stored = {
            key: check_topic_attribute(key, value, fifo=fifo, creating=True)
            for key, value in attributes.items()
        }
        arn = self.service.arn(name)
        existing = self.service.topics.get(arn)
        if existing is not None:
            for key, value in stored.items():
                if key == "FifoTopic":
                    continue
                if _current_topic_value(existing, key) != value:
                    raise invalid(
                        "Attributes Reason: Topic already exists with different attributes"
                    )
            if tags and any(existing.tags.get(k) != v for k, v in tags.items()):
                raise invalid("Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        topic = Topic(arn, name, fifo)
        topic.data_protection_policy = stored.pop("DataProtectionPolicy", "")
        stored.pop("FifoTopic", None)
        topic.attributes = {k: v for k, v in stored.items() if v != ""}
        if fifo:
            topic.attributes.setdefault("ContentBasedDeduplication", "false")
        topic.attributes["Policy"] = topic.attributes.get("Policy") or default_topic_policy(
            arn, self.service.account_id
        )
        topic.tags = tags
        self.service.topics[arn] = topic
        self.service.emit("created", arn, name=name, fifo=fifo)
        return {"TopicArn": arn}

    def delete_topic(self, params: dict) -> dict:
        arn = params["TopicArn"]
        self.check_topic_arn(arn)
        topic = self.service.topics.pop(arn, None)
        if topic is None:
            return {}
        for subscription_arn in list(topic.subscriptions):
            self.service.subscriptions_api.drop_subscription(subscription_arn)
        self.service.filters.pop(arn, None)
        self.service.emit("deleted", arn, name=topic.name)
        return {}

    def get_topic_attributes(self, params: dict) -> dict:
        topic = self.require_topic(params["TopicArn"])
        attributes: dict[str, str] = {"DisplayName": "", **topic.attributes}
        attributes["EffectiveDeliveryPolicy"] = compact(
            effective_topic_delivery_policy(topic.attributes.get("DeliveryPolicy", ""))
        )
        attributes["Owner"] = self.service.account_id
        confirmed = sum(1 for s in topic.subscriptions.values() if not s.pending)
        attributes["SubscriptionsConfirmed"] = str(confirmed)
        attributes["SubscriptionsPending"] = str(len(topic.subscriptions) - confirmed)
        attributes["SubscriptionsDeleted"] = str(topic.deleted_subscriptions)
        attributes["TopicArn"] = topic.arn
        if topic.fifo:
            attributes["FifoTopic"] = "true"
        return {"Attributes": dict(sorted(attributes.items()))}

    def set_topic_attributes(self, params: dict) -> dict:
        topic = self.require_topic(params["TopicArn"])
        name = params["AttributeName"]
        if name in TOPIC_CREATE_ONLY:
            raise invalid("AttributeName")
        value = check_topic_attribute(
            name, params.get("AttributeValue") or "", fifo=topic.fifo, creating=False
        )
        if value == "" and name != "DisplayName":
            topic.attributes.pop(name, None)
            if name == "Policy":
                topic.attributes["Policy"] = default_topic_policy(
                    topic.arn, self.service.account_id
                )
        else:
            topic.attributes[name] = value
        self.service.emit("updated", topic.arn, attribute=name)
        return {}

    def list_topics(self, params: dict) -> dict:
        arns = list(self.service.topics)
        chosen, token = page(arns, params.get("NextToken"))
        result: dict[str, Any] = {"Topics": [{"TopicArn": arn} for arn in chosen]}
        if token:
            result["NextToken"] = token
        return result

    # -- tags ---------------------------------------------------------------------------------
    def tag_resource(self, params: dict) -> dict:
        topic = self.require_topic(params["ResourceArn"], "ResourceArn")
        tags = _tags_dict(params["Tags"])
        if len({**topic.tags, **tags}) > MAX_TAGS:
            raise _tag_error("Could not complete request: tag quota of per resource exceeded")
        topic.tags.update(tags)
        return {}

    def untag_resource(self, params: dict) -> dict:
        topic = self.require_topic(params["ResourceArn"], "ResourceArn")
        for key in params["TagKeys"]:
            topic.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        topic = self.require_topic(params["ResourceArn"], "ResourceArn")
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic.tags.items())]}

    # -- permissions --------------------------------------------------------------------------
    def add_permission(self, params: dict) -> dict:
        topic = self.require_topic(params["TopicArn"])
        label = params["Label"]
        if not _LABEL.fullmatch(label):
            raise invalid("Label")
        actions = params["ActionName"]
        valid_actions = {
            "Publish",
            "Subscribe",
            "Receive",
            "DeleteTopic",
            "GetTopicAttributes",
            "SetTopicAttributes",
            "AddPermission",
            "RemovePermission",
            "ListSubscriptionsByTopic",
        }
        if not actions or any(a not in valid_actions for a in actions):
            raise invalid("Policy statement action out of service scope!")
        policy = json.loads(topic.attributes["Policy"])
        statements = policy.setdefault("Statement", [])
        if any(s.get("Sid") == label for s in statements):
            raise invalid("Statement already exists")
        principals = [f"arn:aws:iam::{account}:root" for account in params["AWSAccountId"]]
        statements.append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": [f"SNS:{a}" for a in actions]
                if len(actions) > 1
                else f"SNS:{actions[0]}",
                "Resource": topic.arn,
            }
        )
        topic.attributes["Policy"] = compact(policy)
        return {}

    def remove_permission(self, params: dict) -> dict:
        topic = self.require_topic(params["TopicArn"])
        policy = json.loads(topic.attributes["Policy"])
        statements = policy.get("Statement", [])
        kept = [s for s in statements if s.get("Sid") != params["Label"]]
        policy["Statement"] = kept
        topic.attributes["Policy"] = compact(policy)
        return {}

    # -- data protection ----------------------------------------------------------------------
    def put_data_protection_policy(self, params: dict) -> dict:
        topic = self.require_topic(params["ResourceArn"], "ResourceArn")
        text = params["DataProtectionPolicy"]
        if text and not isinstance(parse_json(text, "DataProtectionPolicy"), dict):
            raise invalid("DataProtectionPolicy")
        topic.data_protection_policy = text
        return {}

    def get_data_protection_policy(self, params: dict) -> dict:
        topic = self.require_topic(params["ResourceArn"], "ResourceArn")
        return {"DataProtectionPolicy": topic.data_protection_policy}

    # -- lookups ------------------------------------------------------------------------------
    def check_topic_arn(self, arn: str, parameter: str = "TopicArn") -> None:
        """AWS's errors for a malformed topic ARN, or one outside this region and account."""
        parts = check_arn(arn, parameter)
        if (
            parts[2] != "sns"
            or parts[3] != self.service.region
            or parts[4] != self.service.account_id
        ):
            raise invalid(parameter)

    def require_topic(self, arn: str, parameter: str = "TopicArn") -> Topic:
        """The topic `arn` names, or AWS's error."""
        topic = self.service.topics.get(arn)
        if topic is None:
            self.check_topic_arn(arn, parameter)
            raise not_found("Topic does not exist")
        return topic


def _current_topic_value(topic: Topic, key: str) -> str:
    if key == "DataProtectionPolicy":
        return topic.data_protection_policy
    return topic.attributes.get(key, "")


def _tags_dict(tags: list[dict]) -> dict[str, str]:
    keys = [tag["Key"] for tag in tags]
    if len(set(keys)) != len(keys):
        raise invalid("Duplicated keys are not allowed.")
    if len(keys) > MAX_TAGS:
        raise _tag_error("Could not complete request: tag quota of per resource exceeded")
    return {tag["Key"]: tag["Value"] for tag in tags}


def _tag_error(message: str) -> ServiceError:
    return ServiceError("TagLimitExceeded", message)
