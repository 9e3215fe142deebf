"""A topic reader for the lab's own consumers (Lambda, Pipes, Firehose): batches and commits.

It reads every partition of one topic from the group's committed offsets (or a starting position:
TRIM_HORIZON, LATEST, AT_TIMESTAMP), hands out batches across partitions, and commits a batch's
offsets to the consumer group as a standalone consumer once the caller has handled it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import Partition, Topic
    from .log import Record
    from .state import ClusterState

Batch = list[tuple[str, int, "Record"]]


class TopicReader:
    """Reads one topic of one cluster on behalf of one consumer group."""

    def __init__(
        self,
        kafka: Any,
        cluster: ClusterState,
        topic: str,
        group_id: str,
        starting_position: str = "LATEST",
        timestamp: float | None = None,
    ) -> None:
        self.kafka = kafka
        self.cluster = cluster
        self.topic = topic
        self.group_id = group_id
        self.starting_position = starting_position
        self.timestamp = timestamp
        self.positions: dict[int, int] = {}
        self.arrived = asyncio.Event()
        self._cancel = kafka.on_records(cluster, self._on_records)

    def close(self) -> None:
        """Stop listening for new records."""
        self._cancel()

    def _on_records(self, topic: Topic, partition: Partition, base: int, count: int) -> None:
        if topic.name == self.topic:
            self.arrived.set()

    def current(self) -> Topic | None:
        """The topic, if it exists (positions are placed on any new partitions)."""
        topic = self.cluster.data.topics.get(self.topic)
        if topic is not None:
            self._place(topic)
        return topic

    def _place(self, topic: Topic) -> None:
        for partition in topic.partitions:
            if partition.index in self.positions:
                continue
            committed = self.cluster.groups.committed(self.group_id, topic.name, partition.index)
            log = partition.log
            if committed is not None:
                start = committed.offset
            elif self.starting_position in ("TRIM_HORIZON", "EARLIEST"):
                start = log.log_start_offset
            elif self.starting_position == "AT_TIMESTAMP" and self.timestamp is not None:
                found = log.offset_for_timestamp(int(self.timestamp * 1000))
                start = found[0] if found else log.end_offset
            else:
                start = log.end_offset
            self.positions[partition.index] = start

    def batch(self, limit: int, max_bytes: int = 1 << 62) -> Batch:
        """Up to `limit` records (and about `max_bytes`) from the current positions."""
        topic = self.current()
        if topic is None:
            return []
        out: Batch = []
        size = 0
        for partition in topic.partitions:
            start = max(self.positions[partition.index], partition.log.log_start_offset)
            for record in partition.log.records(start, limit - len(out)):
                size += len(record.value or b"") + len(record.key or b"")
                if out and size > max_bytes:
                    return out
                out.append((topic.name, partition.index, record))
            if len(out) >= limit:
                break
        return out

    async def fill(self, clock: Any, limit: int, window: float, max_bytes: int = 1 << 62) -> Batch:
        """A batch: wait for the first record, then up to `window` seconds to reach `limit`."""
        while True:
            batch = self.batch(limit, max_bytes)
            if batch:
                break
            self.arrived.clear()
            await self.arrived.wait()
        deadline = clock.now() + window
        while len(batch) < limit and clock.now() < deadline:
            self.arrived.clear()
            try:
                await clock.timeout(deadline - clock.now(), self.arrived.wait())
            except TimeoutError:
                pass
            batch = self.batch(limit, max_bytes)
        return batch

    def commit(self, batch: Batch) -> None:
        """Move past `batch` and commit the new positions to the group."""
        ends: dict[int, int] = {}
        for _topic, partition, record in batch:
            ends[partition] = max(ends.get(partition, 0), record.offset + 1)
        self.positions.update(ends)
        commits = [(self.topic, p, o, None, -1) for p, o in sorted(ends.items())]
        if commits:
            self.cluster.groups.commit(self.group_id, -1, "", commits)
