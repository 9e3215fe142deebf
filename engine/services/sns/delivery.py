"""Fan-out: one published message to every subscription whose filter lets it through.

Each delivery follows AWS's rules: client-side failures (the endpoint is gone, the target refuses
the message) are not retried; server-side failures (throttling, 5xx, no answer) are retried by the
protocol's delivery policy on the engine clock; then the subscription's dead-letter queue, if any,
receives the message. Every step is traced, and FIFO subscriptions keep group order across retries.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.faults import target_fails
from engine.service import Envelope

from .attributes import effective_subscription_delivery_policy
from .messages import (
    envelope_parts,
    lambda_event,
    sqs_attributes,
)
from .models import Notification, OutboxMessage, Subscription, Topic
from .retry import RetryPolicy, http_policy, policy_for_protocol

if TYPE_CHECKING:
    from .service import SnsService

#: Error codes that mean the target is busy or down (server-side): SNS retries these.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestThrottled",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "ServiceException",
        "KMSThrottlingException",
    }
)
OUTBOX_PROTOCOLS = frozenset({"email", "email-json", "sms", "application"})


class DeliveryFailure(Exception):
    """A delivery attempt failed; `retryable` says whether it was the server side."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Deliverer:
    """Delivers notifications to subscriptions, with retries, dead-letter queues and FIFO order."""

    def __init__(self, service: SnsService) -> None:
        self.service = service
        self.engine = service.engine
        self.clock = service.clock
        self.trace = service.trace
        # FIFO: (subscription ARN, group) → messages waiting behind one being retried.
        self._blocked: dict[tuple[str, str], deque[Notification]] = {}

    # -- fan-out ------------------------------------------------------------------------------
    async def fan_out(self, topic: Topic, note: Notification, matched: list[Subscription]) -> None:
        """Deliver `note` to each matched subscription (already filtered), in subscription order."""
        for subscription in matched:
            if topic.fifo and note.group_id is not None:
                waiting = self._blocked.get((subscription.arn, note.group_id))
                if waiting is not None:
                    waiting.append(note)
                    continue
            if subscription.protocol in ("http", "https"):
                # HTTP endpoints answer in their own time; Publish does not wait for them.
                self.engine.spawn(self.attempt(subscription, note, 0), name="sns-http")
            else:
                await self.attempt(subscription, note, 0)

    async def attempt(self, subscription: Subscription, note: Notification, retry: int) -> str:
        """Try one delivery (retry 0 is the first): "delivered", "given-up" or "retrying"."""
        service = self.service
        policy: RetryPolicy | None = None
        while True:
            try:
                await self._deliver_once(subscription, note)
            except DeliveryFailure as failure:
                subscription.failed += 1
                service.emit(
                    "delivery-failed",
                    subscription.arn,
                    message_id=note.message_id,
                    trace_id=note.trace_id,
                    endpoint=subscription.endpoint,
                    protocol=subscription.protocol,
                    reason=failure.reason[:256],
                    retry=retry,
                )
                if failure.retryable:
                    policy = policy or self._policy(subscription)
                    delay = policy.delay(retry + 1)
                    if delay is not None:
                        retry += 1
                        service.emit(
                            "retried",
                            subscription.arn,
                            message_id=note.message_id,
                            trace_id=note.trace_id,
                            retry=retry,
                            delay=delay,
                        )
                        if delay <= 0:
                            continue
                        if note.group_id is not None and self._is_fifo(subscription):
                            # Later messages of this group wait behind this one (FIFO order).
                            self._blocked.setdefault((subscription.arn, note.group_id), deque())
                        self.clock.call_later(delay, self._retry_due, subscription.arn, note, retry)
                        return "retrying"
                await self._dead_letter(subscription, note, failure.reason)
                return "given-up"
            subscription.delivered += 1
            if not self.trace.enabled:
                return "delivered"
            service.emit(
                "delivered",
                subscription.arn,
                message_id=note.message_id,
                trace_id=note.trace_id,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
                retry=retry,
                raw=subscription.raw,
                # The policy scope that let this message through (None: no filter policy).
                filter_scope=subscription.filter_scope if subscription.filter_policy else None,
            )
            return "delivered"

    def _retry_due(self, subscription_arn: str, note: Notification, retry: int) -> None:
        """Clock callback: run the retry as engine work."""
        self.engine.spawn(self._retry(subscription_arn, note, retry), name="sns-retry")

    async def _retry(self, subscription_arn: str, note: Notification, retry: int) -> None:
        key = (subscription_arn, note.group_id or "")
        subscription = self.service.subscription_for_arn(subscription_arn)
        if subscription is None:
            # Unsubscribed while waiting: AWS drops pending retries with the subscription.
            self._blocked.pop(key, None)
            return
        if await self.attempt(subscription, note, retry) == "retrying":
            return
        # The group's head left (delivered or given up): send those queued behind it, in order.
        while True:
            waiting = self._blocked.get(key)
            if not waiting:
                self._blocked.pop(key, None)
                return
            following = waiting.popleft()
            if await self.attempt(subscription, following, 0) == "retrying":
                return

    def _is_fifo(self, subscription: Subscription) -> bool:
        topic = self.service.topic_for_arn(subscription.topic_arn)
        return topic is not None and topic.fifo

    # -- one attempt --------------------------------------------------------------------------
    def _policy(self, subscription: Subscription) -> RetryPolicy:
        if subscription.protocol in ("http", "https"):
            topic = self.service.topic_for_arn(subscription.topic_arn)
            topic_policy = topic.attributes.get("DeliveryPolicy", "") if topic else ""
            effective = effective_subscription_delivery_policy(
                subscription.attributes.get("DeliveryPolicy", ""), topic_policy
            )
            return http_policy(effective["healthyRetryPolicy"])
        return policy_for_protocol(subscription.protocol)

    async def _deliver_once(self, subscription: Subscription, note: Notification) -> None:
        """One delivery attempt; raises DeliveryFailure."""
        faults = self.engine.faults
        if faults.enabled:
            policy = faults.policy_for(subscription.endpoint)
            if policy is not None and faults.roll(policy.throttle):
                raise DeliveryFailure("endpoint throttled (fault injection)", retryable=True)
            if target_fails(faults, subscription.endpoint):
                reason = (
                    "HTTP status 500"
                    if subscription.protocol in ("http", "https")
                    else ("InternalFailure: the endpoint failed")
                )
                raise DeliveryFailure(f"{reason} (fault injection)", retryable=True)
        protocol = subscription.protocol
        if protocol == "sqs":
            await self._to_fabric(subscription.endpoint, self._sqs_envelope(subscription, note))
        elif protocol == "lambda":
            event = lambda_event(
                note,
                note.message_for("lambda"),
                subscription.arn,
                self.service.urls,
                self._signature_version(note),
            )
            envelope = Envelope(
                event,
                source_arn=note.topic_arn,
                trace_id=note.trace_id,
                options={"invocation_type": "Event"},
            )
            await self._to_fabric(subscription.endpoint, envelope)
        elif protocol == "firehose":
            body = self.body_for(subscription, note) + "\n"
            await self._to_fabric(
                subscription.endpoint,
                Envelope(body.encode(), source_arn=note.topic_arn, trace_id=note.trace_id),
            )
        elif protocol in ("http", "https"):
            await self._to_http(subscription, note)
        else:
            self._to_outbox(subscription, note)

    async def _to_fabric(self, target: str, envelope: Envelope) -> Any:
        try:
            return await self.engine.fabric.deliver(target, envelope)
        except ServiceError as error:
            raise DeliveryFailure(
                f"{error.code}: {error.message}", retryable=error.code in RETRYABLE_CODES
            ) from None

    def _signature_version(self, note: Notification) -> str:
        topic = self.service.topic_for_arn(note.topic_arn)
        return topic.attributes.get("SignatureVersion", "1") if topic else "1"

    def body_for(self, subscription: Subscription, note: Notification) -> str:
        """The text this subscription receives: the raw message or the JSON envelope."""
        message = note.message_for(subscription.protocol)
        if subscription.raw:
            return message
        return self.envelope_body(note, message, subscription.arn)

    def envelope_body(self, note: Notification, message: str, subscription_arn: str) -> str:
        """The envelope text, built once per message and shared by its subscriptions."""
        envelopes = note.envelopes
        if envelopes is None:
            envelopes = note.envelopes = {}
        parts = envelopes.get(message)
        if parts is None:
            topic = self.service.topic_for_arn(note.topic_arn)
            parts = envelopes[message] = envelope_parts(
                note,
                message,
                self.service.urls,
                fifo=topic.fifo if topic else note.sequence_number is not None,
                signature_version=topic.attributes.get("SignatureVersion", "1") if topic else "1",
            )
        return parts[0] + subscription_arn + parts[1]

    def _sqs_envelope(self, subscription: Subscription, note: Notification) -> Envelope:
        fifo_queue = subscription.endpoint.endswith(".fifo")
        return Envelope(
            self.body_for(subscription, note),
            source_arn=note.topic_arn,
            trace_id=note.trace_id,
            attributes=sqs_attributes(note.attributes) if subscription.raw else {},
            group_id=note.group_id,
            dedup_id=note.dedup_id if fifo_queue else None,
            options=self._tracing_options(note),
        )

    def _tracing_options(self, note: Notification) -> dict[str, Any]:
        """Active tracing on the topic hands the X-Ray header to SQS as AWSTraceHeader."""
        if not note.tracing_active:
            return {}
        header = {"DataType": "String", "StringValue": note.trace_id}
        return {"system_attributes": {"AWSTraceHeader": header}}

    async def _to_http(self, subscription: Subscription, note: Notification) -> None:
        service = self.service
        topic = service.topic_for_arn(note.topic_arn)
        topic_policy = topic.attributes.get("DeliveryPolicy", "") if topic else ""
        effective = effective_subscription_delivery_policy(
            subscription.attributes.get("DeliveryPolicy", ""), topic_policy
        )
        headers = {
            "Content-Type": effective["requestPolicy"]["headerContentType"],
            "User-Agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": "Notification",
            "x-amz-sns-message-id": note.message_id,
            "x-amz-sns-topic-arn": note.topic_arn,
            "x-amz-sns-subscription-arn": subscription.arn,
        }
        if subscription.raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        status = await service.http_sink.post(
            subscription.endpoint, headers, self.body_for(subscription, note)
        )
        if not 200 <= status < 300:
            # 5xx, 429 and no answer are server-side (retried); other codes are the client's.
            retryable = status == 0 or status == 429 or status >= 500
            raise DeliveryFailure(f"HTTP status {status or 'no answer'}", retryable=retryable)

    def _to_outbox(self, subscription: Subscription, note: Notification) -> None:
        protocol = subscription.protocol
        if protocol == "application":
            endpoint = self.service.platform_api.endpoint_for_arn(subscription.endpoint)
            if endpoint is None or endpoint.attributes.get("Enabled", "true") != "true":
                raise DeliveryFailure("platform endpoint is disabled or gone", retryable=False)
            application = endpoint.application_arn.split("/")[1]
            message = note.message_for(application)
        elif protocol == "email-json":
            message = self.envelope_body(note, note.message_for(protocol), subscription.arn)
        else:
            if protocol == "sms" and subscription.endpoint in self.service.opted_out:
                raise DeliveryFailure("phone number opted out", retryable=False)
            message = note.message_for(protocol)
        self.service.outbox.append(
            OutboxMessage(
                self.clock.now(),
                protocol,
                subscription.endpoint,
                message,
                note.subject if protocol in ("email", "email-json") else None,
                note.topic_arn,
                subscription.arn,
                note.message_id,
            )
        )

    # -- dead letters -------------------------------------------------------------------------
    async def _dead_letter(
        self, subscription: Subscription, note: Notification, reason: str
    ) -> None:
        """Send a message SNS gave up on to the subscription's DLQ (or drop it, traced)."""
        service = self.service
        dlq = subscription.dead_letter_arn
        if dlq is None:
            service.emit(
                "dropped",
                subscription.arn,
                message_id=note.message_id,
                trace_id=note.trace_id,
                reason=reason[:256],
            )
            return
        fifo_queue = dlq.endswith(".fifo")
        envelope = Envelope(
            self.body_for(subscription, note),
            source_arn=note.topic_arn,
            trace_id=note.trace_id,
            attributes=sqs_attributes(note.attributes) if subscription.raw else {},
            group_id=note.group_id if fifo_queue else None,
            dedup_id=note.dedup_id if fifo_queue else None,
        )
        try:
            await self.engine.fabric.deliver(dlq, envelope)
        except ServiceError as error:
            service.emit(
                "dropped",
                subscription.arn,
                message_id=note.message_id,
                trace_id=note.trace_id,
                reason=f"dead-letter queue refused the message: {error.code}",
                dead_letter_queue=dlq,
            )
            return
        subscription.dead_lettered += 1
        service.emit(
            "dead-lettered",
            subscription.arn,
            message_id=note.message_id,
            trace_id=note.trace_id,
            dead_letter_queue=dlq,
            reason=reason[:256],
        )
