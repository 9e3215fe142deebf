"""The SQS event source: long-polls a queue, batches, filters, invokes, deletes what succeeded.

Failed batches are not deleted: their messages reappear when the queue's visibility timeout ends
and, after maxReceiveCount receives, the queue's redrive policy moves them to its dead-letter
queue — exactly the interplay AWS documents. With ReportBatchItemFailures only the messages the
function names in `batchItemFailures` stay; messages that do not match FilterCriteria are deleted.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError

from .esm import ROLE_RETRY_SECONDS, EventSourceMapping, EventSourcePoller, validation

if TYPE_CHECKING:
    from .service import LambdaService

#: Long-poll wait of each receive, as Lambda's pollers use.
POLL_WAIT_SECONDS = 20
#: AWS starts with five concurrent batches, adds up to 300 a minute while messages wait, up to 1,000.
STARTING_POLLERS = 5
SCALE_STEP = 300
SCALE_INTERVAL = 60.0
MAX_POLLERS = 1000
#: Wait after a throttled invocation before polling again.
THROTTLE_PAUSE = 1.0


class SqsPoller(EventSourcePoller):
    """Polls one queue for one mapping with several concurrent batch workers."""

    default_batch_size: ClassVar[int] = 10
    max_batch_size: ClassVar[int] = 10_000
    read_actions: ClassVar[tuple[str, ...]] = (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    )

    @classmethod
    def role_refusal(cls, source_arn: str, action: str) -> str:
        return (
            "The provided execution role does not have permissions to call "
            f"{action.split(':', 1)[1]} on SQS"
        )

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.sqs: Any = service.engine.service("sqs")
        self.tasks: set[asyncio.Task] = set()
        self.scaler: asyncio.Task | None = None
        self.backlog = False
        self.running = False

    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """Check the queue exists, FIFO batch limits, and visibility timeout ≥ function timeout."""
        source = params["EventSourceArn"]
        sqs: Any = service.engine.service("sqs")
        try:
            queue = sqs.queue_for_arn(source)
        except ServiceError:
            raise validation(
                "Error occurred while ReceiveMessage. SQS Error Code: "
                "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: "
                "The specified queue does not exist for this wsdl version."
            ) from None
        for name in (
            "StartingPosition",
            "StartingPositionTimestamp",
            "ParallelizationFactor",
            "BisectBatchOnFunctionError",
            "MaximumRetryAttempts",
            "MaximumRecordAgeInSeconds",
            "TumblingWindowInSeconds",
            "DestinationConfig",
        ):
            if name in params:
                raise validation(f"Unsupported {name} for SQS event source.")
        batch = params.get("BatchSize", cls.default_batch_size)
        if queue.fifo and batch > 10:
            raise validation("Batch size for FIFO queues must be less than or equal to 10.")
        visibility = queue.settings.visibility_timeout
        if visibility < function_timeout:
            raise validation(
                f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
                f"{function_timeout} seconds"
            )
        return {}

    def start(self) -> None:
        """Spawn the first batch workers and the scaler."""
        if self.running:
            return
        self.running = True
        self.backlog = False
        for _ in range(min(STARTING_POLLERS, self._ceiling())):
            self._add_worker()
        self.scaler = self.service.engine.spawn(
            self._scale(), name=f"lambda-esm:{self.mapping.uuid}:scaler"
        )

    async def stop(self) -> None:
        """Cancel the workers and the scaler."""
        self.running = False
        for task in self.tasks:
            task.cancel()
        if self.scaler is not None:
            self.scaler.cancel()
            self.scaler = None
        self.tasks = set()

    def _ceiling(self) -> int:
        """The most batches at once: MaximumConcurrency, else AWS's 1,000."""
        return self.mapping.maximum_concurrency or MAX_POLLERS

    def _add_worker(self) -> None:
        task = self.service.engine.spawn(self._work(), name=f"lambda-esm:{self.mapping.uuid}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _scale(self) -> None:
        """Every minute with a backlog, add up to 300 batch workers (AWS's documented pace)."""
        while self.running:
            await self.clock.sleep(SCALE_INTERVAL)
            if self.backlog and self.running:
                room = self._ceiling() - len(self.tasks)
                for _ in range(min(SCALE_STEP, max(0, room))):
                    self._add_worker()
                if room > 0 and self.service.trace.enabled:
                    self.service.emit(
                        "scaled",
                        self.mapping.arn,
                        workers=len(self.tasks),
                        source=self.mapping.source_arn,
                    )
            self.backlog = False

    async def _work(self) -> None:
        mapping = self.mapping
        source = mapping.source_arn
        sqs = self.sqs
        clock = self.clock
        hold = self.service.engine.hold
        while self.running:
            if hold.held:
                await hold.wait()  # opened from elsewhere: take no message until `resume`
            if not self.may_read():
                await clock.sleep(ROLE_RETRY_SECONDS)
                continue
            wanted = mapping.batch_size
            try:
                batch = await sqs.poll(source, min(10, wanted), POLL_WAIT_SECONDS, None)
            except ServiceError:
                # The queue is gone: AWS disables the mapping and reports why.
                mapping.state = "Disabled"
                mapping.enabled = False
                mapping.last_result = "PROBLEM: The SQS queue does not exist."
                self.running = False
                return
            if not batch:
                if len(self.tasks) > STARTING_POLLERS:
                    return  # traffic is low: scale back towards five batches
                continue
            if len(batch) >= min(10, wanted):
                self.backlog = True
            window = mapping.batching_window
            if window and len(batch) < wanted:
                window_end = clock.now() + window
                while len(batch) < wanted and self.running:
                    left = window_end - clock.now()
                    if left <= 0:
                        break
                    try:
                        more = await sqs.poll(source, min(10, wanted - len(batch)), left, None)
                    except ServiceError:
                        break
                    batch.extend(more)
            await self._process(batch)

    async def _process(self, batch: list) -> None:
        mapping = self.mapping
        source = mapping.source_arn
        sqs = self.sqs
        region = self.service.region
        records = [sqs_record(received.message, source, region) for received in batch]
        if mapping.filters:
            kept = []
            for message, record in zip(batch, records, strict=True):
                if self.matches(_matchable(record)):
                    kept.append((message, record))
                else:
                    mapping.filtered += 1
                    _delete(sqs, source, message)
            if not kept:
                return
            batch = [message for message, _ in kept]
            records = [record for _, record in kept]
        trace_id = batch[0].trace_id
        if trace_id is None and self.service.trace.enabled:
            trace_id = self.service.ids.trace_id(self.clock.now())
        try:
            result = await self.invoke({"Records": records}, trace_id=trace_id)
        except ServiceError:
            # Throttled: the batch returns to the queue when its visibility timeout ends.
            await self.clock.sleep(THROTTLE_PAUSE)
            return
        mapping.records += len(records)
        if result.function_error:
            return
        failed = (
            self._failed_ids(result, batch)
            if "ReportBatchItemFailures" in mapping.response_types
            else set()
        )
        for received in batch:
            if received.message["MessageId"] not in failed:
                _delete(sqs, source, received)

    @staticmethod
    def _failed_ids(result: Any, batch: list) -> set[str]:
        """The message ids a partial batch response names; all of them if the response is invalid."""
        import json

        everything = {received.message["MessageId"] for received in batch}
        try:
            response = json.loads(result.payload) if result.payload else None
        except ValueError:
            return everything
        if response is None:
            return set()
        if not isinstance(response, dict):
            return everything
        failures = response.get("batchItemFailures")
        if failures is None:
            return set()
        if not isinstance(failures, list):
            return everything
        failed: set[str] = set()
        for item in failures:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(ident, str) or not ident or ident not in everything:
                return everything
            failed.add(ident)
        return failed


def _delete(sqs: Any, source: str, received: Any) -> None:
    """Delete one received message; a queue deleted meanwhile is not an error for the poller."""
    try:
        sqs.delete(source, received.message["ReceiptHandle"])
    except ServiceError:
        pass


def sqs_record(message: dict, source_arn: str, region: str) -> dict:
    """The record Lambda builds for one received SQS message (boto3's message dict)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _lambda_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def _lambda_attribute(value: dict) -> dict:
    """An SQS message attribute in the camelCase form Lambda events use."""
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        import base64

        raw = value["BinaryValue"]
        converted["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    return converted


def _matchable(record: dict) -> dict:
    """The record as FilterCriteria sees it: a JSON body is matched as an object."""
    body = record["body"]
    if isinstance(body, str) and body[:1] in ("{", "["):
        import json

        try:
            return {**record, "body": json.loads(body)}
        except ValueError:
            return record
    return record
