"""An application's inputs: a Kinesis stream read shard by shard, or records put to Firehose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

if TYPE_CHECKING:
    from .job import Job
    from .plan import Source

#: The lag row kind an application shows in Kinesis's lag view.
ANALYTICS_READER = "analytics"
READ_LIMIT = 10_000


def _with_arrival(records: list[dict]) -> list[tuple[bytes, int]]:
    """(data, arrival ms) per record; a put's records share one timestamp object."""
    out: list[tuple[bytes, int]] = []
    last: Any = None
    millis = 0
    for record in records:
        stamp = record["ApproximateArrivalTimestamp"]
        if stamp is not last:
            last, millis = stamp, int(stamp.timestamp() * 1000)
        out.append((record["Data"], millis))
    return out


class KinesisReader:
    """Reads every shard of one stream (parents first) into the job as records land."""

    def __init__(self, job: Job, source: Source, positions: dict[int, int] | None) -> None:
        self.job = job
        self.source = source
        kinesis = job.engine.service("kinesis")
        if kinesis.stream_for_arn(source.arn) is None:
            raise ServiceError(
                "InvalidArgumentException", f"Kinesis stream {source.arn} does not exist"
            )
        self.kinesis = kinesis
        self.consumer = f"{job.app_arn}/{source.name}"
        kind = "TRIM_HORIZON" if source.start == "TRIM_HORIZON" else "LATEST"
        self.positions: dict[int, int] = dict(positions or {})
        for shard in kinesis.shards(source.arn):
            if shard.index not in self.positions:
                self.positions[shard.index] = kinesis.start_position(
                    source.arn, shard.shard_id, kind
                )
        self.cancel = kinesis.on_put(source.arn, self._on_put)
        if kind == "TRIM_HORIZON" or positions:
            self.poll()

    def _on_put(self, stream: Any, shard: Any) -> None:
        self._read(stream, shard)

    def _read(self, stream: Any, shard: Any) -> None:
        position = self.positions.get(shard.index, 0)
        while True:
            records, position, _, _ = self.kinesis.read(stream, shard, position, READ_LIMIT)
            if not records:
                break
            self.positions[shard.index] = position
            # Handed over page by page, so a long backlog is batched, never held whole.
            self.job.take(self.source.name, _with_arrival(records))
        self.kinesis.track(
            self.source.arn, self.consumer, ANALYTICS_READER, shard.shard_id, position
        )

    def poll(self) -> None:
        """Read whatever waits on every shard (start-up from TRIM_HORIZON or a snapshot)."""
        stream = self.kinesis.stream_for_arn(self.source.arn)
        if stream is None:
            return
        for shard in self.kinesis.shards(self.source.arn):
            self._read(stream, shard)

    def millis_behind(self) -> int:
        """Age of the oldest record not read yet (0: caught up)."""
        if self.kinesis.stream_for_arn(self.source.arn) is None:
            return 0
        rows = [r for r in self.kinesis.lag(self.source.arn) if r.consumer == self.consumer]
        return max((r.iterator_age_ms for r in rows), default=0)

    def close(self) -> None:
        """Stop reading and leave the stream's lag view."""
        self.cancel()
        self.kinesis.untrack(self.source.arn, self.consumer)


class KafkaReader:
    """Reads one MSK topic as a consumer group (the Flink SQL `kafka` connector)."""

    def __init__(self, job: Job, source: Source) -> None:
        from engine.services.kafka.reader import TopicReader

        self.job = job
        self.source = source
        kafka = job.engine.service("kafka")
        servers = {s.strip() for s in source.arn.split(",") if s.strip()}
        cluster = next(
            (
                c
                for c in kafka.clusters.values()
                if c.listener is not None and c.bootstrap() in servers
            ),
            None,
        )
        if cluster is None:
            raise ServiceError(
                "InvalidArgumentException",
                f"No running MSK cluster answers at {source.arn} (properties.bootstrap.servers)",
            )
        self.reader = TopicReader(kafka, cluster, source.topic, source.group, source.start)
        self.reader.current()  # place the start positions now
        self.cancel = kafka.on_records(cluster, lambda *_: self.poll())
        self.poll()

    def poll(self) -> None:
        """Hand over what waits on every partition, committing as the group goes."""
        while batch := self.reader.batch(READ_LIMIT):
            self.reader.commit(batch)
            self.job.take(self.source.name, [(r.value or b"", r.timestamp) for _, _, r in batch])

    def millis_behind(self) -> int:
        """Always caught up: records are read as they land."""
        return 0

    def close(self) -> None:
        """Stop reading."""
        self.cancel()
        self.reader.close()


class FirehoseReader:
    """Takes the records put to a Firehose stream (its tap), as a legacy SQL input does."""

    def __init__(self, job: Job, source: Source) -> None:
        self.job = job
        self.source = source
        firehose = job.engine.service("firehose")
        stream = next((s for s in firehose.streams.values() if s.arn == source.arn), None)
        if stream is None:
            raise ServiceError(
                "InvalidArgumentException", f"Firehose stream {source.arn} does not exist"
            )
        self.stream = stream
        stream.taps.append(self._on_put)

    def _on_put(self, datas: list[bytes], now: float) -> None:
        arrival = int(now * 1000)
        self.job.take(self.source.name, [(data, arrival) for data in datas])

    def poll(self) -> None:
        """Nothing waits: Firehose hands records over as they are put."""

    def millis_behind(self) -> int:
        """Always caught up: records arrive as they are put."""
        return 0

    def close(self) -> None:
        """Remove the tap."""
        if self._on_put in self.stream.taps:
            self.stream.taps.remove(self._on_put)
