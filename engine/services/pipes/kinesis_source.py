"""A pipe's Kinesis source: each shard read in order, parents before children.

Records are read from a checkpoint per shard in batches of up to BatchSize (default 100),
waiting up to MaximumBatchingWindowInSeconds to fill one. A failed batch is retried a second
apart until it succeeds, MaximumRetryAttempts is used up or its oldest record is older than
MaximumRecordAgeInSeconds (-1, the default, means forever); then its description goes to the
DeadLetterConfig target, if any, and the shard moves on. Filtered-out records are skipped.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope

from .models import Pipe
from .records import kinesis_record
from .runner import PipeSource, check_source_role, source_unreadable, wait_for_wake

if TYPE_CHECKING:
    from engine.services.kinesis.shard import Shard

    from .service import PipesService

#: Seconds between tries of a failed batch.
RETRY_PAUSE = 1.0


class KinesisSource(PipeSource):
    """Reads one pipe's stream and moves each batch through the pipeline."""

    def __init__(self, service: PipesService, pipe: Pipe) -> None:
        super().__init__(service, pipe)
        self.positions: dict[str, int] = {}
        self.finished: set[str] = set()

    async def run(self) -> None:
        """Read until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        pipe = self.pipe
        kinesis = self.service.engine.service("kinesis")
        wake = asyncio.Event()
        try:
            cancel = kinesis.on_put(pipe.source, lambda stream, shard: wake.set())
        except ServiceError as error:
            await source_unreadable(self.service, pipe, error)
            return
        settings = pipe.source_settings
        initial = {shard.shard_id for shard in kinesis.shards(pipe.source)}
        try:
            while True:
                wake.clear()
                try:
                    progressed = await self._pass(kinesis, settings, initial, wake)
                except ServiceError as error:
                    await source_unreadable(self.service, pipe, error)
                    continue
                if not progressed:
                    await wake.wait()
        finally:
            cancel()

    async def _pass(
        self, kinesis: Any, settings: dict, initial: set[str], wake: asyncio.Event
    ) -> bool:
        """Read one batch from every shard that is ready; whether anything was read."""
        pipe = self.pipe
        check_source_role(self.service, pipe)
        progressed = False
        shards = kinesis.shards(pipe.source)
        known = {shard.shard_id for shard in shards}
        for shard in shards:
            if shard.shard_id in self.finished:
                continue
            parents = [p for p in (shard.parent_id, shard.adjacent_parent_id) if p]
            if any(p in known and p not in self.finished for p in parents):
                continue  # children wait until their parents are read to the end
            if shard.shard_id not in self.positions:
                # Shards born after the pipe started are read from their beginning.
                kind = settings["StartingPosition"] if shard.shard_id in initial else "TRIM_HORIZON"
                self.positions[shard.shard_id] = kinesis.start_position(
                    pipe.source,
                    shard.shard_id,
                    kind,
                    timestamp=settings.get("StartingPositionTimestamp"),
                )
            progressed |= await self._read_shard(kinesis, shard, wake)
        return progressed

    async def _read_shard(self, kinesis: Any, shard: Shard, wake: asyncio.Event) -> bool:
        """Handle one batch from `shard`; False when there was nothing to read."""
        pipe = self.pipe
        stream = kinesis.stream_for_arn(pipe.source)
        if stream is None:
            raise ServiceError("ResourceNotFoundException", f"Stream {pipe.source} not found.")
        position = self.positions[shard.shard_id]
        records, following, end, _ = kinesis.read(stream, shard, position, pipe.batch_size)
        if not records:
            if not shard.is_open and end >= len(shard.sequences):
                self.finished.add(shard.shard_id)
                return True
            return False
        deadline = self.clock.now() + pipe.batching_window
        while len(records) < pipe.batch_size and self.clock.now() < deadline:
            wake.clear()
            await wait_for_wake(self.clock, wake, deadline)
            more, later, end, _ = kinesis.read(
                stream, shard, following, pipe.batch_size - len(records)
            )
            if more:
                records.extend(more)
                following = later
        first = end - len(records)
        trace_id = shard.traces[first] if first < len(shard.traces) else None
        trace_id = trace_id or self.service.ids.trace_id(self.clock.now())
        events = [
            kinesis_record(r, shard.shard_id, pipe.source, self.service.region, pipe.role_arn)
            for r in records
        ]
        await self._handle_until_done(shard.shard_id, events, trace_id)
        self.positions[shard.shard_id] = following
        kinesis.track(pipe.source, pipe.arn, "pipe", shard.shard_id, following)
        return True

    async def _handle_until_done(self, shard_id: str, events: list[dict], trace_id: str) -> None:
        settings = self.pipe.source_settings
        max_retries = int(settings.get("MaximumRetryAttempts", -1))
        max_age = int(settings.get("MaximumRecordAgeInSeconds", -1))
        attempts = 0
        while True:
            ok, _ = await self.pipeline.handle(events, trace_id)
            if ok:
                return
            attempts += 1
            oldest = self.arrival(events[0])
            too_old = max_age != -1 and self.clock.now() - oldest > max_age
            if too_old or (max_retries != -1 and attempts > max_retries):
                await self._on_failure(shard_id, events, attempts, trace_id)
                return
            self.service.emit("retried", self.pipe.arn, trace_id=trace_id, attempt=attempts)
            await self.clock.sleep(RETRY_PAUSE)

    def arrival(self, event: dict[str, Any]) -> float:
        """When a record reached the stream (epoch seconds)."""
        return float(event["approximateArrivalTimestamp"])

    def batch_info(self, shard_id: str, events: list[dict]) -> dict[str, Any]:
        """What the dead-letter target is told about a batch that was given up."""
        return {
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": events[0]["sequenceNumber"],
                "endSequenceNumber": events[-1]["sequenceNumber"],
                "batchSize": len(events),
                "streamArn": self.pipe.source,
            }
        }

    async def _on_failure(
        self, shard_id: str, events: list[dict], attempts: int, trace_id: str
    ) -> None:
        """Give up on a batch: describe it to the dead-letter target, if there is one."""
        pipe = self.pipe
        target = pipe.source_settings.get("DeadLetterConfig", {}).get("Arn")
        info = {
            "context": {
                "condition": "RetryAttemptsExhausted",
                "timestamp": self.clock.datetime().isoformat(timespec="milliseconds"),
                "approximateInvokeCount": attempts,
                "pipeArn": pipe.arn,
            },
            **self.batch_info(shard_id, events),
        }
        self.service.emit("dropped", pipe.arn, trace_id=trace_id, shard=shard_id, count=len(events))
        if not target:
            return
        try:
            await self.service.engine.fabric.deliver(
                target, Envelope(json.dumps(info), source_arn=pipe.arn, trace_id=trace_id)
            )
        except ServiceError as error:
            self.service.emit("delivery-failed", pipe.arn, trace_id=trace_id, reason=error.code)
            return
        self.service.emit("dead-lettered", pipe.arn, trace_id=trace_id, target=target)
