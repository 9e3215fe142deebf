"""`mq publish|consume|declare|bind|unbind|queues|exchanges|bindings`: AMQP-shaped lab commands.

They speak to a RabbitMQ broker's data plane the way an AMQP client would (same routing, queues,
dead-lettering and trace), beside the `mq <operation>` AWS control-plane commands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "publish": "mq publish BROKER --exchange X --routing-key K [--header k=v …] "
    "[--property k=v …] [--vhost V] BODY",
    "consume": "mq consume BROKER QUEUE [--ack|--nack|--requeue] [--count N] [--vhost V]",
    "declare": "mq declare BROKER exchange NAME --type direct|fanout|topic|headers "
    "[--durable] [--auto-delete] [--internal] [--argument k=v …]  |  "
    "mq declare BROKER queue NAME [--durable] [--auto-delete] [--argument k=v …]",
    "bind": "mq bind BROKER EXCHANGE DESTINATION [--routing-key K] [--to-exchange] "
    "[--argument k=v …]",
    "unbind": "mq unbind BROKER EXCHANGE DESTINATION [--routing-key K] [--to-exchange] "
    "[--argument k=v …]",
    "queues": "mq queues BROKER [--vhost V]",
    "exchanges": "mq exchanges BROKER [--vhost V]",
    "bindings": "mq bindings BROKER [--vhost V]",
}
_FLAGS = {
    "--ack",
    "--nack",
    "--requeue",
    "--durable",
    "--auto-delete",
    "--internal",
    "--to-exchange",
}
_MULTI = {"--header", "--property", "--argument"}
_OPTIONS = {"--exchange", "--routing-key", "--vhost", "--count", "--type", *_MULTI}


class UsageError(Exception):
    """A malformed mq lab command (the message names what is wrong)."""


def split_options(
    args: list[str],
    usage: str,
    *,
    flags: set[str],
    options: set[str],
    multi: set[str],
) -> tuple[list[str], dict[str, Any]]:
    """Positional words and `--options` (flags; `multi` ones take key=value and repeat)."""
    positional: list[str] = []
    found: dict[str, Any] = {name: [] for name in multi}
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in flags:
            found[arg] = True
        elif arg in options:
            if index + 1 >= len(args):
                raise UsageError(f"{arg} needs a value — usage: {usage}")
            value = args[index + 1]
            index += 1
            if arg in multi:
                if "=" not in value:
                    raise UsageError(f"{arg} takes key=value, got '{value}'")
                found[arg].append(value.split("=", 1))
            else:
                found[arg] = value
        elif arg.startswith("--") and arg not in ("--",):
            raise UsageError(f"Unknown option {arg} — usage: {usage}")
        else:
            positional.append(arg)
        index += 1
    return positional, found


def _split(word: str, args: list[str]) -> tuple[list[str], dict[str, Any]]:
    return split_options(args, USAGE[word], flags=_FLAGS, options=_OPTIONS, multi=_MULTI)


def _value(text: str) -> Any:
    """A header/argument value: integers and booleans as AMQP would carry them, else text."""
    if text.lstrip("-").isdigit():
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def running_plane(console: Console, name: str, engine_type: str) -> Any:
    """The data plane of a RUNNING broker of `engine_type`, or a UsageError saying why not."""
    record = console.engine.service("mq").brokers.get(name)
    if record.spec.engine_type != engine_type:
        other = (
            "an ActiveMQ broker: use mq send / mq subscribe"
            if engine_type == "RABBITMQ"
            else "a RabbitMQ broker: use mq publish / mq consume"
        )
        raise UsageError(f"Broker '{record.name}' is {other}")
    if record.state != "RUNNING":
        raise UsageError(
            f"Broker '{record.name}' is {record.state}: its endpoint accepts clients once it is "
            "RUNNING (see mq describe-broker)"
        )
    return record.plane


def _broker(console: Console, name: str) -> Any:
    return running_plane(console, name, "RABBITMQ")


def _result(value: Any, output: Any) -> CommandResult:
    return CommandResult(ok=True, value=value, output=output)


# -- commands ------------------------------------------------------------------------------------
def _publish(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 2 or "--exchange" not in options:
        raise UsageError(f"usage: {USAGE['publish']}")
    broker = _broker(console, positional[0])
    properties: dict[str, Any] = {}
    for key, raw in options["--property"]:
        name = key.replace("-", "_")
        if name not in _PROPERTY_NAMES:
            raise UsageError(
                f"Unknown message property '{key}' (one of: {', '.join(_PROPERTY_NAMES)})"
            )
        properties[name] = _value(raw) if name in ("priority", "delivery_mode") else raw
    sent = broker.publish(
        options["--exchange"],
        options.get("--routing-key", ""),
        positional[1].encode(),
        vhost=options.get("--vhost", "/"),
        headers={k: _value(v) for k, v in options["--header"]} or None,
        properties=properties,
    )
    lines = Text(
        f"Published {sent['MessageId']} to exchange '{options['--exchange'] or '(default)'}'"
    )
    if sent["Bindings"]:
        lines.append(
            "\nmatched: "
            + ", ".join(
                f"{b['Source'] or '(default)'} → {b['Destination']} [{b['RoutingKey'] or '∅'}]"
                for b in sent["Bindings"]
            )
        )
    lines.append(
        "\nqueues: " + (", ".join(sent["Queues"]) if sent["Queues"] else "none (unroutable)")
    )
    if not sent["Accepted"]:
        lines.append("\na full queue refused it (x-overflow reject-publish)")
    return _result(sent, lines)


_PROPERTY_NAMES = (
    "content_type",
    "content_encoding",
    "delivery_mode",
    "priority",
    "correlation_id",
    "reply_to",
    "expiration",
    "message_id",
    "message_type",
    "app_id",
)


def _consume(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 2:
        raise UsageError(f"usage: {USAGE['consume']}")
    outcomes = [o for o in ("--ack", "--nack", "--requeue") if options.get(o)]
    if len(outcomes) > 1:
        raise UsageError("Choose one of --ack, --nack, --requeue")
    outcome = outcomes[0] if outcomes else "--ack"
    count_text = options.get("--count", "1")
    if not count_text.isdigit() or int(count_text) < 1:
        raise UsageError(f"--count takes a positive integer, got '{count_text}'")
    broker = _broker(console, positional[0])
    queue = broker.vhost(options.get("--vhost", "/")).queue(positional[1])
    session = broker.session()
    taken = []
    for _ in range(int(count_text)):
        got = session.get(queue, no_ack=False)
        if got is None:
            break
        tag, entry = got
        message = entry.message
        headers = {k: v for k, v in message.headers.items()}
        taken.append(
            {
                "MessageId": message.id,
                "Exchange": message.exchange,
                "RoutingKey": message.routing_key,
                "Redelivered": entry.redelivered,
                "Body": message.body.decode("utf-8", "replace"),
                "Headers": json.loads(json.dumps(headers, default=str)),
            }
        )
        if outcome == "--ack":
            session.ack(tag)
        else:
            session.nack(tag, requeue=outcome == "--requeue")
    if not taken:
        return _result([], Text(f"Queue '{queue.name}' is empty."))
    done = {
        "--ack": "acked",
        "--nack": "nacked (dead-lettered or dropped)",
        "--requeue": "requeued",
    }
    rows = [
        {
            "routing key": m["RoutingKey"],
            "redelivered": m["Redelivered"],
            "body": m["Body"][:120],
            "x-death": ", ".join(
                f"{d.get('reason')}@{d.get('queue')}" for d in m["Headers"].get("x-death", [])
            ),
        }
        for m in taken
    ]
    return _result(taken, records_table(rows, f"{queue.name}: {len(taken)} {done[outcome]}"))


def _declare(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 3 or positional[1] not in ("exchange", "queue"):
        raise UsageError(f"usage: {USAGE['declare']}")
    broker = _broker(console, positional[0])
    vhost = broker.vhost(options.get("--vhost", "/"))
    arguments = {k: _value(v) for k, v in options["--argument"]}
    name = positional[2]
    if positional[1] == "exchange":
        if "--type" not in options:
            raise UsageError("mq declare … exchange needs --type direct|fanout|topic|headers")
        exchange = vhost.declare_exchange(
            name,
            options["--type"],
            durable=bool(options.get("--durable")),
            auto_delete=bool(options.get("--auto-delete")),
            internal=bool(options.get("--internal")),
            arguments=arguments,
        )
        value = {"Exchange": exchange.name, "Type": exchange.type}
        return _result(value, Text(f"Exchange '{exchange.name}' ({exchange.type}) declared"))
    queue = vhost.declare_queue(
        name,
        durable=bool(options.get("--durable")),
        auto_delete=bool(options.get("--auto-delete")),
        arguments=arguments,
    )
    value = {"Queue": queue.name, "Type": queue.kind, "Messages": queue.ready_count}
    return _result(value, Text(f"Queue '{queue.name}' ({queue.kind}) declared"))


def _binding(console: Console, word: str, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 3:
        raise UsageError(f"usage: {USAGE[word]}")
    broker = _broker(console, positional[0])
    vhost = broker.vhost(options.get("--vhost", "/"))
    kind = "exchange" if options.get("--to-exchange") else "queue"
    key = options.get("--routing-key", "")
    arguments = {k: _value(v) for k, v in options["--argument"]}
    source, destination = positional[1], positional[2]
    if word == "bind":
        vhost.bind(source, destination, kind, key, arguments)
    else:
        vhost.unbind(source, destination, kind, key, arguments)
    value = {
        "Source": source,
        "Destination": destination,
        "RoutingKey": key,
        "DestinationType": kind,
    }
    verb = "Bound" if word == "bind" else "Unbound"
    return _result(value, Text(f"{verb} {source} → {destination} [{key or '∅'}]"))


def _listing(console: Console, word: str, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 1:
        raise UsageError(f"usage: {USAGE[word]}")
    broker = _broker(console, positional[0])
    vhost = broker.vhost(options.get("--vhost", "/"))
    if word == "queues":
        rows = [
            {
                "name": q.name,
                "type": q.kind,
                "ready": q.ready_count,
                "unacked": q.unacked,
                "consumers": len(q.consumers),
                "arguments": json.dumps(q.arguments) if q.arguments else "",
            }
            for q in vhost.queues.values()
        ]
    elif word == "exchanges":
        rows = [
            {"name": e.name or "(default)", "type": e.type, "bindings": len(e.bindings)}
            for e in vhost.exchanges.values()
        ]
    else:
        rows = [
            {
                "source": b.source or "(default)",
                "destination": b.destination,
                "type": b.destination_type,
                "routing key": b.routing_key,
                "arguments": json.dumps(b.arguments) if b.arguments else "",
            }
            for b in vhost.bindings()
        ]
    if not rows:
        return _result([], Text(f"No {word}."))
    return _result(rows, records_table(rows, f"{broker.name} {vhost.name} {word}"))


# -- wiring ------------------------------------------------------------------------------------------
def _runner(word: str) -> Callable:
    async def run(console: Console, args: list[str]) -> CommandResult:
        from engine.services.mq.rabbitmq.errors import AmqpError

        try:
            positional, options = _split(word, args)
            if word == "publish":
                return _publish(console, positional, options)
            if word == "consume":
                return _consume(console, positional, options)
            if word == "declare":
                return _declare(console, positional, options)
            if word in ("bind", "unbind"):
                return _binding(console, word, positional, options)
            return _listing(console, word, positional, options)
        except UsageError as error:
            return CommandResult.fail(str(error))
        except AmqpError as error:
            return CommandResult.fail(f"AMQP {error.code} {error.text}")
        except ServiceError as error:
            return CommandResult.fail(f"An error occurred ({error.code}): {error.message}")

    run.complete = lambda console, args: _complete(console, word, args)  # type: ignore[attr-defined]
    return run


def _brokers(console: Console) -> list[tuple[str, str, str]]:
    if not any(service.name == "mq" for service in console.engine.started_services()):
        return []
    records = console.engine.service("mq").brokers.brokers.values()
    return [(r.name, r.name, f"broker ({r.state})") for r in records if r.plane is not None]


def _names(console: Console, broker: str, kind: str) -> list[tuple[str, str, str]]:
    try:
        vhost = console.engine.service("mq").rabbit(broker).vhost("/")
    except Exception:
        return []
    if kind == "queue":
        return [(q, q, f"queue ({vhost.queues[q].ready_count} ready)") for q in vhost.queues]
    return [(e, e, f"{x.type} exchange") for e, x in vhost.exchanges.items() if e]


def _complete(console: Console, word: str, args: list[str]) -> list[tuple[str, str, str]]:
    """Completion after `mq WORD`: brokers, then exchanges or queues where they fit."""
    positional = [
        a
        for i, a in enumerate(args)
        if not a.startswith("--") and not (i > 0 and args[i - 1] in _OPTIONS)
    ]
    last = args[-1] if args else ""
    if last in ("--exchange",) and positional:
        return _names(console, positional[0], "exchange")
    if last == "--type":
        return [(t, t, "exchange type") for t in ("direct", "fanout", "topic", "headers")]
    if last in _OPTIONS:
        return []
    if not positional:
        return _brokers(console)
    broker = positional[0]
    count = len(positional)
    if word == "consume" and count == 1:
        return _names(console, broker, "queue")
    if word == "declare" and count == 1:
        return [
            ("exchange", "exchange", "declare an exchange"),
            ("queue", "queue", "declare a queue"),
        ]
    if word in ("bind", "unbind"):
        if count == 1:
            return _names(console, broker, "exchange")
        if count == 2:
            return _names(console, broker, "queue") + _names(console, broker, "exchange")
    options = {
        "publish": ["--exchange", "--routing-key", "--header", "--property", "--vhost"],
        "consume": ["--ack", "--nack", "--requeue", "--count", "--vhost"],
        "declare": ["--type", "--durable", "--auto-delete", "--internal", "--argument", "--vhost"],
        "bind": ["--routing-key", "--to-exchange", "--argument", "--vhost"],
        "unbind": ["--routing-key", "--to-exchange", "--argument", "--vhost"],
    }.get(word, ["--vhost"])
    return [(o, o, "option") for o in options if o not in args or o in _MULTI]


SUMMARIES = {
    "publish": "Publish a message to an exchange (AMQP basic.publish) — shows the bindings matched",
    "consume": "Take messages from a queue and ack, nack (dead-letter) or requeue them",
    "declare": "Declare an exchange or a queue (with x- arguments)",
    "bind": "Bind a queue (or exchange) to an exchange with a routing key or header arguments",
    "unbind": "Remove a binding",
    "queues": "List a broker's queues: ready, unacked, consumers, arguments",
    "exchanges": "List a broker's exchanges",
    "bindings": "List a broker's bindings (exchange → destination, key)",
}


def register(console: Console) -> None:
    """Add the RabbitMQ data-plane words after `mq`."""
    if "mq" not in console.services:
        return
    for word, summary in SUMMARIES.items():
        console.register_subcommand("mq", word, _runner(word), f"{summary} — {USAGE[word]}")
