"""A message's journey as text: a tree of hops in causal order, lab and real time, JSON bodies."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.json import JSON
from rich.table import Table
from rich.text import Text

from engine.trace import TraceEvent

from ..event_text import json_value, one_line, resource_label
from ..journey_model import Hop, build_hops

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
#: Detail keys that carry a message's payload: shown as pretty JSON under the hop.
BODY_KEYS = ("body", "message", "payload", "input", "output", "response", "detail")
#: Payload lines shown in the tree (Enter on the hop shows all of them).
BODY_LINES = 8
#: Detail lines (one per event) shown under a hop in the tree.
DETAIL_LINES = 3
#: Width of the two time columns (`+12.345s` lab, `+1.2ms` real).
TIME_COLUMNS = 20


def format_real(seconds: float | None) -> str:
    """Real elapsed time, short: `+0.4ms`, `+12ms`, `+1.25s` (blank when not known)."""
    if seconds is None:
        return ""
    if seconds < 0.001:
        return f"+{seconds * 1e6:.0f}µs"
    if seconds < 1:
        return f"+{seconds * 1000:.1f}ms"
    return f"+{seconds:.2f}s"


def hop_name(hop: Hop) -> str:
    """Where the hop happened, as a person named it: a subscription is `topic → endpoint`."""
    named = next((e for e in hop.events if isinstance(e.detail.get("endpoint"), str)), None)
    return resource_label(hop.resource, named.detail if named else None)


def journey_header(ident: str, events: list[TraceEvent], hops: list[Hop]) -> Text:
    """`Journey of ID · 12 events in 5 hops across sqs → lambda → sns`."""
    services: list[str] = []
    for hop in hops:
        if hop.service not in services:
            services.append(hop.service)
    events_text = f"{len(events)} event{'' if len(events) == 1 else 's'}"
    hops_text = f"{len(hops)} hop{'' if len(hops) == 1 else 's'}"
    return Text.assemble(
        ("Journey of ", "dim"),
        (ident, "bold"),
        (f"  ·  {events_text} in {hops_text} across {' → '.join(services)}", "dim"),
    )


def hop_renderable(
    hop: Hop, start: TraceEvent, walls: dict[int, float] | None, *, body_lines: int = BODY_LINES
) -> RenderableType:
    """One hop: times, tree guide, service, what happened, where; its payload below."""
    walls = walls or {}
    first = hop.first
    style = SERVICE_STYLES.get(hop.service, "bold")
    start_wall = walls.get(start.seq)
    wall = walls.get(first.seq)
    real = wall - start_wall if wall is not None and start_wall is not None else None
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"+{first.time - start.time:.3f}s".rjust(9), "dim")
    line.append(f" {format_real(real):>9} ", "dim italic")
    line.append(hop.guide, "dim")
    line.append("● ", style)
    line.append(f"{hop.service} ", style)
    line.append(" → ".join(hop.kinds), "bold")
    line.append(f"  {one_line(hop_name(hop))}")
    took = hop.events[-1].time - first.time
    if took > 0:
        line.append(f"  ({took:.3f}s)", "dim")
    parts: list[RenderableType] = [line]
    indent = " " * (TIME_COLUMNS + len(hop.guide.replace("├─ ", "│  ").replace("└─ ", "   ")))
    body = _body(hop)
    if body is not None:
        parts.append(_indented(indent, _payload(body, body_lines)))
    for event in [e for e in hop.events if _facts(e)][:DETAIL_LINES]:
        detail = Text(f"{event.kind}: {_facts(event)}", "dim", no_wrap=True, overflow="ellipsis")
        parts.append(_indented(indent, detail))
    return Group(*parts)


def _facts(event: TraceEvent) -> str:
    """The event's detail other than its payload, on one line (`key=JSON …`)."""
    return " ".join(
        f"{key}={one_line(json_value(value))}"
        for key, value in event.detail.items()
        if value is not None and key not in BODY_KEYS
    )


def render_journey(
    ident: str, events: list[TraceEvent], walls: dict[int, float] | None = None
) -> RenderableType:
    """The whole journey as one renderable (the journey screen lists the same hops)."""
    if not events:
        return Text(f"No recorded events for {ident}.", "dim")
    hops = build_hops(events)
    start = min(events, key=lambda event: event.seq)
    parts: list[RenderableType] = [journey_header(ident, events, hops), time_legend()]
    parts += [hop_renderable(hop, start, walls) for hop in hops]
    return Group(*parts)


def time_legend() -> Text:
    """The column titles over the hops."""
    return Text(f"   {'lab':>9} {'real':>9}  hop (causal order; a fork is a fan-out)", "dim")


def _body(hop: Hop) -> object | None:
    for event in hop.events:
        for key in BODY_KEYS:
            value = event.detail.get(key)
            if value is not None and value != "":
                return value
    return None


def _payload(value: object, max_lines: int | None) -> RenderableType:
    """A payload as pretty JSON (parsed when it is JSON text), else as escaped text."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict | list):
            lines = value.splitlines() or [""]
            return _cut([Text(one_line(line)) for line in lines], max_lines)
    pretty = json.dumps(parsed, indent=2, ensure_ascii=False, default=str)
    lines = pretty.splitlines()
    if max_lines is None or len(lines) <= max_lines:
        return JSON(pretty)
    return _cut([Text(line) for line in lines], max_lines)


def _cut(lines: list[Text], max_lines: int | None) -> RenderableType:
    if max_lines is not None and len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = [*lines[:max_lines], Text(f"… {hidden} more lines: enter shows them", "dim")]
    return Group(*lines)


def _indented(indent: str, renderable: RenderableType) -> RenderableType:
    table = Table.grid()
    table.add_column(no_wrap=True, width=len(indent))
    table.add_column()
    table.add_row(Text(indent), renderable)
    return table


def hop_detail(hop: Hop, start: TraceEvent, walls: dict[int, float] | None) -> RenderableType:
    """Every event of one hop with its full detail, payloads pretty-printed in full."""
    walls = walls or {}
    start_wall = walls.get(start.seq)
    parts: list[RenderableType] = [
        Text.assemble(
            (f"{hop.service} ", SERVICE_STYLES.get(hop.service, "bold")),
            (hop_name(hop), "bold"),
            (f"  {hop.resource}", "dim"),
            (f"  message {hop.message_id}" if hop.message_id else "", "dim"),
        ),
        Text(""),
    ]
    for event in hop.events:
        wall = walls.get(event.seq)
        real = wall - start_wall if wall is not None and start_wall is not None else None
        parts.append(
            Text.assemble(
                (f"#{event.seq} ", "dim"),
                (event.kind, "bold"),
                (
                    f"   lab +{event.time - start.time:.3f}s   real {format_real(real) or '—'}",
                    "dim",
                ),
                (f"   trace {event.trace_id}" if event.trace_id else "", "dim"),
            )
        )
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for key, value in event.detail.items():
            if value is None:
                continue
            shown = _payload(value, None) if key in BODY_KEYS else Text(one_line(json_value(value)))
            grid.add_row(key, shown)
        parts += [_indented("  ", grid), Text("")]
    return Group(*parts)
