"""A Kinesis data stream as a delivery stream's source: read each shard from LATEST, parents first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.services.kinesis.shard import Shard
    from engine.services.kinesis.stream import Stream

    from .service import FirehoseService
    from .stream import DeliveryStream

#: The lag row kind a Firehose reader shows in Kinesis's lag view.
FIREHOSE_READER = "firehose"
READ_LIMIT = 10_000


class KinesisSource:
    """Pulls records from every shard of one Kinesis stream into a delivery stream's buffer."""

    def __init__(self, service: FirehoseService, stream: DeliveryStream, kinesis: Any) -> None:
        self.service = service
        self.stream = stream
        self.kinesis = kinesis
        self.arn = stream.source_arn or ""
        # Shards that exist now start at LATEST; shards created later start at their beginning.
        self.positions: dict[int, int] = {
            shard.index: kinesis.start_position(self.arn, shard.shard_id, "LATEST")
            for shard in kinesis.shards(self.arn)
        }
        for shard in kinesis.shards(self.arn):
            kinesis.track(
                self.arn, stream.arn, FIREHOSE_READER, shard.shard_id, self.positions[shard.index]
            )
        self.cancel = kinesis.on_put(self.arn, self._on_put)

    def _parents_done(self, source: Stream, shard: Shard) -> bool:
        for parent_id in source.parents_of(shard):
            parent = source.shard(parent_id)
            if parent is None:
                continue
            position = self.positions.get(parent.index, 0)
            if parent.is_open or parent.index_of_sequence(position) < len(parent.sequences):
                return False
        return True

    def _on_put(self, source: Stream, shard: Shard) -> None:
        if not self._parents_done(source, shard):
            return
        position = self.positions.get(shard.index, 0)
        while True:
            records, position, end, _ = self.kinesis.read(source, shard, position, READ_LIMIT)
            if not records:
                break
            self.service.accept_from_kinesis(self.stream, source, shard, records)
        self.positions[shard.index] = position
        self.kinesis.track(self.arn, self.stream.arn, FIREHOSE_READER, shard.shard_id, position)

    def close(self) -> None:
        """Stop reading and drop this reader from the stream's lag view."""
        self.cancel()
        self.kinesis.untrack(self.arn, self.stream.arn)
