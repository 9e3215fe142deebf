"""The metrics screen: any CloudWatch metric of the lab, charted over lab time."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine import Engine
from engine.services.cloudwatch.resources import natural_statistic, points, series_of

from ..widgets.metric_chart import MetricChart

#: Chart windows (minutes) the `w` key cycles through, with the period each uses.
WINDOWS = ((30, 60), (120, 300), (720, 1800))


def metric_rows(
    engine: Engine, ident: str | None, minutes: int, period: int
) -> list[dict[str, Any]]:
    """Every matching series with its values over the window (runs on the engine's loop)."""
    store = engine.service("cloudwatch").store  # type: ignore[attr-defined]
    found = series_of(engine, ident) if ident else list(store.series.values())
    if ident and not found:
        found = list(store.series.values())
    end = engine.clock.now()
    start = end - minutes * 60
    rows = []
    for series in sorted(found, key=lambda s: (s.namespace, s.name, s.dimensions)):
        stat = natural_statistic(series.name)
        dims = ", ".join(f"{k}={v.rsplit(':', 1)[-1]}" for k, v in series.dimensions)
        rows.append(
            {
                "key": f"{series.namespace}|{series.name}|{series.dimensions}",
                "label": f"{series.namespace} {series.name}" + (f" ({dims})" if dims else ""),
                "stat": stat,
                "values": points(series, start, end, period, stat),
                "start": start - start % period,
            }
        )
    return rows


class MetricsScreen(ModalScreen[None]):
    """A list of metrics and a chart of the highlighted one; refreshes every second."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="metrics.close"),
        Binding("q", "dismiss", "Close", show=False, id="metrics.quit"),
        Binding("w", "next_window", "Window", id="metrics.window"),
    ]

    def __init__(self, ident: str | None) -> None:
        super().__init__()
        self.ident = ident
        self.window = 0
        self.rows: list[dict[str, Any]] = []
        self.chosen: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="metrics-box"):
            yield Static("Metrics", id="metrics-heading")
            with Horizontal(id="metrics-body"):
                yield OptionList(id="metrics-list")
                yield MetricChart(id="metrics-chart")
        yield Footer()

    async def on_mount(self) -> None:
        await self.refresh_metrics()
        self.set_interval(1.0, self.refresh_metrics)
        self.query_one(OptionList).focus()

    async def refresh_metrics(self) -> None:
        """Read the metrics store on the engine's loop and redraw."""
        minutes, period = WINDOWS[self.window]
        app: Any = self.app
        self.rows = await app.host.call(metric_rows, app.engine, self.ident, minutes, period)
        heading = f"Metrics of {self.ident}" if self.ident else "Metrics of the lab"
        self.query_one("#metrics-heading", Static).update(
            f"{heading} — last {minutes} min of lab time, {period} s periods (w: window)"
        )
        options = self.query_one(OptionList)
        keys = [row["key"] for row in self.rows]
        if [o.id for o in options.options] != keys:
            highlighted = self.chosen
            options.clear_options()
            options.add_options([Option(row["label"], id=row["key"]) for row in self.rows])
            if highlighted in keys:
                options.highlighted = keys.index(highlighted)
            elif keys:
                options.highlighted = 0
        self._draw()

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        self.chosen = message.option.id
        self._draw()

    def _draw(self) -> None:
        chart = self.query_one(MetricChart)
        row = next((r for r in self.rows if r["key"] == self.chosen), None)
        if row is None and self.rows:
            row = self.rows[0]
        if row is None:
            chart.show("No metrics yet: they are sampled every minute of lab time.", [], 0, 60)
            return
        _, period = WINDOWS[self.window]
        chart.show(f"{row['label']} · {row['stat']}", row["values"], row["start"], period)

    async def action_next_window(self) -> None:
        """Cycle the chart's time window."""
        self.window = (self.window + 1) % len(WINDOWS)
        await self.refresh_metrics()
