"""Enhanced fan-out: registered consumers and SubscribeToShard's five-minute event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import in_use, invalid, limit_exceeded
from .lag import ENHANCED_FAN_OUT
from .shard import SEQUENCE_BASE, SHARD_SLOTS, Shard, sequence_text
from .stream import Consumer, Stream

if TYPE_CHECKING:
    from .service import KinesisService

MAX_CONSUMERS_PER_STREAM = 20
#: A subscription lasts five minutes; an event arrives at least every five seconds.
SUBSCRIPTION_SECONDS = 300.0
HEARTBEAT_SECONDS = 5.0
#: A second SubscribeToShard for the same consumer and shard within 5 s is refused.
RESUBSCRIBE_SECONDS = 5.0
EVENT_RECORD_LIMIT = 10_000


class FanOut:
    """Consumer registration and shard subscriptions."""

    def __init__(self, service: KinesisService) -> None:
        self.service = service
        self._subscribed_at: dict[tuple[str, int], float] = {}

    def consumer_by_arn(self, arn: str) -> tuple[Stream, Consumer]:
        stream_arn, _, rest = arn.partition("/consumer/")
        name = rest.rsplit(":", 1)[0]
        stream = (
            self.service.control_api.requested_stream({"StreamARN": stream_arn}) if rest else None
        )
        consumer = stream.consumers.get(name) if stream else None
        if stream is None or consumer is None or consumer.arn != arn:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Consumer {arn} under account {self.service.account_id} not found.",
            )
        return stream, consumer

    def _consumer(self, params: dict) -> tuple[Stream, Consumer]:
        if "ConsumerARN" in params:
            return self.consumer_by_arn(params["ConsumerARN"])
        if "StreamARN" not in params or "ConsumerName" not in params:
            raise invalid("Either ConsumerARN or both StreamARN and ConsumerName must be given.")
        stream = self.service.control_api.requested_stream({"StreamARN": params["StreamARN"]})
        consumer = stream.consumers.get(params["ConsumerName"])
        if consumer is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Consumer {params['ConsumerName']} under stream {stream.name} under account "
                f"{self.service.account_id} not found.",
            )
        return stream, consumer

    def _consumer_dict(self, consumer: Consumer) -> dict[str, Any]:
        return {
            "ConsumerName": consumer.name,
            "ConsumerARN": consumer.arn,
            "ConsumerStatus": consumer.status,
            "ConsumerCreationTimestamp": self.service.when(consumer.created),
        }

    def register_stream_consumer(self, params: dict) -> dict:
        """RegisterStreamConsumer: an enhanced fan-out consumer (ACTIVE at once in the lab)."""
        stream = self.service.control_api.requested_stream({"StreamARN": params["StreamARN"]})
        name = params["ConsumerName"]
        if name in stream.consumers:
            raise in_use(
                f"Consumer {name} under stream {stream.name} under account {self.service.account_id} "
                "already exists."
            )
        if len(stream.consumers) >= MAX_CONSUMERS_PER_STREAM:
            raise limit_exceeded(
                f"Stream {stream.name} under account {self.service.account_id} already has "
                f"{MAX_CONSUMERS_PER_STREAM} registered consumers."
            )
        now = self.service.clock.now()
        consumer = Consumer(name, f"{stream.arn}/consumer/{name}:{int(now)}", now)
        consumer.tags.update(params.get("Tags", {}))
        stream.consumers[name] = consumer
        self.service.emit("created", consumer.arn, consumer=name)
        return {"Consumer": self._consumer_dict(consumer)}

    def deregister_stream_consumer(self, params: dict) -> dict:
        """DeregisterStreamConsumer: remove a consumer and its subscriptions."""
        stream, consumer = self._consumer(params)
        del stream.consumers[consumer.name]
        stream.lag.forget(consumer.arn)
        self.service.emit("deleted", consumer.arn)
        return {}

    def describe_stream_consumer(self, params: dict) -> dict:
        """DescribeStreamConsumer: one consumer, with its stream's ARN."""
        stream, consumer = self._consumer(params)
        return {"ConsumerDescription": {**self._consumer_dict(consumer), "StreamARN": stream.arn}}

    def list_stream_consumers(self, params: dict) -> dict:
        """ListStreamConsumers: a page of the stream's consumers in name order."""
        stream = self.service.control_api.requested_stream({"StreamARN": params["StreamARN"]})
        names = sorted(stream.consumers)
        if "NextToken" in params:
            names = [
                n
                for n in names
                if n > self.service.control_api.read_token(params["NextToken"], "consumers")
            ]
        limit = params.get("MaxResults", 100)
        page = names[:limit]
        out: dict[str, Any] = {
            "Consumers": [self._consumer_dict(stream.consumers[n]) for n in page]
        }
        if len(names) > limit:
            out["NextToken"] = self.service.control_api.make_token("consumers", page[-1])
        return out

    def subscribe_to_shard(self, params: dict) -> dict:
        """SubscribeToShard: an async iterable of {"SubscribeToShardEvent": {...}} for 5 minutes."""
        stream, consumer = self.consumer_by_arn(params["ConsumerARN"])
        shard = self.service.control_api.find_shard(stream, params["ShardId"])
        start = params["StartingPosition"]
        position = self.service.records_api.start_position(
            stream,
            shard,
            start["Type"],
            start.get("SequenceNumber"),
            start.get("Timestamp"),
            "SubscribeToShard",
        )
        now = self.service.clock.now()
        key = (consumer.arn, shard.index)
        last = self._subscribed_at.get(key)
        if last is not None and now - last < RESUBSCRIBE_SECONDS:
            raise in_use(
                f"Another active subscription exists for consumer {consumer.arn} on shard "
                f"{shard.shard_id}."
            )
        self._subscribed_at[key] = now
        stream.lag.move(consumer.arn, ENHANCED_FAN_OUT, shard.index, position, now)
        return {
            "EventStream": ShardSubscription(self.service, stream, shard, consumer, position, now)
        }


class ShardSubscription:
    """The event stream of one SubscribeToShard call: iterate it with `async for`.

    Each item is `{"SubscribeToShardEvent": {"Records", "ContinuationSequenceNumber",
    "MillisBehindLatest", "ChildShards"?}}`, as boto3's EventStream yields. It ends after five
    minutes on the engine clock, at the end of a closed shard, or when the consumer goes away.
    """

    def __init__(
        self,
        service: KinesisService,
        stream: Stream,
        shard: Shard,
        consumer: Consumer,
        position: int,
        now: float,
    ) -> None:
        self._service = service
        self.requested_stream = stream
        self.find_shard = shard
        self._consumer = consumer
        self._position = position
        self._deadline = now + SUBSCRIPTION_SECONDS
        self._wake = asyncio.Event()
        self._finished = False
        self._sent_any = False
        self._continuation = self._initial_continuation(position)
        stream.listeners.append(self._on_put)

    def _initial_continuation(self, position: int) -> str:
        shard = self.find_shard
        counter = (position - SEQUENCE_BASE) // SHARD_SLOTS if position > SEQUENCE_BASE else 0
        return sequence_text(max(shard.starting_sequence, counter - 1), shard.index)

    def _on_put(self, stream: Stream, shard: Shard) -> None:
        if self._service.clock.now() >= self._deadline:
            self.close()  # expired without being read to the end: stop listening
        elif shard is self.find_shard:
            self._wake.set()

    def __aiter__(self) -> AsyncIterator[dict]:
        return self

    def close(self) -> None:
        """End the subscription early."""
        if not self._finished:
            self._finished = True
            if self._on_put in self.requested_stream.listeners:
                self.requested_stream.listeners.remove(self._on_put)

    def _live(self) -> bool:
        service, stream = self._service, self.requested_stream
        return (
            not self._finished
            and service.streams.get(stream.name) is stream
            and stream.consumers.get(self._consumer.name) is self._consumer
            and service.clock.now() < self._deadline
        )

    async def __anext__(self) -> dict:
        clock = self._service.clock
        while True:
            if not self._live():
                self.close()
                raise StopAsyncIteration
            event = self._event()
            if event is not None:
                return event
            self._wake.clear()
            wait = min(HEARTBEAT_SECONDS, self._deadline - clock.now())
            try:
                await clock.timeout(wait, self._wake.wait())
            except TimeoutError:
                heartbeat = self._event(heartbeat=True) if self._live() else None
                if heartbeat is not None:
                    return heartbeat

    def _event(self, *, heartbeat: bool = False) -> dict | None:
        """The next event if there are records, the shard ended, or a heartbeat is due."""
        service, stream, shard = self._service, self.requested_stream, self.find_shard
        records, next_position, end, _ = service.read(
            stream, shard, self._position, EVENT_RECORD_LIMIT
        )
        at_end = end >= len(shard.sequences)
        done = at_end and not shard.is_open
        if not records and not done and not heartbeat and self._sent_any:
            return None
        now = service.clock.now()
        self._sent_any = True
        self._position = next_position
        if records:
            self._continuation = records[-1]["SequenceNumber"]
        body: dict[str, Any] = {
            "Records": records,
            "ContinuationSequenceNumber": self._continuation,
            "MillisBehindLatest": 0 if at_end else max(0, int((now - shard.arrivals[end]) * 1000)),
        }
        if done:
            body["ChildShards"] = stream.child_shards(shard)
            self._finished = True
        stream.lag.move(self._consumer.arn, ENHANCED_FAN_OUT, shard.index, next_position, now)
        stream.lag.sample(stream, now)
        if records:
            service.emit(
                "received",
                stream.arn,
                shard=shard.shard_id,
                count=len(records),
                consumer=self._consumer.arn,
            )
        return {"SubscribeToShardEvent": body}
