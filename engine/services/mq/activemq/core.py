"""ActiveMQ's JMS model: queues, topics and their subscriptions, virtual topics, redelivery and the DLQ.

Protocol front ends (STOMP, the lab side) call `send`, `subscribe`, `ack`, `redeliver` and
`close_consumer`; everything a message does is traced on the broker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..rabbitmq.topic import TopicTrie
from .config import DEFAULT_POLICY, DEFAULT_STRATEGY, ActiveConfig, RedeliveryPolicy
from .endpoints import AUTO, DEFAULT_PREFETCH, Consumer, Endpoint
from .model import DLQ, QUEUE, TOPIC, Destination, Message
from .selector import Selector

if TYPE_CHECKING:
    from engine.clock import Timer

    from .broker import ActiveBroker

#: ActiveMQ's default virtual topic consumer queues: `Consumer.<name>.VirtualTopic.<topic>`.
_VIRTUAL_CONSUMER = re.compile(r"Consumer\.[^.]+\.(VirtualTopic\..+)")
_WILDCARDS = frozenset("*>")
#: Where ActiveMQ publishes advisories (consumer added/removed, message expired, DLQ'd).
ADVISORY_PREFIX = "ActiveMQ.Advisory."


_SCHEDULE_PROPERTIES = ("AMQ_SCHEDULED_DELAY", "AMQ_SCHEDULED_PERIOD", "AMQ_SCHEDULED_REPEAT")


def _schedule(properties: dict[str, Any]) -> tuple[int, int, int]:
    """(delay ms, period ms, repeat) from ActiveMQ's scheduling properties (0 when absent)."""
    values = []
    for name in _SCHEDULE_PROPERTIES:
        raw = properties.get(name, 0)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, not '{raw}'") from None
        if value < 0:
            raise ValueError(f"{name} must not be negative")
        values.append(value)
    return values[0], values[1], values[2]


def _trie_pattern(name: str) -> str:
    # ActiveMQ's `>` (the rest of the name) is the trie's `#`; `*` is one word in both.
    return ".".join("#" if word == ">" else word for word in name.split("."))


def topic_matches(pattern: str, name: str) -> bool:
    """Whether a topic name matches a pattern (`*` one word, `>` the rest) — for retained lookups."""
    words, parts = pattern.split("."), name.split(".")
    for index, word in enumerate(words):
        if word == ">":
            return True
        if index >= len(parts) or (word != "*" and word != parts[index]):
            return False
    return len(words) == len(parts)


def is_wildcard(name: str) -> bool:
    """Whether a destination name uses ActiveMQ's wildcards (`*`, `>`)."""
    return any(word in _WILDCARDS for word in name.split("."))


class JmsCore:
    """The destinations of one ActiveMQ broker and the rules that move messages between them."""

    def __init__(self, broker: ActiveBroker) -> None:
        self.broker = broker
        self.clock = broker.clock
        self.queues: dict[str, Endpoint] = {}
        self.topics: dict[str, dict[str, int]] = {}  # name → counters
        self.subscriptions: dict[str, Endpoint] = {}  # subscription id → endpoint
        self.durable: dict[tuple[str, str], Endpoint] = {}
        self._topic_index = TopicTrie()
        self._virtual: dict[str, set[str]] = {}  # VirtualTopic.X → consumer queue names
        #: The broker's configuration revision (redelivery plugin, dead-letter strategies).
        self.config: ActiveConfig | None = None
        self._seq = 0
        self._timers: set[Timer] = set()  # scheduled deliveries (AMQ_SCHEDULED_*)
        #: Destinations that hold dead letters (what fails there is discarded, as in ActiveMQ).
        self.dead_letter_queues: set[Destination] = {Destination(QUEUE, DLQ)}
        #: Messages waiting out a redelivery delay: timer → (endpoint, message).
        self.redelivering: dict[Timer, tuple[Endpoint, Message]] = {}

    def configure(self, config: ActiveConfig | None) -> None:
        """Apply a configuration revision (None: Amazon MQ's defaults)."""
        self.config = config

    def redelivery_policy(self, destination: Destination) -> RedeliveryPolicy:
        """The redelivery plugin's policy for `destination`, else the JMS client default."""
        config = self.config
        found = config.redelivery_policy(destination) if config and config.plugin else None
        return found or DEFAULT_POLICY

    # -- destinations --------------------------------------------------------------------------
    def queue(self, name: str) -> Endpoint:
        """The queue `name`, created on first use (as ActiveMQ does)."""
        found = self.queues.get(name)
        if found is None:
            destination = Destination(QUEUE, name)
            found = self.queues[name] = Endpoint(
                self, self.broker.node_id(destination), destination
            )
            virtual = _VIRTUAL_CONSUMER.fullmatch(name)
            if virtual:
                self._virtual.setdefault(virtual.group(1), set()).add(name)
            self.broker.emit("created", found.node_id, destination=destination.uri)
        return found

    def topic(self, name: str) -> dict[str, int]:
        """The counters of topic `name`, created on first use."""
        found = self.topics.get(name)
        if found is None:
            found = self.topics[name] = {"enqueued": 0, "dispatched": 0}
            self.broker.emit("created", self.broker.node_id(Destination(TOPIC, name)))
        return found

    def delete_queue(self, name: str) -> None:
        """Drop a queue and its messages."""
        queue = self.queues.pop(name, None)
        if queue is None:
            return
        queue.drain()
        self._cancel_redeliveries(queue)
        virtual = _VIRTUAL_CONSUMER.fullmatch(name)
        if virtual:
            self._virtual.get(virtual.group(1), set()).discard(name)

    # -- sending ----------------------------------------------------------------------------------
    def stamp(self, message: Message) -> Message:
        """Give a new message its arrival order and timestamp."""
        self._seq += 1
        message.seq = self._seq
        if not message.timestamp:
            message.timestamp = int(self.clock.now() * 1000)
        return message

    def send(self, destinations: list[Destination], message: Message) -> list[str]:
        """Deliver a message to each destination (a composite sends to all); returns reached ids."""
        for destination in destinations:  # check all first: a composite is sent whole or not at all
            if is_wildcard(destination.name):
                raise ValueError(f"Cannot send to a wildcard destination: {destination.uri}")
        delay, period, repeat = _schedule(message.properties)
        if delay or (period and repeat):
            self._schedule(destinations, message, delay or period, period, repeat)
            return []
        return self._deliver_now(destinations, message)

    def _schedule(
        self, destinations: list[Destination], message: Message, wait: int, period: int, repeat: int
    ) -> None:
        """ActiveMQ's scheduler: deliver after `wait` ms, then `repeat` more times every `period`."""
        for destination in destinations:
            self.broker.emit(
                "scheduled",
                self.broker.node_id(destination),
                message_id=message.id,
                trace_id=message.trace_id,
                delay_ms=wait,
                period_ms=period,
                repeat=repeat,
            )

        def fire(remaining: int) -> None:
            self._timers.discard(timer_box[0])
            self._deliver_now(destinations, message.copy())
            if remaining > 0 and period > 0:
                timer_box[0] = self.clock.call_later(period / 1000, fire, remaining - 1)
                self._timers.add(timer_box[0])

        timer_box = [self.clock.call_later(wait / 1000, fire, repeat)]
        self._timers.add(timer_box[0])

    def _deliver_now(self, destinations: list[Destination], message: Message) -> list[str]:
        self.stamp(message)
        reached: list[str] = []
        for destination in destinations:
            copy = message if len(destinations) == 1 else message.copy(destination)
            copy.destination = destination
            self.broker.emit(
                "sent",
                self.broker.node_id(destination),
                message_id=message.id,
                trace_id=message.trace_id,
                persistent=message.persistent,
                priority=message.priority,
            )
            if destination.kind == QUEUE:
                queue = self.queue(destination.name)
                queue.enqueued += 1
                reached.append(queue.node_id)
                queue.enqueue(copy)
            else:
                reached.extend(self._publish(destination, copy))
        return reached

    def _publish(self, destination: Destination, message: Message) -> list[str]:
        counters = self.topic(destination.name)
        counters["enqueued"] += 1
        reached: list[str] = []
        for subscription in self._topic_index.match(destination.name):
            if subscription.selector is not None and not subscription.selector.matches(message.get):
                continue
            counters["dispatched"] += 1
            subscription.enqueued += 1
            reached.append(subscription.node_id)
            subscription.enqueue(message.copy(destination))
        for name in sorted(self._virtual.get(destination.name, ())):
            queue = self.queues[name]
            queue.enqueued += 1
            reached.append(queue.node_id)
            self.broker.emit(
                "forwarded",
                self.broker.node_id(destination),
                message_id=message.id,
                trace_id=message.trace_id,
                queue=name,
            )
            queue.enqueue(message.copy(queue.destination))
        return reached

    # -- advisories ---------------------------------------------------------------------------------
    def advise(self, kind: str, destination: Destination, properties: dict[str, Any]) -> None:
        """Send an advisory (`ActiveMQ.Advisory.<kind>.Queue.<name>`) if anyone subscribed to it."""
        if destination.name.startswith(ADVISORY_PREFIX):
            return  # advisory topics get no advisories of their own
        name = f"{ADVISORY_PREFIX}{kind}.{destination.kind.capitalize()}.{destination.name}"
        if not self._topic_index.match(name):
            return  # nobody listens: nothing is built (as the trace does)
        advisory = Message(
            self.broker.next_message_id(),
            Destination(TOPIC, name),
            b"",
            {"originBrokerName": self.broker.name, **properties},
            type="Advisory",
        )
        self._deliver_now([advisory.destination], advisory)

    def _consumer_count(self, destination: Destination) -> int:
        if destination.kind == QUEUE:
            queue = self.queues.get(destination.name)
            return len(queue.consumers) if queue else 0
        return sum(
            len(s.consumers) for s in self.subscriptions.values() if s.destination == destination
        )

    # -- consuming ----------------------------------------------------------------------------------
    def subscribe(
        self,
        destination: Destination,
        consumer_id: str,
        deliver: Callable[[Consumer, Message], None],
        *,
        ack_mode: str = AUTO,
        prefetch: int = DEFAULT_PREFETCH,
        selector: Selector | None = None,
        durable: tuple[str, str] | None = None,
    ) -> Consumer:
        """Attach a consumer to a queue, or open a (durable) subscription on a topic."""
        if destination.kind == QUEUE:
            if is_wildcard(destination.name):
                raise ValueError("Wildcard queue consumers are not emulated; use a topic")
            consumer = Consumer(
                consumer_id, deliver, ack_mode=ack_mode, prefetch=prefetch, selector=selector
            )
            queue = self.queue(destination.name)
            self.broker.emit(
                "consumer-added",
                queue.node_id,
                consumer=consumer_id,
                selector=selector.text if selector else None,
            )
            queue.add_consumer(consumer)
            self.advise("Consumer", destination, {"consumerCount": len(queue.consumers)})
            return consumer
        consumer = Consumer(consumer_id, deliver, ack_mode=ack_mode, prefetch=prefetch)
        endpoint = self.durable.get(durable) if durable else None
        if endpoint is not None and endpoint.consumers:
            raise ValueError(
                f"Durable consumer is in use for client: {durable[0]} and subscriptionName: "
                f"{durable[1]}"
            )
        if (
            endpoint is None
            or endpoint.destination != destination
            or (
                (endpoint.selector.text if endpoint.selector else None)
                != (selector.text if selector else None)
            )
        ):
            if endpoint is not None:  # a changed durable subscription starts afresh, as in JMS
                self.unsubscribe_durable(*durable)  # type: ignore[misc]
            if not is_wildcard(destination.name):
                self.topic(destination.name)
            sub_id = f"{durable[0]}:{durable[1]}" if durable else consumer_id
            endpoint = Endpoint(
                self,
                f"{self.broker.node_id(destination)}/subscription/{sub_id}",
                destination,
                selector=selector,
                durable=durable[1] if durable else None,
            )
            self.subscriptions[sub_id] = endpoint
            self._topic_index.add(_trie_pattern(destination.name), endpoint)
            if durable:
                self.durable[durable] = endpoint
        self.broker.emit(
            "consumer-added",
            endpoint.node_id,
            consumer=consumer_id,
            selector=selector.text if selector else None,
            durable=durable[1] if durable else None,
        )
        endpoint.add_consumer(consumer)
        self.advise("Consumer", destination, {"consumerCount": self._consumer_count(destination)})
        return consumer

    def close_consumer(self, consumer: Consumer) -> None:
        """A consumer goes: unacked messages are redelivered; a non-durable subscription ends."""
        endpoint = consumer.endpoint
        if endpoint is None:
            return
        held = endpoint.remove_consumer(consumer)
        consumer.endpoint = None
        self.broker.emit("consumer-removed", endpoint.node_id, consumer=consumer.id)
        if endpoint.destination.kind == TOPIC and endpoint.durable is None:
            self._drop_subscription(endpoint)
            self.advise(
                "Consumer",
                endpoint.destination,
                {"consumerCount": self._consumer_count(endpoint.destination)},
            )
            return
        self.advise(
            "Consumer",
            endpoint.destination,
            {"consumerCount": self._consumer_count(endpoint.destination)},
        )
        for message in held:
            # The broker redelivers; only a JMS client counts against maximumRedeliveries.
            self._redeliver_message(endpoint, message, "consumer closed", limited=False)
        endpoint.dispatch()

    def unsubscribe_durable(self, client_id: str, name: str) -> bool:
        """Remove a durable subscription and its messages."""
        endpoint = self.durable.pop((client_id, name), None)
        if endpoint is None:
            return False
        for consumer in list(endpoint.consumers):
            endpoint.remove_consumer(consumer)
            consumer.endpoint = None
        self._drop_subscription(endpoint)
        return True

    def _cancel_redeliveries(self, endpoint: Endpoint) -> None:
        """Forget the delayed redeliveries of an endpoint that is going away."""
        for timer, (owner, _) in list(self.redelivering.items()):
            if owner is endpoint:
                timer.cancel()
                del self.redelivering[timer]
        endpoint.redelivering = 0

    def _drop_subscription(self, endpoint: Endpoint) -> None:
        endpoint.drain()
        self._cancel_redeliveries(endpoint)
        self._topic_index.remove(_trie_pattern(endpoint.destination.name), endpoint)
        for key, found in list(self.subscriptions.items()):
            if found is endpoint:
                del self.subscriptions[key]
        self.broker.emit("deleted", endpoint.node_id)

    # -- settlement ----------------------------------------------------------------------------------
    def ack(self, consumer: Consumer, message_id: str) -> list[Message]:
        """ACK: client mode acknowledges everything up to `message_id`, individual mode just it."""
        endpoint = consumer.endpoint
        if endpoint is None:
            return []
        acked = endpoint.ack(consumer, message_id, cumulative=consumer.ack_mode == "client")
        for message in acked:
            self.broker.emit(
                "acked",
                endpoint.node_id,
                message_id=message.id,
                trace_id=message.trace_id,
                consumer=consumer.id,
            )
        return acked

    def redeliver(
        self, consumer: Consumer, message_id: str, reason: str = "rollback", *, limited: bool = True
    ) -> bool:
        """A rollback: the message returns for redelivery, or (when the consumer applies the
        redelivery policy, as JMS clients and Lambda's poller do) goes to the DLQ after the limit."""
        endpoint = consumer.endpoint
        if endpoint is None:
            return False
        message = endpoint.take_back(consumer, message_id)
        if message is None:
            return False
        self._redeliver_message(endpoint, message, reason, limited=limited)
        return True

    def poison(self, consumer: Consumer, message_id: str) -> bool:
        """A poison ack (what ActiveMQ makes of a STOMP NACK): straight to the DLQ, unless the
        configuration's redelivery plugin has a policy for the destination (then redelivered)."""
        endpoint = consumer.endpoint
        if endpoint is None:
            return False
        message = endpoint.take_back(consumer, message_id)
        if message is None:
            return False
        self.broker.emit(
            "nacked", endpoint.node_id, message_id=message.id, trace_id=message.trace_id
        )
        config = self.config
        if config and config.plugin and config.redelivery_policy(message.destination):
            self._redeliver_message(endpoint, message, "poison ack (NACK)")
            return True
        if config and config.plugin and not config.fallback_to_dead_letter:
            self._discard(endpoint, message, "no redelivery policy and fallbackToDeadLetter=false")
        else:
            self.dead_letter(endpoint, message, "Poison ack (NACK) from the consumer")
        endpoint.dispatch()  # the consumer has room again
        return True

    def _redeliver_message(
        self, endpoint: Endpoint, message: Message, reason: str, *, limited: bool = True
    ) -> None:
        message.redeliveries += 1
        delay_ms = 0
        if limited:
            policy = self.redelivery_policy(message.destination)
            if policy.exhausted(message.redeliveries):
                cause = (
                    f"Delivery[{message.redeliveries}] exceeds redelivery policy limit:"
                    f"RedeliveryPolicy {{maximumRedeliveries = {policy.maximum_redeliveries}}}"
                )
                config = self.config
                if config and config.plugin and not config.send_to_dlq_if_exhausted:
                    self._discard(
                        endpoint, message, f"{cause} (sendToDlqIfMaxRetriesExceeded=false)"
                    )
                else:
                    self.dead_letter(endpoint, message, cause)
                endpoint.dispatch()  # the consumer has room again
                return
            delay_ms = policy.delay_ms_for(message.redeliveries)
        self.broker.emit(
            "redelivered",
            endpoint.node_id,
            message_id=message.id,
            trace_id=message.trace_id,
            redeliveries=message.redeliveries,
            reason=reason,
            delay_ms=delay_ms,
        )
        if delay_ms <= 0:
            endpoint.enqueue(message)
            return
        # The redelivery delay runs on the engine clock; the consumer may take others meanwhile.
        endpoint.redelivering += 1
        timer_box: list[Timer] = []

        def due() -> None:
            self.redelivering.pop(timer_box[0], None)
            endpoint.redelivering -= 1
            endpoint.enqueue(message)

        timer_box.append(self.clock.call_later(delay_ms / 1000, due))
        self.redelivering[timer_box[0]] = (endpoint, message)
        endpoint.dispatch()

    def _discard(self, endpoint: Endpoint, message: Message, reason: str) -> None:
        endpoint.dequeued += 1
        self.broker.emit(
            "discarded",
            endpoint.node_id,
            message_id=message.id,
            trace_id=message.trace_id,
            reason=reason,
        )

    def expire(self, endpoint: Endpoint, message: Message) -> None:
        """A message's JMSExpiration passed before delivery."""
        self.broker.emit("expired", endpoint.node_id, message_id=message.id)
        # ActiveMQ's misspelt property names (AdvisorySupport) are what clients read.
        self.advise("Expired", message.destination, {"orignalMessageId": message.id})
        self.dead_letter(endpoint, message, "Message expired", expired=True)

    def dead_letter(
        self, endpoint: Endpoint, message: Message, cause: str, *, expired: bool = False
    ) -> None:
        """Move a message to its dead-letter destination by the destination's strategy (the
        shared ActiveMQ.DLQ by default; non-persistent ones are discarded unless
        processNonPersistent, expired ones kept unless processExpired=false)."""
        config = self.config
        strategy = config.dead_letter_strategy(message.destination) if config else DEFAULT_STRATEGY
        if expired and not strategy.process_expired:
            self._discard(endpoint, message, f"{cause} (processExpired=false)")
            return
        if not message.persistent and not strategy.process_non_persistent:
            self._discard(
                endpoint, message, f"{cause} (non-persistent messages are not sent to the DLQ)"
            )
            return
        target = strategy.dead_letter_destination(message.destination)
        if endpoint.destination == target or endpoint.destination in self.dead_letter_queues:
            self._discard(endpoint, message, cause)  # a dead letter's own DLQ: nowhere further
            return
        self.dead_letter_queues.add(target)
        endpoint.dequeued += 1
        dead = message.copy(target)
        dead.properties["originalDestination"] = message.destination.uri
        dead.properties["dlqDeliveryFailureCause"] = cause
        dead.expiration = 0
        self.broker.emit(
            "dead-lettered",
            endpoint.node_id,
            message_id=message.id,
            trace_id=message.trace_id,
            dlq=target.name,
            cause=cause,
        )
        if target.kind == QUEUE:
            dlq = self.queue(target.name)
            dlq.enqueued += 1
            dlq.enqueue(dead)
        else:
            self._publish(target, dead)
        self.advise(
            "MessageDLQd",
            message.destination,
            {"orignalMessageId": message.id, "dlqDeliveryFailureCause": cause},
        )

    def dispatched(self, endpoint: Endpoint, consumer: Consumer, message: Message) -> None:
        """Trace one dispatch (called by the endpoint)."""
        broker = self.broker
        if broker.trace.enabled:
            broker.emit(
                "dispatched",
                endpoint.node_id,
                message_id=message.id,
                trace_id=message.trace_id,
                consumer=consumer.id,
                redelivered=message.redeliveries > 0,
            )

    def close(self) -> None:
        """Free every message (the broker was deleted)."""
        for queue in self.queues.values():
            queue.drain()
        for subscription in self.subscriptions.values():
            subscription.drain()
        self.queues.clear()
        self.subscriptions.clear()
        self.durable.clear()
        self._virtual.clear()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for timer in self.redelivering:
            timer.cancel()
        self.redelivering.clear()

    def stats(self) -> dict[str, Any]:
        """Totals for the broker node."""
        return {
            "queues": len(self.queues),
            "topics": len(self.topics),
            "subscriptions": len(self.subscriptions),
        }
