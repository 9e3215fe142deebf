"""`analytics start|query|stop|results`: run windowed SQL over a stream from the console.

`analytics query STREAM 'SELECT …'` starts an ad-hoc continuous query over a Kinesis stream: its
columns come from the stream's discovered schema, windows run over ROWTIME (arrival time), and
each window's rows are traced (`window-closed` on the stream) as it closes, so `watch` shows them
live; `analytics results` lists them and `analytics stop` ends every ad-hoc query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "start": "analytics start APP",
    "query": "analytics query STREAM 'SELECT … FROM STREAM GROUP BY STEP(ROWTIME BY INTERVAL …)'",
    "stop": "analytics stop [APP]",
    "results": "analytics results",
}


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


def register(console: Console) -> None:
    """Register the analytics lab words."""
    handlers = {"start": start, "query": query, "stop": stop, "results": results}
    for word, handler in handlers.items():
        console.register_command(
            f"analytics {word}", handler, f"{USAGE[word]} — windowed SQL over a stream"
        )
