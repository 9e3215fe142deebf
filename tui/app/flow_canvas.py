"""Draws a laid-out flow map into rows of styled cells: boxes, box-drawing edges, moving dots."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style

from .graph_layout import Box, FlowLayout, Point

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8

#: Direction bits of a cell → the box-drawing character that joins them.
LINE_CHARS = {
    LEFT | RIGHT: "─",
    LEFT: "─",
    RIGHT: "─",
    UP | DOWN: "│",
    UP: "│",
    DOWN: "│",
    DOWN | RIGHT: "╭",
    DOWN | LEFT: "╮",
    UP | RIGHT: "╰",
    UP | LEFT: "╯",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    DOWN | LEFT | RIGHT: "┬",
    UP | LEFT | RIGHT: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
}
DASHED = {"─": "╌", "│": "╎"}

#: One-cell glyph for each node kind in docs/ENGINE.md.
KIND_GLYPHS = {
    "queue": "▤",
    "topic": "◉",
    "bus": "◈",
    "rule": "⋔",
    "stream": "≋",
    "shard": "≡",
    "delivery-stream": "⇉",
    "function": "λ",
    "state-machine": "◇",
    "bucket": "◫",
    "table": "▦",
    "api": "⇄",
    "schedule": "◷",
    "pipe": "⤳",
    "broker": "⬢",
    "exchange": "⇶",
    "amqp-queue": "▤",
    "cluster": "⬢",
    "kafka-topic": "☰",
    "consumer-group": "⚇",
    "jms-queue": "▤",
    "jms-topic": "◉",
    "jms-subscription": "◌",
    "flow": "⇢",
    "saas-app": "☁",
    "video-stream": "▶",
    "signaling-channel": "☏",
    "analytics-application": "∑",
    # Step Functions state types, for the workflow graph.
    "task": "▣",
    "choice": "◆",
    "pass": "→",
    "wait": "◷",
    "succeed": "✓",
    "fail": "✗",
    "parallel": "⇉",
    "map": "⊞",
}

#: Cells a travelling message moves per simulated second.
DOT_SPEED = 6.0


@dataclass(slots=True)
class NodeView:
    """What the flow map shows for one node."""

    id: str
    kind: str
    name: str
    summary: str = ""  # one line of counters for the full-size box
    headline: str = ""  # the main count, for the compact box
    flag: str | None = None  # refused | error | retry | throttle | dead-letter | lag
    rate: float = 0.0
    figures: tuple[str, ...] = ()  # key figures, each kept whole (`vis 12`, `flight 3`)
    alarm: str = ""  # a condition holding now (`lag 1.2k`, `DLQ +12`), drawn on the border
    stack: str | None = None  # the CloudFormation stack that made it (the map groups by it)


@dataclass(slots=True)
class EdgeView:
    """What the flow map shows for one edge."""

    source: str
    target: str
    kind: str
    rate: float = 0.0
    flag: str | None = None
    label: str = ""  # the name the user gave (protocol and filter, batch size, routing key …)


@dataclass(slots=True)
class FlowPalette:
    """The colours of the flow map, taken from the app's theme."""

    text: Style = field(default_factory=Style)
    muted: Style = field(default_factory=lambda: Style(dim=True))
    border: Style = field(default_factory=Style)
    selected: Style = field(default_factory=lambda: Style(bold=True))
    edge: Style = field(default_factory=Style)
    active: Style = field(default_factory=Style)
    dot: Style = field(default_factory=lambda: Style(bold=True))
    flags: dict[str, Style] = field(default_factory=dict)


def format_rate(rate: float) -> str:
    """A short rate label: `0.5/s`, `12/s`, `3.4k/s`."""
    if rate <= 0:
        return ""
    if rate < 10:
        text = f"{rate:.1f}".rstrip("0").rstrip(".")
    elif rate < 1000:
        text = f"{rate:.0f}"
    else:
        text = f"{rate / 1000:.1f}k"
    return f"{text}/s"


class Canvas:
    """A grid of characters and styles the flow map is drawn into."""

    def __init__(self, width: int, height: int, blank: Style) -> None:
        self.width = width
        self.height = height
        self.chars = [[" "] * width for _ in range(height)]
        self.styles: list[list[Style]] = [[blank] * width for _ in range(height)]
        self.bits = [[0] * width for _ in range(height)]

    def put(self, x: int, y: int, text: str, style: Style) -> None:
        """Write `text` at (x, y), clipped to the canvas."""
        if not 0 <= y < self.height:
            return
        row, styles = self.chars[y], self.styles[y]
        for offset, char in enumerate(text):
            column = x + offset
            if 0 <= column < self.width:
                row[column] = char
                styles[column] = style

    def line(self, cells: list[Point], style: Style, dashed: bool) -> None:
        """Join consecutive cells with box-drawing lines."""
        for index, (x, y) in enumerate(cells):
            if not (0 <= x < self.width and 0 <= y < self.height):
                continue
            bits = self.bits[y][x]
            for neighbour in (index - 1, index + 1):
                if 0 <= neighbour < len(cells):
                    nx, ny = cells[neighbour]
                    bits |= _direction(x, y, nx, ny)
            self.bits[y][x] = bits
            char = LINE_CHARS.get(bits, "┼")
            self.chars[y][x] = DASHED.get(char, char) if dashed else char
            self.styles[y][x] = style

    def segments(self, y: int) -> list[Segment]:
        """Row `y` as rich segments, runs of one style joined."""
        chars, styles = self.chars[y], self.styles[y]
        segments: list[Segment] = []
        start = 0
        for x in range(1, self.width + 1):
            if x == self.width or styles[x] is not styles[start]:
                segments.append(Segment("".join(chars[start:x]), styles[start]))
                start = x
        return segments


def _direction(x: int, y: int, nx: int, ny: int) -> int:
    if nx > x:
        return RIGHT
    if nx < x:
        return LEFT
    if ny > y:
        return DOWN
    if ny < y:
        return UP
    return 0


def draw_flow(
    layout: FlowLayout,
    nodes: dict[str, NodeView],
    edges: list[EdgeView],
    palette: FlowPalette,
    *,
    selected: str | None,
    sim_time: float,
    compact: bool,
    blank: Style,
) -> Canvas:
    """Draw group titles, every edge, then every box, then the travelling messages."""
    canvas = Canvas(max(1, layout.width), max(1, layout.height), blank)
    for band in layout.groups:
        title = f"─ stack {band.title} "
        canvas.put(0, band.y, (title + "─" * canvas.width)[: canvas.width], palette.muted)
    order = sorted(layout.routes, key=lambda r: _edge_rank(edges[r.index]))
    for route in order:
        edge = edges[route.index]
        # Dashed: a dead-letter route, a workflow's Catch, or a hop seen in the trace that no
        # resource declares.
        dashed = edge.kind in ("dead-letter", "observed", "catch")
        canvas.line(route.cells, _edge_style(edge, palette), dashed)
        _arrow_head(canvas, route.cells, _edge_style(edge, palette))
    for ident, box in layout.boxes.items():
        node = nodes.get(ident)
        if node is not None:
            _draw_box(canvas, box, node, palette, ident == selected, compact)
    for route in order:
        edge = edges[route.index]
        _moving_dots(canvas, route.cells, edge, palette, sim_time)
    # Names last: edges sharing their first cells (a fan-out) never draw dots over them.
    for route in order:
        _edge_label(canvas, route.cells, edges[route.index], palette)
    return canvas


def _edge_rank(edge: EdgeView) -> int:
    # Busy and flagged edges are drawn last so their colour wins where lines meet.
    return 2 if edge.flag else 1 if edge.rate > 0 else 0


def _edge_style(edge: EdgeView, palette: FlowPalette) -> Style:
    if edge.flag and edge.flag in palette.flags:
        return palette.flags[edge.flag]
    if edge.kind == "dead-letter":
        return palette.flags.get("dead-letter", palette.edge)
    return palette.active if edge.rate > 0 else palette.edge


def _arrow_head(canvas: Canvas, cells: list[Point], style: Style) -> None:
    if len(cells) < 2:
        return
    (px, _py), (x, y) = cells[-2], cells[-1]
    canvas.put(x, y, "▶" if x >= px else "◀", style)


def edge_text(edge: EdgeView, room: int) -> str:
    """What an edge says in `room` cells: its name and its rate, the name cut first."""
    rate = format_rate(edge.rate)
    text = " ".join(part for part in (edge.label, rate) if part)
    if len(text) <= room:
        return text
    if rate and edge.label and room - len(rate) - 1 >= 4:
        return _fit(edge.label, room - len(rate) - 1) + " " + rate
    return rate if rate and len(rate) <= room else _fit(edge.label, room) if room >= 4 else ""


def _first_run(cells: list[Point]) -> int:
    """How many cells after the first run straight along its row (room for a label)."""
    if len(cells) < 3:
        return 0
    row = cells[1][1]
    run = 0
    for _x, y in cells[1:-1]:
        if y != row:
            break
        run += 1
    return run


def _edge_label(canvas: Canvas, cells: list[Point], edge: EdgeView, palette: FlowPalette) -> None:
    text = edge_text(edge, _first_run(cells))
    if not text:
        return
    x = min(x for x, _ in cells[1 : len(text) + 1])
    style = palette.flags.get(edge.flag or "", palette.active if edge.rate > 0 else palette.muted)
    canvas.put(x, cells[1][1], text, style)


def _moving_dots(
    canvas: Canvas, cells: list[Point], edge: EdgeView, palette: FlowPalette, sim_time: float
) -> None:
    if edge.rate <= 0:
        return
    # More traffic, more dots (1 to 4); positions follow simulated time, so a paused clock
    # freezes them and a virtual clock draws the same picture every time.
    count = 1 if edge.rate < 5 else 2 if edge.rate < 50 else 3 if edge.rate < 500 else 4
    # Dots run between the label and the arrow head, never over either.
    first = len(edge_text(edge, _first_run(cells))) + 1
    track = cells[first:-1]
    if not track:
        return
    head = int(sim_time * DOT_SPEED)
    style = palette.flags.get(edge.flag or "", palette.dot)
    for k in range(count):
        x, y = track[(head + k * len(track) // count) % len(track)]
        canvas.put(x, y, "●", style)


def _draw_box(
    canvas: Canvas, box: Box, node: NodeView, palette: FlowPalette, selected: bool, compact: bool
) -> None:
    border = palette.selected if selected else palette.flags.get(node.flag or "", palette.border)
    glyph = KIND_GLYPHS.get(node.kind, "•")
    inner = box.width - 2
    if compact or box.height < 3:
        label = f"{glyph} {node.name}"
        if node.headline:
            label = f"{label} {node.headline}"
        text = _fit(label, inner)
        canvas.put(box.x, box.y, "[", border)
        canvas.put(
            box.x + 1, box.y, text.ljust(inner), palette.selected if selected else palette.text
        )
        canvas.put(box.x + box.width - 1, box.y, "]", border)
        return
    title = _fit(f" {glyph} {node.kind} ", inner - 1)
    canvas.put(box.x, box.y, "╭─" + title + "─" * (inner - 1 - len(title)) + "╮", border)
    name_style = palette.selected if selected else palette.text
    canvas.put(box.x, box.y + 1, "│", border)
    canvas.put(box.x + 1, box.y + 1, " " + _fit(node.name, inner - 1).ljust(inner - 1), name_style)
    canvas.put(box.x + box.width - 1, box.y + 1, "│", border)
    lines = figure_lines(node.figures, inner - 2) if node.figures else [node.summary]
    for number, row in enumerate(range(box.y + 2, box.y + box.height - 1)):
        text = lines[number] if number < len(lines) else ""
        canvas.put(box.x, row, "│", border)
        canvas.put(box.x + 1, row, " " + _fit(text, inner - 1).ljust(inner - 1), palette.muted)
        canvas.put(box.x + box.width - 1, row, "│", border)
    rate = format_rate(node.rate)
    bottom = "─" * inner
    if rate and len(rate) + 2 <= inner:
        bottom = bottom[: inner - len(rate) - 2] + f" {rate} "
    bottom_y = box.y + box.height - 1
    canvas.put(box.x, bottom_y, "╰" + bottom + "╯", border)
    if node.alarm:
        room = inner - (len(rate) + 3 if rate else 1)
        badge = _fit(f" ⚠ {node.alarm} ", room)
        if len(badge) >= 4:
            alarm_style = palette.flags.get(node.flag or "", palette.selected)
            canvas.put(box.x + 1, bottom_y, badge, alarm_style)


def figure_lines(figures: tuple[str, ...], width: int) -> list[str]:
    """Key figures joined by ` · ` into lines of `width`, each figure kept whole where it fits."""
    lines: list[str] = []
    for figure in figures:
        if lines and len(lines[-1]) + 3 + len(figure) <= width:
            lines[-1] += " · " + figure
        else:
            lines.append(figure)
    return lines


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis when it does not fit."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
