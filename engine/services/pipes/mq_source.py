"""A pipe's Amazon MQ for RabbitMQ source: batches from one queue, acked when the target succeeds.

Records have AWS's Pipes shape for RabbitMQ (`eventSource: aws:rmq`, `eventSourceKey`
`queue::vhost`, `basicProperties`, `redelivered`, base64 `data`). A failed batch is nacked with
requeue, so the queue's own dead-lettering (or a quorum queue's delivery limit) decides its fate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.services.mq.reader import QueueReader, rmq_message, source_key

from .models import Pipe
from .runner import Pipeline, source_unreadable

if TYPE_CHECKING:
    from .service import PipesService


class MqSource:
    """Consumes one pipe's RabbitMQ queue and moves each batch through the pipeline."""

    def __init__(self, service: PipesService, pipe: Pipe) -> None:
        self.pipe = pipe
        self.service = service
        self.clock = service.clock
        self.pipeline = Pipeline(service, pipe)

    async def run(self) -> None:
        """Consume until cancelled (StopPipe, DeletePipe, engine shutdown)."""
        pipe = self.pipe
        settings: dict[str, Any] = pipe.source_settings
        queue = settings["QueueName"]
        vhost = settings.get("VirtualHost") or "/"
        key = source_key(queue, vhost)
        reader: QueueReader | None = None
        try:
            while True:
                try:
                    if reader is None:
                        reader = QueueReader(
                            self.service.engine.service("mq"),
                            pipe.source,
                            queue,
                            vhost,
                            pipe.batch_size,
                            f"pipe-{pipe.name}",
                        )
                    reader.attach()
                except ServiceError as error:
                    await source_unreadable(self.service, pipe, error)
                    continue
                batch = await reader.batch(self.clock, pipe.batch_size, pipe.batching_window)
                records = [
                    {
                        "eventSource": "aws:rmq",
                        "eventSourceArn": pipe.source,
                        "eventSourceKey": key,
                        **rmq_message(entry),
                    }
                    for _, _, entry in batch
                ]
                trace_id = next(
                    (e.message.trace_id for _, _, e in batch if e.message.trace_id), None
                ) or self.service.ids.trace_id(self.clock.now())
                ok, _ = await self.pipeline.handle(records, trace_id)
                reader.settle([tag for tag, _, _ in batch], ok)
        finally:
            if reader is not None:
                reader.close()
