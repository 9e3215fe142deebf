"""An ActiveMQ broker: its users, its JMS model, its STOMP and MQTT listeners, and a lab-side API.

The lab side (console `mq send`/`mq subscribe`, Lambda event source mappings) calls `send` and
`subscribe` directly: the same destinations, selectors and trace as STOMP clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.topology import Edge, Node

from .core import JmsCore
from .endpoints import AUTO, DEFAULT_PREFETCH, Consumer
from .inbox import LabSubscriptions
from .model import DEFAULT_PRIORITY, QUEUE, TOPIC, Destination, Message, parse_destinations
from .selector import compile_selector

if TYPE_CHECKING:
    from engine.engine import Engine
    from engine.listeners import Listener

    from .mqtt_connection import MqttConnection, MqttSession
    from .stomp_connection import StompConnection

#: The ActiveMQ version the lab's broker says it is.
SERVER_VERSION = "5.18.4"


class ActiveBroker:
    """The data plane of one Amazon MQ for ActiveMQ broker."""

    def __init__(self, engine: Engine, arn: str, name: str, users: dict[str, str]) -> None:
        self.engine = engine
        self.arn = arn
        self.name = name
        self.clock = engine.clock
        self.trace = engine.trace
        self.ids = engine.ids
        self.users: dict[str, str] = dict(users)
        self.core = JmsCore(self)
        self.lab = LabSubscriptions(self)
        self.connections: set[StompConnection | MqttConnection] = set()
        self.stomp: Listener | None = None
        self.mqtt: Listener | None = None
        #: MQTT: the connection holding each client id, persistent sessions, retained messages.
        self.mqtt_clients: dict[str, MqttConnection] = {}
        self.mqtt_sessions: dict[str, MqttSession] = {}
        self.retained: dict[str, Message] = {}
        self.accepting = False
        self._message_counter = 0
        self._consumer_counter = 0
        self._message_prefix = f"ID:{name}-{arn.rsplit(':', 1)[-1][-8:]}"

    # -- lifecycle --------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the STOMP and MQTT listeners on loopback ports."""
        from .mqtt_connection import MqttConnection
        from .stomp_connection import StompConnection

        async def stomp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self.accepting:  # not RUNNING: the endpoint hangs up
                await StompConnection(self, reader, writer).serve()

        async def mqtt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self.accepting:
                await MqttConnection(self, reader, writer).serve()

        self.stomp = await self.engine.listeners.open(f"{self.arn}#stomp", stomp)
        self.mqtt = await self.engine.listeners.open(f"{self.arn}#mqtt", mqtt)

    @property
    def endpoints(self) -> list[str]:
        """The protocols the lab serves, as DescribeBroker lists them."""
        found = []
        if self.stomp is not None:
            found.append(f"stomp://{self.stomp.address}")
        if self.mqtt is not None:
            found.append(f"mqtt://{self.mqtt.address}")
        return found

    @property
    def endpoint(self) -> str:
        """The first endpoint (traced at creation)."""
        return self.endpoints[0] if self.endpoints else ""

    #: ActiveMQ's web console is not served (DescribeBroker leaves ConsoleURL out).
    console_url = ""

    def drop_connections(self, reason: str) -> None:
        """Force every client off (reboot, delete)."""
        for connection in list(self.connections):
            connection.force_close(reason)

    async def close(self) -> None:
        """Close the listener and free every message (the broker was deleted)."""
        self.accepting = False
        self.drop_connections("shutdown")
        for listener in (self.stomp, self.mqtt):
            if listener is not None:
                await listener.close()
        self.core.close()
        self.retained.clear()
        self.mqtt_sessions.clear()

    # -- identity and trace -------------------------------------------------------------------
    def authenticate(self, user: str | None, password: str | None) -> bool:
        """The user exists (a current, not pending, broker user) and the password is theirs."""
        return user is not None and self.users.get(user) == password

    def next_message_id(self) -> str:
        """An ActiveMQ-style message id, `ID:<broker>-<n>`."""
        self._message_counter += 1
        return f"{self._message_prefix}-1:1:1:1:{self._message_counter}"

    def next_consumer_id(self, prefix: str = "lab") -> str:
        """A consumer id for the trace."""
        self._consumer_counter += 1
        return f"{prefix}-{self._consumer_counter}"

    def trace_id(self) -> str | None:
        """A new trace id, or None when nobody listens."""
        return self.ids.trace_id(self.clock.now()) if self.trace.enabled else None

    def emit(self, kind: str, resource: str, **detail: Any) -> None:
        """Trace an event as service `mq`."""
        trace = self.trace
        if trace.enabled:
            message_id = detail.pop("message_id", None)
            trace_id = detail.pop("trace_id", None)
            trace.publish(kind, "mq", resource, message_id, trace_id, detail)

    def node_id(self, destination: Destination) -> str:
        """The flow-map id of a queue or topic."""
        return f"{self.arn}/{destination.kind}/{destination.name}"

    # -- the lab side ------------------------------------------------------------------------------
    def send(
        self,
        destination: str,
        body: bytes,
        *,
        properties: dict[str, Any] | None = None,
        priority: int = DEFAULT_PRIORITY,
        persistent: bool = True,
        ttl_ms: int = 0,
        correlation_id: str | None = None,
        jms_type: str | None = None,
        trace_id: str | None = None,
        text: bool = True,
    ) -> dict[str, Any]:
        """Send as a JMS producer would (`orders`, `topic://prices`, `a,topic://b`)."""
        destinations = parse_destinations(destination)
        if not 0 <= priority <= 9:
            raise ValueError(f"JMSPriority must be 0-9, not {priority}")
        now_ms = int(self.clock.now() * 1000)
        message = Message(
            self.next_message_id(),
            destinations[0],
            body,
            dict(properties or {}),
            priority,
            persistent,
            now_ms + ttl_ms if ttl_ms > 0 else 0,
            now_ms,
            correlation_id,
            jms_type,
            None,
            0,
            trace_id or self.trace_id(),
            text=text,
        )
        reached = self.core.send(destinations, message)
        return {
            "MessageId": message.id,
            "Destinations": [d.uri for d in destinations],
            "Reached": reached,
        }

    def subscribe(
        self,
        destination: str,
        deliver: Callable[[Consumer, Message], None],
        *,
        selector: str | None = None,
        durable: str | None = None,
        client_id: str = "pipework-lab",
        ack_mode: str = AUTO,
        prefetch: int = DEFAULT_PREFETCH,
    ) -> Consumer:
        """Attach a lab-side consumer (the console's `mq subscribe`, Lambda's poller)."""
        (target,) = parse_destinations(destination)
        return self.core.subscribe(
            target,
            self.next_consumer_id(),
            deliver,
            ack_mode=ack_mode,
            prefetch=prefetch,
            selector=compile_selector(selector),
            durable=(client_id, durable) if durable else None,
        )

    # -- views ---------------------------------------------------------------------------------------
    def destinations(self) -> list[dict[str, Any]]:
        """Queues and topics with their counters (console listings, completion)."""
        rows: list[dict[str, Any]] = [
            {"Destination": f"queue://{name}", **queue.stats()}
            for name, queue in sorted(self.core.queues.items())
        ]
        for name, counters in sorted(self.core.topics.items()):
            subs = [s for s in self.core.subscriptions.values() if s.destination.name == name]
            rows.append(
                {
                    "Destination": f"topic://{name}",
                    "subscriptions": len(subs),
                    "enqueued": counters["enqueued"],
                    "dispatched": counters["dispatched"],
                }
            )
        return rows

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Queue, topic and subscription nodes; subscription and virtual-topic edges."""
        core = self.core
        nodes: list[Node] = []
        edges: list[Edge] = []
        for queue in core.queues.values():
            nodes.append(
                Node(
                    queue.node_id,
                    "jms-queue",
                    queue.destination.name,
                    "mq",
                    queue.stats(),
                    parent=self.arn,
                )
            )
        for name, counters in core.topics.items():
            topic_id = self.node_id(Destination(TOPIC, name))
            nodes.append(Node(topic_id, "jms-topic", name, "mq", dict(counters), parent=self.arn))
            for queue_name in sorted(core._virtual.get(name, ())):
                edges.append(
                    Edge(
                        topic_id, self.node_id(Destination(QUEUE, queue_name)), "virtual-topic", ""
                    )
                )
        patterns: set[str] = set()
        for sub_id, subscription in core.subscriptions.items():
            nodes.append(
                Node(
                    subscription.node_id,
                    "jms-subscription",
                    subscription.durable or sub_id,
                    "mq",
                    {**subscription.stats(), "durable": subscription.durable is not None},
                    parent=self.arn,
                )
            )
            source = self.node_id(subscription.destination)
            if subscription.destination.name not in core.topics and source not in patterns:
                patterns.add(source)  # a wildcard subscription: its pattern gets a node
                nodes.append(
                    Node(
                        source,
                        "jms-topic",
                        subscription.destination.name,
                        "mq",
                        {},
                        parent=self.arn,
                    )
                )
            label = subscription.selector.text if subscription.selector else ""
            edges.append(Edge(source, subscription.node_id, "jms-subscription", label))
        return nodes, edges
