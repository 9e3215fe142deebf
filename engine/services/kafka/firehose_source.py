"""An MSK topic as a Firehose delivery stream's source (MSKSourceConfiguration).

Firehose reads the topic from ReadFromTimestamp (by default, when the delivery stream became
active; the epoch means the earliest offset), as a consumer group named after the delivery
stream, and buffers each record's value as it lands.
"""

from __future__ import annotations

from typing import Any

from .reader import TopicReader

READ_LIMIT = 10_000


class MskSource:
    """Pulls records from one topic into a delivery stream's buffer."""

    def __init__(self, firehose: Any, stream: Any, config: dict, kafka: Any) -> None:
        self.firehose = firehose
        self.stream = stream
        cluster = kafka.cluster_for_arn(config["MSKClusterARN"])
        start = config.get("ReadFromTimestamp")
        when = start.timestamp() if hasattr(start, "timestamp") else firehose.clock.now()
        self.reader = TopicReader(
            kafka, cluster, config["TopicName"], f"firehose-{stream.name}", "AT_TIMESTAMP", when
        )
        self.reader.current()  # place the start positions now
        self._cancel = kafka.on_records(cluster, lambda *_: self._drain())

    def _drain(self) -> None:
        while batch := self.reader.batch(READ_LIMIT):
            self.firehose.accept_values(self.stream, [r.value or b"" for _, _, r in batch])
            self.reader.commit(batch)

    def cancel(self) -> None:
        """Stop reading."""
        self._cancel()
        self.reader.close()

    def close(self) -> None:
        """Stop reading (the delivery stream was deleted)."""
        self.cancel()
