"""One STOMP 1.0/1.1/1.2 connection to an ActiveMQ broker: negotiation, frames, subscriptions, acks.

Frame semantics follow ActiveMQ's STOMP transport: user headers become (string) JMS properties,
`persistent:true` makes a message persistent, `activemq.subscriptionName` (with the connection's
`client-id`) makes a topic subscription durable, and `selector` filters with a JMS selector.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .endpoints import AUTO, CLIENT, DEFAULT_PREFETCH, INDIVIDUAL, Consumer
from .frames import Frame, FrameError, encode_frame, read_frame
from .model import DEFAULT_PRIORITY, DestinationError, Message, parse_stomp_destination
from .selector import SelectorError, compile_selector

if TYPE_CHECKING:
    from engine.clock import Timer

    from .broker import ActiveBroker

VERSIONS = ("1.0", "1.1", "1.2")
_ACK_MODES = {"auto": AUTO, "client": CLIENT, "client-individual": INDIVIDUAL}
#: Headers SEND understands itself; every other header becomes a message property.
_SEND_HEADERS = frozenset(
    {
        "destination",
        "transaction",
        "receipt",
        "content-length",
        "content-type",
        "persistent",
        "priority",
        "expires",
        "correlation-id",
        "type",
        "reply-to",
        "message-id",
        "timestamp",
    }
)
#: How far past the negotiated interval a silent client is allowed (ActiveMQ's grace).
HEARTBEAT_GRACE = 1.5


class StompError(Exception):
    """A protocol error: answered with an ERROR frame, then the connection closes."""


@dataclass(slots=True)
class Subscription:
    """One SUBSCRIBE of this connection."""

    id: str
    consumer: Consumer
    durable: str | None = None


@dataclass(slots=True)
class Transaction:
    """A STOMP transaction: sends and acks held until COMMIT."""

    sends: list[tuple[list, Message]] = field(default_factory=list)
    acks: list[tuple[Subscription, str, bool]] = field(default_factory=list)


class StompConnection:
    """Serves one client until it disconnects, errs, or the broker drops it."""

    def __init__(
        self, broker: ActiveBroker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker = broker
        self.reader = reader
        self.writer = writer
        self.version = "1.0"
        self.user: str | None = None
        self.client_id: str | None = None
        self.session = broker.next_consumer_id("stomp-session")
        self.subscriptions: dict[str, Subscription] = {}
        self.transactions: dict[str, Transaction] = {}
        self.closed = False
        self._last_read = broker.clock.now()
        self._send_every = 0.0
        self._expect_every = 0.0
        self._timer: Timer | None = None

    # -- the loop ---------------------------------------------------------------------------
    async def serve(self) -> None:
        """Read frames until DISCONNECT, an error, or end of stream."""
        self.broker.connections.add(self)
        try:
            while not self.closed:
                try:
                    frame = await read_frame(self.reader, self.version)
                except FrameError as error:
                    self._error(str(error), None)
                    return
                self._last_read = self.broker.clock.now()
                if frame is None:
                    continue  # a heart-beat
                try:
                    if not self._handle(frame):
                        return
                except (StompError, DestinationError, SelectorError, ValueError) as error:
                    self._error(str(error), frame.headers.get("receipt"))
                    return
                if self.writer.transport.get_write_buffer_size() > 1 << 20:
                    await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._cleanup()

    def _handle(self, frame: Frame) -> bool:
        command = frame.command
        if self.user is None and command not in ("CONNECT", "STOMP"):
            raise StompError(f"Not connected: send CONNECT before {command}")
        handler = _HANDLERS.get(command)
        if handler is None:
            raise StompError(f"Unknown STOMP action: {command}")
        keep = handler(self, frame)
        receipt = frame.headers.get("receipt")
        if receipt is not None and command not in ("CONNECT", "STOMP"):
            self._write("RECEIPT", {"receipt-id": receipt})
        return keep is not False

    # -- output -----------------------------------------------------------------------------
    def _write(self, command: str, headers: dict[str, str], body: bytes = b"") -> None:
        if not self.closed:
            self.writer.write(encode_frame(command, headers, body, self.version))

    def _error(self, text: str, receipt: str | None) -> None:
        headers = {"message": text.replace("\n", " ")[:512]}
        if receipt is not None:
            headers["receipt-id"] = receipt
        self._write("ERROR", headers, text.encode())
        self.broker.emit("connection-closed", self.broker.arn, session=self.session, error=text)
        self._cleanup()

    def force_close(self, reason: str) -> None:
        """The broker drops this client (reboot, delete)."""
        self._write("ERROR", {"message": f"Broker {reason}: connection closed"})
        self._cleanup()
        self.writer.close()

    def _cleanup(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.broker.connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
        self.transactions.clear()  # open transactions roll back: their sends never happen
        for subscription in list(self.subscriptions.values()):
            self.broker.core.close_consumer(subscription.consumer)
        self.subscriptions.clear()

    # -- CONNECT ----------------------------------------------------------------------------
    def connect(self, frame: Frame) -> bool:
        if self.user is not None:
            raise StompError("Already connected")
        offered = frame.headers.get("accept-version", "1.0").split(",")
        common = [v for v in VERSIONS if v in (o.strip() for o in offered)]
        if not common:
            self._write(
                "ERROR",
                {"version": ",".join(VERSIONS), "content-type": "text/plain"},
                b"Supported protocol versions are 1.0,1.1,1.2",
            )
            self._cleanup()
            return False
        self.version = common[-1]
        login, passcode = frame.headers.get("login"), frame.headers.get("passcode")
        if not self.broker.authenticate(login, passcode):
            raise StompError(f"User name [{login}] or password is invalid.")
        self.user = login
        self.client_id = frame.headers.get("client-id")
        headers = {"session": self.session, "server": "ActiveMQ/5.18.4"}
        if self.version != "1.0":
            headers = {"version": self.version, **headers}
            headers["heart-beat"] = self._negotiate_heartbeat(
                frame.headers.get("heart-beat", "0,0")
            )
        self._write("CONNECTED", headers)
        self.broker.emit(
            "connected", self.broker.arn, session=self.session, user=login, version=self.version
        )
        return True

    def _negotiate_heartbeat(self, offer: str) -> str:
        try:
            client_send, client_want = (int(p) for p in offer.split(","))
        except ValueError:
            raise StompError(f"Invalid heart-beat header '{offer}'") from None
        if client_send < 0 or client_want < 0:
            raise StompError(f"Invalid heart-beat header '{offer}'")
        # The server sends as often as the client wants, and expects what the client offers.
        self._send_every = client_want / 1000
        self._expect_every = client_send / 1000
        if self._send_every or self._expect_every:
            self._schedule_heartbeat()
        return f"{client_want},{client_send}"

    def _schedule_heartbeat(self) -> None:
        periods = [p for p in (self._send_every, self._expect_every) if p]
        self._timer = self.broker.clock.call_later(min(periods), self._heartbeat)

    def _heartbeat(self) -> None:
        self._timer = None
        if self.closed:
            return
        if self._expect_every and (
            self.broker.clock.now() - self._last_read > self._expect_every * HEARTBEAT_GRACE
        ):
            self.broker.emit(
                "connection-closed",
                self.broker.arn,
                session=self.session,
                error="missed heart-beats",
            )
            self._cleanup()
            self.writer.close()
            return
        if self._send_every:
            self.writer.write(b"\n")
        self._schedule_heartbeat()

    # -- SEND -------------------------------------------------------------------------------
    def send(self, frame: Frame) -> None:
        headers = frame.headers
        if "destination" not in headers:
            raise StompError("SEND received without a Destination specified")
        destinations = parse_stomp_destination(headers["destination"])
        message = self._message(headers, frame.body, destinations[0])
        transaction = headers.get("transaction")
        if transaction is not None:
            self._transaction(transaction).sends.append((destinations, message))
            return
        self.broker.core.send(destinations, message)

    def _message(self, headers: dict[str, str], body: bytes, destination: Any) -> Message:
        try:
            priority = int(headers.get("priority", DEFAULT_PRIORITY))
            expires = int(headers.get("expires", 0))
        except ValueError:
            raise StompError("priority and expires must be integers") from None
        if not 0 <= priority <= 9:
            raise StompError(f"priority must be 0-9, not {priority}")
        properties: dict[str, Any] = {k: v for k, v in headers.items() if k not in _SEND_HEADERS}
        return Message(
            self.broker.next_message_id(),
            destination,
            body,
            properties,
            priority,
            headers.get("persistent", "false").lower() == "true",
            max(expires, 0),
            0,
            headers.get("correlation-id"),
            headers.get("type"),
            headers.get("reply-to"),
            0,
            self.broker.trace_id(),
            text="content-length" not in headers,
        )

    # -- SUBSCRIBE / UNSUBSCRIBE ----------------------------------------------------------------------
    def subscribe(self, frame: Frame) -> None:
        headers = frame.headers
        if "destination" not in headers:
            raise StompError("SUBSCRIBE received without a Destination specified")
        sub_id = headers.get("id")
        if sub_id is None:
            if self.version != "1.0":
                raise StompError("SUBSCRIBE received without a subscription id")
            sub_id = headers["destination"]
        if sub_id in self.subscriptions:
            raise StompError(f"Duplicate subscription id: {sub_id}")
        ack = headers.get("ack", "auto")
        if ack not in _ACK_MODES or (ack == "client-individual" and self.version == "1.0"):
            raise StompError(f"Unsupported ack mode: {ack}")
        destinations = parse_stomp_destination(headers["destination"])
        if len(destinations) != 1:
            raise StompError("Subscribing to a composite destination is not emulated")
        durable_name = headers.get("activemq.subscriptionName")
        durable = None
        if durable_name is not None:
            if destinations[0].kind != "topic":
                raise StompError("activemq.subscriptionName applies to topics only")
            if not self.client_id:
                raise StompError("Durable subscriptions need a client-id header on CONNECT")
            durable = (self.client_id, durable_name)
        prefetch = headers.get("activemq.prefetchSize", str(DEFAULT_PREFETCH))
        if not prefetch.isdigit():
            raise StompError(f"Invalid activemq.prefetchSize '{prefetch}'")
        selector = compile_selector(headers.get("selector"))
        mode = _ACK_MODES[ack]

        def deliver(consumer: Consumer, message: Message) -> None:
            self._deliver(sub_id, mode, message)

        consumer = self.broker.core.subscribe(
            destinations[0],
            f"{self.session}:{sub_id}",
            deliver,
            ack_mode=mode,
            prefetch=int(prefetch),
            selector=selector,
            durable=durable,
        )
        self.subscriptions[sub_id] = Subscription(sub_id, consumer, durable_name)

    def unsubscribe(self, frame: Frame) -> None:
        sub_id = frame.headers.get("id") or (
            frame.headers.get("destination") if self.version == "1.0" else None
        )
        subscription = self.subscriptions.pop(sub_id or "", None)
        name = frame.headers.get("activemq.subscriptionName")
        if subscription is not None:
            self.broker.core.close_consumer(subscription.consumer)
        if name is not None and self.client_id:
            self.broker.core.unsubscribe_durable(self.client_id, name)
        elif subscription is None:
            raise StompError(f"No subscription matched: {sub_id}")

    def _deliver(self, sub_id: str, ack_mode: str, message: Message) -> None:
        headers: dict[str, str] = {
            "destination": message.destination.stomp,
            "message-id": message.id,
            "subscription": sub_id,
        }
        if self.version == "1.2" and ack_mode != AUTO:
            headers["ack"] = f"{sub_id}/{message.id}"
        headers["expires"] = str(message.expiration)
        headers["priority"] = str(message.priority)
        headers["timestamp"] = str(message.timestamp)
        if message.persistent:
            headers["persistent"] = "true"
        if message.redeliveries:
            headers["redelivered"] = "true"
        for name, value in (
            ("correlation-id", message.correlation_id),
            ("type", message.type),
            ("reply-to", message.reply_to),
        ):
            if value is not None:
                headers[name] = value
        for name, value in message.properties.items():
            headers.setdefault(name, str(value))
        self._write("MESSAGE", headers, message.body)

    # -- ACK / NACK -------------------------------------------------------------------------------
    def _ack_target(self, frame: Frame) -> tuple[Subscription, str]:
        headers = frame.headers
        if self.version == "1.2":
            ack_id = headers.get("id")
            if ack_id is None or "/" not in ack_id:
                raise StompError(f"{frame.command} received without a valid id header")
            sub_id, _, message_id = ack_id.rpartition("/")
        else:
            message_id = headers.get("message-id", "")
            sub_id = headers.get("subscription", "")
            if not message_id:
                raise StompError(f"{frame.command} received without a message-id header")
            if not sub_id and self.version == "1.0":
                found = next(
                    (s for s in self.subscriptions.values() if message_id in s.consumer.inflight),
                    None,
                )
                sub_id = found.id if found else ""
        subscription = self.subscriptions.get(sub_id)
        if subscription is None or message_id not in subscription.consumer.inflight:
            raise StompError(f"Unexpected ACK received for message-id [{message_id}]")
        return subscription, message_id

    def ack(self, frame: Frame) -> None:
        self._settle(frame, nack=False)

    def nack(self, frame: Frame) -> None:
        if self.version == "1.0":
            raise StompError("Unknown STOMP action: NACK")
        self._settle(frame, nack=True)

    def _settle(self, frame: Frame, *, nack: bool) -> None:
        subscription, message_id = self._ack_target(frame)
        transaction = frame.headers.get("transaction")
        if transaction is not None:
            self._transaction(transaction).acks.append((subscription, message_id, nack))
            return
        self._apply_settle(subscription, message_id, nack)

    def _apply_settle(self, subscription: Subscription, message_id: str, nack: bool) -> None:
        core = self.broker.core
        if nack:  # ActiveMQ turns a STOMP NACK into a poison ack: the message goes to the DLQ
            core.poison(subscription.consumer, message_id)
        else:
            core.ack(subscription.consumer, message_id)

    # -- transactions ---------------------------------------------------------------------------------
    def _transaction(self, name: str) -> Transaction:
        found = self.transactions.get(name)
        if found is None:
            raise StompError(f"Invalid transaction id: {name}")
        return found

    def begin(self, frame: Frame) -> None:
        name = frame.headers.get("transaction")
        if not name:
            raise StompError("BEGIN received without a transaction header")
        if name in self.transactions:
            raise StompError(f"Transaction {name} is already started")
        self.transactions[name] = Transaction()

    def commit(self, frame: Frame) -> None:
        transaction = self.transactions.pop(frame.headers.get("transaction", ""), None)
        if transaction is None:
            raise StompError(f"Invalid transaction id: {frame.headers.get('transaction')}")
        for destinations, message in transaction.sends:
            self.broker.core.send(destinations, message)
        for subscription, message_id, nack in transaction.acks:
            if message_id in subscription.consumer.inflight:
                self._apply_settle(subscription, message_id, nack)

    def abort(self, frame: Frame) -> None:
        transaction = self.transactions.pop(frame.headers.get("transaction", ""), None)
        if transaction is None:
            raise StompError(f"Invalid transaction id: {frame.headers.get('transaction')}")
        # Sends are dropped; messages acknowledged in the transaction are redelivered (rollback).
        for subscription, message_id, _ in transaction.acks:
            if message_id in subscription.consumer.inflight:
                self.broker.core.redeliver(
                    subscription.consumer, message_id, "rollback", limited=False
                )

    def disconnect(self, frame: Frame) -> bool:
        receipt = frame.headers.get("receipt")
        if receipt is not None:
            self._write("RECEIPT", {"receipt-id": receipt})
        self._cleanup()
        return False


_HANDLERS = {
    "CONNECT": StompConnection.connect,
    "STOMP": StompConnection.connect,
    "SEND": StompConnection.send,
    "SUBSCRIBE": StompConnection.subscribe,
    "UNSUBSCRIBE": StompConnection.unsubscribe,
    "ACK": StompConnection.ack,
    "NACK": StompConnection.nack,
    "BEGIN": StompConnection.begin,
    "COMMIT": StompConnection.commit,
    "ABORT": StompConnection.abort,
    "DISCONNECT": StompConnection.disconnect,
}
