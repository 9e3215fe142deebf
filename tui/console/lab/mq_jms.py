"""`mq send|subscribe|received|ack|nack|unsubscribe|destinations`: JMS lab words for ActiveMQ.

They speak to an ActiveMQ broker's data plane the way a JMS client would (same destinations,
selectors, virtual topics, redelivery and trace), beside the `mq <operation>` AWS commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.errors import ServiceError
from engine.services.mq.activemq.endpoints import ACK_MODES, AUTO

from ..render import records_table
from ..result import CommandResult
from .mq import UsageError, running_plane, split_options

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "send": "mq send BROKER DESTINATION [--prop k=v …] [--priority 0-9] [--ttl SECONDS] "
    "[--correlation-id ID] [--type T] [--non-persistent] BODY",
    "subscribe": "mq subscribe BROKER DESTINATION [--selector EXPR] [--durable NAME] "
    "[--ack auto|client|client-individual]",
    "received": "mq received BROKER SUBSCRIPTION",
    "ack": "mq ack BROKER SUBSCRIPTION [MESSAGE_ID]",
    "nack": "mq nack BROKER SUBSCRIPTION [MESSAGE_ID]",
    "unsubscribe": "mq unsubscribe BROKER SUBSCRIPTION | mq unsubscribe BROKER --durable NAME",
    "destinations": "mq destinations BROKER",
}
SUMMARIES = {
    "send": "Send a JMS message to a queue or topic (`topic://t`, composites `a,topic://b`)",
    "subscribe": "Subscribe to a queue or topic, with a JMS selector or as a durable subscriber",
    "received": "Show what a lab subscription received since the last look",
    "ack": "Acknowledge what a --ack client subscription received (client: cumulative)",
    "nack": "Roll back a --ack client delivery: redelivered by the redelivery policy, then DLQ'd",
    "unsubscribe": "Close a lab subscription (a durable one keeps collecting for its name)",
    "destinations": "List an ActiveMQ broker's queues and topics with their counters",
}
_FLAGS = {"--non-persistent"}
_OPTIONS = {
    "--prop",
    "--priority",
    "--ttl",
    "--correlation-id",
    "--type",
    "--selector",
    "--durable",
    "--ack",
}


def _split(word: str, args: list[str]) -> tuple[list[str], dict[str, Any]]:
    return split_options(args, USAGE[word], flags=_FLAGS, options=_OPTIONS, multi={"--prop"})


def _value(text: str) -> Any:
    """A property value as a JMS client would type it: long, double, boolean, else string."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text in ("true", "false"):
        return text == "true"
    return text


def _broker(console: Console, name: str) -> Any:
    return running_plane(console, name, "ACTIVEMQ")


def _number(options: dict, name: str, low: float, high: float) -> float | None:
    if name not in options:
        return None
    try:
        value = float(options[name])
    except ValueError:
        raise UsageError(f"{name} takes a number, got '{options[name]}'") from None
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low:g} and {high:g}")
    return value


def _rows(messages: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "destination": m.destination.uri,
            "priority": m.priority,
            "redelivered": m.redeliveries > 0,
            "properties": ", ".join(f"{k}={v}" for k, v in m.properties.items()),
            "body": m.body.decode("utf-8", "replace")[:120],
        }
        for m in messages
    ]


def _values(messages: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "MessageId": m.id,
            "Destination": m.destination.uri,
            "Priority": m.priority,
            "Redelivered": m.redeliveries > 0,
            "Properties": dict(m.properties),
            "Body": m.body.decode("utf-8", "replace"),
        }
        for m in messages
    ]


# -- commands ------------------------------------------------------------------------------------
def _send(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 3:
        raise UsageError(f"usage: {USAGE['send']}")
    broker = _broker(console, positional[0])
    priority = _number(options, "--priority", 0, 9)
    ttl = _number(options, "--ttl", 0, 10**9)
    sent = broker.send(
        positional[1],
        positional[2].encode(),
        properties={k: _value(v) for k, v in options["--prop"]},
        priority=4 if priority is None else int(priority),
        persistent=not options.get("--non-persistent"),
        ttl_ms=int((ttl or 0) * 1000),
        correlation_id=options.get("--correlation-id"),
        jms_type=options.get("--type"),
    )
    reached = [
        r.rsplit("/", 1)[-1] if "/subscription/" not in r else r.split("/subscription/")[1]
        for r in sent["Reached"]
    ]
    text = Text(f"Sent {sent['MessageId']} to {', '.join(sent['Destinations'])}")
    text.append("\nreached: " + (", ".join(reached) if reached else "no subscriber (not kept)"))
    return CommandResult(ok=True, value=sent, output=text)


def _subscribe(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 2:
        raise UsageError(f"usage: {USAGE['subscribe']}")
    broker = _broker(console, positional[0])
    sub = broker.lab.subscribe(
        positional[1],
        options.get("--selector"),
        options.get("--durable"),
        options.get("--ack") or AUTO,
    )
    waiting = broker.lab.take(sub.id)
    value = {
        "Subscription": sub.id,
        "Destination": positional[1],
        "Selector": sub.selector,
        "Durable": sub.durable,
        "AckMode": sub.ack_mode,
        "Messages": _values(waiting),
    }
    text = Text(f"Subscribed {sub.id} to {positional[1]}")
    if sub.selector:
        text.append(f" where {sub.selector}")
    if sub.durable:
        text.append(f" (durable '{sub.durable}')")
    if sub.ack_mode != AUTO:
        text.append(f", acknowledging with mq ack/nack ({sub.ack_mode})")
    text.append(f" — see what arrives with: mq received {positional[0]} {sub.id}")
    if waiting:
        return CommandResult(ok=True, value=value, output=records_table(_rows(waiting), str(text)))
    return CommandResult(ok=True, value=value, output=text)


def _received(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 2:
        raise UsageError(f"usage: {USAGE['received']}")
    broker = _broker(console, positional[0])
    messages = broker.lab.take(positional[1])
    if not messages:
        return CommandResult(ok=True, value=[], output=Text(f"Nothing new for {positional[1]}."))
    title = f"{positional[1]}: {len(messages)} received"
    return CommandResult(
        ok=True, value=_values(messages), output=records_table(_rows(messages), title)
    )


def _settle(word: str) -> Callable[[Console, list[str], dict], CommandResult]:
    def settle(console: Console, positional: list[str], options: dict) -> CommandResult:
        if len(positional) not in (2, 3):
            raise UsageError(f"usage: {USAGE[word]}")
        broker = _broker(console, positional[0])
        message_id = positional[2] if len(positional) == 3 else None
        lab = broker.lab
        settled = (lab.ack if word == "ack" else lab.nack)(positional[1], message_id)
        ids = [m.id for m in settled]
        if word == "ack":
            line = f"Acknowledged {len(ids)} message(s) on {positional[1]}"
        else:
            line = (
                f"Rolled back {len(ids)} message(s) on {positional[1]}: redelivered under the "
                "broker's redelivery policy (then its dead-letter queue)"
            )
        value = {"Subscription": positional[1], "MessageIds": ids}
        return CommandResult(ok=True, value=value, output=Text(line))

    return settle


def _unsubscribe(console: Console, positional: list[str], options: dict) -> CommandResult:
    durable = options.get("--durable")
    if len(positional) != (1 if durable else 2):
        raise UsageError(f"usage: {USAGE['unsubscribe']}")
    broker = _broker(console, positional[0])
    if durable:
        found = [s.id for s in broker.lab.items.values() if s.durable == durable]
        if not found:
            raise UsageError(f"No open lab subscription with the durable name '{durable}'")
        positional = [positional[0], found[0]]
    sub = broker.lab.unsubscribe(positional[1])
    text = Text(f"Closed {sub.id}")
    if sub.durable:
        text.append(f"; durable subscription '{sub.durable}' keeps collecting messages")
    return CommandResult(ok=True, value={"Subscription": sub.id}, output=text)


def _destinations(console: Console, positional: list[str], options: dict) -> CommandResult:
    if len(positional) != 1:
        raise UsageError(f"usage: {USAGE['destinations']}")
    broker = _broker(console, positional[0])
    rows = broker.destinations()
    if not rows:
        return CommandResult(ok=True, value=[], output=Text("No destinations yet."))
    return CommandResult(
        ok=True, value=rows, output=records_table(rows, f"{broker.name} destinations")
    )


_COMMANDS = {
    "send": _send,
    "subscribe": _subscribe,
    "received": _received,
    "ack": _settle("ack"),
    "nack": _settle("nack"),
    "unsubscribe": _unsubscribe,
    "destinations": _destinations,
}


# -- wiring ------------------------------------------------------------------------------------------
def _runner(word: str) -> Callable:
    async def run(console: Console, args: list[str]) -> CommandResult:
        try:
            positional, options = _split(word, args)
            return _COMMANDS[word](console, positional, options)
        except (UsageError, ValueError) as error:
            return CommandResult.fail(str(error))
        except ServiceError as error:
            return CommandResult.fail(f"An error occurred ({error.code}): {error.message}")

    run.complete = lambda console, args: _complete(console, word, args)  # type: ignore[attr-defined]
    return run


def _brokers(console: Console) -> list[tuple[str, str, str]]:
    if not any(service.name == "mq" for service in console.engine.started_services()):
        return []
    records = console.engine.service("mq").brokers.brokers.values()
    return [
        (r.name, r.name, f"ActiveMQ broker ({r.state})")
        for r in records
        if r.plane is not None and r.spec.engine_type == "ACTIVEMQ"
    ]


def _destination_names(console: Console, broker: str) -> list[tuple[str, str, str]]:
    try:
        core = console.engine.service("mq").activemq(broker).core
    except Exception:
        return []
    found = [(q, q, f"queue ({e.depth} waiting)") for q, e in core.queues.items()]
    found += [(f"topic://{t}", f"topic://{t}", "topic") for t in core.topics]
    return found


def _lab(console: Console, broker: str) -> Any:
    """The broker's lab subscriptions, or None (no such ActiveMQ broker)."""
    try:
        return console.engine.service("mq").activemq(broker).lab
    except Exception:
        return None


def _complete(console: Console, word: str, args: list[str]) -> list[tuple[str, str, str]]:
    """Completion after `mq WORD`: ActiveMQ brokers, then destinations or subscriptions."""
    positional = [
        a
        for i, a in enumerate(args)
        if not a.startswith("--") and not (i > 0 and args[i - 1] in _OPTIONS)
    ]
    if args and args[-1] == "--ack":
        return [(mode, mode, "acknowledgement mode") for mode in ACK_MODES]
    if args and args[-1] in _OPTIONS:
        return []
    if not positional:
        return _brokers(console)
    if len(positional) == 1 and word in ("send", "subscribe"):
        return _destination_names(console, positional[0])
    if len(positional) == 1 and word in ("received", "ack", "nack", "unsubscribe"):
        lab = _lab(console, positional[0])
        items = lab.items.items() if lab is not None else ()
        return [(s, s, f"subscription to {x.destination}") for s, x in items]
    if len(positional) == 2 and word in ("ack", "nack"):
        lab = _lab(console, positional[0])
        if lab is None or positional[1] not in lab.items:
            return []
        return [
            (m.id, m.id, m.body.decode("utf-8", "replace")[:40]) for m in lab.unacked(positional[1])
        ]
    options = {
        "send": ["--prop", "--priority", "--ttl", "--correlation-id", "--type", "--non-persistent"],
        "subscribe": ["--selector", "--durable", "--ack"],
        "unsubscribe": ["--durable"],
    }.get(word, [])
    return [(o, o, "option") for o in options if o not in args or o == "--prop"]


def register(console: Console) -> None:
    """Add the ActiveMQ data-plane words after `mq`."""
    if "mq" not in console.services:
        return
    for word, summary in SUMMARIES.items():
        console.register_subcommand("mq", word, _runner(word), f"{summary} — {USAGE[word]}")
