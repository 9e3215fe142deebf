"""The panel for the selected node: counters with sparklines, connections and recent events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.widgets import Label, Sparkline, Static

from engine.trace import TraceEvent

from ..flow_canvas import KIND_GLYPHS, EdgeView, format_rate
from ..flow_model import format_count
from ..guard import guarded
from ..trace_stats import FLAG_KINDS
from .inspection_view import render_inspection
from .metric_figures import metric_figures_key, render_metric_figures
from .trace_table import describe_detail, short_name

FLAG_STYLES = {
    "error": "bold red",
    "retry": "yellow",
    "throttle": "bold yellow",
    "dead-letter": "#d670d6",
    "refused": "bold #ff8700",
}


@dataclass(slots=True)
class ResourceView:
    """Everything the panel shows about one resource at one tick."""

    id: str
    kind: str
    name: str
    service: str
    counters: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    incoming: list[EdgeView] = field(default_factory=list)
    outgoing: list[EdgeView] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # ARN → short name, for connections
    recent: list[TraceEvent] = field(default_factory=list)
    rate: float = 0.0
    details: dict[str, Any] | None = None  # the kind's inspector data (tui.app.inspectors)
    metrics: list[Any] = field(default_factory=list)  # its CloudWatch figures (panel_metrics)


class CounterRow(Horizontal):
    """One counter: its name, current value and a sparkline of the last minute."""

    def __init__(self, name: str) -> None:
        super().__init__(classes="counter-row")
        self.counter = name

    def compose(self) -> ComposeResult:
        yield Label(self.counter, classes="counter-name")
        yield Label("", classes="counter-value")
        yield Sparkline([], classes="counter-spark")

    def show(self, value: float, series: list[float]) -> None:
        """Update the number and the sparkline."""
        # The value's column has a fixed width: no layout pass needed for a new number.
        self.query_one(".counter-value", Label).update(format_count(value), layout=False)
        self.query_one(Sparkline).data = series or [value]


class ResourcePanel(VerticalScroll):
    """Generic panel for any node kind, built from topology counters and the trace."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: ResourceView | None = None
        self._rows_for: tuple[str, tuple[str, ...]] | None = None
        #: What each Static shows, by id: updating a Static lays the whole screen out again,
        #: so an update that would show the same thing is skipped.
        self._shown: dict[str, object] = {}
        # Updates may overlap (tick, selection, command): one at a time, so rows mounted by
        # one are filled by the same one.
        self._updating = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static("", id="resource-title")
        yield VerticalScroll(id="resource-counters")
        yield Static("", id="resource-metrics")
        yield Static("", id="resource-details")
        yield Static("", id="resource-links")
        yield Static("", id="resource-recent")

    @guarded
    async def show(self, view: ResourceView | None) -> None:
        """Show `view` (None: a hint to select something)."""
        async with self._updating:
            await self._show(view)

    async def _show(self, view: ResourceView | None) -> None:
        self.view = view
        if view is None:
            self._update("resource-title", None, self._hint)
            await self._rebuild_rows(None)
            for ident in (
                "resource-metrics",
                "resource-details",
                "resource-links",
                "resource-recent",
            ):
                self._update(ident, None, lambda: "")
            return
        rate = format_rate(view.rate)
        self._update(
            "resource-title", (view.id, view.name, view.kind, rate), lambda: self._title(view, rate)
        )
        await self._rebuild_rows(view)
        for row in self.query(CounterRow):
            row.show(view.counters.get(row.counter, 0.0), view.history.get(row.counter, []))
        self._update(
            "resource-metrics",
            metric_figures_key(view.metrics),
            lambda: render_metric_figures(view.metrics),
        )
        self._update("resource-details", view.details, lambda: render_inspection(view.details))
        self._update("resource-links", self._links_key(view), lambda: self._links(view))
        self._update(
            "resource-recent",
            tuple(event.seq for event in view.recent[-8:]),
            lambda: self._recent(view),
        )

    def _update(self, ident: str, key: object, build: Callable[[], Any]) -> None:
        """Show `build()` in Static `ident` unless what it shows (`key`) is unchanged."""
        if ident in self._shown and self._shown[ident] == key:
            return
        self._shown[ident] = key
        static = self.query_one(f"#{ident}", Static)
        # A relayout costs the whole screen (tens of ms under load, and a key pressed then
        # waits for it): skip it when the new content keeps the height it was laid out at.
        static.update(build(), layout=False)
        static.clear_cached_dimensions()
        width, height = static.content_size
        if not width or static.get_content_height(Size(0, 0), Size(0, 0), width) != height:
            static.refresh(layout=True)

    @staticmethod
    def _hint() -> Text:
        return Text("Select a resource on the flow map (arrows or click).", "dim")

    @staticmethod
    def _title(view: ResourceView, rate: str) -> Text:
        glyph = KIND_GLYPHS.get(view.kind, "•")
        header = Text.assemble(
            (f"{glyph} {view.name}", "bold"), (f"  {view.kind}", "dim"), "\n", (view.id, "dim")
        )
        if rate:
            header.append(f"\n{rate} arriving", "green")
        return header

    @staticmethod
    def _links_key(view: ResourceView) -> tuple:
        """What the connections table shows, as plain values."""
        return tuple(
            (edge.source, edge.target, edge.kind, edge.flag, format_rate(edge.rate))
            for edge in (*view.incoming, *view.outgoing)
        ) + (tuple(sorted(view.names.items())),)

    async def _rebuild_rows(self, view: ResourceView | None) -> None:
        key = (view.id, tuple(view.counters)) if view is not None else None
        if key == self._rows_for:
            return
        self._rows_for = key
        box = self.query_one("#resource-counters", VerticalScroll)
        await box.remove_children()
        if view is not None:
            await box.mount_all(CounterRow(name) for name in view.counters)

    @staticmethod
    def _links(view: ResourceView) -> Table | Text:
        if not view.incoming and not view.outgoing:
            return Text("no connections", "dim")
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, overflow="ellipsis")
        table.add_column(justify="right")
        for edge in view.incoming:
            name = view.names.get(edge.source, short_name(edge.source))
            style = FLAG_STYLES.get(edge.flag or "", "")
            table.add_row(
                Text("◀ from", "dim"), Text(f"{name} ({edge.kind})", style), format_rate(edge.rate)
            )
        for edge in view.outgoing:
            name = view.names.get(edge.target, short_name(edge.target))
            style = FLAG_STYLES.get(edge.flag or "", "")
            table.add_row(
                Text("▶ to", "dim"), Text(f"{name} ({edge.kind})", style), format_rate(edge.rate)
            )
        return table

    @staticmethod
    def _recent(view: ResourceView) -> Text:
        if not view.recent:
            return Text("no recent events", "dim")
        text = Text("recent events\n", "bold", no_wrap=True, overflow="ellipsis")
        for event in view.recent[-8:]:
            text.append(
                f"{event.kind:<15}", FLAG_STYLES.get(FLAG_KINDS.get(event.kind, ""), "cyan")
            )
            text.append(f" {describe_detail(event, 26)}\n", "dim")
        return text
