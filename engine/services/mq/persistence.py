"""Save and open for Amazon MQ: brokers, configurations, tags, and each broker's contents.

RabbitMQ: vhosts, exchanges, bindings, queues and ready messages (unacked ones are saved as ready
and come back redelivered; exclusive queues belong to connections and are not saved). ActiveMQ:
see `activemq/persistence.py` (users, destinations, durable subscriptions, persistent messages).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pamqp.commands import Basic

from .brokers import BrokerRecord
from .configurations import ConfigurationRecord, Revision
from .engines import ENGINES

if TYPE_CHECKING:
    from .rabbitmq import RabbitBroker
    from .service import MqService

_PROPERTIES = [name for name in Basic.Properties.__slots__ if name != "cluster_id"]


def _value_out(value: Any) -> Any:
    """An AMQP field value as JSON (datetimes and bytes tagged so they come back as such)."""
    if isinstance(value, datetime):
        return {"$datetime": value.timestamp()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _value_out(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value_out(v) for v in value]
    return value


def _value_in(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromtimestamp(value["$datetime"], UTC)
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: _value_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value_in(v) for v in value]
    return value


def _dump_rabbit(plane: RabbitBroker) -> dict[str, Any]:
    vhosts = []
    for vhost in plane.vhosts.values():
        queues = []
        for queue in vhost.queues.values():
            if queue.exclusive_owner is not None:
                continue
            entries = sorted((e for _, _, e in queue._ready), key=lambda e: e.sort_key())
            queues.append(
                {
                    "name": queue.name,
                    "durable": queue.durable,
                    "auto_delete": queue.auto_delete,
                    "arguments": _value_out(queue.arguments),
                    "messages": [
                        {
                            "exchange": e.message.exchange,
                            "routing_key": e.message.routing_key,
                            "properties": {
                                name: _value_out(getattr(e.message.properties, name))
                                for name in _PROPERTIES
                                if getattr(e.message.properties, name) is not None
                            },
                            "body": base64.b64encode(e.message.body).decode(),
                            "published_at": e.message.published_at,
                            "redelivered": e.redelivered,
                            "delivery_count": e.delivery_count,
                        }
                        for e in entries
                    ],
                }
            )
        vhosts.append(
            {
                "name": vhost.name,
                "exchanges": [
                    {
                        "name": x.name,
                        "type": x.type,
                        "durable": x.durable,
                        "auto_delete": x.auto_delete,
                        "internal": x.internal,
                        "arguments": _value_out(x.arguments),
                    }
                    for x in vhost.exchanges.values()
                    if x.name and not x.name.startswith("amq.")
                ],
                "queues": queues,
                "bindings": [
                    {
                        "source": b.source,
                        "destination": b.destination,
                        "destination_type": b.destination_type,
                        "routing_key": b.routing_key,
                        "arguments": _value_out(b.arguments),
                    }
                    for x in vhost.exchanges.values()
                    for b in x.bindings.values()
                    if b.destination_type == "exchange"
                    or (
                        vhost.queues.get(b.destination) is not None
                        and vhost.queues[b.destination].exclusive_owner is None
                    )
                ],
            }
        )
    return {"users": {k: dict(v) for k, v in plane.users.items()}, "vhosts": vhosts}


def _load_rabbit(plane: RabbitBroker, data: dict[str, Any], age_shift: float) -> None:
    from .rabbitmq.model import Message
    from .rabbitmq.vhost import VirtualHost

    plane.users = {k: dict(v) for k, v in data.get("users", {}).items()}
    for saved in data.get("vhosts", []):
        vhost = plane.vhosts.get(saved["name"])
        if vhost is None:
            vhost = plane.vhosts[saved["name"]] = VirtualHost(plane, saved["name"])
        for x in saved.get("exchanges", []):
            vhost.declare_exchange(
                x["name"],
                x["type"],
                durable=x["durable"],
                auto_delete=x["auto_delete"],
                internal=x["internal"],
                arguments=_value_in(x.get("arguments") or {}),
            )
        for q in saved.get("queues", []):
            queue = vhost.declare_queue(
                q["name"],
                durable=q["durable"],
                auto_delete=q["auto_delete"],
                arguments=_value_in(q.get("arguments") or {}),
            )
            for item in q.get("messages", []):
                properties = Basic.Properties(
                    **{k: _value_in(v) for k, v in item.get("properties", {}).items()}
                )
                message = Message(
                    plane.next_message_id(),
                    item["exchange"],
                    item["routing_key"],
                    properties,
                    base64.b64decode(item["body"]),
                    None,
                    item["published_at"] + age_shift,
                )
                queue.enqueue(message)
                if item.get("redelivered") or item.get("delivery_count"):
                    entry = max((e for _, _, e in queue._ready), key=lambda e: e.seq)
                    entry.redelivered = bool(item.get("redelivered"))
                    entry.delivery_count = int(item.get("delivery_count", 0))
        for b in saved.get("bindings", []):
            vhost.bind(
                b["source"],
                b["destination"],
                b["destination_type"],
                b["routing_key"],
                _value_in(b.get("arguments") or {}),
            )


def _dump_plane(record: BrokerRecord) -> dict[str, Any]:
    if record.spec.engine_type == "ACTIVEMQ":
        from .activemq.persistence import dump_active

        return dump_active(record.plane)
    return _dump_rabbit(record.plane)


def _load_plane(service: MqService, b: dict[str, Any], age_shift: float) -> Any:
    """A fresh data plane for a saved broker, filled with what was saved (listeners not open)."""
    users = dict(b["users"])
    if b["engine_type"] == "ACTIVEMQ":
        from .activemq import ActiveBroker
        from .activemq.persistence import load_active

        active = ActiveBroker(service.engine, b["arn"], b["name"], users)
        load_active(active, b.get("data") or {}, age_shift)
        return active
    from .rabbitmq import RabbitBroker

    rabbit = RabbitBroker(service.engine, b["arn"], b["name"], users)
    _load_rabbit(rabbit, b.get("data") or {}, age_shift)
    return rabbit


def dump(service: MqService) -> dict[str, Any] | None:
    """The service's brokers, configurations and broker contents as JSON-able data."""
    brokers = service.brokers.brokers
    configurations = service.configurations.items
    if not brokers and not configurations:
        return None
    return {
        "saved_at": service.clock.now(),
        "brokers": [
            {
                "id": r.id,
                "arn": r.arn,
                "name": r.name,
                "engine_type": r.spec.engine_type,
                "engine_version": r.engine_version,
                "deployment_mode": r.deployment_mode,
                "instance_type": r.instance_type,
                "publicly_accessible": r.publicly_accessible,
                "auto_minor_version_upgrade": r.auto_minor_version_upgrade,
                "authentication_strategy": r.authentication_strategy,
                "storage_type": r.storage_type,
                "users": dict(r.users),
                "created": r.created,
                "subnet_ids": list(r.subnet_ids),
                "security_groups": list(r.security_groups),
                "logs": dict(r.logs),
                "maintenance": dict(r.maintenance),
                "encryption": dict(r.encryption),
                "configuration": r.configuration,
                "creator_request_id": r.creator_request_id,
                "pending": dict(r.pending),
                "tags": service.tags.get(r.arn),
                "user_details": {
                    name: {
                        "password": u.password,
                        "console_access": u.console_access,
                        "groups": list(u.groups),
                        "replication_user": u.replication_user,
                        "pending": u.pending,
                        "pending_values": dict(u.pending_values),
                    }
                    for name, u in r.user_details.items()
                },
                "data": _dump_plane(r),
            }
            for r in brokers.values()
            if r.state != "DELETION_IN_PROGRESS" and r.plane is not None
        ],
        "configurations": [
            {
                "id": c.id,
                "arn": c.arn,
                "name": c.name,
                "engine_type": c.engine_type,
                "engine_version": c.engine_version,
                "created": c.created,
                "authentication_strategy": c.authentication_strategy,
                "revisions": [
                    {
                        "number": v.number,
                        "created": v.created,
                        "description": v.description,
                        "data": v.data,
                    }
                    for v in c.revisions
                ],
                "tags": service.tags.get(c.arn),
            }
            for c in configurations.values()
        ],
    }


def load(service: MqService, data: dict[str, Any]) -> None:
    """Restore what `dump` produced; each broker reopens its listeners, then is RUNNING."""
    from .broker_users import BrokerUser

    age_shift = service.clock.now() - data.get("saved_at", service.clock.now())
    for c in data.get("configurations", []):
        record = ConfigurationRecord(
            c["id"],
            c["arn"],
            c["name"],
            c["engine_type"],
            c["engine_version"],
            c["created"],
            c["authentication_strategy"],
            [Revision(**v) for v in c["revisions"]],
        )
        service.configurations.items[record.id] = record
        service.tags.set(record.arn, c.get("tags") or {})
    for b in data.get("brokers", []):
        spec = ENGINES[b["engine_type"]]
        plane = _load_plane(service, b, age_shift)
        record = BrokerRecord(
            id=b["id"],
            arn=b["arn"],
            name=b["name"],
            spec=spec,
            engine_version=b["engine_version"],
            deployment_mode=b["deployment_mode"],
            instance_type=b["instance_type"],
            publicly_accessible=b["publicly_accessible"],
            auto_minor_version_upgrade=b["auto_minor_version_upgrade"],
            authentication_strategy=b["authentication_strategy"],
            storage_type=b["storage_type"],
            users=dict(b["users"]),
            created=b["created"],
            subnet_ids=list(b["subnet_ids"]),
            security_groups=list(b["security_groups"]),
            logs=dict(b["logs"]),
            maintenance=dict(b["maintenance"]),
            encryption=dict(b["encryption"]),
            configuration=b.get("configuration"),
            creator_request_id=b.get("creator_request_id"),
            state="REBOOT_IN_PROGRESS",
            pending=dict(b.get("pending") or {}),
            plane=plane,
            user_details={
                name: BrokerUser(
                    u["password"],
                    u["console_access"],
                    list(u["groups"]),
                    u["replication_user"],
                    u.get("pending"),
                    dict(u.get("pending_values") or {}),
                )
                for name, u in (b.get("user_details") or {}).items()
            },
        )
        service.brokers.brokers[record.id] = record
        service.brokers.apply_configuration(record)
        service.tags.set(record.arn, b.get("tags") or {})
        service.engine.spawn(_reopen(service, record), name=f"mq:reopen:{record.name}")


async def _reopen(service: MqService, record: BrokerRecord) -> None:
    """Open the restored broker's listeners (new ports), then let clients in."""
    await record.plane.open()
    record.state = "RUNNING"
    record.plane.accepting = True
    service.emit("state-entered", record.arn, state="RUNNING")
