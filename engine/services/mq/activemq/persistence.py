"""Save and open for an ActiveMQ broker: users, queues, topics, durable subscriptions and the
persistent messages they hold, as ActiveMQ's message store keeps them across a restart.

Non-persistent messages are not saved (ActiveMQ loses them on restart); unacknowledged and
delayed-redelivery messages come back ready and redelivered; non-durable subscriptions belong to
connections and are not saved. Scheduled (AMQ_SCHEDULED_*) and MQTT retained messages are not
saved either.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .model import Destination, Message

if TYPE_CHECKING:
    from .broker import ActiveBroker
    from .endpoints import Endpoint


def _message_out(message: Message, inflight: bool) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.destination.kind,
        "destination": message.destination.name,
        "body": base64.b64encode(message.body).decode(),
        "properties": dict(message.properties),
        "priority": message.priority,
        "expiration": message.expiration,
        "timestamp": message.timestamp,
        "correlation_id": message.correlation_id,
        "type": message.type,
        "reply_to": message.reply_to,
        # An unacknowledged delivery comes back as a redelivery (as after a broker restart).
        "redeliveries": message.redeliveries + (1 if inflight else 0),
        "seq": message.seq,
        "text": message.text,
    }


def _message_in(item: dict[str, Any], shift_ms: int) -> Message:
    return Message(
        item["id"],
        Destination(item["kind"], item["destination"]),
        base64.b64decode(item["body"]),
        dict(item.get("properties") or {}),
        int(item.get("priority", 4)),
        True,
        item["expiration"] + shift_ms if item.get("expiration") else 0,
        int(item.get("timestamp", 0)),
        item.get("correlation_id"),
        item.get("type"),
        item.get("reply_to"),
        int(item.get("redeliveries", 0)),
        None,
        int(item.get("seq", 0)),
        bool(item.get("text")),
    )


def _held(broker: ActiveBroker, endpoint: Endpoint) -> list[dict[str, Any]]:
    """The persistent messages an endpoint holds: ready, delivered-unacked and delayed."""
    found = [(m, False) for m in endpoint.browse()]
    found += [(m, True) for c in endpoint.consumers for m in c.inflight.values()]
    found += [(m, True) for owner, m in broker.core.redelivering.values() if owner is endpoint]
    found.sort(key=lambda pair: pair[0].seq)
    return [_message_out(m, inflight) for m, inflight in found if m.persistent]


def dump_active(broker: ActiveBroker) -> dict[str, Any]:
    """The broker's users, destinations, durable subscriptions and persistent messages."""
    core = broker.core
    return {
        "users": dict(broker.users),
        "seq": core._seq,
        "dead_letter_queues": [[d.kind, d.name] for d in core.dead_letter_queues],
        "message_counter": broker._message_counter,
        "queues": [
            {
                "name": name,
                "enqueued": queue.enqueued,
                "dequeued": queue.dequeued,
                "messages": _held(broker, queue),
            }
            for name, queue in core.queues.items()
        ],
        "topics": {name: dict(counters) for name, counters in core.topics.items()},
        "durable": [
            {
                "client_id": client_id,
                "name": name,
                "kind": endpoint.destination.kind,
                "destination": endpoint.destination.name,
                "selector": endpoint.selector.text if endpoint.selector else None,
                "messages": _held(broker, endpoint),
            }
            for (client_id, name), endpoint in core.durable.items()
        ],
    }


def load_active(broker: ActiveBroker, data: dict[str, Any], age_shift: float) -> None:
    """Restore what `dump_active` saved into a fresh broker (before its listeners open)."""
    from .selector import compile_selector

    core = broker.core
    shift_ms = int(age_shift * 1000)
    broker.users = dict(data.get("users") or {})
    core._seq = int(data.get("seq", 0))
    core.dead_letter_queues.update(Destination(k, n) for k, n in data.get("dead_letter_queues", []))
    broker._message_counter = int(data.get("message_counter", 0))
    for name, counters in (data.get("topics") or {}).items():
        core.topic(name).update(counters)
    for saved in data.get("queues", []):
        queue = core.queue(saved["name"])
        queue.enqueued = int(saved.get("enqueued", 0))
        queue.dequeued = int(saved.get("dequeued", 0))
        for item in saved.get("messages", []):
            queue.enqueue(_message_in(item, shift_ms))
    for saved in data.get("durable", []):
        destination = Destination(saved["kind"], saved["destination"])
        key = (saved["client_id"], saved["name"])
        consumer = core.subscribe(
            destination,
            "restore",
            lambda consumer, message: None,
            selector=compile_selector(saved.get("selector")),
            durable=key,
        )
        core.close_consumer(consumer)  # the subscription stays, with no consumer until one attaches
        endpoint = core.durable[key]
        for item in saved.get("messages", []):
            endpoint.enqueue(_message_in(item, shift_ms))
