"""Subscription operations: Subscribe (with the confirmation handshake), attributes, listing."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .attributes import (
    SUBSCRIPTION_SETTABLE,
    check_delivery_policy,
    check_raw_delivery,
    check_redrive_policy,
    compact,
    effective_subscription_delivery_policy,
)
from .errors import check_arn, invalid, invalid_raw, not_found, parse_json
from .filtering import validate_filter_policy
from .messages import signature
from .models import Notification, OutboxMessage, Subscription, Topic
from .paging import page

if TYPE_CHECKING:
    from .service import SnsService

PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
#: Protocols whose endpoints must confirm before they receive messages.
CONFIRMED_BY_ENDPOINT = frozenset({"http", "https", "email", "email-json"})
#: How long a confirmation token stays valid (AWS: three days).
TOKEN_LIFETIME = 3 * 86400.0
PENDING = "pending confirmation"
_PHONE = re.compile(r"\+?[0-9]{1,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_HEX = re.compile(r"[0-9a-f]+")


class SubscriptionOperations:
    """Subscribe, ConfirmSubscription, Unsubscribe, subscription attributes and listings."""

    def __init__(self, service: SnsService) -> None:
        self.service = service

    def subscribe(self, params: dict) -> dict:
        topic = self.service.topics_api.require_topic(params["TopicArn"])
        protocol = params["Protocol"]
        if protocol not in PROTOCOLS:
            raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        endpoint = params.get("Endpoint") or ""
        self._check_endpoint(topic, protocol, endpoint)
        requested = dict(params.get("Attributes") or {})
        values = self._check_subscription_attributes(
            topic, protocol, endpoint, requested, "Subscribe"
        )
        existing = self._find_subscription(topic, protocol, endpoint)
        if existing is not None:
            if requested and any(
                existing.attributes.get(k, _DEFAULTS.get(k, "")) != v for k, v in requested.items()
            ):
                raise invalid(
                    "Attributes Reason: Subscription already exists with different attributes"
                )
            if existing.pending and not params.get("ReturnSubscriptionArn"):
                return {"SubscriptionArn": PENDING}
            return {"SubscriptionArn": existing.arn}
        subscription = Subscription(
            f"{topic.arn}:{self.service.ids.uuid()}",
            topic.arn,
            protocol,
            endpoint,
            seq=self.service.next_subscription_seq(),
            published_before=topic.published,
        )
        self.apply_subscription_attributes(subscription, requested, values)
        topic.subscriptions[subscription.arn] = subscription
        self.service.subscriptions[subscription.arn] = subscription
        self.service.emit(
            "subscribed", subscription.arn, protocol=protocol, endpoint=endpoint, topic=topic.arn
        )
        if protocol in CONFIRMED_BY_ENDPOINT:
            subscription.pending = True
            subscription.confirmation_authenticated = False
            self._request_confirmation(topic, subscription)
            if not params.get("ReturnSubscriptionArn"):
                return {"SubscriptionArn": PENDING}
        else:
            self.index_subscription(subscription)
        return {"SubscriptionArn": subscription.arn}

    def confirm_subscription(self, params: dict) -> dict:
        token = params["Token"]
        topic_arn = params["TopicArn"]
        check_arn(topic_arn, "TopicArn")
        subscription_arn = self.service.tokens.get(token)
        subscription = (
            self.service.subscriptions.get(subscription_arn) if subscription_arn else None
        )
        if subscription is None or subscription.token_expires < self.service.clock.now():
            if not _HEX.fullmatch(token):
                raise invalid_raw("Invalid token")
            raise invalid("Token")
        if subscription.topic_arn != topic_arn:
            raise invalid("Topic")
        if subscription.pending:
            subscription.pending = False
            subscription.confirmation_authenticated = (
                str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
            )
            self.index_subscription(subscription)
            self.service.emit("confirmed", subscription.arn, endpoint=subscription.endpoint)
        return {"SubscriptionArn": subscription.arn}

    def unsubscribe(self, params: dict) -> dict:
        arn = params["SubscriptionArn"]
        parts = check_arn(arn, "SubscriptionArn")
        if len(parts) != 7 or not parts[6]:
            raise invalid("SubscriptionId")
        subscription = self.service.subscriptions.get(arn)
        if subscription is None:
            return {}
        if subscription.protocol in ("http", "https") and not subscription.pending:
            self._send_handshake(subscription, "UnsubscribeConfirmation")
        self.drop_subscription(arn)
        return {}

    def get_subscription_attributes(self, params: dict) -> dict:
        subscription = self._require_subscription(params["SubscriptionArn"])
        topic = self.service.topics[subscription.topic_arn]
        attributes: dict[str, str] = {
            "ConfirmationWasAuthenticated": _bool(subscription.confirmation_authenticated),
            "Endpoint": subscription.endpoint,
            "Owner": self.service.account_id,
            "PendingConfirmation": _bool(subscription.pending),
            "Protocol": subscription.protocol,
            "RawMessageDelivery": _bool(subscription.raw),
            "SubscriptionArn": subscription.arn,
            "SubscriptionPrincipal": f"arn:aws:iam::{self.service.account_id}:user/pipework",
            "TopicArn": subscription.topic_arn,
        }
        attributes.update(
            {k: v for k, v in subscription.attributes.items() if k != "RawMessageDelivery"}
        )
        if "FilterPolicy" in subscription.attributes:
            attributes.setdefault("FilterPolicyScope", subscription.filter_scope)
        if subscription.protocol in ("http", "https"):
            attributes["EffectiveDeliveryPolicy"] = compact(
                effective_subscription_delivery_policy(
                    subscription.attributes.get("DeliveryPolicy", ""),
                    topic.attributes.get("DeliveryPolicy", ""),
                )
            )
        return {"Attributes": dict(sorted(attributes.items()))}

    def set_subscription_attributes(self, params: dict) -> dict:
        name = params["AttributeName"]
        if name not in SUBSCRIPTION_SETTABLE:
            raise invalid("AttributeName")
        subscription = self._require_subscription(params["SubscriptionArn"])
        topic = self.service.topics[subscription.topic_arn]
        requested = {name: params.get("AttributeValue") or ""}
        values = self._check_subscription_attributes(
            topic,
            subscription.protocol,
            subscription.endpoint,
            requested,
            "SetSubscriptionAttributes",
            subscription,
        )
        self.apply_subscription_attributes(subscription, requested, values)
        if not subscription.pending:
            self.index_subscription(subscription)
        return {}

    def list_subscriptions(self, params: dict) -> dict:
        items = list(self.service.subscriptions.values())
        chosen, token = page(items, params.get("NextToken"))
        result: dict[str, Any] = {"Subscriptions": [self._summary(s) for s in chosen]}
        if token:
            result["NextToken"] = token
        return result

    def list_subscriptions_by_topic(self, params: dict) -> dict:
        topic = self.service.topics_api.require_topic(params["TopicArn"])
        chosen, token = page(list(topic.subscriptions.values()), params.get("NextToken"))
        result: dict[str, Any] = {"Subscriptions": [self._summary(s) for s in chosen]}
        if token:
            result["NextToken"] = token
        return result

    # -- helpers ------------------------------------------------------------------------------
    def _summary(self, subscription: Subscription) -> dict[str, str]:
        return {
            "SubscriptionArn": "PendingConfirmation" if subscription.pending else subscription.arn,
            "Owner": self.service.account_id,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "TopicArn": subscription.topic_arn,
        }

    def _require_subscription(self, arn: str) -> Subscription:
        check_arn(arn, "SubscriptionArn")
        subscription = self.service.subscriptions.get(arn)
        if subscription is None:
            raise not_found("Subscription does not exist")
        return subscription

    def _find_subscription(self, topic: Topic, protocol: str, endpoint: str) -> Subscription | None:
        for subscription in topic.subscriptions.values():
            if subscription.protocol == protocol and subscription.endpoint == endpoint:
                return subscription
        return None

    def _check_endpoint(self, topic: Topic, protocol: str, endpoint: str) -> None:
        """AWS's checks of an endpoint for its protocol."""
        if protocol in ("sqs", "lambda", "firehose"):
            service = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose"}[protocol]
            parts = endpoint.split(":")
            label = {"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose"}[protocol]
            if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
                raise invalid(f"{label} endpoint ARN")
            if protocol == "sqs" and endpoint.endswith(".fifo") and not topic.fifo:
                raise invalid(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
                    "standard SNS topics"
                )
        elif topic.fifo:
            raise invalid(f"Invalid protocol type: {protocol} for FIFO topics")
        elif protocol in ("http", "https"):
            if (
                not endpoint.lower().startswith(f"{protocol}://")
                or len(endpoint) <= len(protocol) + 3
            ):
                raise invalid("Endpoint must match the specified protocol")
        elif protocol in ("email", "email-json"):
            if not _EMAIL.fullmatch(endpoint):
                raise invalid("Invalid email address")
        elif protocol == "sms":
            if not _PHONE.fullmatch(endpoint):
                raise invalid_raw(f"Invalid SMS endpoint: {endpoint}")
        elif (
            protocol == "application"
            and self.service.platform_api.endpoint_for_arn(endpoint) is None
        ):
            raise invalid("Application endpoint arn invalid")

    def _check_subscription_attributes(
        self,
        topic: Topic,
        protocol: str,
        endpoint: str,
        requested: dict[str, str],
        api: str,
        current: Subscription | None = None,
    ) -> dict[str, Any]:
        """Check attributes for Subscribe/SetSubscriptionAttributes; the parsed values to apply."""
        prefix = "Attributes Reason: " if api == "Subscribe" else ""
        values: dict[str, Any] = {}
        for name, value in requested.items():
            if name not in SUBSCRIPTION_SETTABLE:
                raise invalid(f"{prefix}Unknown attribute: {name}" if prefix else "AttributeName")
            try:
                if name == "RawMessageDelivery":
                    values[name] = check_raw_delivery(value, protocol)
                elif name == "RedrivePolicy":
                    values[name] = check_redrive_policy(
                        value, fifo_topic=topic.fifo, protocol=protocol, endpoint=endpoint
                    )
                elif name == "DeliveryPolicy" and value:
                    check_delivery_policy(parse_json(value, "DeliveryPolicy"), topic=False)
                elif name == "SubscriptionRoleArn" and value and not value.startswith("arn:"):
                    raise invalid("SubscriptionRoleArn")
                elif name == "ReplayPolicy" and value:
                    parse_json(value, "ReplayPolicy")
            except ServiceError as error:  # re-word with Subscribe's prefix
                _reprefix(error, prefix)
                raise
        scope = requested.get(
            "FilterPolicyScope", current.filter_scope if current else "MessageAttributes"
        )
        policy_text = requested.get("FilterPolicy")
        if policy_text is None and current is not None and "FilterPolicyScope" in requested:
            policy_text = current.attributes.get("FilterPolicy")
        if policy_text:
            values["FilterPolicy"] = validate_filter_policy(policy_text, scope, api)
        elif "FilterPolicyScope" in requested:
            validate_filter_policy("{}", scope, api)
        return values

    def apply_subscription_attributes(
        self, subscription: Subscription, requested: dict[str, str], values: dict
    ) -> None:
        for name, value in requested.items():
            if value == "" and name != "RawMessageDelivery":
                subscription.attributes.pop(name, None)
            else:
                subscription.attributes[name] = value
        if "RawMessageDelivery" in values:
            subscription.raw = values["RawMessageDelivery"]
            subscription.attributes["RawMessageDelivery"] = _bool(subscription.raw)
        if "RedrivePolicy" in requested:
            subscription.dead_letter_arn = values.get("RedrivePolicy")
        if "FilterPolicyScope" in requested:
            subscription.filter_scope = requested["FilterPolicyScope"]
        if "FilterPolicy" in requested:
            subscription.filter_policy = values.get("FilterPolicy")
            if requested["FilterPolicy"]:
                # AWS shows the policy as it was given.
                subscription.attributes["FilterPolicy"] = requested["FilterPolicy"]

    def index_subscription(self, subscription: Subscription) -> None:
        """Make a confirmed subscription receive messages (through its topic's filter index)."""
        filters = self.service.filters_for(subscription.topic_arn)
        filters.set(subscription.arn, subscription.filter_policy, subscription.filter_scope)

    def drop_subscription(self, arn: str) -> None:
        """Remove a subscription everywhere (Unsubscribe, DeleteTopic)."""
        subscription = self.service.subscriptions.pop(arn, None)
        if subscription is None:
            return
        topic = self.service.topics.get(subscription.topic_arn)
        if topic is not None:
            topic.subscriptions.pop(arn, None)
            topic.deleted_subscriptions += 1
        filters = self.service.filters.get(subscription.topic_arn)
        if filters is not None:
            filters.remove(arn)
        if subscription.token:
            self.service.tokens.pop(subscription.token, None)
        self.service.emit("unsubscribed", arn, endpoint=subscription.endpoint)

    # -- the confirmation handshake -----------------------------------------------------------
    def _request_confirmation(self, topic: Topic, subscription: Subscription) -> None:
        token = self.service.ids.hex(128)
        subscription.token = token
        subscription.token_expires = self.service.clock.now() + TOKEN_LIFETIME
        self.service.tokens[token] = subscription.arn
        if subscription.protocol in ("http", "https"):
            self._send_handshake(subscription, "SubscriptionConfirmation")
            return
        url = self.service.urls.subscribe(topic.arn, token)
        display = topic.attributes.get("DisplayName") or "AWS Notifications"
        text = (
            f"You have chosen to subscribe to the topic: \n{topic.arn}\n\n"
            f"To confirm this subscription, click or visit the link below "
            f"(If this was in error no action is necessary): \n{url}"
        )
        self.service.outbox.append(
            OutboxMessage(
                self.service.clock.now(),
                subscription.protocol,
                subscription.endpoint,
                text,
                f"{display} - Subscription Confirmation",
                topic.arn,
                subscription.arn,
                self.service.ids.uuid(),
            )
        )

    def _send_handshake(self, subscription: Subscription, kind: str) -> None:
        """POST a SubscriptionConfirmation or UnsubscribeConfirmation to an HTTP/S endpoint."""
        topic_arn = subscription.topic_arn
        if kind == "UnsubscribeConfirmation" or not subscription.token:
            token = self.service.ids.hex(128)
            self.service.tokens[token] = subscription.arn
        else:
            token = subscription.token
        if kind == "SubscriptionConfirmation":
            text = (
                f"You have chosen to subscribe to the topic {topic_arn}.\n"
                "To confirm the subscription, visit the SubscribeURL included in this message."
            )
        else:
            text = (
                f"You have chosen to deactivate subscription {subscription.arn}.\n"
                "To cancel this operation and restore the subscription, visit the SubscribeURL "
                "included in this message."
            )
        note = Notification(
            self.service.ids.uuid(),
            topic_arn,
            text,
            None,
            None,
            {},
            self.service.timestamp(),
            self.service.new_trace_id(),
        )
        body = {
            "Type": kind,
            "MessageId": note.message_id,
            "Token": token,
            "TopicArn": topic_arn,
            "Message": text,
            "SubscribeURL": self.service.urls.subscribe(topic_arn, token),
            "Timestamp": note.timestamp,
            "SignatureVersion": "1",
            "Signature": signature(note, text, kind),
            "SigningCertURL": self.service.urls.cert,
        }
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": note.message_id,
            "x-amz-sns-topic-arn": topic_arn,
        }
        self.service.engine.spawn(
            self._post_handshake(
                subscription.arn, subscription.endpoint, headers, json.dumps(body), kind, token
            ),
            name="sns-handshake",
        )

    async def _post_handshake(
        self,
        subscription_arn: str,
        url: str,
        headers: dict[str, str],
        body: str,
        kind: str,
        token: str,
    ) -> None:
        status = await self.service.http_sink.post(url, headers, body)
        self.service.emit(
            "delivered" if 200 <= status < 300 else "delivery-failed",
            subscription_arn,
            message_id=headers["x-amz-sns-message-id"],
            message_type=kind,
            status=status,
        )
        if (
            kind == "SubscriptionConfirmation"
            and self.service.http_sink.auto_confirms(url)
            and 200 <= status < 300
        ):
            topic_arn = headers["x-amz-sns-topic-arn"]
            if subscription_arn in self.service.subscriptions:
                self.confirm_subscription({"TopicArn": topic_arn, "Token": token})


_DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _reprefix(error: ServiceError, prefix: str) -> None:
    """Give a Subscribe-path error AWS's "Attributes Reason:" wording."""
    message = error.message
    if prefix and message.startswith("Invalid parameter: "):
        error.message = "Invalid parameter: " + prefix + message[len("Invalid parameter: ") :]
        error.args = (error.message,)
