"""The SNS service: state, lookups, the fabric hook, topology and save/open.

Operations live in delegated objects by area (topics, subscriptions, publishing, platform, SMS
sandbox); delivery, retries and dead letters in `delivery.py`; filter policies on the shared
matcher in `filtering.py`.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from engine.service import Envelope, Service, delegate_operations
from engine.services.iam.enforcement import ENFORCE_SETTING, check_delivery
from engine.topology import Edge, Node

from .delivery import Deliverer
from .filtering import TopicFilters, validate_filter_policy
from .http_sink import HttpSink
from .messages import UrlScheme, check_message, check_message_attributes
from .models import (
    OutboxMessage,
    PlatformApplication,
    PlatformEndpoint,
    Subscription,
    Topic,
)
from .platform import PlatformOperations
from .publishing import PublishOperations
from .sandbox import SandboxOperations
from .subscriptions import SubscriptionOperations
from .topics import TopicOperations

if TYPE_CHECKING:
    from engine.engine import Engine


#: How a subscription's edge names its filter policy (the flow map shows the label).
_FILTER_LABELS = {"MessageAttributes": " · attribute filter", "MessageBody": " · body filter"}


class SnsService(Service):
    """Amazon SNS in the lab: topics fan messages out to subscriptions through the fabric."""

    name: ClassVar[str] = "sns"
    validation_error_code: ClassVar[str] = "InvalidParameter"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.topics: dict[str, Topic] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.filters: dict[str, TopicFilters] = {}
        self.tokens: dict[str, str] = {}  # confirmation token → subscription ARN
        self.applications: dict[str, PlatformApplication] = {}
        self.endpoints: dict[str, PlatformEndpoint] = {}
        # AWS reports a $1 monthly SMS spend limit for an account that never set one.
        self.sms_attributes: dict[str, str] = {"MonthlySpendLimit": "1"}
        self.opted_out: set[str] = set()
        #: Whether the lab account is in the SMS sandbox; verified destination numbers.
        self.sms_sandbox = False
        self.sandbox_numbers: dict[str, list[str]] = {}  # number → [status, one-time password]
        #: Email, email-json, SMS and mobile push messages SNS "sent", oldest first.
        self.outbox: list[OutboxMessage] = []
        #: Lab HTTP/S endpoints (and the record of every HTTP/S request SNS made).
        self.http_sink = HttpSink(self.clock.now, outbound=engine.outbound.check)
        self.urls = UrlScheme(self.region, self.ids.hex(32))
        self.deliverer = Deliverer(self)
        self._subscription_seq = 0
        self._stamp_second = -1
        self._stamp_prefix = ""
        self.topics_api = TopicOperations(self)
        self.subscriptions_api = SubscriptionOperations(self)
        self.publishing_api = PublishOperations(self)
        self.platform_api = PlatformOperations(self)
        self.sandbox_api = SandboxOperations(self)

    # -- lookups ------------------------------------------------------------------------------
    def next_subscription_seq(self) -> int:
        """The creation order number for a new subscription (deliveries go out in that order)."""
        self._subscription_seq += 1
        return self._subscription_seq

    def opt_out(self, number: str) -> None:
        """Lab action: the person at `number` replied STOP (AWS records the opt-out)."""
        self.opted_out.add(number)

    def topic_for_arn(self, arn: str) -> Topic | None:
        """The topic with this ARN, or None."""
        return self.topics.get(arn)

    def subscription_for_arn(self, arn: str) -> Subscription | None:
        """The subscription with this ARN, or None."""
        return self.subscriptions.get(arn)

    def filters_for(self, topic_arn: str) -> TopicFilters:
        """The filter index of a topic (created on first use)."""
        filters = self.filters.get(topic_arn)
        if filters is None:
            filters = self.filters[topic_arn] = TopicFilters()
        return filters

    def timestamp(self) -> str:
        """Now, as SNS writes it in envelopes (ISO 8601, milliseconds, Z)."""
        now = self.clock.now()
        second = int(now)
        if second != self._stamp_second:
            # strftime is slow; the part up to the second changes at most once a second.
            self._stamp_second = second
            self._stamp_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp_prefix}.{int((now - second) * 1000):03d}Z"

    def new_trace_id(self) -> str:
        """A fresh trace id for a message that arrived without one."""
        return self.ids.trace_id(self.clock.now())

    # -- the fabric ---------------------------------------------------------------------------
    def owns(self, arn: str) -> bool:
        return arn in self.topics or arn in self.endpoints

    async def deliver(self, target_arn: str, envelope: Envelope) -> Any:
        """Another service publishes to a topic (EventBridge target, S3 notification …)."""
        topic = self.topics_api.require_topic(target_arn)
        if self.engine.settings.get(ENFORCE_SETTING):
            check_delivery(self.engine, envelope, target_arn, "sns:Publish")
        body = envelope.body
        if isinstance(body, (bytes, bytearray)):
            body = body.decode()
        elif not isinstance(body, str):
            body = json.dumps(body)
        attributes = envelope.attributes or {}
        subject = envelope.options.get("subject")
        check_message(body, subject, check_message_attributes(attributes))
        note = self.publishing_api.prepare(
            topic,
            body,
            None,
            subject,
            attributes,
            envelope.group_id,
            envelope.dedup_id,
            envelope.trace_id,
        )
        return (await self.publishing_api.dispatch(topic, note))["MessageId"]

    # -- views --------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for topic in self.topics.values():
            nodes.append(
                Node(
                    topic.arn,
                    "topic",
                    topic.name,
                    "sns",
                    {"published": topic.published, "subscriptions": len(topic.subscriptions)},
                )
            )
            for subscription in topic.subscriptions.values():
                considered = topic.published - subscription.published_before
                edges.append(
                    Edge(
                        topic.arn,
                        subscription.endpoint,
                        "subscription",
                        subscription.protocol
                        + (" (pending)" if subscription.pending else "")
                        + (
                            _FILTER_LABELS[subscription.filter_scope]
                            if subscription.filter_policy
                            else ""
                        ),
                        {
                            "matched": subscription.matched,
                            "delivered": subscription.delivered,
                            "filtered": max(0, considered - subscription.matched)
                            if not subscription.pending
                            else 0,
                            "errors": subscription.failed,
                            "dead_lettered": subscription.dead_lettered,
                        },
                    )
                )
                if subscription.dead_letter_arn:
                    edges.append(
                        Edge(
                            subscription.arn,
                            subscription.dead_letter_arn,
                            "dead-letter",
                            subscription.protocol,
                            {"dead_lettered": subscription.dead_lettered},
                        )
                    )
        return nodes, edges

    def dump(self) -> dict[str, Any] | None:
        changed_sms = self.sms_attributes != {"MonthlySpendLimit": "1"}
        if not (self.topics or self.applications or self.opted_out or changed_sms):
            return None
        now = self.clock.now()
        return {
            "topics": [
                {
                    "name": t.name,
                    "fifo": t.fifo,
                    "attributes": dict(t.attributes),
                    "tags": dict(t.tags),
                    "data_protection_policy": t.data_protection_policy,
                    # FIFO: the sequence counter and each deduplication id's time left.
                    "sequence": t.sequence,
                    "dedup": [
                        [key, expiry - now, message_id, sequence]
                        for key, (expiry, message_id, sequence) in t.dedup.items()
                        if expiry > now
                    ],
                    "subscriptions": [
                        {
                            "arn": s.arn,
                            "protocol": s.protocol,
                            "endpoint": s.endpoint,
                            "pending": s.pending,
                            "token": s.token,
                            "token_expires": s.token_expires,
                            "authenticated": s.confirmation_authenticated,
                            "attributes": dict(s.attributes),
                        }
                        for s in t.subscriptions.values()
                    ],
                }
                for t in self.topics.values()
            ],
            "applications": [
                {
                    "name": a.name,
                    "platform": a.platform,
                    "attributes": dict(a.attributes),
                    "endpoints": [
                        {"arn": e.arn, "token": e.token, "attributes": dict(e.attributes)}
                        for e in a.endpoints.values()
                    ],
                }
                for a in self.applications.values()
            ],
            "sms_attributes": dict(self.sms_attributes),
            "opted_out": sorted(self.opted_out),
        }

    def load(self, data: dict[str, Any]) -> None:
        for saved in data.get("topics", []):
            topic = Topic(self.arn(saved["name"]), saved["name"], saved["fifo"])
            topic.attributes = dict(saved["attributes"])
            topic.tags = dict(saved["tags"])
            topic.data_protection_policy = saved.get("data_protection_policy", "")
            topic.sequence = saved.get("sequence", 0)
            now = self.clock.now()
            for key, remaining, message_id, sequence in saved.get("dedup", []):
                topic.dedup[key] = (now + remaining, message_id, sequence)
                topic.dedup_order.append((now + remaining, key))
            self.topics[topic.arn] = topic
            for sub in saved["subscriptions"]:
                subscription = Subscription(
                    sub["arn"],
                    topic.arn,
                    sub["protocol"],
                    sub["endpoint"],
                    pending=sub["pending"],
                    token=sub.get("token"),
                    confirmation_authenticated=sub.get("authenticated", True),
                    seq=self.next_subscription_seq(),
                    token_expires=sub.get("token_expires", 0.0),
                )
                attributes = dict(sub["attributes"])
                values: dict[str, Any] = {}
                if attributes.get("RawMessageDelivery"):
                    values["RawMessageDelivery"] = attributes["RawMessageDelivery"] == "true"
                if attributes.get("RedrivePolicy"):
                    values["RedrivePolicy"] = json.loads(attributes["RedrivePolicy"])[
                        "deadLetterTargetArn"
                    ]
                if attributes.get("FilterPolicy"):
                    values["FilterPolicy"] = validate_filter_policy(
                        attributes["FilterPolicy"],
                        attributes.get("FilterPolicyScope", "MessageAttributes"),
                        "SetSubscriptionAttributes",
                    )
                self.subscriptions_api.apply_subscription_attributes(
                    subscription, attributes, values
                )
                topic.subscriptions[subscription.arn] = subscription
                self.subscriptions[subscription.arn] = subscription
                if subscription.token:
                    self.tokens[subscription.token] = subscription.arn
                if not subscription.pending:
                    self.subscriptions_api.index_subscription(subscription)
        for saved in data.get("applications", []):
            arn = self.arn(f"app/{saved['platform']}/{saved['name']}")
            application = PlatformApplication(arn, saved["name"], saved["platform"])
            application.attributes = dict(saved["attributes"])
            self.applications[arn] = application
            for endpoint in saved["endpoints"]:
                restored = PlatformEndpoint(
                    endpoint["arn"], arn, endpoint["token"], dict(endpoint["attributes"])
                )
                application.endpoints[restored.arn] = restored
                self.endpoints[restored.arn] = restored
        self.sms_attributes.update(data.get("sms_attributes", {}))
        self.opted_out.update(data.get("opted_out", []))


delegate_operations(
    SnsService,
    {
        "topics_api": TopicOperations,
        "subscriptions_api": SubscriptionOperations,
        "publishing_api": PublishOperations,
        "platform_api": PlatformOperations,
        "sandbox_api": SandboxOperations,
    },
)
