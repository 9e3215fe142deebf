"""Reading a RabbitMQ queue for Lambda event source mappings and Pipes, and AWS's record shapes.

A `QueueReader` is a lab-side consumer with a prefetch of one batch; each batch is acked when the
target succeeded and nacked with requeue when it failed (so a quorum queue's `x-delivery-limit`
or the queue's dead-letter exchange decides when a poison message leaves, as on AWS).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .rabbitmq.errors import AmqpError

if TYPE_CHECKING:
    from engine.clock import Clock

    from .rabbitmq.model import Entry
    from .service import MqService

_PROPERTY_NAMES = {
    "content_type": "contentType",
    "content_encoding": "contentEncoding",
    "delivery_mode": "deliveryMode",
    "priority": "priority",
    "correlation_id": "correlationId",
    "reply_to": "replyTo",
    "expiration": "expiration",
    "message_id": "messageId",
    "message_type": "type",
    "user_id": "userId",
    "app_id": "appId",
    "cluster_id": "clusterId",
}


def _header_value(value: Any) -> Any:
    # Lambda hands string (and byte) headers over as {"bytes": [...]}, as its Java poller sees them.
    if isinstance(value, str):
        return {"bytes": list(value.encode())}
    if isinstance(value, bytes):
        return {"bytes": list(value)}
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _header_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_header_value(v) for v in value]
    return value


def rmq_message(entry: Entry) -> dict[str, Any]:
    """One message as Lambda's `rmqMessagesByQueue` lists it (base64 data, basicProperties)."""
    message = entry.message
    properties = message.properties
    basic: dict[str, Any] = {
        name: getattr(properties, attr) for attr, name in _PROPERTY_NAMES.items()
    }
    headers = properties.headers
    basic["headers"] = {k: _header_value(v) for k, v in headers.items()} if headers else None
    stamp = properties.timestamp
    basic["timestamp"] = (
        stamp.astimezone(UTC).strftime("%b %-d, %Y, %-I:%M:%S %p") if stamp is not None else None
    )
    basic["bodySize"] = len(message.body)
    return {
        "basicProperties": basic,
        "redelivered": entry.redelivered,
        "data": base64.b64encode(message.body).decode(),
    }


async def gather_batch(
    wake: asyncio.Event,
    count: Callable[[], int],
    reattach: Callable[[], None],
    clock: Clock,
    size: int,
    window: float,
) -> None:
    """Wait for a first delivery, then up to `window` seconds (engine clock) for `size` of them."""
    while not count():
        wake.clear()
        await wake.wait()
        reattach()
    deadline = clock.now() + window
    while count() < size and clock.now() < deadline:
        wake.clear()
        waiter = asyncio.ensure_future(wake.wait())
        timer = asyncio.ensure_future(clock.sleep_until(deadline))
        try:
            await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            timer.cancel()


def source_key(queue: str, vhost: str) -> str:
    """`queue::vhost`, the key AWS groups messages under."""
    return f"{queue}::{vhost}"


class QueueReader:
    """A lab-side consumer of one queue that hands out batches."""

    def __init__(
        self, mq: MqService, broker: str, queue: str, vhost: str, prefetch: int, tag: str
    ) -> None:
        self.plane = mq.rabbit(broker)
        self.queue_name = queue
        self.vhost_name = vhost
        self.wake = asyncio.Event()
        self.session = self.plane.session(self.wake.set)
        self.session.prefetch_consumer = prefetch
        self.tag = tag
        self.consumer: Any = None

    def attach(self) -> None:
        """Start consuming; ServiceError (ResourceNotFound) when the vhost or queue is missing."""
        if self.consumer is not None and not self.consumer.queue.deleted:
            return
        try:
            queue = self.plane.vhost(self.vhost_name).queue(self.queue_name)
        except AmqpError as error:
            raise ServiceError("ResourceNotFoundException", error.text) from None
        self.consumer = self.session.subscribe(queue, self.tag)
        queue.add_consumer(self.consumer)

    async def batch(self, clock: Clock, size: int, window: float) -> list[tuple[int, Any, Entry]]:
        """Wait for deliveries, then up to `window` seconds (engine clock) to fill `size`."""
        session = self.session
        await gather_batch(self.wake, lambda: len(session.buffer), self.attach, clock, size, window)
        return session.drain(size)

    def settle(self, tags: list[int], ok: bool) -> None:
        """Ack a handled batch; nack (requeue) a failed one."""
        for tag in tags:
            if tag in self.session.unacked:
                if ok:
                    self.session.ack(tag)
                else:
                    self.session.nack(tag, requeue=True)

    def close(self) -> None:
        """Stop consuming and return unacked messages to the queue."""
        self.session.release()
