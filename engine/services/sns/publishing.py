"""Publish and PublishBatch: checks, FIFO sequencing and deduplication, filtering, fan-out."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import check_arn, invalid
from .messages import MAX_MESSAGE_BYTES, check_message, check_message_attributes, parse_structure
from .models import Notification, OutboxMessage, Topic

if TYPE_CHECKING:
    from .service import SnsService

#: FIFO deduplication window (AWS: five minutes).
DEDUP_WINDOW = 300.0
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]+")
_PHONE_NUMBER = re.compile(r"\+?[1-9][0-9]{1,14}")


class PublishOperations:
    """Publish, PublishBatch, and topics as fabric targets."""

    def __init__(self, service: SnsService) -> None:
        self.service = service

    async def publish(self, params: dict) -> dict:
        targets = [key for key in ("TopicArn", "TargetArn", "PhoneNumber") if params.get(key)]
        if not targets:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        if len(targets) > 1:
            raise invalid(
                "TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber "
                "may be given"
            )
        message = params["Message"]
        subject = params.get("Subject")
        attributes = params.get("MessageAttributes") or {}
        size = check_message_attributes(attributes)
        check_message(message, subject, size)
        per_protocol = parse_structure(message, params.get("MessageStructure"))
        if "PhoneNumber" in targets:
            return self._publish_sms(params["PhoneNumber"], message, per_protocol)
        arn = params.get("TopicArn") or params["TargetArn"]
        if "TargetArn" in targets and ":endpoint/" in arn:
            return self._publish_to_endpoint(arn, message, per_protocol, subject)
        topic = self.service.topics_api.require_topic(arn, targets[0])
        note = self.prepare(
            topic,
            message,
            per_protocol,
            subject,
            attributes,
            params.get("MessageGroupId"),
            params.get("MessageDeduplicationId"),
        )
        return await self.dispatch(topic, note)

    async def publish_batch(self, params: dict) -> dict:
        entries = params["PublishBatchRequestEntries"]
        topic = self.service.topics_api.require_topic(params["TopicArn"])
        if not entries:
            raise ServiceError(
                "EmptyBatchRequest", "The batch request doesn't contain any entries."
            )
        if len(entries) > MAX_BATCH:
            raise ServiceError(
                "TooManyEntriesInBatchRequest",
                "The batch request contains more entries than permissible.",
            )
        for entry in entries:
            entry_id = entry["Id"]
            if len(entry_id) > 80:
                raise ServiceError(
                    "InvalidBatchEntryId",
                    f"The Id of a batch entry in the batch request is too long: {entry_id}",
                )
            if not _BATCH_ID.fullmatch(entry_id):
                raise ServiceError(
                    "InvalidBatchEntryId",
                    "The Id of a batch entry in the batch request contains an impermissible "
                    f"character: {entry_id}",
                )
        if len({entry["Id"] for entry in entries}) != len(entries):
            raise ServiceError(
                "BatchEntryIdsNotDistinct",
                "Two or more batch entries in the request have the same Id.",
            )
        sizes = [
            check_message_attributes(entry.get("MessageAttributes") or {}) for entry in entries
        ]
        total = sum(len(entry["Message"].encode()) for entry in entries) + sum(sizes)
        if total > MAX_MESSAGE_BYTES:
            raise ServiceError(
                "BatchRequestTooLong",
                "The length of all the messages put together is more than the limit.",
            )
        notes: list[Notification] = []
        for entry, size in zip(entries, sizes, strict=True):
            check_message(entry["Message"], entry.get("Subject"), size)
            per_protocol = parse_structure(entry["Message"], entry.get("MessageStructure"))
            notes.append(
                self.prepare(
                    topic,
                    entry["Message"],
                    per_protocol,
                    entry.get("Subject"),
                    entry.get("MessageAttributes") or {},
                    entry.get("MessageGroupId"),
                    entry.get("MessageDeduplicationId"),
                )
            )
        successful: list[dict[str, str]] = []
        for entry, note in zip(entries, notes, strict=True):
            result = await self.dispatch(topic, note)
            successful.append({"Id": entry["Id"], **result})
        return {"Successful": successful, "Failed": []}

    # -- the shared path ----------------------------------------------------------------------
    def prepare(
        self,
        topic: Topic,
        message: str,
        per_protocol: dict[str, str] | None,
        subject: str | None,
        attributes: dict[str, dict],
        group_id: str | None,
        dedup_id: str | None,
        trace_id: str | None = None,
    ) -> Notification:
        """Check FIFO rules and build the notification (nothing is changed yet)."""
        if topic.fifo:
            if not group_id:
                raise invalid("The MessageGroupId parameter is required for FIFO topics")
            if not dedup_id:
                if not topic.content_based_dedup:
                    raise invalid(
                        "The topic should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly"
                    )
                dedup_id = hashlib.sha256(message.encode()).hexdigest()
        elif dedup_id:
            raise invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        note = Notification(
            self.service.ids.uuid(),
            topic.arn,
            message,
            per_protocol,
            subject,
            {name: dict(value) for name, value in attributes.items()},
            self.service.timestamp(),
            trace_id or self.service.new_trace_id(),
            group_id,  # standard topics pass it on too (SQS fair queues)
            dedup_id,
        )
        note.tracing_active = topic.attributes.get("TracingConfig") == "Active"
        return note

    async def dispatch(self, topic: Topic, note: Notification) -> dict[str, Any]:
        """Sequence, deduplicate, filter and deliver one prepared notification."""
        if topic.fifo:
            duplicate = self._deduplicate(topic, note)
            if duplicate is not None:
                return duplicate
        topic.published += 1
        if self.service.trace.enabled:
            self.service.emit(
                "published",
                topic.arn,
                message_id=note.message_id,
                trace_id=note.trace_id,
                body=note.message[:256],
                group_id=note.group_id,
            )
        filters = self.service.filters.get(topic.arn)
        if filters is not None:
            matched_arns = filters.match(note)
            subscriptions = topic.subscriptions
            matched = [subscriptions[arn] for arn in matched_arns if arn in subscriptions]
            if len(matched) > 1:
                matched.sort(key=_by_seq)
            for subscription in matched:
                subscription.matched += 1
            if self.service.trace.enabled:
                self._trace_filtering(topic, note, matched_arns)
            if matched:
                await self.service.deliverer.fan_out(topic, note, matched)
        result: dict[str, Any] = {"MessageId": note.message_id}
        if note.sequence_number is not None:
            result["SequenceNumber"] = note.sequence_number
        return result

    def _deduplicate(self, topic: Topic, note: Notification) -> dict[str, Any] | None:
        """FIFO: the earlier result if this is a duplicate within five minutes; else sequence it."""
        now = self.service.clock.now()
        order = topic.dedup_order
        while order and order[0][0] <= now:
            _, key = order.popleft()
            entry = topic.dedup.get(key)
            if entry is not None and entry[0] <= now:
                del topic.dedup[key]
        key = note.dedup_id or ""
        if topic.attributes.get("FifoThroughputScope") == "MessageGroup":
            key = f"{note.group_id}\x00{key}"
        earlier = topic.dedup.get(key)
        if earlier is not None:
            self.service.emit(
                "deduplicated",
                topic.arn,
                message_id=earlier[1],
                trace_id=note.trace_id,
                dedup_id=note.dedup_id,
            )
            return {"MessageId": earlier[1], "SequenceNumber": earlier[2]}
        topic.sequence += 1
        note.sequence_number = f"1{topic.sequence:019d}"
        expiry = now + DEDUP_WINDOW
        topic.dedup[key] = (expiry, note.message_id, note.sequence_number)
        order.append((expiry, key))
        return None

    def _trace_filtering(self, topic: Topic, note: Notification, matched: set[str]) -> None:
        for subscription in topic.subscriptions.values():
            if subscription.pending:
                continue
            kind = "matched" if subscription.arn in matched else "filtered-out"
            self.service.emit(
                kind,
                subscription.arn,
                message_id=note.message_id,
                trace_id=note.trace_id,
                endpoint=subscription.endpoint,
                filter_scope=subscription.filter_scope if subscription.filter_policy else None,
            )

    # -- direct publishing --------------------------------------------------------------------
    def _publish_sms(self, number: str, message: str, per_protocol: dict | None) -> dict:
        if not _PHONE_NUMBER.fullmatch(number):
            raise invalid(f"PhoneNumber Reason: {number} is not valid to publish to")
        message_id = self.service.ids.uuid()
        if number in self.service.opted_out:
            # AWS accepts the call but sends nothing to a number that opted out.
            self.service.emit("dropped", f"sms:{number}", message_id=message_id, reason="opted out")
            return {"MessageId": message_id}
        text = per_protocol.get("sms", message) if per_protocol else message
        self.service.outbox.append(
            OutboxMessage(self.service.clock.now(), "sms", number, text, message_id=message_id)
        )
        self.service.emit("delivered", f"sms:{number}", message_id=message_id, protocol="sms")
        return {"MessageId": message_id}

    def _publish_to_endpoint(
        self, arn: str, message: str, per_protocol: dict | None, subject: str | None
    ) -> dict:
        check_arn(arn, "TargetArn")
        endpoint = self.service.platform_api.endpoint_for_arn(arn)
        if endpoint is None:
            raise invalid("TargetArn Reason: No endpoint found for the target arn specified")
        if endpoint.attributes.get("Enabled", "true") != "true":
            raise ServiceError("EndpointDisabled", "Endpoint is disabled")
        platform = endpoint.application_arn.split("/")[1]
        text = per_protocol.get(platform, message) if per_protocol else message
        message_id = self.service.ids.uuid()
        self.service.outbox.append(
            OutboxMessage(
                self.service.clock.now(), "application", arn, text, subject, message_id=message_id
            )
        )
        self.service.emit("delivered", arn, message_id=message_id, protocol="application")
        return {"MessageId": message_id}


def _by_seq(subscription: Any) -> int:
    return subscription.seq
