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
    flag: str | None = None  # refused | error | retry | throttle | dead-letter, when seen recently
    rate: float = 0.0


@dataclass(slots=True)
class EdgeView:
    """What the flow map shows for one edge."""

    source: str
    target: str
    kind: str
    rate: float = 0.0
    flag: str | None = None
    label: str = ""  # shown where no rate is (e.g. a RabbitMQ binding's routing key)


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
    """Draw every edge, then every box, then the travelling messages."""
    canvas = Canvas(max(1, layout.width), max(1, layout.height), blank)
    order = sorted(layout.routes, key=lambda r: _edge_rank(edges[r.index]))
    for route in order:
        edge = edges[route.index]
        # Dashed: a dead-letter route, a workflow's Catch, or a hop seen in the trace that no
        # resource declares.
        dashed = edge.kind in ("dead-letter", "observed", "catch")
        canvas.line(route.cells, _edge_style(edge, palette), dashed)
        _arrow_head(canvas, route.cells, _edge_style(edge, palette))
        _rate_label(canvas, route.cells, edge, palette)
    for ident, box in layout.boxes.items():
        node = nodes.get(ident)
        if node is not None:
            _draw_box(canvas, box, node, palette, ident == selected, compact)
    for route in order:
        edge = edges[route.index]
        _moving_dots(canvas, route.cells, edge, palette, sim_time)
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


def _rate_label(canvas: Canvas, cells: list[Point], edge: EdgeView, palette: FlowPalette) -> None:
    label = format_rate(edge.rate)
    if not label and edge.label:
        # A binding key is cut to the room the edge has rather than dropped.
        room = len(cells) - 2
        label = edge.label if len(edge.label) <= room else edge.label[: max(0, room - 1)] + "…"
    if not label or len(cells) < len(label) + 2:
        return
    row = cells[1][1]
    run = cells[1 : len(label) + 1]
    if any(y != row for _, y in run):
        return
    x = min(x for x, _ in run)
    canvas.put(x, row, label, palette.flags.get(edge.flag or "", palette.active))


def _moving_dots(
    canvas: Canvas, cells: list[Point], edge: EdgeView, palette: FlowPalette, sim_time: float
) -> None:
    if edge.rate <= 0:
        return
    # More traffic, more dots (1 to 4); positions follow simulated time, so a paused clock
    # freezes them and a virtual clock draws the same picture every time.
    count = 1 if edge.rate < 5 else 2 if edge.rate < 50 else 3 if edge.rate < 500 else 4
    # Dots run between the rate label and the arrow head, never over either.
    first = len(format_rate(edge.rate)) + 1
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
    for row in range(box.y + 2, box.y + box.height - 1):
        canvas.put(box.x, row, "│", border)
        canvas.put(
            box.x + 1, row, " " + _fit(node.summary, inner - 1).ljust(inner - 1), palette.muted
        )
        canvas.put(box.x + box.width - 1, row, "│", border)
    rate = format_rate(node.rate)
    bottom = "─" * inner
    if rate and len(rate) + 2 <= inner:
        bottom = bottom[: inner - len(rate) - 2] + f" {rate} "
    canvas.put(box.x, box.y + box.height - 1, "╰" + bottom + "╯", border)


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis when it does not fit."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
