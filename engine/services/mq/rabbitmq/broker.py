"""A RabbitMQ broker: vhosts, users, its AMQP listener and management API, and a lab-side API.

The lab side (console `mq publish`/`mq consume`, Lambda and Pipes pollers) calls `publish`,
`session`, `declare_*` and `bind` directly: the same routing, queues and trace as AMQP clients.
"""

from __future__ import annotations

import asyncio
import struct
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pamqp.commands import Basic
from pamqp.header import ContentHeader

from engine.topology import Edge, Node

from .connection import Connection
from .delivery import Session
from .errors import check_expiration, precondition
from .model import Message
from .vhost import VirtualHost

if TYPE_CHECKING:
    from engine.engine import Engine
    from engine.listeners import Listener

#: The RabbitMQ version the lab's broker says it is.
SERVER_VERSION = "3.13.7"
#: Amazon MQ's default `consumer_timeout` (its default configuration sets 30 minutes).
DEFAULT_CONSUMER_TIMEOUT_MS = 1_800_000


class RabbitBroker:
    """The data plane of one Amazon MQ for RabbitMQ broker."""

    def __init__(self, engine: Engine, arn: str, name: str, users: dict[str, str]) -> None:
        self.engine = engine
        self.arn = arn
        self.name = name
        self.clock = engine.clock
        self.trace = engine.trace
        self.ids = engine.ids
        self.users: dict[str, dict[str, Any]] = {
            user: {"password": password, "tags": ["administrator"]}
            for user, password in users.items()
        }
        self.vhosts: dict[str, VirtualHost] = {"/": VirtualHost(self, "/")}
        self.connections: set[Connection] = set()
        self.listener: Listener | None = None
        self.console: Listener | None = None
        self.accepting = False
        #: rabbitmq.conf `consumer_timeout` (Amazon MQ's default: 30 minutes).
        self.consumer_timeout_ms = DEFAULT_CONSUMER_TIMEOUT_MS
        self._message_counter = 0
        self._message_prefix = arn.rsplit(":", 1)[-1][-8:]

    # -- lifecycle --------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the AMQP listener and the management API on loopback ports."""
        from .management import ManagementApi

        self.listener = await self.engine.listeners.open(f"{self.arn}#amqp", self._serve)
        self.console = await self.engine.listeners.open(
            f"{self.arn}#management", ManagementApi(self).serve
        )

    @property
    def endpoint(self) -> str:
        """`amqp://127.0.0.1:PORT`."""
        return f"amqp://{self.listener.address}" if self.listener else ""

    @property
    def endpoints(self) -> list[str]:
        """DescribeBroker's endpoints: the AMQP one."""
        return [self.endpoint] if self.listener else []

    @property
    def console_url(self) -> str:
        """The management API's base URL."""
        return f"http://{self.console.address}" if self.console else ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.accepting:
            return  # not RUNNING: the endpoint refuses (the listener hangs up)
        await Connection(self, reader, writer).serve()

    def drop_connections(self, reason: str) -> None:
        """Force every client off (reboot, delete)."""
        for connection in list(self.connections):
            connection.force_close(reason)

    async def close(self) -> None:
        """Close listeners and free every queue's timers (the broker was deleted)."""
        self.accepting = False
        self.drop_connections("shutdown")
        for listener in (self.listener, self.console):
            if listener is not None:
                await listener.close()
        for vhost in self.vhosts.values():
            for queue in vhost.queues.values():
                queue.close()
            vhost.queues.clear()

    # -- what connections ask ----------------------------------------------------------------
    def server_properties(self) -> dict[str, Any]:
        """connection.start's server-properties table."""
        return {
            "product": "RabbitMQ",
            "version": SERVER_VERSION,
            "platform": "Pipework (Amazon MQ for RabbitMQ emulation)",
            "cluster_name": self.name,
            "capabilities": {
                "publisher_confirms": True,
                "exchange_exchange_bindings": True,
                "basic.nack": True,
                "consumer_cancel_notify": True,
                "connection.blocked": False,
                "authentication_failure_close": True,
                "per_consumer_qos": True,
            },
        }

    def authenticate(self, user: str, password: str) -> bool:
        """PLAIN: the user exists and the password is theirs."""
        found = self.users.get(user)
        return found is not None and found["password"] == password

    def next_message_id(self) -> str:
        """A lab id for a published message (trace and journeys follow it)."""
        self._message_counter += 1
        return f"{self._message_prefix}-{self._message_counter}"

    def emit(self, kind: str, resource: str, **detail: Any) -> None:
        """Trace an event as service `mq`."""
        trace = self.trace
        if trace.enabled:
            message_id = detail.pop("message_id", None)
            trace_id = detail.pop("trace_id", None)
            trace.publish(kind, "mq", resource, message_id, trace_id, detail)

    def exchange_id(self, vhost: str, name: str) -> str:
        """The flow-map id of an exchange."""
        return f"{self.arn}/vhost/{quote(vhost, safe='')}/exchange/{name or 'amq.default'}"

    def queue_id(self, vhost: str, name: str) -> str:
        """The flow-map id of a queue."""
        return f"{self.arn}/vhost/{quote(vhost, safe='')}/queue/{name}"

    # -- the lab side ------------------------------------------------------------------------------
    def vhost(self, name: str = "/") -> VirtualHost:
        """The vhost `name` (KeyError-free: raises the AMQP 530 RabbitMQ uses)."""
        from .errors import AmqpError

        found = self.vhosts.get(name)
        if found is None:
            raise AmqpError(530, f"vhost {name} not found")
        return found

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        vhost: str = "/",
        headers: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish as a client would; returns the message id, queues reached and bindings matched."""
        host = self.vhost(vhost)
        target = host.exchange(exchange)
        if len(routing_key.encode()) > 255:
            raise precondition("routing key longer than 255 bytes")
        try:
            props = Basic.Properties(
                headers=dict(headers) if headers else None, **(properties or {})
            )
            check_expiration(props.expiration)
            # Encoding the content header now checks every property (and is kept for delivery).
            encoded = ContentHeader(0, len(body), props).marshal()
        except (ValueError, TypeError, struct.error) as error:
            raise precondition(f"invalid message properties: {error}") from None
        message = Message(
            self.next_message_id(),
            target.name,
            routing_key,
            props,
            body,
            trace_id or (self.ids.trace_id(self.clock.now()) if self.trace.enabled else None),
            self.clock.now(),
            encoded,
        )
        route, accepted = host.publish(message, target)
        return {
            "MessageId": message.id,
            "Queues": list(route.queues),
            "Bindings": [
                {"Source": b.source, "Destination": b.destination, "RoutingKey": b.routing_key}
                for b in route.bindings
            ],
            "Accepted": accepted,
        }

    def session(self, on_delivery=None) -> Session:
        """A lab-side holder for consuming (settle with its ack/nack)."""
        return Session(self, on_delivery)

    # -- views ---------------------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        """The management API's /api/overview."""
        ready = unacked = 0
        for vhost in self.vhosts.values():
            for queue in vhost.queues.values():
                ready += queue.ready_count
                unacked += queue.unacked
        return {
            "management_version": SERVER_VERSION,
            "rabbitmq_version": SERVER_VERSION,
            "product_name": "RabbitMQ",
            "product_version": SERVER_VERSION,
            "cluster_name": self.name,
            "node": f"rabbit@{self.name}",
            "queue_totals": {
                "messages": ready + unacked,
                "messages_ready": ready,
                "messages_unacknowledged": unacked,
            },
            "object_totals": {
                "connections": len(self.connections),
                "channels": sum(len(c.channels) for c in self.connections),
                "exchanges": sum(len(v.exchanges) for v in self.vhosts.values()),
                "queues": sum(len(v.queues) for v in self.vhosts.values()),
                "consumers": sum(
                    len(q.consumers) for v in self.vhosts.values() for q in v.queues.values()
                ),
            },
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Exchanges and queues (with counters) and binding edges labelled with their keys."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for vhost in self.vhosts.values():
            for exchange in vhost.exchanges.values():
                if (exchange.name.startswith("amq.") or not exchange.name) and not (
                    exchange.bindings or exchange.published
                ):
                    continue  # predeclared exchanges only matter once used
                nodes.append(
                    Node(
                        self.exchange_id(vhost.name, exchange.name),
                        "exchange",
                        exchange.name or "(default)",
                        "mq",
                        {"published": exchange.published, "routed": exchange.routed},
                        parent=self.arn,
                    )
                )
                for binding in exchange.bindings.values():
                    target = (
                        self.queue_id(vhost.name, binding.destination)
                        if binding.destination_type == "queue"
                        else self.exchange_id(vhost.name, binding.destination)
                    )
                    label = binding.routing_key
                    if exchange.type == "headers":
                        label = ",".join(f"{k}={v}" for k, v in binding.arguments.items())
                    edges.append(
                        Edge(self.exchange_id(vhost.name, exchange.name), target, "binding", label)
                    )
                if exchange.alternate:
                    edges.append(
                        Edge(
                            self.exchange_id(vhost.name, exchange.name),
                            self.exchange_id(vhost.name, exchange.alternate),
                            "alternate-exchange",
                            "unroutable",
                        )
                    )
            for queue in vhost.queues.values():
                prefetch = max((getattr(c, "prefetch", 0) for c in queue.consumers), default=0)
                nodes.append(
                    Node(
                        self.queue_id(vhost.name, queue.name),
                        "amqp-queue",
                        queue.name,
                        "mq",
                        {
                            "ready": queue.ready_count,
                            "unacked": queue.unacked,
                            "consumers": len(queue.consumers),
                            "prefetch": prefetch,
                            "published": queue.published,
                            "delivered": queue.delivered,
                            "acked": queue.acked,
                            "dead_lettered": queue.dead_lettered,
                        },
                        parent=self.arn,
                    )
                )
                dlx = queue.settings.dead_letter_exchange
                if dlx is not None:
                    edges.append(
                        Edge(
                            self.queue_id(vhost.name, queue.name),
                            self.exchange_id(vhost.name, dlx),
                            "dead-letter",
                            queue.settings.dead_letter_routing_key or "",
                        )
                    )
        return nodes, edges
