"""Amazon SQS: every operation of botocore's SQS model, on the engine clock.

Internal API for other services (Lambda event source mappings, Pipes, SNS, EventBridge):
`queue_for_arn(arn)`, `await poll(arn, max_messages, wait_seconds, visibility_timeout)`,
`delete(arn, receipt_handle)`, `change_visibility(arn, receipt_handle, seconds)`,
`on_available(arn, callback)`, and `deliver(arn, envelope)` through the fabric.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import ServiceError
from engine.service import Envelope, Service
from engine.services.iam.enforcement import ENFORCE_SETTING, check_delivery
from engine.topology import Edge, Node

from . import attributes as queue_attributes
from .attributes import MAX_VISIBILITY, QueueSettings
from .errors import (
    invalid_attribute_name,
    invalid_parameter,
    invalid_value,
    missing_parameter,
    non_existent_queue,
    receipt_handle_invalid,
    sqs_error,
)
from .md5 import md5_of_attributes, md5_of_body
from .move_tasks import MoveTasks
from .queue import DEDUPLICATION_WINDOW, GONE, IN_FLIGHT, Message, Queue

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_GROUP_ID = re.compile(r"^[!-~]{1,128}$")  # alphanumeric and punctuation
_INVALID_BODY = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_HANDLE_PREFIX = "AQEB"
_DELETED_NAME_GRACE = 60.0
_PURGE_INTERVAL = 60.0

SYSTEM_ATTRIBUTE_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


@dataclass(slots=True)
class Received:
    """A message handed to an internal consumer: boto3's message dict and its trace id."""

    message: dict[str, Any]
    trace_id: str | None


class SqsService(Service):
    """Standard and FIFO queues, dead-letter queues, long polling and message move tasks."""

    name = "sqs"
    validation_error_code = "InvalidParameterValue"
    check_enums = False  # SQS answers unknown attribute names with InvalidAttributeName

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.queues: dict[str, Queue] = {}  # name → queue
        self._by_arn: dict[str, Queue] = {}
        self._deleted_at: dict[str, float] = {}
        self.move_tasks = MoveTasks(self)
        self._faults = engine.faults

    # ------------------------------------------------------------------------------------
    # lookups
    def url_for(self, name: str) -> str:
        """The queue URL AWS gives a queue of this name."""
        return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"

    def queue_for_url(self, url: str) -> Queue:
        """The queue a QueueUrl (or bare queue name) names; NonExistentQueue otherwise."""
        queue = self.queues.get(url.rstrip("/").rsplit("/", 1)[-1]) if url else None
        if queue is None:
            raise non_existent_queue()
        return queue

    def queue_for_arn(self, arn: str) -> Queue:
        """The queue with this ARN; NonExistentQueue otherwise."""
        queue = self._by_arn.get(arn)
        if queue is None:
            raise non_existent_queue()
        return queue

    def owns(self, arn: str) -> bool:
        return arn in self._by_arn

    # ------------------------------------------------------------------------------------
    # queues
    def create_queue(self, params: dict) -> dict:
        name = params["QueueName"]
        requested = {
            k: queue_attributes.any_to_str(v) for k, v in params.get("Attributes", {}).items()
        }
        tags = dict(params.get("tags", {}))
        fifo = requested.get("FifoQueue", "").lower() == "true"
        if "FifoQueue" in requested and requested["FifoQueue"].lower() not in ("true", "false"):
            raise queue_attributes.invalid_attribute_value(
                "Invalid value for the parameter FifoQueue."
            )
        if fifo:
            if not _FIFO_NAME.match(name):
                raise invalid_parameter(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                    "or underscores, must end with .fifo suffix and be 1 to 80 in length."
                )
        elif not _QUEUE_NAME.match(name):
            if name.endswith(".fifo") and _FIFO_NAME.match(name):
                raise invalid_parameter(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                    "or underscores, must end with .fifo suffix and be 1 to 80 in length."
                )
            raise invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        if "FifoQueue" in requested and not fifo:
            requested.pop("FifoQueue")
            if any(k in requested for k in queue_attributes.FIFO_ONLY):
                pass
        queue_attributes.check_names(
            {k: v for k, v in requested.items() if k != "FifoQueue" or fifo}, fifo, creating=True
        )
        existing = self.queues.get(name)
        if existing is not None:
            conflict = queue_attributes.creation_conflict(existing.settings, requested)
            if conflict is not None:
                raise sqs_error(
                    "QueueAlreadyExists",
                    f"A queue already exists with the same name and a different value for attribute {conflict}",
                    "QueueNameExists",
                )
            return {"QueueUrl": existing.url}
        deleted_at = self._deleted_at.get(name)
        if deleted_at is not None and self.clock.now() - deleted_at < _DELETED_NAME_GRACE:
            raise sqs_error(
                "AWS.SimpleQueueService.QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another "
                "with the same name.",
                "QueueDeletedRecently",
            )
        settings = queue_attributes.apply(QueueSettings(fifo=fifo), requested)
        self._check_redrive(settings, name)
        if len(tags) > 50:
            raise invalid_parameter("Too many tags added for queue " + name + ".")
        now = self.clock.now()
        arn = self.arn(name)
        queue = Queue(name, self.url_for(name), arn, settings, self.clock, now, self._queue_event)
        queue.tags = tags
        self.queues[name] = queue
        self._by_arn[arn] = queue
        self.emit("created", arn, fifo=fifo)
        return {"QueueUrl": queue.url}

    def _check_redrive(self, settings: QueueSettings, name: str) -> None:
        policy = settings.redrive_policy
        if policy is None:
            return
        target = self._by_arn.get(policy.dead_letter_target_arn)
        raw = settings.raw.get("RedrivePolicy", "")
        if target is None:
            raise queue_attributes.invalid_attribute_value(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
            )
        if target.fifo != settings.fifo:
            raise queue_attributes.invalid_attribute_value(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.."
            )
        allow = target.settings.redrive_allow_policy
        if allow:
            allowed = json.loads(allow)
            permission = allowed.get("redrivePermission")
            source_arn = self.arn(name)
            if permission == "denyAll" or (
                permission == "byQueue" and source_arn not in allowed.get("sourceQueueArns", [])
            ):
                raise queue_attributes.invalid_attribute_value(
                    f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Amazon SQS can't set "
                    "the redrive policy because the dead-letter queue's RedriveAllowPolicy does not "
                    "permit this source queue."
                )

    def delete_queue(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        del self.queues[queue.name]
        del self._by_arn[queue.arn]
        self._deleted_at[queue.name] = self.clock.now()
        queue.close()
        self.move_tasks.queue_deleted(queue.arn)
        self.emit("deleted", queue.arn)
        return {}

    def get_queue_url(self, params: dict) -> dict:
        name = params["QueueName"]
        owner = params.get("QueueOwnerAWSAccountId")
        queue = self.queues.get(name)
        if queue is None or (owner is not None and owner != self.account_id):
            raise non_existent_queue()
        return {"QueueUrl": queue.url}

    def list_queues(self, params: dict) -> dict:
        prefix = params.get("QueueNamePrefix", "")
        max_results = params.get("MaxResults")
        if max_results is not None and not 1 <= max_results <= 1000:
            raise invalid_value(
                max_results, "MaxResults", "MaxResults must be an integer between 1 and 1000."
            )
        urls = sorted(q.url for q in self.queues.values() if q.name.startswith(prefix))
        token = params.get("NextToken")
        if token:
            try:
                after = base64.b64decode(token.encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise invalid_parameter("Invalid or expired next token.") from None
            urls = [u for u in urls if u > after]
        limit = max_results or 1000
        page = urls[:limit]
        result: dict[str, Any] = {}
        if page:
            result["QueueUrls"] = page
        if max_results is not None and len(urls) > limit:
            result["NextToken"] = base64.b64encode(page[-1].encode()).decode()
        return result

    def get_queue_attributes(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        names = params.get("AttributeNames", [])
        for name in names:
            if name != "All" and name not in queue_attributes.ALL_NAMES:
                raise invalid_attribute_name(f"Unknown Attribute {name}.")
        values = self.queue_attribute_values(queue)
        if "All" not in names:
            values = {k: v for k, v in values.items() if k in names}
        return {"Attributes": values} if values else {}

    def queue_attribute_values(self, queue: Queue) -> dict[str, str]:
        """Every attribute of a queue, as GetQueueAttributes with All returns them."""
        queue.refresh()
        values = {
            "QueueArn": queue.arn,
            "ApproximateNumberOfMessages": str(queue.visible_count),
            "ApproximateNumberOfMessagesNotVisible": str(queue.in_flight_count),
            "ApproximateNumberOfMessagesDelayed": str(queue.delayed_count),
            "CreatedTimestamp": str(int(queue.created_at)),
            "LastModifiedTimestamp": str(int(queue.modified_at)),
        }
        values.update(queue_attributes.configured_values(queue.settings))
        return dict(sorted(values.items()))

    def set_queue_attributes(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        requested = {k: queue_attributes.any_to_str(v) for k, v in params["Attributes"].items()}
        queue_attributes.check_names(requested, queue.fifo, creating=False)
        settings = queue_attributes.apply(queue.settings, requested)
        self._check_redrive(settings, queue.name)
        queue.settings = settings
        queue.modified_at = self.clock.now()
        queue.rearm()
        self.emit("attributes-set", queue.arn, attributes=sorted(requested))
        return {}

    def list_dead_letter_source_queues(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        sources = sorted(
            q.url
            for q in self.queues.values()
            if q.settings.redrive_policy
            and q.settings.redrive_policy.dead_letter_target_arn == queue.arn
        )
        return self._paginate(sources, params, "queueUrls")

    def _paginate(self, items: list[str], params: dict, key: str) -> dict:
        max_results = params.get("MaxResults")
        token = params.get("NextToken")
        start = 0
        if token:
            try:
                start = int(base64.b64decode(token).decode())
            except (ValueError, UnicodeDecodeError):
                raise invalid_parameter("Invalid or expired next token.") from None
        end = start + (max_results or 1000)
        result: dict[str, Any] = {key: items[start:end]}
        if max_results is not None and end < len(items):
            result["NextToken"] = base64.b64encode(str(end).encode()).decode()
        return result

    def purge_queue(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        now = self.clock.now()
        if queue.last_purge is not None and now - queue.last_purge < _PURGE_INTERVAL:
            raise sqs_error(
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
                "PurgeQueueInProgress",
            )
        queue.last_purge = now
        purged = 0
        for message in list(queue.retention):
            if message.state != GONE:
                queue.remove(message)
                purged += 1
        queue.retention.clear()
        queue.ready.clear()
        queue.groups.clear()
        queue.rotation.clear()
        queue.in_flight_heap.clear()
        queue.delayed_heap.clear()
        queue.rearm()
        self.emit("purged", queue.arn, messages=purged)
        return {}

    # -- tags and permissions ---------------------------------------------------------------
    def tag_queue(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        tags = params["Tags"]
        merged = {**queue.tags, **tags}
        if len(merged) > 50:
            raise invalid_parameter(f"Too many tags added for queue {queue.name}.")
        queue.tags = merged
        return {}

    def untag_queue(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        for key in params["TagKeys"]:
            queue.tags.pop(key, None)
        return {}

    def list_queue_tags(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        return {"Tags": dict(queue.tags)} if queue.tags else {}

    def add_permission(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        label = params["Label"]
        accounts = params["AWSAccountIds"]
        actions = params["Actions"]
        if not accounts:
            raise missing_parameter("AWSAccountIds")
        if not actions:
            raise missing_parameter("Actions")
        valid_actions = {
            "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
            "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
            "ListQueueTags",
        }  # fmt: skip
        for action in actions:
            if action not in valid_actions:
                raise invalid_value(action, "ActionName.1", f"Unknown action: {action}.")
        policy = json.loads(queue.settings.policy) if queue.settings.policy else None
        if policy is None:
            policy = {
                "Version": "2008-10-17",
                "Id": f"{queue.arn}/SQSDefaultPolicy",
                "Statement": [],
            }
        if any(s.get("Sid") == label for s in policy["Statement"]):
            raise invalid_value(label, "Label", "Already exists.")
        principals = [f"arn:aws:iam::{account}:root" for account in accounts]
        sqs_actions = [f"SQS:{action}" for action in actions]
        policy["Statement"].append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": sqs_actions[0] if len(sqs_actions) == 1 else sqs_actions,
                "Resource": queue.arn,
            }
        )
        queue.settings.policy = json.dumps(policy)
        return {}

    def remove_permission(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        label = params["Label"]
        policy = json.loads(queue.settings.policy) if queue.settings.policy else None
        statements = policy["Statement"] if policy else []
        remaining = [s for s in statements if s.get("Sid") != label]
        if len(remaining) == len(statements):
            raise invalid_value(label, "Label", "can't find label.")
        if remaining:
            policy["Statement"] = remaining
            queue.settings.policy = json.dumps(policy)
        else:
            queue.settings.policy = None
        return {}

    # ------------------------------------------------------------------------------------
    # sending
    def send_message(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        return self._send(queue, params, batch=False)

    def _send(
        self,
        queue: Queue,
        params: dict,
        *,
        batch: bool,
        trace_id: str | None = None,
        required_keys: int = 2,
    ) -> dict:
        body = params["MessageBody"]
        if not body:
            raise missing_parameter("MessageBody")
        invalid = _INVALID_BODY.search(body)
        if invalid is not None:
            bad = invalid.group(0)
            raise sqs_error(
                "InvalidMessageContents",
                f"Invalid binary character '#x{ord(bad):X}' was found in the message body, the set "
                "of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
                "#x10000 to #x10FFFF",
            )
        size = len(body) if body.isascii() else len(body.encode("utf-8"))
        settings = queue.settings
        if len(params) == required_keys and not queue.fifo:
            # The common case: a body and nothing else (QueueUrl or a batch entry Id beside it).
            message_attributes = system_attributes = group_id = dedup_id = None
            delay = settings.delay_seconds
        else:
            message_attributes, system_attributes, group_id, dedup_id, delay, size = (
                self._check_send_options(queue, params, body, size, batch)
            )
        if size > settings.maximum_message_size:
            prefix = (
                "One or more parameters cannot be validated."
                if batch
                else "One or more parameters are invalid."
            )
            raise invalid_parameter(
                f"{prefix} Reason: Message must be shorter than {settings.maximum_message_size} bytes."
            )
        md5_body = md5_of_body(body)
        result: dict[str, Any] = {"MD5OfMessageBody": md5_body}
        if message_attributes:
            result["MD5OfMessageAttributes"] = md5_of_attributes(message_attributes)
        if system_attributes:
            result["MD5OfMessageSystemAttributes"] = md5_of_attributes(system_attributes)
        if queue.fifo:
            key = (
                dedup_id if settings.deduplication_scope == "queue" else f"{group_id}\x00{dedup_id}"
            )
            previous = queue.dedup_lookup(key)
            if previous is not None:
                result["MessageId"] = previous[0]
                if previous[1]:
                    result["SequenceNumber"] = previous[1]
                if self.trace.enabled:
                    self.emit(
                        "deduplicated", queue.arn, message_id=previous[0], deduplication_id=dedup_id
                    )
                return result
        now = self.clock.now()
        if trace_id is None and system_attributes and "AWSTraceHeader" in system_attributes:
            trace_id = _trace_root(system_attributes["AWSTraceHeader"].get("StringValue", ""))
        if trace_id is None and self.trace.enabled:
            trace_id = self.ids.trace_id(now)
        message = Message(
            self.ids.uuid(),
            body,
            message_attributes,
            system_attributes,
            now,
            queue.next_sequence(),
            size,
            trace_id,
            group_id,
            dedup_id if queue.fifo else None,
        )
        message.md5 = md5_body
        if queue.fifo:
            message.sequence_number = queue.next_sequence_number()
            queue.dedup_remember(key, message.message_id, message.sequence_number)
            result["SequenceNumber"] = message.sequence_number
        if self._faults.enabled:
            policy = self._faults.policy_for(queue.arn)
            if policy is not None and policy.latency:
                delay += policy.latency
        queue.add(message, delay)
        queue.counters["sent"] += 1
        result["MessageId"] = message.message_id
        if self.trace.enabled:
            self.emit(
                "sent",
                queue.arn,
                message_id=message.message_id,
                trace_id=trace_id,
                body=body[:256],
                delay_seconds=delay,
                group_id=group_id,
            )
        return result

    def _check_send_options(
        self, queue: Queue, params: dict, body: str, size: int, batch: bool
    ) -> tuple[dict | None, dict | None, str | None, str | None, float, int]:
        """Validate a send's optional parameters; returns them normalised, with the full size."""
        settings = queue.settings
        message_attributes = params.get("MessageAttributes")
        system_attributes = params.get("MessageSystemAttributes")
        if message_attributes:
            message_attributes = _check_message_attributes(message_attributes)
            size += _attributes_size(message_attributes)
        else:
            message_attributes = None
        if system_attributes:
            system_attributes = _check_system_attributes(system_attributes)
        else:
            system_attributes = None
        group_id = params.get("MessageGroupId")
        dedup_id = params.get("MessageDeduplicationId")
        delay = params.get("DelaySeconds")
        if group_id is not None and not _GROUP_ID.match(group_id):
            raise invalid_value(
                group_id,
                "MessageGroupId",
                "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            )
        if dedup_id is not None and not _GROUP_ID.match(dedup_id):
            raise invalid_value(
                dedup_id,
                "MessageDeduplicationId",
                "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            )
        if delay is not None and not 0 <= delay <= 900:
            raise invalid_value(delay, "DelaySeconds", "DelaySeconds must be >= 0 and <= 900.")
        if queue.fifo:
            if group_id is None:
                if batch:
                    raise invalid_parameter(
                        "The request must contain the parameter MessageGroupId."
                    )
                raise missing_parameter("MessageGroupId")
            if delay:
                raise invalid_value(
                    delay,
                    "DelaySeconds",
                    "The request include parameter that is not valid for this queue type.",
                )
            if dedup_id is None:
                if not settings.content_based_deduplication:
                    raise invalid_parameter(
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly"
                    )
                dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
        elif dedup_id is not None:
            raise invalid_value(
                dedup_id,
                "MessageDeduplicationId",
                "The request includes a parameter that is not valid for this queue type.",
            )
        if delay is None or queue.fifo:
            delay = settings.delay_seconds
        return message_attributes, system_attributes, group_id, dedup_id, delay, size

    def send_message_batch(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        entries = params["Entries"]
        _check_batch(entries, "SendMessageBatchRequestEntry")
        total = 0
        for entry in entries:
            total += len(entry["MessageBody"].encode("utf-8"))
            if entry.get("MessageAttributes"):
                total += _attributes_size(entry["MessageAttributes"])
        if total > 1_048_576:
            raise sqs_error(
                "AWS.SimpleQueueService.BatchRequestTooLong",
                f"Batch requests cannot be longer than 1048576 bytes. You have sent {total} bytes.",
                "BatchRequestTooLong",
            )
        if queue.fifo:
            for entry in entries:
                if entry.get("MessageGroupId") is None:
                    raise invalid_parameter(
                        "The request must contain the parameter MessageGroupId."
                    )
                if (
                    entry.get("MessageDeduplicationId") is None
                    and not queue.settings.content_based_deduplication
                ):
                    raise invalid_parameter(
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly"
                    )
        successful: list[dict] = []
        failed: list[dict] = []
        for entry in entries:
            try:
                sent = self._send(queue, entry, batch=True)
            except ServiceError as error:
                failed.append(_failure(entry["Id"], error))
                continue
            sent["Id"] = entry["Id"]
            successful.append(sent)
        result: dict[str, Any] = {"Successful": successful}
        result["Failed"] = failed
        return result

    # ------------------------------------------------------------------------------------
    # receiving
    async def receive_message(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        max_messages = params.get("MaxNumberOfMessages", 1)
        if not 1 <= max_messages <= 10:
            raise invalid_value(
                max_messages, "MaxNumberOfMessages", "Must be between 1 and 10, if provided."
            )
        wait = params.get("WaitTimeSeconds")
        if wait is not None and not 0 <= wait <= 20:
            raise invalid_value(wait, "WaitTimeSeconds", "Must be >= 0 and <= 20, if provided.")
        visibility = params.get("VisibilityTimeout")
        if visibility is not None and not 0 <= visibility <= MAX_VISIBILITY:
            raise invalid_value(
                visibility, "VisibilityTimeout", "Must be >= 0 and <= 43200, if provided."
            )
        if wait is None:
            wait = queue.settings.receive_wait_seconds
        attempt_id = params.get("ReceiveRequestAttemptId")
        if attempt_id is not None and queue.fifo:
            replay = self._replay_attempt(queue, attempt_id)
            if replay is not None:
                return self._render(queue, replay, params)
        messages = await self._receive(queue, max_messages, wait, visibility)
        if attempt_id is not None and queue.fifo and messages:
            queue.receive_attempts[attempt_id] = (
                self.clock.now() + DEDUPLICATION_WINDOW,
                [(m, m.receive_generation) for m in messages],
            )
        return self._render(queue, messages, params)

    def _replay_attempt(self, queue: Queue, attempt_id: str) -> list[Message] | None:
        entry = queue.receive_attempts.get(attempt_id)
        if entry is None:
            return None
        expiry, taken = entry
        if expiry <= self.clock.now() or any(
            m.state != IN_FLIGHT or m.receive_generation != generation for m, generation in taken
        ):
            del queue.receive_attempts[attempt_id]
            return None
        return [m for m, _ in taken]

    async def _receive(
        self, queue: Queue, max_messages: int, wait: float, visibility: float | None
    ) -> list[Message]:
        messages = self._take(queue, max_messages, visibility)
        if messages or wait <= 0:
            return messages
        deadline = self.clock.now() + wait
        loop = asyncio.get_running_loop()
        while True:
            waiter = loop.create_future()
            queue.waiters.append(waiter)
            next_change = queue.next_deadline()
            wake_at = deadline if next_change is None else min(deadline, next_change)
            timer = self.clock.call_at(wake_at, _resolve, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
            if self.queues.get(queue.name) is not queue:
                return []
            messages = self._take(queue, max_messages, visibility)
            if messages or self.clock.now() >= deadline:
                return messages

    def _take(self, queue: Queue, max_messages: int, visibility: float | None) -> list[Message]:
        queue.refresh()
        if not queue.receivable():
            return []
        if visibility is None:
            visibility = queue.settings.visibility_timeout
        reorder = None
        policy = None
        faults = self.engine.faults
        if faults.enabled:
            policy = faults.policy_for(queue.arn)
            if policy is not None and policy.reorder and not queue.fifo:
                reorder = lambda n: faults.randrange(n) if faults.roll(policy.reorder) else 0  # noqa: E731
        redrive = queue.settings.redrive_policy
        dead_letter = self._by_arn.get(redrive.dead_letter_target_arn) if redrive else None
        taken: list[Message] = []
        tracing = self.trace.enabled
        while len(taken) < max_messages:
            batch = queue.take_visible(max_messages - len(taken), reorder)
            if not batch:
                break
            for message in batch:
                if dead_letter is not None and message.receive_count >= redrive.max_receive_count:
                    self._dead_letter(queue, message, dead_letter)
                    continue
                queue.put_in_flight(message, visibility)
                taken.append(message)
                if policy is not None and policy.duplicate and faults.roll(policy.duplicate):
                    message.duplicate_pending = True
                if tracing:
                    self.emit(
                        "received",
                        queue.arn,
                        message_id=message.message_id,
                        trace_id=message.trace_id,
                        receive_count=message.receive_count,
                        visibility_timeout=visibility,
                    )
            if queue.fifo:
                break
        queue.counters["received"] += len(taken)
        return taken

    def _dead_letter(self, source: Queue, message: Message, target: Queue) -> None:
        """Move a message that was received too often to the dead-letter queue."""
        source.discard_taken(message)
        moved = _copy_message(message, target.next_sequence())
        moved.dead_letter_source = source.arn
        if target.fifo:
            moved.sent_at = self.clock.now()
            moved.sequence_number = target.next_sequence_number()
        target.add(moved, 0)
        source.counters["dead_lettered"] += 1
        self.emit(
            "dead-lettered",
            source.arn,
            message_id=message.message_id,
            trace_id=message.trace_id,
            dead_letter_queue=target.arn,
            receive_count=message.receive_count,
        )

    def _render(self, queue: Queue, messages: list[Message], params: dict) -> dict:
        if not messages:
            return {}
        system_names = set(params.get("AttributeNames", ())) | set(
            params.get("MessageSystemAttributeNames", ())
        )
        attribute_filter = params.get("MessageAttributeNames", ())
        return {
            "Messages": [
                self._message_dict(queue, m, system_names, attribute_filter) for m in messages
            ]
        }

    def _message_dict(
        self, queue: Queue, message: Message, system_names: set[str], attribute_filter: Any
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "MessageId": message.message_id,
            "ReceiptHandle": self._receipt_handle(queue, message),
            "MD5OfBody": message.md5 or md5_of_body(message.body),
            "Body": message.body,
        }
        if system_names:
            system = self._system_attributes(message, system_names)
            if system:
                rendered["Attributes"] = system
        if attribute_filter and message.attributes:
            selected = _select_attributes(message.attributes, attribute_filter)
            if selected:
                rendered["MD5OfMessageAttributes"] = md5_of_attributes(selected)
                rendered["MessageAttributes"] = {k: dict(v) for k, v in selected.items()}
        return rendered

    def _system_attributes(self, message: Message, names: set[str]) -> dict[str, str]:
        everything = "All" in names
        values: dict[str, str] = {}

        def wanted(name: str) -> bool:
            return everything or name in names

        if wanted("SenderId"):
            values["SenderId"] = self.account_id
        if wanted("SentTimestamp"):
            values["SentTimestamp"] = str(int(message.sent_at * 1000))
        if wanted("ApproximateReceiveCount"):
            values["ApproximateReceiveCount"] = str(message.receive_count)
        if wanted("ApproximateFirstReceiveTimestamp") and message.first_receive_at is not None:
            values["ApproximateFirstReceiveTimestamp"] = str(int(message.first_receive_at * 1000))
        if message.sequence_number and wanted("SequenceNumber"):
            values["SequenceNumber"] = message.sequence_number
        if message.dedup_id and wanted("MessageDeduplicationId"):
            values["MessageDeduplicationId"] = message.dedup_id
        if message.group_id and wanted("MessageGroupId"):
            values["MessageGroupId"] = message.group_id
        if (
            message.system_attributes
            and "AWSTraceHeader" in message.system_attributes
            and wanted("AWSTraceHeader")
        ):
            values["AWSTraceHeader"] = message.system_attributes["AWSTraceHeader"]["StringValue"]
        if message.dead_letter_source and wanted("DeadLetterQueueSourceArn"):
            values["DeadLetterQueueSourceArn"] = message.dead_letter_source
        return values

    def _receipt_handle(self, queue: Queue, message: Message) -> str:
        # Opaque to callers; cheap to issue and to check: prefix, message id, receive, queue.
        return f"{_HANDLE_PREFIX}{message.message_id}{message.receive_generation:08x}{queue.name}"

    def _message_for_handle(self, queue: Queue, handle: str) -> tuple[Message | None, int]:
        """The message a receipt handle names (None if gone) and the receive it came from."""
        if not handle.startswith(_HANDLE_PREFIX) or len(handle) <= 48 or handle[48:] != queue.name:
            raise receipt_handle_invalid(handle)
        try:
            receive_generation = int(handle[40:48], 16)
        except ValueError:
            raise receipt_handle_invalid(handle) from None
        return queue.by_receipt.get(handle[4:40]), receive_generation

    # ------------------------------------------------------------------------------------
    # deleting and visibility
    def delete_message(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        self._delete(queue, params["ReceiptHandle"])
        return {}

    def _delete(self, queue: Queue, handle: str) -> None:
        message, generation = self._message_for_handle(queue, handle)
        if message is None or message.state == GONE:
            return
        if queue.fifo:
            if message.state != IN_FLIGHT or message.receive_generation != generation:
                raise invalid_value(handle, "ReceiptHandle", "The receipt handle has expired.")
        elif message.state == IN_FLIGHT and message.receive_generation != generation:
            # AWS: the request succeeds, but a message received again since is not deleted.
            self.emit(
                "delete-ignored",
                queue.arn,
                message_id=message.message_id,
                trace_id=message.trace_id,
                reason="stale receipt handle",
            )
            return
        queue.remove(message)
        queue.counters["deleted"] += 1
        if self.trace.enabled:
            self.emit(
                "deleted-message",
                queue.arn,
                message_id=message.message_id,
                trace_id=message.trace_id,
            )
        if message.duplicate_pending:
            # At-least-once: a copy the deletion did not reach comes back.
            copy = _copy_message(message, queue.next_sequence())
            queue.add(copy, 0)
            self.emit(
                "duplicated", queue.arn, message_id=message.message_id, trace_id=message.trace_id
            )

    def delete_message_batch(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        entries = params["Entries"]
        _check_batch(entries, "DeleteMessageBatchRequestEntry")
        return _per_entry(entries, lambda entry: self._delete(queue, entry["ReceiptHandle"]))

    def change_message_visibility(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        self._change_visibility(queue, params["ReceiptHandle"], params["VisibilityTimeout"])
        return {}

    def _change_visibility(self, queue: Queue, handle: str, seconds: int) -> None:
        if not 0 <= seconds <= MAX_VISIBILITY:
            raise invalid_value(
                seconds,
                "VisibilityTimeout",
                f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]",
            )
        queue.refresh()
        message, generation = self._message_for_handle(queue, handle)
        if message is None or message.state == GONE or message.receive_generation != generation:
            raise invalid_value(
                handle,
                "ReceiptHandle",
                "Message does not exist or is not available for visibility timeout change.",
            )
        if message.state == IN_FLIGHT:
            held = self.clock.now() - message.received_at
            if held + seconds > MAX_VISIBILITY:
                raise invalid_value(
                    seconds,
                    "VisibilityTimeout",
                    f"Total VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]",
                )
        elif queue.fifo:
            raise invalid_value(handle, "ReceiptHandle", "The receipt handle has expired.")
        queue.change_visibility(message, seconds)
        if self.trace.enabled:
            self.emit(
                "visibility-changed",
                queue.arn,
                message_id=message.message_id,
                trace_id=message.trace_id,
                visibility_timeout=seconds,
            )

    def change_message_visibility_batch(self, params: dict) -> dict:
        queue = self.queue_for_url(params["QueueUrl"])
        entries = params["Entries"]
        _check_batch(entries, "ChangeMessageVisibilityBatchRequestEntry")
        return _per_entry(
            entries,
            lambda entry: self._change_visibility(
                queue, entry["ReceiptHandle"], entry.get("VisibilityTimeout", 0)
            ),
        )

    # -- message move tasks ------------------------------------------------------------------
    def start_message_move_task(self, params: dict) -> dict:
        return self.move_tasks.start(params)

    def cancel_message_move_task(self, params: dict) -> dict:
        return self.move_tasks.cancel(params)

    def list_message_move_tasks(self, params: dict) -> dict:
        return self.move_tasks.list(params)

    # ------------------------------------------------------------------------------------
    # the fabric and internal consumers
    async def deliver(self, target_arn: str, envelope: Envelope) -> str:
        """Send a message into a queue on behalf of another service (SNS, EventBridge …)."""
        queue = self.queue_for_arn(target_arn)
        if self.engine.settings.get(ENFORCE_SETTING):
            check_delivery(self.engine, envelope, target_arn, "sqs:SendMessage")
        params: dict[str, Any] = {"MessageBody": envelope.body}
        if envelope.attributes:
            params["MessageAttributes"] = envelope.attributes
        if envelope.group_id is not None:
            params["MessageGroupId"] = envelope.group_id
        if envelope.dedup_id is not None:
            params["MessageDeduplicationId"] = envelope.dedup_id
        if "delay_seconds" in envelope.options:
            params["DelaySeconds"] = envelope.options["delay_seconds"]
        if "system_attributes" in envelope.options:
            params["MessageSystemAttributes"] = envelope.options["system_attributes"]
        trace_id = envelope.trace_id
        if trace_id is None and self.trace.enabled:
            trace_id = self.ids.trace_id(self.clock.now())
        return self._send(queue, params, batch=False, trace_id=trace_id, required_keys=1)[
            "MessageId"
        ]

    async def poll(
        self,
        arn: str,
        max_messages: int = 10,
        wait_seconds: float = 0,
        visibility_timeout: float | None = None,
    ) -> list[Received]:
        """Receive for an internal consumer, with every attribute (the Lambda event's shape)."""
        queue = self.queue_for_arn(arn)
        messages = await self._receive(queue, max_messages, wait_seconds, visibility_timeout)
        everything = {"All"}
        return [
            Received(self._message_dict(queue, m, everything, ["All"]), m.trace_id)
            for m in messages
        ]

    def delete(self, arn: str, receipt_handle: str) -> None:
        """Delete a message an internal consumer received."""
        self._delete(self.queue_for_arn(arn), receipt_handle)

    def change_visibility(self, arn: str, receipt_handle: str, seconds: int) -> None:
        """Change the visibility of a message an internal consumer received."""
        self._change_visibility(self.queue_for_arn(arn), receipt_handle, seconds)

    def on_available(self, arn: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` whenever messages become receivable; returns a cancel function."""
        queue = self.queue_for_arn(arn)
        queue.listeners.append(callback)

        def cancel() -> None:
            if callback in queue.listeners:
                queue.listeners.remove(callback)

        return cancel

    def _queue_event(self, kind: str, queue: Queue, message: Message, detail: dict) -> None:
        if self.trace.enabled:
            self.emit(
                kind, queue.arn, message_id=message.message_id, trace_id=message.trace_id, **detail
            )

    # ------------------------------------------------------------------------------------
    # views
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for queue in self.queues.values():
            queue.refresh()
            nodes.append(
                Node(
                    queue.arn,
                    "queue",
                    queue.name,
                    self.name,
                    {
                        "visible": queue.visible_count,
                        "in_flight": queue.in_flight_count,
                        "delayed": queue.delayed_count,
                        **queue.counters,
                    },
                )
            )
            if queue.settings.redrive_policy:
                edges.append(
                    Edge(
                        queue.arn,
                        queue.settings.redrive_policy.dead_letter_target_arn,
                        "dead-letter",
                        f"after {queue.settings.redrive_policy.max_receive_count} receives",
                        {"moved": queue.counters["dead_lettered"]},
                    )
                )
        return nodes, edges

    def dump(self) -> dict[str, Any]:
        queues = []
        # Dead-letter queues first, so redrive policies find their targets on load.
        ordered = sorted(
            self.queues.values(), key=lambda q: 0 if self._is_dead_letter_target(q) else 1
        )
        for queue in ordered:
            queue.refresh()
            messages = [
                {
                    "id": m.message_id,
                    "body": m.body,
                    "attributes": m.attributes,
                    "system_attributes": m.system_attributes,
                    "sent_at": m.sent_at,
                    "receive_count": m.receive_count,
                    "group_id": m.group_id,
                    "dedup_id": m.dedup_id,
                    "dead_letter_source": m.dead_letter_source,
                }
                for m in queue.retention
                if m.state != GONE
            ]
            queues.append(
                {
                    "name": queue.name,
                    "attributes": queue.settings.raw,
                    "fifo": queue.fifo,
                    "tags": queue.tags,
                    "policy": queue.settings.policy,
                    "messages": messages,
                }
            )
        return {"saved_at": self.clock.now(), "queues": queues}

    def _is_dead_letter_target(self, queue: Queue) -> bool:
        return any(
            q.settings.redrive_policy
            and q.settings.redrive_policy.dead_letter_target_arn == queue.arn
            for q in self.queues.values()
        )

    def load(self, data: dict[str, Any]) -> None:
        # Messages keep their age: shift send times from the save's clock to this one.
        age_shift = self.clock.now() - data.get("saved_at", self.clock.now())
        for entry in data.get("queues", []):
            attributes = dict(entry.get("attributes", {}))
            if entry.get("fifo"):
                attributes["FifoQueue"] = "true"
            self.create_queue(
                {
                    "QueueName": entry["name"],
                    "Attributes": attributes,
                    "tags": entry.get("tags", {}),
                }
            )
            queue = self.queues[entry["name"]]
            queue.settings.policy = entry.get("policy")
            for item in entry.get("messages", []):
                message = Message(
                    item["id"],
                    item["body"],
                    item.get("attributes"),
                    item.get("system_attributes"),
                    item["sent_at"] + age_shift,
                    queue.next_sequence(),
                    len(item["body"].encode()),
                    None,
                    item.get("group_id"),
                    item.get("dedup_id"),
                )
                message.receive_count = item.get("receive_count", 0)
                message.dead_letter_source = item.get("dead_letter_source")
                if queue.fifo:
                    message.sequence_number = queue.next_sequence_number()
                queue.add(message, 0)


# ----------------------------------------------------------------------------------------
# helpers
def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _trace_root(header: str) -> str | None:
    for part in header.split(";"):
        if part.startswith("Root="):
            return part
    return None


def _copy_message(message: Message, sequence: int) -> Message:
    copy = Message(
        message.message_id,
        message.body,
        message.attributes,
        message.system_attributes,
        message.sent_at,
        sequence,
        message.size,
        message.trace_id,
        message.group_id,
        message.dedup_id,
        message.sequence_number,
    )
    copy.receive_count = message.receive_count
    copy.first_receive_at = message.first_receive_at
    copy.dead_letter_source = message.dead_letter_source
    copy.md5 = message.md5
    return copy


def _failure(entry_id: str, error: ServiceError) -> dict[str, Any]:
    """One entry of a batch result's Failed list."""
    return {"Id": entry_id, "SenderFault": True, "Code": error.code, "Message": error.message}


def _per_entry(entries: list[dict], action: Callable[[dict], Any]) -> dict[str, list]:
    """Run `action` on each batch entry; AWS's Successful/Failed lists of ids."""
    successful: list[dict] = []
    failed: list[dict] = []
    for entry in entries:
        try:
            action(entry)
        except ServiceError as error:
            failed.append(_failure(entry["Id"], error))
        else:
            successful.append({"Id": entry["Id"]})
    return {"Successful": successful, "Failed": failed}


def _check_batch(entries: list[dict], entry_name: str) -> None:
    if not entries:
        raise sqs_error(
            "AWS.SimpleQueueService.EmptyBatchRequest",
            f"There should be at least one {entry_name} in the request.",
            "EmptyBatchRequest",
        )
    if len(entries) > 10:
        raise sqs_error(
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
            "TooManyEntriesInBatchRequest",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry["Id"]
        if not _BATCH_ID.match(entry_id):
            raise sqs_error(
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long.",
                "InvalidBatchEntryId",
            )
        if entry_id in seen:
            raise sqs_error(
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                f"Id {entry_id} repeated.",
                "BatchEntryIdsNotDistinct",
            )
        seen.add(entry_id)


def _check_message_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """Validate user message attributes as SQS does; returns a private copy."""
    if len(attributes) > 10:
        raise invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [10]."
        )
    checked: dict[str, dict] = {}
    for name, attribute in attributes.items():
        lowered = name.lower()
        if (
            not _ATTRIBUTE_NAME.match(name)
            or lowered.startswith(("aws.", "amazon."))
            or name.startswith(".")
            or name.endswith(".")
            or ".." in name
        ):
            raise invalid_parameter(
                f"Message (user) attribute name '{name}' is invalid. The attribute name can contain "
                "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters."
            )
        data_type = attribute.get("DataType", "")
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid_parameter(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the "
                "following supported type prefixes: Binary, Number, String."
            )
        if "StringListValues" in attribute or "BinaryListValues" in attribute:
            raise invalid_parameter(
                "Message attribute list values in SendMessage operation are not supported."
            )
        if base == "Binary":
            value = attribute.get("BinaryValue")
            if value is None or len(value) == 0:
                raise invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
                )
            if isinstance(value, str):
                value = value.encode("utf-8")
            checked[name] = {"DataType": data_type, "BinaryValue": bytes(value)}
        else:
            value = attribute.get("StringValue")
            if value is None or value == "":
                raise invalid_parameter(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
                )
            if base == "Number" and not _NUMBER.match(value.strip()):
                raise invalid_parameter(
                    f"Can't cast the value of message (user) attribute '{name}' to a number."
                )
            checked[name] = {"DataType": data_type, "StringValue": value}
    return checked


def _check_system_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    checked: dict[str, dict] = {}
    for name, attribute in attributes.items():
        if name != "AWSTraceHeader":
            raise invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        if attribute.get("DataType") != "String" or not attribute.get("StringValue"):
            raise invalid_parameter(
                f"Message system attribute '{name}' must contain a non-empty value of type 'String'."
            )
        checked[name] = {"DataType": "String", "StringValue": attribute["StringValue"]}
    return checked


def _attributes_size(attributes: dict[str, dict]) -> int:
    size = 0
    for name, attribute in attributes.items():
        size += len(name.encode()) + len(attribute.get("DataType", "").encode())
        if "StringValue" in attribute:
            size += len(attribute["StringValue"].encode("utf-8"))
        elif "BinaryValue" in attribute:
            size += len(attribute["BinaryValue"])
    return size


def _select_attributes(attributes: dict[str, dict], names: Any) -> dict[str, dict]:
    if "All" in names or ".*" in names:
        return attributes
    selected: dict[str, dict] = {}
    prefixes = [n[:-2] for n in names if n.endswith(".*")]
    for name, value in attributes.items():
        if name in names or any(name.startswith(p + ".") or name.startswith(p) for p in prefixes):
            selected[name] = value
    return selected
