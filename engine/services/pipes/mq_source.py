"""A pipe's Amazon MQ source (RabbitMQ or ActiveMQ): batches from one queue, settled by the outcome.

Records have AWS's Pipes shapes: RabbitMQ `eventSource: aws:rmq` with `eventSourceKey`
`queue::vhost`, `basicProperties`, `redelivered` and base64 `data`; ActiveMQ `eventSource:
aws:amq` with `messageID`, `messageType`, base64 `data`, `destination.physicalname`, the broker
times and the JMS properties. A failed RabbitMQ batch is nacked with requeue, so the queue's own
dead-lettering decides its fate; a failed ActiveMQ batch is rolled back, so the broker's
redelivery policy (6 redeliveries by default) and its dead-letter strategy do.
"""

from __future__ import annotations

from typing import Any, Protocol

from engine.errors import ServiceError
from engine.services.mq.reader import QueueReader, rmq_message, source_key

from .runner import PipeSource, source_unreadable


class _Reader(Protocol):
    def attach(self) -> None: ...
    async def batch(self, clock: Any, size: int, window: float) -> list[Any]: ...
    def settle(self, items: list[Any], ok: bool) -> None: ...
    def close(self) -> None: ...


class MqSource(PipeSource):
    """Consumes one pipe's broker queue and moves each batch through the pipeline."""

    async def run(self) -> None:
        """Consume until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        pipe = self.pipe
        reader: _Reader | None = None
        try:
            while True:
                try:
                    if reader is None:
                        reader = self._reader()
                    reader.attach()
                except ServiceError as error:
                    if reader is not None:
                        reader.close()
                        reader = None
                    await source_unreadable(self.service, pipe, error)
                    continue
                batch = await reader.batch(self.clock, pipe.batch_size, pipe.batching_window)
                if not batch:
                    continue
                records, trace_id = self._records(batch)
                ok, _ = await self.pipeline.handle(
                    records, trace_id or self.service.ids.trace_id(self.clock.now())
                )
                reader.settle(self._settled(batch), ok)
        finally:
            if reader is not None:
                reader.close()

    @property
    def _active(self) -> bool:
        return "ActiveMQBrokerParameters" in self.pipe.source_parameters

    def _reader(self) -> _Reader:
        pipe = self.pipe
        mq: Any = self.service.engine.service("mq")
        settings = pipe.source_settings
        if self._active:
            from engine.services.mq.activemq.reader import ActiveReader

            return ActiveReader(mq.activemq(pipe.source), settings["QueueName"], pipe.batch_size)
        return QueueReader(
            mq,
            pipe.source,
            settings["QueueName"],
            settings.get("VirtualHost") or "/",
            pipe.batch_size,
            f"pipe-{pipe.name}",
        )

    def _records(self, batch: list[Any]) -> tuple[list[dict[str, Any]], str | None]:
        """The batch as Pipes records, and the first trace id it carries."""
        pipe = self.pipe
        if self._active:
            now_ms = self.clock.now_ms()
            records = [pipe_amq_record(pipe.source, m, now_ms) for m in batch]
            return records, next((m.trace_id for m in batch if m.trace_id), None)
        settings = pipe.source_settings
        key = source_key(settings["QueueName"], settings.get("VirtualHost") or "/")
        records = [
            {"eventSource": "aws:rmq", "eventSourceArn": pipe.source, "eventSourceKey": key}
            | rmq_message(entry)
            for _, _, entry in batch
        ]
        return records, next((e.message.trace_id for _, _, e in batch if e.message.trace_id), None)

    def _settled(self, batch: list[Any]) -> list[Any]:
        """What the reader settles: ActiveMQ messages, or RabbitMQ delivery tags."""
        return batch if self._active else [tag for tag, _, _ in batch]


def pipe_amq_record(source: str, message: Any, now_ms: int) -> dict[str, Any]:
    """One ActiveMQ message as a Pipes record (`aws:amq`; AWS spells `physicalname` in lower case)."""
    from engine.services.mq.activemq.reader import amq_message

    record: dict[str, Any] = {"eventSource": "aws:amq", "eventSourceArn": source}
    record.update(amq_message(message, now_ms))
    record["destination"] = {"physicalname": message.destination.name}
    record["persistent"] = message.persistent
    return record
