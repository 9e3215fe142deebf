"""A virtual host: its exchanges, queues and bindings, routing, and dead-lettering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pamqp.commands import Basic

from .errors import AmqpError, access_refused, check_name, not_found, precondition
from .exchanges import EXCHANGE_CLASSES, DirectExchange, Exchange
from .model import Binding, Entry, Message
from .queues import Queue

if TYPE_CHECKING:
    from .broker import RabbitBroker

#: The exchanges every vhost starts with (RabbitMQ's `amq.*` set, less the trace exchange).
PREDECLARED = {
    "amq.direct": "direct",
    "amq.fanout": "fanout",
    "amq.topic": "topic",
    "amq.headers": "headers",
    "amq.match": "headers",
}


def _flag(value: bool) -> str:
    return "true" if value else "false"


class Route:
    """Where one publish went: the queues and the bindings that matched (for the trace)."""

    __slots__ = ("bindings", "queues")

    def __init__(self) -> None:
        self.queues: dict[str, Queue] = {}
        self.bindings: list[Binding] = []


class VirtualHost:
    """One vhost of a broker."""

    def __init__(self, broker: RabbitBroker, name: str) -> None:
        self.broker = broker
        self.name = name
        self.clock = broker.clock
        self.exchanges: dict[str, Exchange] = {}
        self.queues: dict[str, Queue] = {}
        # Bindings whose destination is each queue/exchange, so deleting it unbinds in O(its bindings).
        self._inbound: dict[tuple[str, str], dict[tuple, Binding]] = {}
        self.exchanges[""] = DirectExchange("", durable=True)
        for name_, kind in PREDECLARED.items():
            self.exchanges[name_] = EXCHANGE_CLASSES[kind](name_, durable=True)

    # -- exchanges ------------------------------------------------------------------------
    def exchange(self, name: str) -> Exchange:
        """The exchange `name`; 404 when absent."""
        found = self.exchanges.get(name)
        if found is None:
            raise not_found("exchange", name, self.name)
        return found

    def declare_exchange(
        self,
        name: str,
        kind: str,
        *,
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> Exchange:
        """exchange.declare with RabbitMQ's checks (reserved names, equivalence, type)."""
        if passive:
            return self.exchange(name)
        if name == "" or (name.startswith("amq.") and name not in self.exchanges):
            if name == "":
                raise access_refused("operation not permitted on the default exchange")
            raise access_refused(f"exchange name '{name}' contains reserved prefix 'amq.*'")
        existing = self.exchanges.get(name)
        if existing is None:
            check_name("exchange", name)
        if existing is not None:
            if existing.type != kind:
                raise precondition(
                    f"inequivalent arg 'type' for exchange '{name}' in vhost '{self.name}': "
                    f"received '{kind}' but current is '{existing.type}'"
                )
            for label, given, current in (
                ("durable", durable, existing.durable),
                ("auto_delete", auto_delete, existing.auto_delete),
                ("internal", internal, existing.internal),
            ):
                if given != current:
                    raise precondition(
                        f"inequivalent arg '{label}' for exchange '{name}' in vhost '{self.name}': "
                        f"received '{_flag(given)}' but current is '{_flag(current)}'"
                    )
            given_args = {k: _plain(v) for k, v in (arguments or {}).items()}
            current_args = {k: _plain(v) for k, v in existing.arguments.items()}
            if given_args != current_args:
                raise precondition(
                    f"inequivalent arg 'arguments' for exchange '{name}' in vhost '{self.name}': "
                    f"received {given_args or 'none'} but current is {current_args or 'none'}"
                )
            return existing
        cls = EXCHANGE_CLASSES.get(kind)
        if cls is None:
            raise AmqpError(503, f"unknown exchange type '{kind}'")
        exchange = cls(
            name, durable=durable, auto_delete=auto_delete, internal=internal, arguments=arguments
        )
        self.exchanges[name] = exchange
        self.broker.emit("created", self.broker.exchange_id(self.name, name), type=kind)
        return exchange

    def delete_exchange(self, name: str, *, if_unused: bool = False) -> None:
        """exchange.delete (deleting an absent exchange is fine, as in RabbitMQ)."""
        if name == "" or name in PREDECLARED:
            raise access_refused(f"operation not permitted on exchange '{name or 'amq.default'}'")
        exchange = self.exchanges.get(name)
        if exchange is None:
            return
        if if_unused and exchange.bindings:
            raise precondition(f"exchange '{name}' in vhost '{self.name}' in use")
        for binding in list(exchange.bindings.values()):
            self._drop_binding(binding)
        for binding in list(self._inbound.get(("exchange", name), {}).values()):
            self._drop_binding(binding)
        self._inbound.pop(("exchange", name), None)
        del self.exchanges[name]
        self.broker.emit("deleted", self.broker.exchange_id(self.name, name))

    # -- queues ----------------------------------------------------------------------------
    def queue(self, name: str, owner: object | None = None) -> Queue:
        """The queue `name`; 404 when absent, 405 when another connection holds it exclusively."""
        found = self.queues.get(name)
        if found is None:
            raise not_found("queue", name, self.name)
        if found.exclusive_owner is not None and owner is not found.exclusive_owner:
            raise AmqpError(
                405,
                f"cannot obtain exclusive access to locked queue '{name}' in vhost '{self.name}'. "
                "It could be originally declared on another connection or the exclusive property "
                "value does not match that of the original declaration.",
            )
        return found

    def declare_queue(
        self,
        name: str,
        *,
        owner: object | None = None,
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> Queue:
        """queue.declare with RabbitMQ's checks; an empty name gets a server-named queue."""
        arguments = dict(arguments or {})
        if passive:
            queue = self.queue(name, owner)
            queue.touched()
            return queue
        if not name:
            name = "amq.gen-" + self.broker.ids.token(22)
        elif name.startswith("amq."):
            raise access_refused(f"queue name '{name}' contains reserved prefix 'amq.*'")
        check_name("queue", name)
        existing = self.queues.get(name)
        if existing is not None:
            self.queue(name, owner)
            for label, given, current in (
                ("durable", durable, existing.durable),
                ("exclusive", exclusive, existing.exclusive_owner is not None),
                ("auto_delete", auto_delete, existing.auto_delete),
            ):
                if given != current:
                    raise precondition(
                        f"inequivalent arg '{label}' for queue '{name}' in vhost '{self.name}': "
                        f"received '{_flag(given)}' but current is '{_flag(current)}'"
                    )
            for key in sorted(set(arguments) | set(existing.arguments)):
                given, current = _plain(arguments.get(key)), _plain(existing.arguments.get(key))
                if key.startswith("x-") and given != current:
                    raise precondition(
                        f"inequivalent arg '{key}' for queue '{name}' in vhost '{self.name}': "
                        f"received {_shown(given)} but current is {_shown(current)}"
                    )
            existing.touched()
            return existing
        kind = arguments.get("x-queue-type", "classic")
        if kind in ("quorum", b"quorum"):
            for bad, label in (
                (not durable, "non-durable"),
                (exclusive, "exclusive-owner"),
                (auto_delete, "auto-delete"),
            ):
                if bad:
                    raise precondition(
                        f"invalid property '{label}' for queue '{name}' in vhost '{self.name}'"
                    )
        queue = Queue(
            self,
            name,
            durable=durable,
            exclusive_owner=owner if exclusive else None,
            auto_delete=auto_delete,
            arguments=arguments,
        )
        self.queues[name] = queue
        self.broker.emit("created", self.broker.queue_id(self.name, name), type=queue.kind)
        return queue

    def delete_queue(self, queue: Queue, *, if_unused: bool = False, if_empty: bool = False) -> int:
        """queue.delete: unbind, cancel its consumers, drop its messages; the message count."""
        if if_unused and queue.consumers:
            raise precondition(f"queue '{queue.name}' in vhost '{self.name}' in use")
        if if_empty and queue.ready_count:
            raise precondition(f"queue '{queue.name}' in vhost '{self.name}' not empty")
        if self.queues.get(queue.name) is not queue:
            return 0
        count = queue.ready_count
        del self.queues[queue.name]
        for binding in list(self._inbound.get(("queue", queue.name), {}).values()):
            self._drop_binding(binding)
        self._inbound.pop(("queue", queue.name), None)
        for consumer in list(queue.consumers):
            cancel = getattr(consumer, "cancelled_by_broker", None)
            if cancel is not None:
                cancel()
        queue.consumers.clear()
        queue.close()
        self.broker.emit("deleted", self.broker.queue_id(self.name, queue.name))
        return count

    # -- bindings ----------------------------------------------------------------------------
    def bind(
        self,
        source: str,
        destination: str,
        destination_type: str,
        routing_key: str,
        arguments: dict[str, Any] | None = None,
        owner: object | None = None,
    ) -> Binding:
        """queue.bind / exchange.bind (403 on the default exchange, 404 for absent ends)."""
        if source == "" or (destination_type == "exchange" and destination == ""):
            raise access_refused("operation not permitted on the default exchange")
        exchange = self.exchange(source)
        if destination_type == "queue":
            self.queue(destination, owner)
        else:
            self.exchange(destination)
        binding = Binding(source, destination, destination_type, routing_key, dict(arguments or {}))
        if exchange.bind(binding):
            self._inbound.setdefault((destination_type, destination), {})[binding.identity()] = (
                binding
            )
            self.broker.emit(
                "bound",
                self.broker.exchange_id(self.name, source),
                destination=destination,
                destination_type=destination_type,
                routing_key=routing_key,
            )
        return binding

    def unbind(
        self,
        source: str,
        destination: str,
        destination_type: str,
        routing_key: str,
        arguments: dict[str, Any] | None = None,
        owner: object | None = None,
    ) -> None:
        """queue.unbind / exchange.unbind (404 when either end is absent)."""
        if source == "":
            raise access_refused("operation not permitted on the default exchange")
        self.exchange(source)
        if destination_type == "queue":
            self.queue(destination, owner)
        else:
            self.exchange(destination)
        probe = Binding(source, destination, destination_type, routing_key, dict(arguments or {}))
        binding = self.exchanges[source].bindings.get(probe.identity())
        if binding is not None:
            self._drop_binding(binding)

    def _drop_binding(self, binding: Binding) -> None:
        exchange = self.exchanges.get(binding.source)
        key = binding.identity()
        if exchange is not None:
            exchange.unbind(key)
        inbound = self._inbound.get((binding.destination_type, binding.destination))
        if inbound is not None:
            inbound.pop(key, None)
        self.broker.emit(
            "unbound",
            self.broker.exchange_id(self.name, binding.source),
            destination=binding.destination,
            routing_key=binding.routing_key,
        )
        if exchange is not None and exchange.auto_delete and not exchange.bindings:
            self.delete_exchange(exchange.name)

    def bindings(self) -> list[Binding]:
        """Every binding, the default exchange's implicit ones first (as the management API lists)."""
        found = [Binding("", name, "queue", name) for name in self.queues]
        for exchange in self.exchanges.values():
            found.extend(exchange.bindings.values())
        return found

    # -- routing -------------------------------------------------------------------------------
    def route(self, exchange: Exchange, routing_key: str, headers: dict[str, Any]) -> Route:
        """Every queue a message reaches, following exchange-to-exchange and alternate exchanges."""
        route = Route()
        if exchange.name == "":
            queue = self.queues.get(routing_key)
            if queue is not None:
                route.queues[queue.name] = queue
            return route
        seen: set[str] = set()
        pending = [exchange]
        while pending:
            current = pending.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            matched = current.match(routing_key, headers)
            current.routed += 1
            reached = False
            for binding in matched:
                if binding.destination_type == "queue":
                    queue = self.queues.get(binding.destination)
                    if queue is not None:
                        route.queues[queue.name] = queue
                        reached = True
                else:
                    target = self.exchanges.get(binding.destination)
                    if target is not None:
                        pending.append(target)
                        reached = True
                route.bindings.append(binding)
            alternate = current.alternate
            if not reached and alternate is not None:
                target = self.exchanges.get(alternate)
                if target is not None:
                    pending.append(target)
        return route

    def publish(self, message: Message, exchange: Exchange) -> tuple[Route, bool]:
        """Route and enqueue `message`; (route, every queue accepted it)."""
        exchange.published += 1
        route = self.route(exchange, message.routing_key, message.headers)
        accepted = True
        for queue in route.queues.values():
            if not queue.enqueue(message):
                accepted = False
        broker = self.broker
        if broker.trace.enabled:
            broker.emit(
                "published",
                broker.exchange_id(self.name, exchange.name),
                message_id=message.id,
                trace_id=message.trace_id,
                routing_key=message.routing_key,
                body=message.body[:256].decode("utf-8", "replace"),
            )
            broker.emit(
                "routed",
                broker.exchange_id(self.name, exchange.name),
                message_id=message.id,
                trace_id=message.trace_id,
                matched=[
                    f"{b.source or '(default)'} → {b.destination} [{_binding_key(b)}]"
                    for b in route.bindings
                ],
                queues=list(route.queues),
            )
        return route, accepted

    # -- dead-lettering ----------------------------------------------------------------------------
    def dead_letter(self, queue: Queue, entry: Entry, reason: str) -> None:
        """Republish a dead message to the queue's DLX with an `x-death` record (or drop it)."""
        settings = queue.settings
        broker = self.broker
        exchange = self.exchanges.get(settings.dead_letter_exchange or "\0")
        original = entry.message
        if settings.dead_letter_exchange is None or exchange is None:
            queue.dropped += 1
            broker.emit(
                "dropped",
                broker.queue_id(self.name, queue.name),
                message_id=original.id,
                trace_id=original.trace_id,
                reason=reason,
            )
            return
        queue.dead_lettered += 1
        properties = _copy_properties(original.properties)
        headers = dict(properties.headers or {})
        deaths = [dict(d) for d in headers.get("x-death") or []]
        record = None
        for death in deaths:
            if death.get("queue") == queue.name and death.get("reason") == reason:
                record = death
                break
        if record is not None:
            deaths.remove(record)
            record["count"] = int(record.get("count", 1)) + 1
        else:
            record = {
                "count": 1,
                "reason": reason,
                "queue": queue.name,
                "time": datetime.fromtimestamp(int(self.clock.now()), UTC),
                "exchange": original.exchange,
                "routing-keys": [original.routing_key],
            }
            if properties.expiration is not None:
                record["original-expiration"] = properties.expiration
        record["time"] = datetime.fromtimestamp(int(self.clock.now()), UTC)
        deaths.insert(0, record)
        headers["x-death"] = deaths
        headers.setdefault("x-first-death-reason", reason)
        headers.setdefault("x-first-death-queue", queue.name)
        headers.setdefault("x-first-death-exchange", original.exchange)
        headers["x-last-death-reason"] = reason
        headers["x-last-death-queue"] = queue.name
        headers["x-last-death-exchange"] = original.exchange
        properties.headers = headers
        properties.expiration = None  # the TTL that killed it must not kill it again
        key = settings.dead_letter_routing_key
        message = Message(
            id=original.id,
            exchange=exchange.name,
            routing_key=key if key is not None else original.routing_key,
            properties=properties,
            body=original.body,
            trace_id=original.trace_id,
            published_at=self.clock.now(),
        )
        broker.emit(
            "dead-lettered",
            broker.queue_id(self.name, queue.name),
            message_id=original.id,
            trace_id=original.trace_id,
            reason=reason,
            exchange=exchange.name,
            routing_key=message.routing_key,
        )
        route = self.route(exchange, message.routing_key, headers)
        rejected_before = any(d.get("reason") == "rejected" for d in deaths)
        for target in route.queues.values():
            # RabbitMQ drops a message caught in a dead-letter cycle that no client rejected.
            if not rejected_before and any(d.get("queue") == target.name for d in deaths):
                continue
            target.enqueue(message)


def _plain(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _shown(value: Any) -> str:
    """An argument as RabbitMQ's inequivalence errors quote it."""
    return "none" if value is None else f"the value '{value}'"


def _binding_key(binding: Binding) -> str:
    """How a binding's key reads in the trace (header bindings show their arguments)."""
    if binding.arguments and not binding.routing_key:
        return ",".join(f"{k}={v}" for k, v in binding.arguments.items())
    return binding.routing_key or "∅"


def _copy_properties(properties: Basic.Properties) -> Basic.Properties:
    copy = Basic.Properties()
    for name in Basic.Properties.__slots__:
        setattr(copy, name, getattr(properties, name, None))
    return copy
