"""Lambda event source mappings from a RabbitMQ queue (`eventSource: aws:rmq`).

Registered in Lambda's poller registry for source ARNs of service `mq`. The mapping names one
queue (`Queues`) and its credentials (`SourceAccessConfigurations`: BASIC_AUTH, optional
VIRTUAL_HOST); events group messages by `queue::vhost` in `rmqMessagesByQueue`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError
from engine.services.awslambda.esm import EventSourceMapping, EventSourcePoller, validation

from .reader import QueueReader, rmq_message, source_key

if TYPE_CHECKING:
    from engine.services.awslambda.service import LambdaService

#: Seconds before retrying a queue that does not exist (yet).
RETRY_SECONDS = 10.0


def _vhost(params: dict) -> str:
    for access in params.get("SourceAccessConfigurations") or []:
        if access.get("Type") == "VIRTUAL_HOST":
            return access.get("URI") or "/"
    return "/"


class RabbitPoller(EventSourcePoller):
    """Consumes one queue of one broker for one mapping."""

    default_batch_size: ClassVar[int] = 100
    max_batch_size: ClassVar[int] = 10_000

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.task: asyncio.Task | None = None
        self.reader: QueueReader | None = None

    @classmethod
    def validate(cls, service: LambdaService, params: dict, function_timeout: int) -> dict:
        """Queues (exactly one) and BASIC_AUTH are required; the broker must exist."""
        queues = params.get("Queues") or []
        if len(queues) != 1:
            raise validation("Queues must contain exactly one queue name for an Amazon MQ source.")
        accesses = params.get("SourceAccessConfigurations") or []
        if not any(a.get("Type") == "BASIC_AUTH" for a in accesses):
            raise validation(
                "SourceAccessConfigurations must include BASIC_AUTH (the ARN of a Secrets Manager "
                "secret holding the broker credentials)."
            )
        for name in ("StartingPosition", "ParallelizationFactor", "BisectBatchOnFunctionError"):
            if name in params:
                raise validation(f"Unsupported {name} for Amazon MQ event source.")
        mq: Any = service.engine.service("mq")
        try:
            record = mq.brokers.get(params["EventSourceArn"])
        except ServiceError:
            raise validation(f"Broker {params['EventSourceArn']} does not exist.") from None
        if record.spec.engine_type != "RABBITMQ":
            raise validation("The lab's Amazon MQ event sources are RabbitMQ brokers.")
        return {
            "Queues": list(queues),
            "SourceAccessConfigurations": [dict(a) for a in accesses],
        }

    @classmethod
    def describe(cls, mapping: EventSourceMapping) -> dict:
        return {
            "Queues": list(mapping.params.get("Queues", [])),
            "SourceAccessConfigurations": [
                dict(a) for a in mapping.params.get("SourceAccessConfigurations", [])
            ],
        }

    def start(self) -> None:
        if self.task is None:
            self.task = self.service.engine.spawn(
                self._run(), name=f"lambda-esm:{self.mapping.uuid}"
            )

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    async def _run(self) -> None:
        mapping = self.mapping
        queue = mapping.params["Queues"][0]
        vhost = _vhost(mapping.params)
        key = source_key(queue, vhost)
        while True:
            try:
                if self.reader is None:
                    self.reader = QueueReader(
                        self.service.engine.service("mq"),
                        mapping.source_arn,
                        queue,
                        vhost,
                        mapping.batch_size,
                        f"lambda-esm-{mapping.uuid}",
                    )
                self.reader.attach()
            except ServiceError as error:
                mapping.last_result = f"PROBLEM: {error.message}"[:200]
                await self.clock.sleep(RETRY_SECONDS)
                continue
            reader = self.reader
            batch = await reader.batch(
                self.clock, mapping.batch_size, mapping.batching_window or 0.5
            )
            if not batch:
                continue
            messages = [rmq_message(entry) for _, _, entry in batch]
            event = {
                "eventSource": "aws:rmq",
                "eventSourceArn": mapping.source_arn,
                "rmqMessagesByQueue": {key: messages},
            }
            trace_id = next((e.message.trace_id for _, _, e in batch if e.message.trace_id), None)
            mapping.records += len(batch)
            tags = [tag for tag, _, _ in batch]
            try:
                result = await self.invoke(event, trace_id=trace_id)
            except ServiceError:
                reader.settle(tags, ok=False)
                await self.clock.sleep(1.0)
                continue
            reader.settle(tags, ok=not result.function_error)
