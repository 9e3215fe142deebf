"""`load`: generate traffic into a queue, topic, stream, bus, function or state machine."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.errors import ServiceError

from ..resolver import queue_url_for
from ..result import CommandResult
from ..timefmt import format_duration, parse_duration

if TYPE_CHECKING:
    from engine.topology import Node

    from ..console import Console

USAGE = "load TARGET [--rate N/s] [--duration 30s | --count N] [--payload TEMPLATE] [--wait]"
DEFAULT_TEMPLATE = '{"n": {n}, "at": "{time}"}'
MAX_MESSAGES = 1_000_000
LOAD_KINDS = ("queue", "topic", "stream", "delivery-stream", "bus", "function", "state-machine")


@dataclass(slots=True)
class LoadRun:
    """One traffic generator and how it is doing."""

    target: str
    kind: str
    rate: float
    total: int
    sent: int = 0
    failed: int = 0
    last_error: str = ""
    task: asyncio.Task | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The run as plain data."""
        return {
            "target": self.target,
            "kind": self.kind,
            "rate": self.rate,
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "done": self.task is not None and self.task.done(),
            "last_error": self.last_error,
        }


class _Args(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ValueError(message)


def _parser() -> _Args:
    parser = _Args(prog="load", add_help=False)
    parser.add_argument("target")
    parser.add_argument("--rate", default="10")
    parser.add_argument("--duration")
    parser.add_argument("--count", type=int)
    parser.add_argument("--payload", default=DEFAULT_TEMPLATE)
    parser.add_argument("--wait", action="store_true")
    return parser


def fill_template(template: str, n: int, now: str, uuid: str, rand: float) -> str:
    """The payload for message `n`: `{n}`, `{time}`, `{uuid}` and `{random}` filled in."""
    return (
        template.replace("{n}", str(n))
        .replace("{time}", now)
        .replace("{uuid}", uuid)
        .replace("{random}", f"{rand:.6f}")
    )


async def _sender(console: Console, node: Node) -> Any:
    """A coroutine function sending one payload to `node` through the public client."""
    engine = console.engine
    kind = node.kind
    if kind == "queue":
        url = await queue_url_for(engine, node.name)
        client = engine.client("sqs")
        return lambda body, n: client.send_message(QueueUrl=url, MessageBody=body)
    if kind == "topic":
        client = engine.client("sns")
        return lambda body, n: client.publish(TopicArn=node.id, Message=body)
    if kind == "stream":
        client = engine.client("kinesis")
        return lambda body, n: client.put_record(
            StreamARN=node.id, Data=body.encode(), PartitionKey=f"pk-{n}"
        )
    if kind == "delivery-stream":
        client = engine.client("firehose")
        return lambda body, n: client.put_record(
            DeliveryStreamName=node.name, Record={"Data": body.encode()}
        )
    if kind == "bus":
        client = engine.client("events")
        return lambda body, n: client.put_events(
            Entries=[
                {
                    "Source": "pipework.load",
                    "DetailType": "load",
                    "Detail": body,
                    "EventBusName": node.name,
                }
            ]
        )
    if kind == "function":
        client = engine.client("lambda")
        return lambda body, n: client.invoke(
            FunctionName=node.id, InvocationType="Event", Payload=body.encode()
        )
    client = engine.client("stepfunctions")
    return lambda body, n: client.start_execution(stateMachineArn=node.id, input=body)


async def _run(console: Console, run: LoadRun, send: Any, template: str) -> None:
    clock = console.engine.clock
    ids = console.engine.ids
    start = clock.now()
    from ..timefmt import clock_text

    for n in range(1, run.total + 1):
        await clock.sleep_until(start + (n - 1) / run.rate)
        body = fill_template(template, n, clock_text(clock.now()), ids.uuid(), ids.random())
        try:
            result = await send(body, n)
        except ServiceError as error:
            run.failed += 1
            run.last_error = f"{error.code}: {error.message}"
            continue
        entries_failed = isinstance(result, dict) and result.get("FailedEntryCount")
        if entries_failed:
            run.failed += 1
        else:
            run.sent += 1


async def load(console: Console, args: list[str]) -> CommandResult:
    """Start a traffic generator (background unless --wait)."""
    if not args:
        return _status(console)
    try:
        options = _parser().parse_args(args)
        try:
            rate = float(options.rate.removesuffix("/s"))
        except ValueError:
            raise ValueError(
                f"--rate expects messages per second, e.g. 20/s (got '{options.rate}')"
            ) from None
        if not 0 < rate <= 10_000 or rate != rate:
            raise ValueError("--rate must be above 0 and at most 10000 per second")
        if options.count is not None and options.duration is not None:
            raise ValueError("give --duration or --count, not both")
        if options.count is not None:
            total = options.count
        else:
            total = round(rate * parse_duration(options.duration or "10s"))
        if not 1 <= total <= MAX_MESSAGES:
            raise ValueError(f"between 1 and {MAX_MESSAGES} messages per load (got {total})")
        if options.payload != DEFAULT_TEMPLATE:
            json_check = fill_template(options.payload, 1, "t", "u", 0.5)
            if options.payload.lstrip().startswith(("{", "[")):
                try:
                    json.loads(json_check)
                except ValueError as error:
                    raise ValueError(
                        f"--payload is not valid JSON once {{n}}, {{time}}, {{uuid}} and "
                        f"{{random}} are filled in ({error})"
                    ) from None
    except ValueError as error:
        return CommandResult.fail(f"load: {error} — usage: {USAGE}")
    node = console.engine.topology().node(options.target)
    if node is None or node.kind not in LOAD_KINDS:
        from ..parser import suggest

        names = [n.name for n in console.engine.topology().nodes if n.kind in LOAD_KINDS]
        return CommandResult.fail(
            f"load: no queue, topic, stream, bus, function or state machine named "
            f"'{options.target}'{suggest(options.target, names)}"
        )
    send = await _sender(console, node)
    run = LoadRun(node.name, node.kind, rate, total)
    console.load_runs.append(run)
    run.task = console.engine.spawn(
        _run(console, run, send, options.payload), name=f"load {node.name}"
    )
    seconds = total / rate
    if options.wait:
        await run.task
        text = Text(f"Sent {run.sent} of {total} to {node.name} over {format_duration(seconds)}")
        if run.failed:
            text.append(f" ({run.failed} failed: {run.last_error})", style="red")
        return CommandResult(ok=True, value=run.as_dict(), output=text)
    text = Text(
        f"Load started: {total} messages to {node.kind} {node.name} at {rate:g}/s "
        f"over {format_duration(seconds)} of simulated time"
    )
    return CommandResult(ok=True, value=run.as_dict(), output=text)


def _status(console: Console) -> CommandResult:
    runs: list[LoadRun] = console.load_runs
    if not runs:
        return CommandResult(ok=True, value=[], output=Text(f"No load running. usage: {USAGE}"))
    from ..render import records_table

    value = [r.as_dict() for r in runs]
    return CommandResult(ok=True, value=value, output=records_table(value, "Load generators"))


def register(console: Console) -> None:
    """Register `load`."""
    console.register_command(
        "load",
        load,
        f"{USAGE} — generate traffic",
        ("--rate", "--duration", "--count", "--payload", "--wait"),
    )
