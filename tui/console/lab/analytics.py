"""`analytics start|query|stop|results`: run windowed SQL over a stream from the console.

`analytics sensors STREAM` is a sensor load generator (readings from N sensors, one running hot
on request). `analytics query STREAM 'SELECT …'` starts an ad-hoc continuous query over a Kinesis stream: its
columns come from the stream's discovered schema, windows run over ROWTIME (arrival time), and
each window's rows are traced (`window-closed` on the stream) as it closes, so `watch` shows them
live; `analytics results` lists them and `analytics stop` ends every ad-hoc query.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult
from ..timefmt import format_duration, parse_duration

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "create": 'analytics create APP [--runtime FLINK-1_20] [--role ARN] "FLINK SQL SCRIPT"',
    "start": "analytics start APP",
    "query": "analytics query STREAM 'SELECT … FROM STREAM GROUP BY STEP(ROWTIME BY INTERVAL …)'",
    "stop": "analytics stop [APP]",
    "results": "analytics results",
    "sensors": "analytics sensors STREAM [--sensors N] [--rate N/s] [--for DURATION] [--hot SENSOR]",
}
SENSOR_OPTIONS = ("--sensors", "--rate", "--for", "--hot")


DEFAULT_ROLE = "arn:aws:iam::123456789012:role/analytics"


async def create(console: Console, args: list[str]) -> CommandResult:
    """CreateApplication with a Flink SQL script as its code (no JSON to quote)."""
    positional: list[str] = []
    options = {"--runtime": "FLINK-1_20", "--role": DEFAULT_ROLE}
    i = 0
    while i < len(args):
        if args[i] in options:
            if i + 1 >= len(args):
                return CommandResult.fail(f"analytics create: {args[i]} needs a value")
            options[args[i]] = args[i + 1]
            i += 2
            continue
        positional.append(args[i])
        i += 1
    if len(positional) != 2:
        return CommandResult.fail(f"usage: {USAGE['create']}")
    name, script = positional
    try:
        result = await console.engine.client("kinesisanalyticsv2").create_application(
            ApplicationName=name,
            RuntimeEnvironment=options["--runtime"],
            ServiceExecutionRole=options["--role"],
            ApplicationConfiguration={
                "ApplicationCodeConfiguration": {
                    "CodeContent": {"TextContent": script},
                    "CodeContentType": "PLAINTEXT",
                }
            },
        )
    except ServiceError as error:
        return CommandResult.fail(f"analytics create: {error.code}: {error.message}")
    detail = result["ApplicationDetail"]
    return CommandResult(
        ok=True,
        value={
            "ApplicationARN": detail["ApplicationARN"],
            "ApplicationStatus": detail["ApplicationStatus"],
        },
        output=Text(
            f"Created {name} ({detail['RuntimeEnvironment']}): READY; `analytics start {name}` runs it."
        ),
    )


async def start(console: Console, args: list[str]) -> CommandResult:
    """Start an application (StartApplication) and say when it will be running."""
    if len(args) != 1:
        return CommandResult.fail(f"usage: {USAGE['start']}")
    try:
        result = await console.engine.client("kinesisanalyticsv2").start_application(
            ApplicationName=args[0]
        )
    except ServiceError as error:
        return CommandResult.fail(f"analytics start: {error.code}: {error.message}")
    return CommandResult(
        ok=True,
        value={"OperationId": result["OperationId"]},
        output=Text(f"{args[0]} is STARTING; it runs once the clock moves 5 s."),
    )


async def query(console: Console, args: list[str]) -> CommandResult:
    """Start an ad-hoc continuous query over a Kinesis stream and watch it."""
    from ..console import WatchSpec

    if len(args) != 2:
        return CommandResult.fail(f"usage: {USAGE['query']}")
    service = console.engine.service("kinesisanalyticsv2")
    stream, sql = args
    try:
        job = service.query(stream, sql, lambda name, columns, rows: None)
    except ServiceError as error:
        return CommandResult.fail(f"analytics query: {error.code}: {error.message}")
    console.watching = WatchSpec(stream)
    columns = [c.name for s in job.plan.sources.values() for c in s.columns]
    note = "; window results follow" if console.live else "; see them with `analytics results`"
    return CommandResult(
        ok=True,
        value={"stream": stream, "columns": columns},
        output=Text(f"Querying {stream} (columns: {', '.join(columns)}){note}."),
    )


async def stop(console: Console, args: list[str]) -> CommandResult:
    """Stop an application (StopApplication), or every ad-hoc query."""
    if len(args) > 1:
        return CommandResult.fail(f"usage: {USAGE['stop']}")
    if args:
        try:
            await console.engine.client("kinesisanalyticsv2").stop_application(
                ApplicationName=args[0]
            )
        except ServiceError as error:
            return CommandResult.fail(f"analytics stop: {error.code}: {error.message}")
        return CommandResult(
            ok=True, value={"stopped": args[0]}, output=Text(f"{args[0]} is STOPPING.")
        )
    service = console.engine.service("kinesisanalyticsv2")
    count = len(service.adhoc)
    for job in list(service.adhoc):
        service.stop_query(job)
    return CommandResult(
        ok=True, value={"stopped": count}, output=Text(f"Stopped {count} ad-hoc queries.")
    )


async def results(console: Console, args: list[str]) -> CommandResult:
    """The rows the ad-hoc queries emitted, oldest first."""
    if args:
        return CommandResult.fail(f"usage: {USAGE['results']}")
    service = console.engine.service("kinesisanalyticsv2")
    rows = [
        {k: (str(v) if not isinstance(v, int | float | str) else v) for k, v in row.items()}
        for job in service.adhoc
        for row in job.printed
    ]
    if not rows:
        return CommandResult(ok=True, value=[], output=Text("No window has closed yet."))
    return CommandResult(ok=True, value=rows, output=records_table(rows, "Window results"))


def _sensor_options(args: list[str]) -> tuple[str, dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("--"):
            if word not in SENSOR_OPTIONS:
                raise ValueError(f"unknown option {word}")
            if i + 1 >= len(args):
                raise ValueError(f"{word} needs a value")
            options[word] = args[i + 1]
            i += 2
            continue
        positional.append(word)
        i += 1
    if len(positional) != 1:
        raise ValueError("give one stream")
    return positional[0], options


def reading(sensor: int, hot: bool, at: str, rand: float, rand2: float) -> bytes:
    """One sensor reading: a normal temperature, or a hot one for the overheating sensor."""
    temperature = (86.0 + 8 * rand) if hot else (19.0 + 6 * rand)
    return json.dumps(
        {
            "sensor_id": f"sensor-{sensor}",
            "temperature": round(temperature, 2),
            "humidity": round(35 + 20 * rand2, 1),
            "at": at,
        }
    ).encode()


async def sensors(console: Console, args: list[str]) -> CommandResult:
    """Start a sensor load generator: readings from N sensors into a Kinesis stream."""
    try:
        stream, options = _sensor_options(args)
        count = int(options.get("--sensors", "5"))
        rate = float(options.get("--rate", "10/s").removesuffix("/s"))
        duration = parse_duration(options.get("--for", "60s"))
        hot = options.get("--hot")
        if not 1 <= count <= 1000 or not 0 < rate <= 10_000 or duration <= 0:
            raise ValueError("--sensors 1…1000, --rate above 0 and at most 10000/s, --for above 0")
    except ValueError as error:
        return CommandResult.fail(f"analytics sensors: {error} — usage: {USAGE['sensors']}")
    engine = console.engine
    kinesis = engine.client("kinesis")
    try:
        await kinesis.describe_stream_summary(StreamName=stream)
    except ServiceError as error:
        return CommandResult.fail(f"analytics sensors: {error.code}: {error.message}")
    total = max(1, int(rate * duration))

    async def run() -> None:
        clock, ids = engine.clock, engine.ids
        start = clock.now()
        for n in range(total):
            await clock.sleep_until(start + n / rate)
            sensor = n % count + 1
            at = clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            data = reading(sensor, hot == f"sensor-{sensor}", at, ids.random(), ids.random())
            try:
                await kinesis.put_record(
                    StreamName=stream, Data=data, PartitionKey=f"sensor-{sensor}"
                )
            except ServiceError:
                continue

    engine.spawn(run(), name=f"sensors:{stream}")
    heat = f"; {hot} runs hot" if hot else ""
    return CommandResult(
        ok=True,
        value={"stream": stream, "readings": total, "sensors": count},
        output=Text(
            f"{total} readings from {count} sensors into {stream} over {format_duration(duration)}{heat}."
        ),
    )


def _names(console: Console, kind: str) -> list[tuple[str, str, str]]:
    return [(n, n, kind) for n, k, _ in console.resource_names() if k == kind]


def _columns(console: Console, stream: str) -> list[str]:
    """The stream's columns as DiscoverInputSchema finds them (none when it cannot)."""
    try:
        found = console.engine.service("kinesisanalyticsv2").discover_input_schema(
            {"ResourceARN": _stream_arn(console, stream), "InputStartingPositionConfiguration": {}}
        )
    except ServiceError:
        return []
    return [c["Name"] for c in found["InputSchema"]["RecordColumns"]]


def _stream_arn(console: Console, stream: str) -> str:
    engine = console.engine
    return (
        stream
        if stream.startswith("arn:")
        else (f"arn:aws:kinesis:{engine.region}:{engine.account_id}:stream/{stream}")
    )


def completions(console: Console, command: str, args: list[str]) -> list[tuple[str, str, str]]:
    """Streams, applications, discovered columns and options for the analytics words."""
    word = command.split()[1]
    if word in ("start", "stop") and not args:
        return _names(console, "analytics-application")
    if word == "sensors":
        if not args:
            return _names(console, "stream")
        return [(o, o, "option") for o in SENSOR_OPTIONS if o not in args]
    if word == "create" and args:
        return [(o, o, "option") for o in ("--runtime", "--role") if o not in args]
    if word != "query":
        return []
    if not args:
        return _names(console, "stream")
    if len(args) == 1:
        columns = _columns(console, args[0])
        if not columns:
            return []
        keys = ", ".join(columns[:1])
        table = args[0] if args[0].isidentifier() else f'"{args[0]}"'
        template = (
            f"'SELECT {keys}, COUNT(*) AS n FROM {table} "
            f"GROUP BY {keys}, TUMBLE(ROWTIME, INTERVAL 1 MINUTE)'"
        )
        return [(template, template, "a tumbling count")] + [
            (c, c, f"column of {args[0]}") for c in columns
        ]
    return []


def register(console: Console) -> None:
    """Register the analytics lab words."""
    handlers = {
        "create": create,
        "start": start,
        "query": query,
        "stop": stop,
        "results": results,
        "sensors": sensors,
    }
    for word, handler in handlers.items():
        console.register_command(
            f"analytics {word}", handler, f"{USAGE[word]} — windowed SQL over a stream"
        )
