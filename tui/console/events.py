"""Trace events as console lines and timelines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from .timefmt import clock_text

if TYPE_CHECKING:
    from engine.trace import TraceEvent

_KIND_STYLES = {
    "sent": "green",
    "received": "cyan",
    "deleted-message": "blue",
    "published": "green",
    "delivered": "cyan",
    "dead-lettered": "bold red",
    "delivery-failed": "red",
    "failed": "red",
    "execution-failed": "red",
    "throttled": "yellow",
    "retried": "yellow",
    "expired": "magenta",
}


def short_name(resource: str) -> str:
    """The name at the end of an ARN or URL."""
    return resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if resource else ""


def detail_text(event: TraceEvent, limit: int = 80) -> str:
    """The event's detail as compact `key=value` text."""
    parts = []
    for key, value in event.detail.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        parts.append(f"{key}={shown}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def event_line(event: TraceEvent) -> Text:
    """One event as a line: time, service, kind, resource, message id, detail."""
    line = Text()
    line.append(clock_text(event.time)[11:], style="dim")
    line.append(f" {event.service:<6} ", style="bold")
    line.append(f"{event.kind:<16}", style=_KIND_STYLES.get(event.kind, ""))
    line.append(f" {short_name(event.resource)}")
    if event.message_id:
        line.append(f" {event.message_id[:13]}", style="dim cyan")
    detail = detail_text(event)
    if detail:
        line.append(f"  {detail}", style="dim")
    return line


def events_table(events: list[TraceEvent], title: str = "") -> Table:
    """Events as a timeline table, times relative to the first one."""
    table = Table(title=title or None)
    table.add_column("+time", justify="right", style="dim")
    table.add_column("service", style="bold")
    table.add_column("event")
    table.add_column("resource")
    table.add_column("message", style="dim cyan")
    table.add_column("detail", style="dim", overflow="fold")
    start = events[0].time if events else 0.0
    for event in events:
        table.add_row(
            f"{event.time - start:.3f}s",
            event.service,
            Text(event.kind, style=_KIND_STYLES.get(event.kind, "")),
            short_name(event.resource),
            (event.message_id or "")[:13],
            detail_text(event, 120),
        )
    return table
