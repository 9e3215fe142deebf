"""SQS and SNS resources: queues, queue policies, topics, subscriptions, topic policies."""

from __future__ import annotations

from typing import Any

from .base import (
    Outcome,
    Provider,
    Request,
    ignore_missing,
    json_text,
    stringify,
    tag_list,
    tag_map,
)

#: Queue properties that are not attributes of the queue.
_QUEUE_NON_ATTRIBUTES = {"QueueName", "Tags"}
_SQS_DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
}


def _queue_attributes(properties: dict[str, Any]) -> dict[str, str]:
    return {
        key: json_text(value)
        if key in ("RedrivePolicy", "RedriveAllowPolicy")
        else stringify(value)
        for key, value in properties.items()
        if key not in _QUEUE_NON_ATTRIBUTES
    }


class QueueProvider(Provider):
    """AWS::SQS::Queue — Ref: the queue URL; GetAtt: Arn, QueueName, QueueUrl."""

    type_name = "AWS::SQS::Queue"
    name_property = "QueueName"
    name_max = 80

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        name = self.name(request, suffix=".fifo" if fifo else "")
        sqs = self.client("sqs")
        params: dict[str, Any] = {"QueueName": name, "Attributes": _queue_attributes(props)}
        tags = tag_map(props)
        if tags:
            params["tags"] = tags
        url = (await sqs.create_queue(**params))["QueueUrl"]
        return Outcome(url, self._attributes(name, url))

    def _attributes(self, name: str, url: str) -> dict[str, Any]:
        return {"Arn": self.arn("sqs", name), "QueueName": name, "QueueUrl": url}

    async def update(self, request: Request) -> Outcome:
        sqs = self.client("sqs")
        attributes = _queue_attributes(request.properties)
        for key in _queue_attributes(request.previous):
            if key not in attributes and key in _SQS_DEFAULTS:
                attributes[key] = _SQS_DEFAULTS[key]
            elif key not in attributes and key in ("RedrivePolicy", "RedriveAllowPolicy"):
                attributes[key] = ""
        attributes.pop("FifoQueue", None)
        if attributes:
            await sqs.set_queue_attributes(QueueUrl=request.physical_id, Attributes=attributes)
        old_tags, new_tags = tag_map(request.previous), tag_map(request.properties)
        gone = [key for key in old_tags if key not in new_tags]
        if gone:
            await sqs.untag_queue(QueueUrl=request.physical_id, TagKeys=gone)
        if new_tags and new_tags != old_tags:
            await sqs.tag_queue(QueueUrl=request.physical_id, Tags=new_tags)
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("sqs").delete_queue(QueueUrl=request.physical_id))


class QueuePolicyProvider(Provider):
    """AWS::SQS::QueuePolicy — sets the Policy attribute of each queue; Ref: a generated id."""

    type_name = "AWS::SQS::QueuePolicy"

    async def create(self, request: Request) -> Outcome:
        await self._apply(request.properties.get("Queues") or [], request.properties)
        return Outcome(request.physical_id or self.generated_name(request))

    async def _apply(self, queues: list[str], properties: dict[str, Any]) -> None:
        policy = json_text(properties["PolicyDocument"]) if properties else ""
        for url in queues:
            await self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": policy}
            )

    async def update(self, request: Request) -> Outcome:
        new = set(request.properties.get("Queues") or [])
        dropped = [q for q in request.previous.get("Queues") or [] if q not in new]
        await self._clear(dropped)
        await self._apply(sorted(new), request.properties)
        return Outcome(request.physical_id)

    async def _clear(self, queues: list[str]) -> None:
        for url in queues:
            await ignore_missing(
                self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
            )

    async def delete(self, request: Request) -> None:
        await self._clear(request.properties.get("Queues") or [])


class QueueInlinePolicyProvider(QueuePolicyProvider):
    """AWS::SQS::QueueInlinePolicy — one queue's policy."""

    type_name = "AWS::SQS::QueueInlinePolicy"

    async def create(self, request: Request) -> Outcome:
        await self._apply([request.properties["Queue"]], request.properties)
        return Outcome(request.physical_id or self.generated_name(request))

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        await self._clear([request.properties["Queue"]])


_TOPIC_ATTRIBUTES = (
    "DisplayName",
    "KmsMasterKeyId",
    "ContentBasedDeduplication",
    "TracingConfig",
    "SignatureVersion",
    "DeliveryPolicy",
    "FifoThroughputScope",
)


class TopicProvider(Provider):
    """AWS::SNS::Topic — Ref: the topic ARN; GetAtt: TopicArn, TopicName."""

    type_name = "AWS::SNS::Topic"
    name_property = "TopicName"
    name_max = 256

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        fifo = str(props.get("FifoTopic", "")).lower() == "true"
        name = self.name(request, suffix=".fifo" if fifo else "")
        attributes = {
            k: json_text(props[k]) if k == "DeliveryPolicy" else stringify(props[k])
            for k in _TOPIC_ATTRIBUTES
            if k in props
        }
        if fifo:
            attributes["FifoTopic"] = "true"
        params: dict[str, Any] = {"Name": name, "Attributes": attributes}
        tags = tag_list(props)
        if tags:
            params["Tags"] = tags
        sns = self.client("sns")
        arn = (await sns.create_topic(**params))["TopicArn"]
        for subscription in props.get("Subscription") or []:
            await sns.subscribe(
                TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
            )
        return Outcome(arn, {"TopicArn": arn, "TopicName": name})

    async def update(self, request: Request) -> Outcome:
        sns = self.client("sns")
        for key in _TOPIC_ATTRIBUTES:
            new, old = request.properties.get(key), request.previous.get(key)
            if new != old:
                value = (
                    ""
                    if new is None
                    else json_text(new)
                    if key == "DeliveryPolicy"
                    else stringify(new)
                )
                await sns.set_topic_attributes(
                    TopicArn=request.physical_id, AttributeName=key, AttributeValue=value
                )
        old_tags, new_tags = tag_map(request.previous), tag_map(request.properties)
        if removed := sorted(set(old_tags) - set(new_tags)):
            await sns.untag_resource(ResourceArn=request.physical_id, TagKeys=removed)
        if changed := [{"Key": k, "Value": v} for k, v in new_tags.items() if old_tags.get(k) != v]:
            await sns.tag_resource(ResourceArn=request.physical_id, Tags=changed)
        old_subs = {
            (s["Protocol"], s["Endpoint"]) for s in request.previous.get("Subscription") or []
        }
        new_subs = {
            (s["Protocol"], s["Endpoint"]) for s in request.properties.get("Subscription") or []
        }
        if old_subs != new_subs:
            listed = await sns.list_subscriptions_by_topic(TopicArn=request.physical_id)
            for sub in listed["Subscriptions"]:
                if (sub["Protocol"], sub["Endpoint"]) in old_subs - new_subs:
                    await sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])
            for protocol, endpoint in sorted(new_subs - old_subs):
                await sns.subscribe(
                    TopicArn=request.physical_id, Protocol=protocol, Endpoint=endpoint
                )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("sns").delete_topic(TopicArn=request.physical_id))


_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)


def _subscription_attributes(props: dict[str, Any]) -> dict[str, str]:
    return {
        key: json_text(props[key])
        if isinstance(props[key], (dict, list))
        else stringify(props[key])
        for key in _SUBSCRIPTION_ATTRIBUTES
        if key in props
    }


class SubscriptionProvider(Provider):
    """AWS::SNS::Subscription — Ref: the subscription ARN."""

    type_name = "AWS::SNS::Subscription"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params: dict[str, Any] = {"TopicArn": props["TopicArn"], "Protocol": props["Protocol"]}
        if "Endpoint" in props:
            params["Endpoint"] = props["Endpoint"]
        attributes = _subscription_attributes(props)
        if attributes:
            params["Attributes"] = attributes
        params["ReturnSubscriptionArn"] = True
        arn = (await self.client("sns").subscribe(**params))["SubscriptionArn"]
        return Outcome(arn, {"Arn": arn})

    async def update(self, request: Request) -> Outcome:
        sns = self.client("sns")
        new, old = (
            _subscription_attributes(request.properties),
            _subscription_attributes(request.previous),
        )
        for key in sorted(set(new) | set(old)):
            if new.get(key) != old.get(key):
                await sns.set_subscription_attributes(
                    SubscriptionArn=request.physical_id,
                    AttributeName=key,
                    AttributeValue=new.get(key, ""),
                )
        return Outcome(request.physical_id, dict(request.attributes))

    async def delete(self, request: Request) -> None:
        await ignore_missing(self.client("sns").unsubscribe(SubscriptionArn=request.physical_id))


class TopicPolicyProvider(Provider):
    """AWS::SNS::TopicPolicy — sets the Policy attribute of each topic."""

    type_name = "AWS::SNS::TopicPolicy"

    async def create(self, request: Request) -> Outcome:
        await self._apply(
            request.properties.get("Topics") or [], json_text(request.properties["PolicyDocument"])
        )
        return Outcome(request.physical_id or self.generated_name(request))

    async def _apply(self, topics: list[str], policy: str) -> None:
        for arn in topics:
            await self.client("sns").set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=policy
            )

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)

    async def delete(self, request: Request) -> None:
        for arn in request.properties.get("Topics") or []:
            await ignore_missing(
                self.client("sns").set_topic_attributes(
                    TopicArn=arn, AttributeName="Policy", AttributeValue=""
                ),
                "NotFound",
                "InvalidParameter",
            )


class TopicInlinePolicyProvider(TopicPolicyProvider):
    """AWS::SNS::TopicInlinePolicy — one topic's policy."""

    type_name = "AWS::SNS::TopicInlinePolicy"

    async def create(self, request: Request) -> Outcome:
        await self._apply(
            [request.properties["TopicArn"]], json_text(request.properties["PolicyDocument"])
        )
        return Outcome(request.physical_id or self.generated_name(request))

    async def delete(self, request: Request) -> None:
        request.properties = {"Topics": [request.properties["TopicArn"]]}
        await super().delete(request)


PROVIDERS = (
    QueueProvider,
    QueuePolicyProvider,
    QueueInlinePolicyProvider,
    TopicProvider,
    SubscriptionProvider,
    TopicPolicyProvider,
    TopicInlinePolicyProvider,
)
