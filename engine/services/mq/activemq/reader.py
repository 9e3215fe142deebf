"""Reading an ActiveMQ queue for Lambda event source mappings, and AWS's `aws:mq` message shape.

An `ActiveReader` is a lab-side client-individual consumer with a prefetch of one batch. A handled
batch is acknowledged; a failed one is returned for redelivery, so the broker's redelivery policy
(6 redeliveries) and `ActiveMQ.DLQ` decide when a poison message leaves, as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from ..reader import gather_batch
from .endpoints import INDIVIDUAL, Consumer
from .model import Message

if TYPE_CHECKING:
    from engine.clock import Clock

    from .broker import ActiveBroker


def amq_message(message: Message, now_ms: int) -> dict[str, Any]:
    """One message as Lambda's `aws:mq` event lists it (base64 data, JMS headers, properties)."""
    return {
        "messageID": message.id,
        "messageType": "jms/text-message" if message.text else "jms/bytes-message",
        "deliveryMode": 2 if message.persistent else 1,
        "replyTo": message.reply_to,
        "type": message.type,
        "expiration": str(message.expiration),
        "priority": message.priority,
        "correlationId": message.correlation_id,
        "redelivered": message.redeliveries > 0,
        "destination": {"physicalName": message.destination.name},
        "data": base64.b64encode(message.body).decode(),
        "timestamp": message.timestamp,
        "brokerInTime": message.timestamp,
        "brokerOutTime": now_ms,
        "properties": {k: str(v) for k, v in message.properties.items()},
    }


class ActiveReader:
    """A lab-side consumer of one ActiveMQ queue that hands out batches."""

    def __init__(self, broker: ActiveBroker, queue: str, prefetch: int) -> None:
        self.broker = broker
        self.queue = queue
        self.prefetch = prefetch
        self.wake = asyncio.Event()
        self.buffer: list[Message] = []
        self.consumer: Consumer | None = None

    def attach(self) -> None:
        """Start consuming (ActiveMQ creates the queue on first use)."""
        if self.consumer is not None and self.consumer.endpoint is not None:
            return
        if self.broker.stomp is None or self.broker.stomp.closed:
            raise ServiceError("ResourceNotFoundException", "The broker was deleted.")
        self.consumer = self.broker.subscribe(
            self.queue, self._arrived, ack_mode=INDIVIDUAL, prefetch=self.prefetch
        )

    def _arrived(self, consumer: Consumer, message: Message) -> None:
        self.buffer.append(message)
        self.wake.set()

    async def batch(self, clock: Clock, size: int, window: float) -> list[Message]:
        """Wait for deliveries, then up to `window` seconds (engine clock) to fill `size`."""
        await gather_batch(self.wake, lambda: len(self.buffer), self.attach, clock, size, window)
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def settle(self, messages: list[Message], ok: bool) -> None:
        """Acknowledge a handled batch; return a failed one for redelivery."""
        consumer = self.consumer
        if consumer is None:
            return
        core = self.broker.core
        for message in messages:
            if ok:
                core.ack(consumer, message.id)
            else:
                core.redeliver(consumer, message.id, "function error")

    def close(self) -> None:
        """Stop consuming; unacknowledged messages are redelivered to other consumers."""
        if self.consumer is not None:
            self.broker.core.close_consumer(self.consumer)
            self.consumer = None
        self.buffer.clear()
