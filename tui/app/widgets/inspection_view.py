"""Renders an inspector's data (queue peek, stream and topic lag, function logs, API routes)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..event_text import one_line
from .api_view import render_api
from .trace_table import short_name

SPARK_CHARS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 12


def spark(values: list[float]) -> str:
    """A one-line sparkline of `values` (empty for no data)."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK_CHARS[0] * len(values)
    return "".join(SPARK_CHARS[min(7, int(v / top * 7.999))] for v in values)


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar `value/top` of `width` cells."""
    if top <= 0:
        return "·" * width
    filled = round(min(1.0, value / top) * width)
    return "█" * filled + "·" * (width - filled)


def format_age(ms: float) -> str:
    """An iterator age: `0`, `850ms`, `12.5s`, `3m`."""
    if ms <= 0:
        return "0"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    return f"{ms / 60_000:.0f}m"


def render_inspection(data: dict[str, Any] | None) -> RenderableType:
    """The renderable for one inspection (empty text when there is none)."""
    if not data:
        return Text("")
    if "error" in data:
        return Text(f"details unavailable: {data['error']}", "dim")
    if data["kind"] == "state-machine":
        return Text("enter (or double click): the workflow graph, executions and history", "italic")
    renderer = {
        "queue": _queue,
        "stream": _stream,
        "function": _function,
        "api": render_api,
        "kafka-topic": _kafka_topic,
        "flow": _flow,
        "video-stream": _video_stream,
    }.get(data["kind"])
    return renderer(data) if renderer else Text("")


def _queue(data: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    if data["dead_letter_target"]:
        parts.append(
            Text.assemble(
                ("dead-letter queue ", "dim"),
                (short_name(data["dead_letter_target"]), "#d670d6"),
                (f" after {data['max_receive_count']} receives", "dim"),
            )
        )
    if data["dead_letter_sources"]:
        parts.append(
            Text.assemble(
                ("dead-letter queue of ", "dim"),
                (", ".join(data["dead_letter_sources"]), "bold"),
                ("  ·  r: redrive back", "dim"),
            )
        )
    peek = Table(title="peek (oldest first)", title_justify="left", box=None, padding=(0, 1))
    peek.add_column("state", no_wrap=True)
    peek.add_column("rx", justify="right")
    peek.add_column("body", overflow="ellipsis", no_wrap=True)
    for message in data["peek"]:
        style = {"visible": "green", "in flight": "yellow", "delayed": "cyan"}[message["state"]]
        peek.add_row(
            Text(message["state"], style), str(message["receives"]), one_line(message["body"])
        )
    if not data["peek"]:
        peek.add_row(Text("empty", "dim"), "", "")
    parts.append(peek)
    return Group(*parts)


def _stream(data: dict[str, Any]) -> RenderableType:
    shards = Table(title="shards", title_justify="left", box=None, padding=(0, 1))
    shards.add_column("shard", no_wrap=True)
    shards.add_column("hash range", no_wrap=True)
    shards.add_column("records", justify="right")
    space = float(2**128)
    for shard in data["shards"]:
        start, end = shard["start"] / space, (shard["end"] + 1) / space
        label = Text(shard["id"][-6:], "bold" if shard["open"] else "dim")
        shards.add_row(label, f"{start:4.0%}–{end:4.0%}", str(shard["records"]))
    lag = Text(no_wrap=True, overflow="ellipsis")
    lag.append("lag per consumer and shard\n", "italic")
    top = max((row["behind"] for row in data["lag"]), default=0)
    consumer = None
    for row in data["lag"]:
        if row["consumer"] != consumer:
            consumer = row["consumer"]
            lag.append(f" {short_name(row.get('consumer_name') or consumer)[:20]}", "bold")
            lag.append(f" ({row['consumer_kind']})\n", "dim")
        behind = row["behind"]
        style = "red" if top and behind >= top * 0.75 else "yellow" if behind else "green"
        lag.append(f"  {row['shard'][-4:]} ", "dim")
        lag.append(bar(behind, top, 10), style)
        lag.append(f" {behind:>5} ", style)
        lag.append(f"{format_age(row['age_ms']):>6} ", "dim")
        lag.append(spark(row["series"][-12:]) + "\n", style)
    if not data["lag"]:
        lag.append(" no consumers yet\n", "dim")
    return Group(shards, Text(""), lag)


def _kafka_topic(data: dict[str, Any]) -> RenderableType:
    partitions = Table(title="partitions", title_justify="left", box=None, padding=(0, 1))
    for column in ("p", "leader", "isr", "offsets", "size"):
        partitions.add_column(column, no_wrap=True, justify="right" if column != "isr" else "left")
    for row in data["partitions"]:
        under = len(row["isr"]) < len(row["replicas"])
        isr = Text(",".join(map(str, row["isr"])), "yellow" if under else "")
        leader = Text(
            str(row["leader"]) if row["leader"] >= 0 else "none", "red" if row["leader"] < 0 else ""
        )
        size = row["bytes"]
        shown = f"{size / 1024:.0f}K" if size >= 1024 else f"{size}B"
        partitions.add_row(
            str(row["partition"]), leader, isr, f"{row['start']}–{row['end']}", shown
        )
    lag = Text(no_wrap=True, overflow="ellipsis")
    lag.append("lag per consumer group and partition\n", "italic")
    top = max((row["behind"] for row in data["lag"]), default=0)
    group = None
    for row in data["lag"]:
        if row["group"] != group:
            group = row["group"]
            lag.append(f" {group[:20]}", "bold")
            lag.append(
                f" ({row['state']}, gen {row['generation']}, {row['members']} members, "
                f"{row['rebalances']} rebalances)\n",
                "dim",
            )
        behind = row["behind"]
        style = "red" if top and behind >= top * 0.8 and behind > 0 else ""
        lag.append(f"  p{row['partition']:<3}", "dim")
        lag.append(bar(behind, top, 10), style)
        lag.append(f" {behind:>6} ", style)
        lag.append(spark(row["series"][-12:]) + "\n", style)
    if not data["lag"]:
        lag.append(" no consumer group has committed yet\n", "dim")
    return Group(partitions, Text(""), lag)


def _function(data: dict[str, Any]) -> RenderableType:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("recent log\n", "bold")
    for line in data["logs"] or ["(no invocations yet)"]:
        style = "dim" if line.startswith(("START", "END", "REPORT")) else ""
        text.append(line[:200] + "\n", style)
    return text


def _flow(data: dict[str, Any]) -> RenderableType:
    """An AppFlow flow: its trigger and its latest runs, newest first."""
    mode = " incremental" if data["incremental"] else ""
    head = Text.assemble(
        (f"{data['trigger']}{mode} ", "bold"),
        (f"{data['status']}  ", "green" if data["status"] == "Active" else "yellow"),
        (f"{data['source']} → {short_name(data['destination'])}", "dim"),
    )
    runs = Table(title="executions (newest first)", title_justify="left", box=None, padding=(0, 1))
    for column in ("started", "status", "records", "filtered", "failed"):
        runs.add_column(
            column, no_wrap=True, justify="left" if column in ("started", "status") else "right"
        )
    for run in data["runs"]:
        style = {"Successful": "green", "Error": "red"}.get(run["status"], "yellow")
        started = time.strftime("%H:%M:%S", time.gmtime(run["started"]))
        runs.add_row(
            started,
            Text(run["status"], style),
            str(run["records"]),
            str(run["filtered"]),
            Text(str(run["failed"]), "red" if run["failed"] else ""),
        )
    if not data["runs"]:
        runs.add_row(Text("no runs yet", "dim"), "", "", "", "")
    parts: list[RenderableType] = [head, runs]
    failed = next((r for r in data["runs"] if r["message"]), None)
    if failed is not None:
        parts.append(Text(failed["message"][:200], "red"))
    return Group(*parts)


def _video_stream(data: dict[str, Any]) -> RenderableType:
    """A video stream's fragment timeline: what is kept, how fast it arrives, where it has gaps."""
    retention = data["retention_hours"]
    kept = f"retention {retention} h" if retention else "no retention (live only)"
    lines: list[RenderableType] = [
        Text.assemble(
            (f"{data['fragments']} fragments", "bold"),
            (f"  ·  {data['bytes']:,} bytes  ·  {data['ingest_bytes_per_s']:,} B/s in  ·  ", "dim"),
            (kept, "dim"),
        ),
        Text.assemble(
            ("fragment sizes ", "dim"),
            (spark([float(v) for v in data["sizes"]]), "#5fafd7"),
            (f"  gaps {data['gaps']}", "#d7875f" if data["gaps"] else "dim"),
        ),
        Text(
            f"put {data['put']}  ·  expired {data['expired']}  ·  errors {data['errors']}"
            f"  ·  producers {data['producers']}",
            "dim",
        ),
    ]
    if data.get("thumbnail"):
        lines.append(thumbnail(data["thumbnail"]))
    return Group(*lines)


def thumbnail(pixels: list[list[list[int]]]) -> Text:
    """RGB pixel rows drawn with half blocks: each cell is two pixels, top (▀) over bottom."""
    text = Text()
    for top, bottom in zip(pixels[::2], pixels[1::2], strict=False):
        for upper, lower in zip(top, bottom, strict=True):
            text.append(
                "▀",
                style=f"rgb({upper[0]},{upper[1]},{upper[2]}) on rgb({lower[0]},{lower[1]},{lower[2]})",
            )
        text.append("\n")
    text.rstrip()
    return text
