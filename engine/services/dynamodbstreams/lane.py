"""One ordered consumer inside a DynamoDB stream event source mapping.

A mapping runs ParallelizationFactor lanes. Each lane owns the records whose item key hashes to
it, so records of one item are always handled in order by one lane, while lanes run
concurrently. A lane reads the stream's shards in order (a child only after its parent is
finished), batches its records (BatchSize, MaximumBatchingWindowInSeconds), applies
FilterCriteria, and invokes the function with `{"Records": [...]}`. A failing batch blocks the
lane and is retried with backoff until it succeeds, until MaximumRetryAttempts or
MaximumRecordAgeInSeconds is exceeded (then an invocation record goes to the OnFailure
destination and the batch is skipped), or until its records leave the 24-hour retention.
BisectBatchOnFunctionError halves a failing batch before each retry, and ReportBatchItemFailures
checkpoints at the lowest failed sequence number.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope
from engine.services.awslambda.esm import ROLE_RETRY_SECONDS

from ..dynamodb.streams import Shard, StreamLog, StreamRecord, sequence_text

if TYPE_CHECKING:
    from .esm import StreamPoller

#: Backoff between retries of a failing batch: doubles from 1 s up to this cap.
MAX_BACKOFF = 60.0
THROTTLE_PAUSE = 1.0


def lane_of(record: StreamRecord, lanes: int) -> int:
    """Which of `lanes` lanes handles records of this item (a stable hash of its key)."""
    if lanes == 1:
        return 0
    text = json.dumps(record.keys, sort_keys=True, default=repr).encode()
    digest = hashlib.md5(text, usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") % lanes


class Lane:
    """Reads its slice of the stream, in order, and invokes the mapping's function."""

    def __init__(self, poller: StreamPoller, index: int, lanes: int) -> None:
        self.poller = poller
        self.index = index
        self.lanes = lanes
        self.clock = poller.clock
        self.mapping = poller.mapping
        #: Shard id → sequence number of the last record handled (or passed over).
        self.positions: dict[str, int] = {}
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None

    # -- positions ------------------------------------------------------------------------
    def place(self, log: StreamLog, latest: bool) -> None:
        """Start at the trim horizon, or after the newest record (LATEST)."""
        for shard in log.shards:
            if latest:
                self.positions[shard.shard_id] = (
                    shard.sequences[-1] if shard.sequences else shard.starting_sequence - 1
                )
            else:
                self.positions[shard.shard_id] = shard.first_live_sequence() - 1

    def _current(self, log: StreamLog) -> Shard | None:
        """The oldest shard with unread records (parents before children)."""
        for shard in log.shards:
            after = self.positions.setdefault(shard.shard_id, shard.first_live_sequence() - 1)
            after = max(after, shard.first_live_sequence() - 1)
            self.positions[shard.shard_id] = after
            if shard.read_after(after, 1) or not shard.closed:
                return shard
        return None

    def _read(self, shard: Shard) -> tuple[list[StreamRecord], int | None]:
        """Up to BatchSize of this lane's records, and the last sequence number looked at."""
        size = self.mapping.batch_size
        after = self.positions[shard.shard_id]
        picked: list[StreamRecord] = []
        last: int | None = None
        while len(picked) < size:
            chunk = shard.read_after(after, size)
            if not chunk:
                break
            for record in chunk:
                last = record.sequence
                if lane_of(record, self.lanes) == self.index:
                    picked.append(record)
                    if len(picked) == size:
                        break
            after = last  # type: ignore[assignment]
        return picked, last

    # -- the loop -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Read and invoke until cancelled."""
        dynamodb = self.poller.dynamodb
        while True:
            if not self.poller.may_read():
                await self.clock.sleep(ROLE_RETRY_SECONDS)
                continue
            log = dynamodb.stream_for_arn(self.mapping.source_arn)
            shard = self._current(log) if log is not None else None
            records, last = self._read(shard) if shard is not None else ([], None)
            if last is None:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            if not records:
                self.positions[shard.shard_id] = last  # only other lanes' records
                continue
            if len(records) < self.mapping.batch_size and self.mapping.batching_window:
                records, last = await self._gather(shard, records, last)
            await self._handle(log, shard, records, last)

    async def _gather(
        self, shard: Shard, records: list[StreamRecord], last: int
    ) -> tuple[list[StreamRecord], int]:
        """Wait up to the batching window for a full batch."""
        end = self.clock.now() + self.mapping.batching_window
        while len(records) < self.mapping.batch_size:
            left = end - self.clock.now()
            if left <= 0:
                break
            self.wakeup.clear()
            try:
                await self.clock.timeout(left, self.wakeup.wait())
            except TimeoutError:
                pass
            records, scanned = self._read(shard)
            last = scanned if scanned is not None else last
        return records, last

    async def _handle(
        self, log: StreamLog, shard: Shard, records: list[StreamRecord], last: int
    ) -> None:
        mapping = self.mapping
        poller = self.poller
        region = poller.service.region
        events = [r.as_lambda_event(region, log.arn) for r in records]
        kept = [(r, e) for r, e in zip(records, events, strict=True) if poller.matches(e)]
        mapping.filtered += len(records) - len(kept)
        if not kept:
            self.positions[shard.shard_id] = last
            return
        batch = [r for r, _ in kept]
        batch_events = [e for _, e in kept]
        attempts = 0
        backoff = 1.0
        whole = True  # False once the batch shrank (bisected or partly checkpointed)
        while True:
            if shard.first_live_sequence() > batch[0].sequence:
                # The records left the stream's retention while failing: they are lost.
                self.positions[shard.shard_id] = max(
                    self.positions[shard.shard_id], shard.first_live_sequence() - 1
                )
                return
            try:
                result = await poller.invoke({"Records": batch_events}, trace_id=batch[0].trace_id)
            except ServiceError:
                await self.clock.sleep(THROTTLE_PAUSE)
                continue
            mapping.records += len(batch)
            failed_from = self._failed_from(result, batch)
            if failed_from is None:
                self.positions[shard.shard_id] = last if whole else batch[-1].sequence
                return
            succeeded = [r for r in batch if r.sequence < failed_from]
            if succeeded:
                self.positions[shard.shard_id] = succeeded[-1].sequence
                batch, batch_events = batch[len(succeeded) :], batch_events[len(succeeded) :]
                whole = False
            attempts += 1
            if self._give_up(attempts, batch):
                condition = (
                    "RetryAttemptsExhausted"
                    if self._retries_exhausted(attempts)
                    else "RecordAgeExceeded"
                )
                await self._send_failure(log, shard, batch, result, attempts, condition)
                self.positions[shard.shard_id] = batch[-1].sequence
                return
            if mapping.params["BisectBatchOnFunctionError"] and len(batch) > 1:
                half = len(batch) // 2
                batch, batch_events = batch[:half], batch_events[:half]
                whole = False
            await self.clock.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    # -- outcomes --------------------------------------------------------------------------------
    def _failed_from(self, result: Any, batch: list[StreamRecord]) -> int | None:
        """The lowest failed sequence number (None: the whole batch succeeded)."""
        first = batch[0].sequence
        if result.function_error:
            return first
        if "ReportBatchItemFailures" not in self.mapping.response_types:
            return None
        try:
            response = json.loads(result.payload) if result.payload else None
        except ValueError:
            return first
        if not isinstance(response, dict):
            return None if response is None else first
        failures = response.get("batchItemFailures")
        if failures is None or failures == []:
            return None
        if not isinstance(failures, list):
            return first
        known = {sequence_text(r.sequence): r.sequence for r in batch}
        failed = []
        for entry in failures:
            ident = entry.get("itemIdentifier") if isinstance(entry, dict) else None
            if ident not in known:
                return first
            failed.append(known[ident])
        return min(failed)

    def _retries_exhausted(self, attempts: int) -> bool:
        limit = self.mapping.params["MaximumRetryAttempts"]
        return limit != -1 and attempts > limit

    def _give_up(self, attempts: int, batch: list[StreamRecord]) -> bool:
        if self._retries_exhausted(attempts):
            return True
        age = self.mapping.params["MaximumRecordAgeInSeconds"]
        return age != -1 and self.clock.now() - batch[0].created > age

    async def _send_failure(
        self,
        log: StreamLog,
        shard: Shard,
        batch: list[StreamRecord],
        result: Any,
        attempts: int,
        condition: str,
    ) -> None:
        """Send AWS's invocation record for a discarded batch to the OnFailure destination."""
        destination = self.mapping.params.get("OnFailure")
        if not destination:
            return
        record = {
            "requestContext": {
                "requestId": result.request_id,
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": result.executed_version,
                "functionError": result.function_error or "Unhandled",
            },
            "version": "1.0",
            "timestamp": _iso(self.clock.now()),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": sequence_text(batch[0].sequence),
                "endSequenceNumber": sequence_text(batch[-1].sequence),
                "approximateArrivalOfFirstRecord": _iso(batch[0].created),
                "approximateArrivalOfLastRecord": _iso(batch[-1].created),
                "batchSize": len(batch),
                "streamArn": log.arn,
            },
        }
        envelope = Envelope(
            body=json.dumps(record),
            source_arn=self.mapping.arn,
            trace_id=batch[0].trace_id,
            options=self.poller.role_options(),
        )
        try:
            await self.poller.service.engine.fabric.deliver(destination, envelope)
        except ServiceError:
            pass  # A missing destination loses the record, as on AWS.


def _iso(epoch: float) -> str:
    """An ISO-8601 UTC time with milliseconds, as invocation records spell it."""
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
