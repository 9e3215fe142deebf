"""Lambda event source mappings from an Amazon MQ queue: RabbitMQ (`aws:rmq`) and ActiveMQ (`aws:mq`).

`MqPoller` is registered in Lambda's poller registry for source ARNs of service `mq` and becomes
the poller of the broker's engine. The mapping names one queue (`Queues`) and its credentials
(`SourceAccessConfigurations`: BASIC_AUTH, and for RabbitMQ an optional VIRTUAL_HOST). RabbitMQ
events group messages by `queue::vhost` in `rmqMessagesByQueue`; ActiveMQ events list `messages`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import ServiceError
from engine.services.awslambda.esm import EventSourceMapping, EventSourcePoller, validation

from .activemq.reader import ActiveReader, amq_message
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


def _engine_type(service: LambdaService, arn: str) -> str | None:
    mq: Any = service.engine.service("mq")
    try:
        return mq.brokers.get(arn).spec.engine_type
    except ServiceError:
        return None


class MqPoller(EventSourcePoller, ABC):
    """An Amazon MQ source: becomes the RabbitMQ or ActiveMQ poller of the mapping's broker."""

    default_batch_size: ClassVar[int] = 100
    max_batch_size: ClassVar[int] = 10_000

    def __new__(cls, service: LambdaService, mapping: EventSourceMapping) -> MqPoller:
        if cls is MqPoller:
            engine = _engine_type(service, mapping.source_arn)
            cls = ActivePoller if engine == "ACTIVEMQ" else RabbitPoller
        return super().__new__(cls)

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.task: asyncio.Task | None = None

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
        if record.spec.engine_type == "ACTIVEMQ" and any(
            a.get("Type") == "VIRTUAL_HOST" for a in accesses
        ):
            raise validation("VIRTUAL_HOST applies to RabbitMQ brokers only.")
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
        self.release()

    def release(self) -> None:
        """Stop consuming (unacknowledged messages return to the queue)."""

    @abstractmethod
    async def _run(self) -> None:
        """Consume the mapping's queue and invoke the function (per engine type)."""


class RabbitPoller(MqPoller):
    """Consumes one queue of one RabbitMQ broker for one mapping."""

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.reader: QueueReader | None = None

    def release(self) -> None:
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


class ActivePoller(MqPoller):
    """Consumes one queue of one ActiveMQ broker for one mapping (`eventSource: aws:mq`)."""

    def __init__(self, service: LambdaService, mapping: EventSourceMapping) -> None:
        super().__init__(service, mapping)
        self.reader: ActiveReader | None = None

    def release(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    async def _run(self) -> None:
        mapping = self.mapping
        queue = mapping.params["Queues"][0]
        while True:
            try:
                if self.reader is None:
                    mq: Any = self.service.engine.service("mq")
                    self.reader = ActiveReader(
                        mq.activemq(mapping.source_arn), queue, mapping.batch_size
                    )
                self.reader.attach()
            except ServiceError as error:
                mapping.last_result = f"PROBLEM: {error.message}"[:200]
                self.reader = None
                await self.clock.sleep(RETRY_SECONDS)
                continue
            reader = self.reader
            batch = await reader.batch(
                self.clock, mapping.batch_size, mapping.batching_window or 0.5
            )
            if not batch:
                continue
            now_ms = int(self.clock.now() * 1000)
            event = {
                "eventSource": "aws:mq",
                "eventSourceArn": mapping.source_arn,
                "messages": [amq_message(message, now_ms) for message in batch],
            }
            trace_id = next((m.trace_id for m in batch if m.trace_id), None)
            mapping.records += len(batch)
            try:
                result = await self.invoke(event, trace_id=trace_id)
            except ServiceError:
                reader.settle(batch, ok=False)
                await self.clock.sleep(1.0)
                continue
            reader.settle(batch, ok=not result.function_error)
