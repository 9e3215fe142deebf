"""A message's journey across services as a timeline, with the payload at each hop."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.pretty import Pretty
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.trace import TraceEvent

from .event_log import short_name

SERVICE_STYLES = {
    "sqs": "bold cyan",
    "sns": "bold magenta",
    "events": "bold blue",
    "lambda": "bold yellow",
    "kinesis": "bold green",
    "firehose": "bold green",
    "stepfunctions": "bold red",
    "apigateway": "bold white",
    "apigatewayv2": "bold white",
    "s3": "bold green",
    "dynamodb": "bold blue",
    "mq": "bold #ff6600",
}


def render_journey(ident: str, events: list[TraceEvent]) -> RenderableType:
    """The timeline: one entry per hop with its time offset, service, kind and payload."""
    if not events:
        return Text(f"No recorded events for {ident}.", "dim")
    start = events[0].time
    services: list[str] = []
    for event in events:
        if event.service not in services:
            services.append(event.service)
    parts: list[RenderableType] = [
        Text.assemble(
            ("Journey of ", "dim"),
            (ident, "bold"),
            (
                f"  ·  {len(events)} hop{'' if len(events) == 1 else 's'} "
                f"across {' → '.join(services)}",
                "dim",
            ),
        ),
        Text(""),
    ]
    for index, event in enumerate(events):
        last = index == len(events) - 1
        style = SERVICE_STYLES.get(event.service, "bold")
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"+{event.time - start:8.3f}s ", "dim")
        line.append("◉ " if last else "● ", style)
        line.append(f"{event.service:<13}", style)
        line.append(f"{event.kind:<18}", "bold")
        line.append(short_name(event.resource))
        parts.append(line)
        payload = _payload(event)
        rail = Text("          │ " if not last else "            ", "dim")
        if payload is not None:
            parts.append(beside([rail, payload]))
        elif not last:
            parts.append(rail)
    return Group(*parts)


def _payload(event: TraceEvent) -> RenderableType | None:
    """The hop's detail as a key/value grid; JSON bodies are pretty-printed."""
    items = [(k, v) for k, v in event.detail.items() if v is not None]
    if not items:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for key, value in items:
        grid.add_row(key, _value(value))
    return grid


def _value(value: object) -> RenderableType:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return Text(value)
        if isinstance(parsed, dict | list):
            return Pretty(parsed)
        return Text(value)
    if isinstance(value, dict | list):
        return Pretty(value)
    return Text(str(value))


def beside(cells: list[RenderableType]) -> RenderableType:
    """Cells side by side (the rail beside the payload)."""
    table = Table.grid()
    table.add_column(no_wrap=True)
    table.add_column()
    table.add_row(*cells)
    return table


class JourneyView(Static):
    """Shows the journey given to `show`."""

    def show(self, ident: str, events: list[TraceEvent]) -> None:
        """Render the timeline of `events` for message or trace id `ident`."""
        self.update(render_journey(ident, events))
