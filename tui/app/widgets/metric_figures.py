"""The resource panel's CloudWatch section: each metric's latest value and a sparkline."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from ..flow_model import format_count
from ..panel_metrics import PERIOD, WINDOW_MINUTES, MetricFigure
from .inspection_view import spark

#: Units shown after the value (CloudWatch's unit names → short forms).
UNITS = {"Milliseconds": "ms", "Seconds": "s", "Bytes": "B", "Percent": "%"}


def metric_figures_key(figures: Sequence[MetricFigure]) -> tuple:
    """What the section shows, as plain values (the panel redraws only when it changes)."""
    return tuple((f.name, f.statistic, f.value, tuple(f.points)) for f in figures)


def render_metric_figures(figures: Sequence[MetricFigure]) -> Text | Table:
    """The CloudWatch figures as a small table (a dim line when the resource has none yet)."""
    if not figures:
        return Text("CloudWatch: no metrics yet (sampled every lab minute)", "dim")
    table = Table.grid(padding=(0, 1))
    table.title = f"CloudWatch · {PERIOD // 60}-min periods, last {WINDOW_MINUTES} min"
    table.title_style = "bold"
    table.title_justify = "left"
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_column(no_wrap=True, style="dim")
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True, style="cyan")
    for figure in figures:
        table.add_row(
            figure.name,
            figure.statistic,
            _value(figure),
            spark(figure.points[-12:]),
        )
    return table


def _value(figure: MetricFigure) -> str:
    if figure.value is None:
        return "–"
    value = figure.value
    text = format_count(value) if value == int(value) else f"{value:.1f}"
    unit = UNITS.get(figure.unit or "")
    return f"{text} {unit}" if unit else text
