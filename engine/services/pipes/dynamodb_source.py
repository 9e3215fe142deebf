"""A pipe's DynamoDB Streams source: shards read oldest first, a child after its parent.

Batching, retries, record age and the dead-letter target work as for Kinesis (see
`kinesis_source.py`); records are DynamoDB stream records in Lambda's event form, and a batch
given up is described with `DDBStreamBatchInfo`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.errors import ServiceError

from .kinesis_source import KinesisSource
from .runner import check_source_role, source_unreadable, wait_for_wake


class DynamoDbSource(KinesisSource):
    """Reads one pipe's DynamoDB stream and moves each batch through the pipeline."""

    async def run(self) -> None:
        """Read until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        pipe = self.pipe
        dynamodb = self.service.engine.service("dynamodb")
        wake = asyncio.Event()
        try:
            cancel = dynamodb.on_record(pipe.source, lambda record: wake.set())
        except ServiceError as error:
            await source_unreadable(self.service, pipe, error)
            return
        log = dynamodb.stream_for_arn(pipe.source)
        initial = {shard.shard_id for shard in log.shards} if log else set()
        try:
            while True:
                wake.clear()
                try:
                    progressed = await self._pass_streams(dynamodb, initial, wake)
                except ServiceError as error:
                    await source_unreadable(self.service, pipe, error)
                    continue
                if not progressed:
                    await wake.wait()
        finally:
            cancel()

    async def _pass_streams(self, dynamodb: Any, initial: set[str], wake: asyncio.Event) -> bool:
        """Read one batch from every shard that is ready; whether anything was read."""
        pipe = self.pipe
        check_source_role(self.service, pipe)
        log = dynamodb.stream_for_arn(pipe.source)
        if log is None:
            raise ServiceError("ResourceNotFoundException", f"Stream {pipe.source} not found")
        known = {shard.shard_id for shard in log.shards}
        progressed = False
        for shard in log.shards:
            shard_id = shard.shard_id
            if shard_id in self.finished:
                continue
            if shard.parent_id in known and shard.parent_id not in self.finished:
                continue
            if shard_id not in self.positions:
                start = pipe.source_settings["StartingPosition"]
                if start == "LATEST" and shard_id in initial:
                    self.positions[shard_id] = shard.sequences[-1] if shard.sequences else 0
                else:
                    self.positions[shard_id] = shard.first_live_sequence() - 1
            progressed |= await self._read_stream_shard(dynamodb, shard, wake)
        return progressed

    async def _read_stream_shard(self, dynamodb: Any, shard: Any, wake: asyncio.Event) -> bool:
        pipe = self.pipe
        after = self.positions[shard.shard_id]
        size = pipe.batch_size
        records = dynamodb.read(pipe.source, shard.shard_id, after, size)
        if not records:
            if shard.closed:
                self.finished.add(shard.shard_id)
                return True
            return False
        deadline = self.clock.now() + pipe.batching_window
        while len(records) < size and self.clock.now() < deadline:
            wake.clear()
            await wait_for_wake(self.clock, wake, deadline)
            records += dynamodb.read(
                pipe.source, shard.shard_id, records[-1].sequence, size - len(records)
            )
        trace_id = next((r.trace_id for r in records if r.trace_id), None)
        trace_id = trace_id or self.service.ids.trace_id(self.clock.now())
        events = [r.as_lambda_event(self.service.region, pipe.source) for r in records]
        await self._handle_until_done(shard.shard_id, events, trace_id)
        self.positions[shard.shard_id] = records[-1].sequence
        return True

    def arrival(self, event: dict[str, Any]) -> float:
        return float(event["dynamodb"]["ApproximateCreationDateTime"])

    def batch_info(self, shard_id: str, events: list[dict]) -> dict[str, Any]:
        return {
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": events[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": events[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(events),
                "streamArn": self.pipe.source,
            }
        }
