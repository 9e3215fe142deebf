"""One AMQP channel: its methods (declare, bind, publish, consume, ack …) on a vhost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pamqp import commands as spec
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from .delivery import Holder, Subscription
from .errors import AmqpError, access_refused, check_expiration, precondition
from .model import Entry, Message
from .queues import Queue

if TYPE_CHECKING:
    from .connection import Connection


class PendingPublish:
    """A basic.publish waiting for its content header and body frames."""

    __slots__ = ("body", "encoded", "method", "properties", "size")

    def __init__(self, method: spec.Basic.Publish) -> None:
        self.method = method
        self.properties: spec.Basic.Properties | None = None
        self.encoded: bytes | None = None
        self.size = -1
        self.body: list[bytes] = []


class Channel(Holder):
    """An open channel on a connection."""

    def __init__(self, connection: Connection, number: int) -> None:
        super().__init__(connection.broker)
        self.connection = connection
        self.number = number
        self.vhost = connection.vhost
        self.pending: PendingPublish | None = None
        self.confirming = False
        self.publish_seq = 0
        self.confirmed_upto = 0  # the highest publish seq whose ack is owed
        self.acked_upto = 0  # the highest publish seq acked on the wire
        self.transactional = False
        self.tx_actions: list[tuple] = []
        self.last_queue = ""
        self.closing = False

    # -- frames in ------------------------------------------------------------------------
    def handle(self, frame: Any) -> None:
        """Act on one method frame (content frames go to `content`)."""
        handler = _HANDLERS.get(frame.name)
        if handler is None:
            raise AmqpError(540, f"method {frame.name} is not supported on a channel")
        try:
            handler(self, frame)
        except AmqpError as error:
            if not error.class_id:
                error.class_id, error.method_id = frame.index >> 16, frame.index & 0xFFFF
            raise

    def content(self, frame: Any) -> None:
        """A content header or body frame for the basic.publish in progress."""
        pending = self.pending
        if pending is None:
            raise AmqpError(505, f"expected method frame, got {frame.name} frame instead")
        if isinstance(frame, ContentHeader):
            if pending.size >= 0:
                raise AmqpError(505, "expected content body, got content header frame instead")
            pending.properties = frame.properties
            pending.encoded = getattr(frame, "encoded", None)
            pending.size = frame.body_size
        elif isinstance(frame, ContentBody):
            if pending.size < 0:
                raise AmqpError(
                    505,
                    "expected content header for class 60, got non content header frame instead",
                )
            pending.body.append(frame.value)
        else:
            raise AmqpError(505, "expected content frame")
        received = sum(map(len, pending.body))
        if received > pending.size >= 0:
            raise AmqpError(501, "content body larger than the size its header declared")
        if pending.size >= 0 and received == pending.size:
            self.pending = None
            body = pending.body[0] if len(pending.body) == 1 else b"".join(pending.body)
            self._published(
                pending.method, pending.properties or spec.Basic.Properties(), body, pending.encoded
            )

    # -- frames out -----------------------------------------------------------------------
    def send(self, frame: Any) -> None:
        """Write a method frame on this channel."""
        self.connection.send(self.number, frame)

    def deliver(self, consumer: Subscription, queue: Queue, entry: Entry) -> None:
        tag = self.record(queue, entry, consumer, consumer.no_ack)
        message = entry.message
        method = spec.Basic.Deliver(
            consumer.tag, tag, entry.redelivered, message.exchange, message.routing_key
        )
        self.connection.send_content(self.number, method, message, _outgoing(queue, entry))

    def ack_timed_out(self, limit_ms: int) -> None:
        self.connection.channel_failed(
            self,
            precondition(
                f"delivery acknowledgement on channel {self.number} timed out. Timeout value "
                f"used: {limit_ms} ms. This timeout value can be configured, see consumers doc "
                "guide to learn more"
            ),
        )

    def consumer_cancelled(self, consumer: Subscription) -> None:
        super().consumer_cancelled(consumer)
        # consumer_cancel_notify: tell the client its consumer is gone.
        if not self.closing:
            self.send(spec.Basic.Cancel(consumer_tag=consumer.tag, nowait=True))

    # -- exchange class ---------------------------------------------------------------------
    def exchange_declare(self, frame: spec.Exchange.Declare) -> None:
        self.vhost.declare_exchange(
            frame.exchange,
            frame.exchange_type,
            passive=frame.passive,
            durable=frame.durable,
            auto_delete=frame.auto_delete,
            internal=frame.internal,
            arguments=frame.arguments,
        )
        if not frame.nowait:
            self.send(spec.Exchange.DeclareOk())

    def exchange_delete(self, frame: spec.Exchange.Delete) -> None:
        self.vhost.delete_exchange(frame.exchange, if_unused=frame.if_unused)
        if not frame.nowait:
            self.send(spec.Exchange.DeleteOk())

    def exchange_bind(self, frame: spec.Exchange.Bind) -> None:
        self.vhost.bind(
            frame.source, frame.destination, "exchange", frame.routing_key, frame.arguments
        )
        if not frame.nowait:
            self.send(spec.Exchange.BindOk())

    def exchange_unbind(self, frame: spec.Exchange.Unbind) -> None:
        self.vhost.unbind(
            frame.source, frame.destination, "exchange", frame.routing_key, frame.arguments
        )
        if not frame.nowait:
            self.send(spec.Exchange.UnbindOk())

    # -- queue class ---------------------------------------------------------------------------
    def _queue_name(self, name: str) -> str:
        # An empty queue name means the channel's last declared queue (AMQP 0-9-1).
        if name:
            return name
        if not self.last_queue:
            raise AmqpError(530, "no previously declared queue", connection=False)
        return self.last_queue

    def queue_declare(self, frame: spec.Queue.Declare) -> None:
        queue = self.vhost.declare_queue(
            frame.queue,
            owner=self.connection,
            passive=frame.passive,
            durable=frame.durable,
            exclusive=frame.exclusive,
            auto_delete=frame.auto_delete,
            arguments=frame.arguments,
        )
        if frame.exclusive and not frame.passive:
            self.connection.exclusive_queues[queue.name] = queue
        self.last_queue = queue.name
        if not frame.nowait:
            self.send(spec.Queue.DeclareOk(queue.name, queue.ready_count, len(queue.consumers)))

    def queue_bind(self, frame: spec.Queue.Bind) -> None:
        self.vhost.bind(
            frame.exchange,
            self._queue_name(frame.queue),
            "queue",
            frame.routing_key,
            frame.arguments,
            self.connection,
        )
        if not frame.nowait:
            self.send(spec.Queue.BindOk())

    def queue_unbind(self, frame: spec.Queue.Unbind) -> None:
        self.vhost.unbind(
            frame.exchange,
            self._queue_name(frame.queue),
            "queue",
            frame.routing_key,
            frame.arguments,
            self.connection,
        )
        self.send(spec.Queue.UnbindOk())

    def queue_purge(self, frame: spec.Queue.Purge) -> None:
        queue = self.vhost.queue(self._queue_name(frame.queue), self.connection)
        count = queue.purge()
        self.broker.emit("purged", self.broker.queue_id(self.vhost.name, queue.name), count=count)
        if not frame.nowait:
            self.send(spec.Queue.PurgeOk(count))

    def queue_delete(self, frame: spec.Queue.Delete) -> None:
        name = self._queue_name(frame.queue)
        queue = self.vhost.queues.get(name)
        count = 0
        if queue is not None:
            self.vhost.queue(name, self.connection)
            count = self.vhost.delete_queue(
                queue, if_unused=frame.if_unused, if_empty=frame.if_empty
            )
        if not frame.nowait:
            self.send(spec.Queue.DeleteOk(count))

    # -- basic class -------------------------------------------------------------------------------
    def basic_qos(self, frame: spec.Basic.Qos) -> None:
        if frame.prefetch_size:
            raise AmqpError(540, f"prefetch_size!=0 ({frame.prefetch_size})")
        if frame.global_:
            self.prefetch_channel = frame.prefetch_count
        else:
            self.prefetch_consumer = frame.prefetch_count
        self.send(spec.Basic.QosOk())
        for consumer in self.consumers.values():
            consumer.queue.dispatch()

    def basic_consume(self, frame: spec.Basic.Consume) -> None:
        queue = self.vhost.queue(self._queue_name(frame.queue), self.connection)
        tag = frame.consumer_tag or "amq.ctag-" + self.broker.ids.token(22)
        if tag in self.consumers:
            raise AmqpError(530, f"attempt to reuse consumer tag '{tag}'")
        if queue.consumers and (frame.exclusive or any(c.exclusive for c in queue.consumers)):
            raise access_refused(
                f"queue '{queue.name}' in vhost '{self.vhost.name}' in exclusive use"
            )
        consumer = self.subscribe(queue, tag, no_ack=frame.no_ack, exclusive=frame.exclusive)
        consumer.arguments = dict(frame.arguments or {})
        if not frame.nowait:
            self.send(spec.Basic.ConsumeOk(tag))
        queue.add_consumer(consumer)

    def basic_cancel(self, frame: spec.Basic.Cancel) -> None:
        consumer = self.consumers.pop(frame.consumer_tag, None)
        if consumer is not None:
            consumer.queue.remove_consumer(consumer)
        if not frame.nowait:
            self.send(spec.Basic.CancelOk(frame.consumer_tag))

    def basic_get(self, frame: spec.Basic.Get) -> None:
        queue = self.vhost.queue(self._queue_name(frame.queue), self.connection)
        got = self.get(queue, frame.no_ack)
        if got is None:
            self.send(spec.Basic.GetEmpty())
            return
        tag, entry = got
        message = entry.message
        method = spec.Basic.GetOk(
            tag, entry.redelivered, message.exchange, message.routing_key, queue.ready_count
        )
        self.connection.send_content(self.number, method, message, _outgoing(queue, entry))

    def basic_ack(self, frame: spec.Basic.Ack) -> None:
        if self.transactional:
            self._select(frame.delivery_tag, frame.multiple)  # checks the tag now
            self.tx_actions.append(("ack", frame.delivery_tag, frame.multiple))
            return
        self.ack(frame.delivery_tag, frame.multiple)

    def basic_nack(self, frame: spec.Basic.Nack) -> None:
        self.nack(frame.delivery_tag, frame.multiple, frame.requeue)

    def basic_reject(self, frame: spec.Basic.Reject) -> None:
        self.nack(frame.delivery_tag, False, frame.requeue)

    def basic_recover(self, frame: spec.Basic.Recover) -> None:
        if not frame.requeue:
            raise AmqpError(540, "requeue=false")
        self.recover()
        self.send(spec.Basic.RecoverOk())

    def basic_publish(self, frame: spec.Basic.Publish) -> None:
        if frame.immediate:  # removed in RabbitMQ 3.0
            raise AmqpError(540, "immediate=true")
        self.pending = PendingPublish(frame)

    def _published(
        self, method: spec.Basic.Publish, properties: Any, body: bytes, encoded: bytes | None
    ) -> None:
        vhost = self.vhost
        exchange = vhost.exchange(method.exchange)
        if exchange.internal:
            raise access_refused(
                f"cannot publish to internal exchange '{exchange.name}' in vhost '{vhost.name}'"
            )
        check_expiration(properties.expiration)
        user = properties.user_id
        if user is not None and user != self.connection.user:
            raise precondition(
                f"user_id property set to '{user}' but authenticated user was "
                f"'{self.connection.user}'"
            )
        broker = self.broker
        message = Message(
            broker.next_message_id(),
            exchange.name,
            method.routing_key,
            properties,
            body,
            broker.ids.trace_id(broker.clock.now()) if broker.trace.enabled else None,
            broker.clock.now(),
            encoded,
        )
        if self.transactional:
            self.tx_actions.append(("publish", method, message))
            return
        self._route(method, message)

    def _route(self, method: spec.Basic.Publish, message: Message) -> None:
        exchange = self.vhost.exchanges.get(method.exchange)
        if exchange is None:  # deleted inside a transaction
            return
        route, accepted = self.vhost.publish(message, exchange)
        if not route.queues and method.mandatory:
            self.connection.send_content(
                self.number,
                spec.Basic.Return(312, "NO_ROUTE", message.exchange, message.routing_key),
                message,
                message.properties,
            )
            self.broker.emit(
                "returned",
                self.broker.exchange_id(self.vhost.name, exchange.name),
                message_id=message.id,
                trace_id=message.trace_id,
                reply="NO_ROUTE",
            )
        if self.confirming:
            self.publish_seq += 1
            if accepted:
                # Acks are coalesced into one `multiple` ack per write, as RabbitMQ does.
                if self.confirmed_upto == self.acked_upto:
                    self.connection.confirm_later(self)
                self.confirmed_upto = self.publish_seq
            else:
                self.flush_confirms()
                self.send(spec.Basic.Nack(self.publish_seq))
                self.confirmed_upto = self.acked_upto = self.publish_seq

    def flush_confirms(self) -> None:
        """Send the publisher-confirm ack owed for publishes handled since the last write."""
        upto = self.confirmed_upto
        if upto == self.acked_upto:
            return
        multiple = upto - self.acked_upto > 1
        self.acked_upto = upto
        self.send(spec.Basic.Ack(upto, multiple))

    # -- confirm, tx, channel ---------------------------------------------------------------
    def confirm_select(self, frame: spec.Confirm.Select) -> None:
        if self.transactional:
            raise precondition("cannot switch from tx to confirm mode")
        self.confirming = True
        if not frame.nowait:
            self.send(spec.Confirm.SelectOk())

    def tx_select(self, frame: spec.Tx.Select) -> None:
        if self.confirming:
            raise precondition("cannot switch from confirm to tx mode")
        self.transactional = True
        self.send(spec.Tx.SelectOk())

    def tx_commit(self, frame: spec.Tx.Commit) -> None:
        if not self.transactional:
            raise precondition("channel is not transactional")
        actions, self.tx_actions = self.tx_actions, []
        for action in actions:
            if action[0] == "publish":
                self._route(action[1], action[2])
            elif action[1] in self.unacked or action[2]:
                self.ack(action[1], action[2])
        self.send(spec.Tx.CommitOk())

    def tx_rollback(self, frame: spec.Tx.Rollback) -> None:
        if not self.transactional:
            raise precondition("channel is not transactional")
        self.tx_actions = []
        self.send(spec.Tx.RollbackOk())

    def channel_flow(self, frame: spec.Channel.Flow) -> None:
        if not frame.active:
            raise AmqpError(540, "active=false")
        self.send(spec.Channel.FlowOk(True))

    def channel_open(self, frame: spec.Channel.Open) -> None:
        raise AmqpError(504, "second 'channel.open' seen")


def _outgoing(queue: Queue, entry: Entry) -> spec.Basic.Properties:
    """The properties a delivery carries (quorum queues add `x-delivery-count` on redelivery)."""
    properties = entry.message.properties
    if entry.delivery_count and queue.kind == "quorum":
        from .vhost import _copy_properties

        properties = _copy_properties(properties)
        properties.headers = {
            **(properties.headers or {}),
            "x-delivery-count": entry.delivery_count,
        }
    return properties


_HANDLERS = {
    "Exchange.Declare": Channel.exchange_declare,
    "Exchange.Delete": Channel.exchange_delete,
    "Exchange.Bind": Channel.exchange_bind,
    "Exchange.Unbind": Channel.exchange_unbind,
    "Queue.Declare": Channel.queue_declare,
    "Queue.Bind": Channel.queue_bind,
    "Queue.Unbind": Channel.queue_unbind,
    "Queue.Purge": Channel.queue_purge,
    "Queue.Delete": Channel.queue_delete,
    "Basic.Qos": Channel.basic_qos,
    "Basic.Consume": Channel.basic_consume,
    "Basic.Cancel": Channel.basic_cancel,
    "Basic.Get": Channel.basic_get,
    "Basic.Ack": Channel.basic_ack,
    "Basic.Nack": Channel.basic_nack,
    "Basic.Reject": Channel.basic_reject,
    "Basic.Recover": Channel.basic_recover,
    "Basic.Publish": Channel.basic_publish,
    "Confirm.Select": Channel.confirm_select,
    "Tx.Select": Channel.tx_select,
    "Tx.Commit": Channel.tx_commit,
    "Tx.Rollback": Channel.tx_rollback,
    "Channel.Flow": Channel.channel_flow,
    "Channel.Open": Channel.channel_open,
}
