"""Lambda event source mappings from Kinesis: one ordered worker per shard, parents first.

Implements the `EventSourcePoller` interface of engine/services/awslambda/esm.py. Each shard is
read at most once per second (as Lambda polls), in batches of up to BatchSize records, waiting up
to MaximumBatchingWindowInSeconds to fill one. A batch is retried until it succeeds, its records
pass MaximumRecordAgeInSeconds, or MaximumRetryAttempts is used up — then its description goes to
the on-failure destination and the shard moves on. BisectBatchOnFunctionError halves a failing
batch; ReportBatchItemFailures checkpoints before the first failed record. With
ParallelizationFactor N, a batch's records are split by partition key hash into N sub-batches
invoked concurrently (order per key is kept). Child shards start when all parents are done;
resharding wakes a closed shard's worker so it notices its end.

Stopping (disable, update, delete) lets a batch in flight finish and checkpoint; a restarted
poller resumes every shard after its checkpoint, and a shard never has two workers at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from hashlib import md5
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError
from engine.service import Envelope
from engine.services.awslambda.esm import (
    ROLE_RETRY_SECONDS,
    EventSourceMapping,
    EventSourcePoller,
    validation,
)

from .control import epoch_of
from .lag import EVENT_SOURCE_MAPPING

if TYPE_CHECKING:
    from engine.services.awslambda.service import LambdaService

    from .shard import Shard
    from .stream import Stream

#: Lambda polls each shard once per second.
POLL_INTERVAL = 1.0
#: Wait after a throttled invocation before trying the batch again.
THROTTLE_PAUSE = 1.0
#: Invocation payloads are limited to 6 MB.
MAX_PAYLOAD = 6 * 1024 * 1024
_STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


class BatchOutcome:
    """How a batch ended: done up to a point, or retry from a record."""

    __slots__ = ("ok", "retry_from")

    def __init__(self, ok: bool, retry_from: int = 0) -> None:
        self.ok = ok
        self.retry_from = retry_from  # index of the first record to retry when not ok


class KinesisPoller(EventSourcePoller):
    """Reads every shard of one stream for one mapping and invokes its function."""

    default_batch_size: ClassVar[int] = 100
    max_batch_size: ClassVar[int] = 10_000
    read_actions: ClassVar[tuple[str, ...]] = (
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStream",
        "kinesis:ListShards",
    )

    @classmethod
    def role_refusal(cls, source_arn: str, action: str) -> str:
        return (
            f"Cannot access stream {source_arn}. Please ensure the role can perform the "
            "GetRecords, GetShardIterator, DescribeStream, and ListShards Actions on your stream."
        )

    streaming: ClassVar[bool] = True

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.kinesis: Any = service.engine.service("kinesis")
        self.positions: dict[int, int] = {}  # checkpoints by shard index, kept across restarts
        self.placed = False  # whether the starting position has been placed on the shards
        self.finished: set[int] = set()
        self.workers: dict[int, asyncio.Task] = {}  # at most one per shard, stopped ones included
        self.wakeups: dict[int, asyncio.Event] = {}
        self.delivering: set[int] = set()  # shards whose worker has a batch in flight
        self.changed = asyncio.Event()
        self.supervisor: asyncio.Task | None = None
        self.cancel_listener: Any = None
        self.running = False
        # Every start() begins a new generation; workers of an older one finish and exit.
        self.generation = 0

    # -- the EventSourcePoller interface ---------------------------------------------------
    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """Check the stream exists and Kinesis-only settings are in range; return them."""
        source = params["EventSourceArn"]
        kinesis: Any = service.engine.service("kinesis")
        if kinesis.stream_for_arn(source) is None:
            raise validation(
                f"Cannot access stream {source}. Please ensure the role can perform the "
                "GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your "
                "stream."
            )
        start = params.get("StartingPosition")
        if start not in _STARTING_POSITIONS:
            raise validation(
                "StartingPosition must be one of TRIM_HORIZON, LATEST or AT_TIMESTAMP for a "
                "Kinesis event source."
            )
        if start == "AT_TIMESTAMP" and "StartingPositionTimestamp" not in params:
            raise validation("StartingPositionTimestamp is required for AT_TIMESTAMP.")
        factor = params.get("ParallelizationFactor", 1)
        if not 1 <= factor <= 10:
            raise validation("ParallelizationFactor must be between 1 and 10.")
        retries = params.get("MaximumRetryAttempts", -1)
        if not -1 <= retries <= 10_000:
            raise validation("MaximumRetryAttempts must be between -1 and 10000.")
        age = params.get("MaximumRecordAgeInSeconds", -1)
        if age != -1 and not 60 <= age <= 604_800:
            raise validation("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
        if params.get("MaximumBatchingWindowInSeconds", 0) > 300:
            raise validation("MaximumBatchingWindowInSeconds must be between 0 and 300.")
        if "TumblingWindowInSeconds" in params:
            raise validation("Pipework does not emulate TumblingWindowInSeconds.")
        for name in ("Queues", "SourceAccessConfigurations", "SelfManagedEventSource"):
            if name in params:
                raise validation(f"Unsupported {name} for a Kinesis event source.")
        settings: dict[str, Any] = {
            "StartingPosition": start,
            "ParallelizationFactor": factor,
            "BisectBatchOnFunctionError": bool(params.get("BisectBatchOnFunctionError", False)),
            "MaximumRetryAttempts": retries,
            "MaximumRecordAgeInSeconds": age,
            "DestinationConfig": {
                "OnFailure": dict((params.get("DestinationConfig") or {}).get("OnFailure") or {}),
                "OnSuccess": {},
            },
        }
        if "StartingPositionTimestamp" in params:
            settings["StartingPositionTimestamp"] = epoch_of(params["StartingPositionTimestamp"])
        return settings

    @classmethod
    def describe(cls, mapping: EventSourceMapping) -> dict:
        """StartingPosition, ParallelizationFactor, retry settings and destinations."""
        params = mapping.params
        out = {
            name: params[name]
            for name in (
                "StartingPosition",
                "ParallelizationFactor",
                "BisectBatchOnFunctionError",
                "MaximumRetryAttempts",
                "MaximumRecordAgeInSeconds",
                "DestinationConfig",
            )
            if name in params
        }
        if "StartingPositionTimestamp" in params:
            out["StartingPositionTimestamp"] = datetime.fromtimestamp(
                params["StartingPositionTimestamp"], UTC
            )
        out["TumblingWindowInSeconds"] = 0
        return out

    def start(self) -> None:
        """Place a checkpoint on every current shard (first start only) and start supervising."""
        if self.running:
            return
        arn = self.mapping.source_arn
        if self.kinesis.stream_for_arn(arn) is None:
            return
        self.running = True
        self.generation += 1
        if not self.placed:
            self.placed = True
            kind = self.mapping.params.get("StartingPosition", "LATEST")
            when = self.mapping.params.get("StartingPositionTimestamp")
            for shard in self.kinesis.shards(arn):
                if shard.is_open or kind != "LATEST":
                    self.positions[shard.index] = self.kinesis.start_position(
                        arn, shard.shard_id, kind, timestamp=when
                    )
                else:
                    self.finished.add(shard.index)  # a closed shard has nothing after LATEST
        else:
            self._retrack(arn)
        self.cancel_listener = self.kinesis.on_put(arn, self._on_put)
        self.supervisor = self.service.engine.spawn(
            self._supervise(), name=f"lambda-esm:{self.mapping.uuid}"
        )

    async def stop(self) -> None:
        """Stop polling; checkpoints are kept for a later start.

        Idle workers are cancelled; a worker with a batch in flight lets that invocation end,
        checkpoints the batch if it was fully handled, then exits. Until a stopped worker has
        exited it keeps its shard, so a restarted poller never reads a shard twice at once.
        """
        self.running = False
        if self.cancel_listener is not None:
            self.cancel_listener()
            self.cancel_listener = None
        current = asyncio.current_task()
        if self.supervisor is not None and self.supervisor is not current:
            self.supervisor.cancel()
        self.supervisor = None
        for index, task in list(self.workers.items()):
            if index not in self.delivering and task is not current:
                task.cancel()
        self.kinesis.untrack(self.mapping.source_arn, self.mapping.uuid)

    def _retrack(self, arn: str) -> None:
        """Show the kept checkpoints in the stream's lag view again (after a restart)."""
        stream = self.kinesis.stream_for_arn(arn)
        for index, position in self.positions.items():
            shard = stream.shards.get(index) if stream is not None else None
            if shard is not None and index not in self.finished:
                self.kinesis.track(
                    arn, self.mapping.uuid, EVENT_SOURCE_MAPPING, shard.shard_id, position
                )

    # -- shards -----------------------------------------------------------------------------
    def _on_put(self, stream: Stream, shard: Shard) -> None:
        wake = self.wakeups.get(shard.index)
        if wake is not None:
            wake.set()
        else:
            self.changed.set()

    def _ready(self, stream: Stream, shard: Shard) -> bool:
        """Whether a shard may be processed: every parent is finished (or long gone)."""
        for parent_id in stream.parents_of(shard):
            index = stream.shard_index_of(parent_id)
            if index not in self.finished and stream.shard(parent_id) is not None:
                return False
        return True

    async def _supervise(self) -> None:
        arn = self.mapping.source_arn
        while self.running:
            stream = self.kinesis.stream_for_arn(arn)
            if stream is None:
                self.mapping.last_result = "PROBLEM: Stream not found"
                await self.stop()
                return
            self.changed.clear()
            for shard in list(stream.shards.values()):
                index = shard.index
                if index in self.finished or index in self.workers:
                    continue
                if self._ready(stream, shard):
                    self.positions.setdefault(index, 0)  # a child is read from its beginning
                    self._spawn_worker(stream, shard)
            await self.changed.wait()

    def _spawn_worker(self, stream: Stream, shard: Shard) -> None:
        """Start the one worker of a shard; it removes only its own entries when it ends."""
        index = shard.index
        wake = asyncio.Event()
        task = self.service.engine.spawn(
            self._work(stream, shard, wake, self.generation),
            name=f"lambda-esm:{self.mapping.uuid}:{index}",
        )
        self.wakeups[index] = wake
        self.workers[index] = task
        # A done callback (not a `finally`) also runs for a task cancelled before it started.
        task.add_done_callback(lambda done: self._worker_ended(index, done, wake))

    def _worker_ended(self, index: int, task: asyncio.Task, wake: asyncio.Event) -> None:
        if self.workers.get(index) is task:
            del self.workers[index]
            self.delivering.discard(index)
        if self.wakeups.get(index) is wake:
            del self.wakeups[index]
        self.changed.set()

    def _live(self, generation: int) -> bool:
        """Whether a worker of `generation` should keep going (its poller was not stopped)."""
        return self.running and self.generation == generation

    async def _work(
        self, stream: Stream, shard: Shard, wake: asyncio.Event, generation: int
    ) -> None:
        clock = self.clock
        mapping = self.mapping
        index = shard.index
        next_poll = clock.now()
        while self._live(generation) and self.kinesis.stream_for_arn(stream.arn) is stream:
            if clock.now() < next_poll:
                await clock.sleep_until(next_poll)
            next_poll = clock.now() + POLL_INTERVAL
            if not self.may_read():
                next_poll = clock.now() + ROLE_RETRY_SECONDS
                continue
            position = self.positions[index]
            records, _, end, _ = self.kinesis.read(stream, shard, position, mapping.batch_size)
            window = mapping.batching_window
            if records and len(records) < mapping.batch_size and window:
                deadline = records[0]["ApproximateArrivalTimestamp"].timestamp() + window
                while len(records) < mapping.batch_size and clock.now() < deadline:
                    wake.clear()
                    try:
                        await clock.timeout(deadline - clock.now(), wake.wait())
                    except TimeoutError:
                        pass
                    records, _, end, _ = self.kinesis.read(
                        stream, shard, position, mapping.batch_size
                    )
            if not records:
                # Resharding wakes the worker of a closed shard, so it sees its end here.
                if not shard.is_open and end >= len(shard.sequences):
                    self.finished.add(index)
                    return
                wake.clear()
                await wake.wait()
                continue
            self.delivering.add(index)
            try:
                await self._process(stream, shard, records, generation)
            finally:
                self.delivering.discard(index)

    def _checkpoint(self, stream: Stream, shard: Shard, sequence: str) -> None:
        position = int(sequence) + 1
        self.positions[shard.index] = position
        if self.running:  # a disabled or deleted mapping has no row in the lag view
            self.kinesis.track(
                stream.arn, self.mapping.uuid, EVENT_SOURCE_MAPPING, shard.shard_id, position
            )

    # -- batches ----------------------------------------------------------------------------
    async def _process(
        self, stream: Stream, shard: Shard, records: list[dict], generation: int
    ) -> None:
        """Deliver one batch (retrying, bisecting, expiring) and move the checkpoint past it."""
        records = _within_payload(records)
        last = records[-1]["SequenceNumber"]
        factor = self.mapping.params.get("ParallelizationFactor", 1)
        if self.mapping.filters:
            kept = [r for r in records if self.matches(_filterable(r, stream, shard))]
            self.mapping.filtered += len(records) - len(kept)
            records = kept
        if factor > 1 and len(records) > 1:
            groups: list[list[dict]] = [[] for _ in range(factor)]
            for record in records:
                digest = md5(record["PartitionKey"].encode()).digest()
                groups[int.from_bytes(digest[:4], "big") % factor].append(record)
            outcomes = await asyncio.gather(
                *(self._deliver_batch(stream, shard, g, generation) for g in groups if g)
            )
            handled = all(outcomes)
        else:
            handled = not records or await self._deliver_batch(stream, shard, records, generation)
        if handled:  # a batch cut short by a stop is read again from the old checkpoint
            self._checkpoint(stream, shard, last)

    async def _deliver_batch(
        self, stream: Stream, shard: Shard, records: list[dict], generation: int
    ) -> bool:
        """Invoke until the records succeed or are given up; False when a stop cut it short."""
        params = self.mapping.params
        max_retries = params.get("MaximumRetryAttempts", -1)
        max_age = params.get("MaximumRecordAgeInSeconds", -1)
        if max_age == -1:  # -1: retry until the record leaves the stream (its retention)
            max_age = stream.retention_hours * 3600
        bisect = params.get("BisectBatchOnFunctionError", False)
        pending = [records]
        while pending:
            batch = pending.pop(0)
            attempts = 0
            while batch:
                if not self._live(generation):
                    return False
                cutoff = self.clock.now() - max_age
                expired = [
                    r for r in batch if r["ApproximateArrivalTimestamp"].timestamp() < cutoff
                ]
                if expired:
                    await self._on_failure(stream, shard, expired, "RecordAgeExceeded", attempts)
                    batch = batch[len(expired) :]
                    if not batch:
                        break
                outcome = await self._invoke_once(stream, shard, batch)
                if outcome is None:
                    await self.clock.sleep(THROTTLE_PAUSE)  # throttled: not an attempt
                    continue
                attempts += 1
                if outcome.ok:
                    break
                batch = batch[outcome.retry_from :]
                if bisect and len(batch) > 1:
                    middle = len(batch) // 2
                    pending[:0] = [batch[:middle], batch[middle:]]
                    break
                if max_retries != -1 and attempts > max_retries:
                    await self._on_failure(stream, shard, batch, "RetryAttemptsExhausted", attempts)
                    break
                await self.clock.sleep(POLL_INTERVAL)
        return True

    async def _invoke_once(
        self, stream: Stream, shard: Shard, batch: list[dict]
    ) -> BatchOutcome | None:
        """One invocation: None when throttled, else whether (and from where) to retry."""
        event = {"Records": [self._event_record(stream, shard, r) for r in batch]}
        trace_id = self._trace_of(stream, shard, batch[0])
        try:
            result = await self.invoke(event, trace_id=trace_id)
        except ServiceError:
            return None
        self.mapping.records += len(batch)
        if result.function_error:
            return BatchOutcome(False, 0)
        if "ReportBatchItemFailures" not in self.mapping.response_types:
            return BatchOutcome(True)
        first_failed = _first_failure(result.payload, batch)
        if first_failed is None:
            return BatchOutcome(True)
        return BatchOutcome(False, first_failed)

    def _trace_of(self, stream: Stream, shard: Shard, record: dict) -> str | None:
        index = shard.index_of_sequence(int(record["SequenceNumber"]))
        if index < len(shard.records):
            return shard.traces[index]
        return None

    def _event_record(self, stream: Stream, shard: Shard, record: dict) -> dict:
        """One record of AWS's Kinesis event for Lambda."""
        function = self.service.functions.get(self.mapping.function_name)
        role = getattr(function, "role", None) or (
            f"arn:aws:iam::{self.service.account_id}:role/lambda-role"
        )
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode(),
                "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard.shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": role,
            "awsRegion": self.service.region,
            "eventSourceARN": stream.arn,
        }

    async def _on_failure(
        self, stream: Stream, shard: Shard, batch: list[dict], condition: str, attempts: int
    ) -> None:
        """Send the discarded batch's description to the on-failure destination, if any."""
        self.service.emit(
            "dead-lettered",
            self.mapping.arn,
            shard=shard.shard_id,
            records=len(batch),
            condition=condition,
        )
        destination = self.mapping.params.get("DestinationConfig", {}).get("OnFailure", {})
        target = destination.get("Destination")
        if not target:
            return
        stamp = self.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        arrivals = [r["ApproximateArrivalTimestamp"] for r in batch]
        body = {
            "requestContext": {
                "requestId": self.service.ids.uuid(),
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": stamp,
            "KinesisBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": batch[0]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
                "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
                "batchSize": len(batch),
                "streamArn": stream.arn,
            },
        }
        try:
            await self.service.engine.fabric.deliver(
                target,
                Envelope(
                    body=json.dumps(body), source_arn=self.mapping.arn, options=self.role_options()
                ),
            )
        except ServiceError as error:
            self.service.emit("delivery-failed", self.mapping.arn, target=target, error=error.code)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _within_payload(records: list[dict]) -> list[dict]:
    """The longest prefix of `records` whose event stays under Lambda's 6 MB payload limit."""
    total = 0
    for index, record in enumerate(records):
        total += len(record["Data"]) * 4 // 3 + 600  # base64 data plus the record's envelope
        if total > MAX_PAYLOAD and index > 0:
            return records[:index]
    return records


def _filterable(record: dict, stream: Stream, shard: Shard) -> dict:
    """The record as FilterCriteria sees it: `data` decoded from JSON when it is JSON."""
    data: Any = record["Data"]
    try:
        data = json.loads(data)
    except ValueError:
        data = base64.b64encode(record["Data"]).decode()
    return {
        "kinesis": {"partitionKey": record["PartitionKey"], "data": data},
        "eventSource": "aws:kinesis",
        "eventSourceARN": stream.arn,
    }


def _first_failure(payload: bytes, batch: list[dict]) -> int | None:
    """Index of the earliest record a partial batch response names (0 when it is invalid)."""
    try:
        response = json.loads(payload) if payload else None
    except ValueError:
        return 0
    if response is None:
        return None
    if not isinstance(response, dict):
        return 0
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return None
    if not isinstance(failures, list):
        return 0
    positions = {r["SequenceNumber"]: i for i, r in enumerate(batch)}
    found = []
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if ident not in positions:
            return 0
        found.append(positions[ident])
    return min(found)
