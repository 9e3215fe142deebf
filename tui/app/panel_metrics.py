"""The selected resource's CloudWatch figures for its panel: the numbers CloudWatch itself holds.

Each figure is one metric of the resource read as GetMetricStatistics would read it (1-minute
periods, the metric's usual statistic; Lambda's Duration also as p50/p90/p99), so the panel and
`aws cloudwatch get-metric-statistics` always agree. Runs on the engine's loop (`host.call`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.services.cloudwatch.resources import natural_statistic, points, series_of

if TYPE_CHECKING:
    from engine import Engine

#: Lab minutes the panel's sparklines cover, and the period of each point (seconds).
WINDOW_MINUTES = 15
PERIOD = 60
#: Metrics the panel also shows as percentiles (besides their usual statistic).
PERCENTILES: dict[str, tuple[str, ...]] = {"Duration": ("p50", "p90", "p99")}


@dataclass(frozen=True, slots=True)
class MetricFigure:
    """One metric as the panel shows it: the latest period's value and the window's points."""

    name: str
    statistic: str
    value: float | None  # the newest period that has data (None: no data in the window)
    points: list[float] = field(default_factory=list)  # one per period, 0 where none
    unit: str | None = None


def panel_metrics(engine: Engine, ident: str) -> list[MetricFigure]:
    """The CloudWatch figures of resource `ident` (an ARN) over the last WINDOW_MINUTES."""
    found = series_of(engine, ident)
    if not found:
        return []
    end = engine.clock.now()
    start = end - WINDOW_MINUTES * 60
    figures = []
    for series in sorted(found, key=lambda s: s.name):
        for stat in (natural_statistic(series.name), *PERCENTILES.get(series.name, ())):
            values = points(series, start, end, PERIOD, stat)
            latest = next((v for v in reversed(values) if v is not None), None)
            figures.append(
                MetricFigure(
                    series.name,
                    stat,
                    latest,
                    [0.0 if v is None else float(v) for v in values],
                    series.unit,
                )
            )
    return figures
