"""Builds the resource panel's view of one node from topology, trace and counter history."""

from __future__ import annotations

from itertools import islice

from engine.topology import Node, Topology

from .flow_canvas import EdgeView
from .trace_stats import CounterHistory, TraceStats
from .widgets.resource_panel import ResourceView

#: Counters that are levels, not running totals, even though their names end in -ed.
GAUGES = frozenset({"delayed", "visible", "in_flight", "running", "provisioned"})
#: Running totals whose names do not end in -ed.
TOTALS = frozenset(
    {"sent", "put", "read", "invocations", "errors", "throttles", "cold_starts", "moved"}
)
#: Recent events scanned for the panel (newest first).
RECENT_SCAN = 2000


def is_running_total(name: str) -> bool:
    """Whether a counter only ever grows (sent, received, errors …) rather than being a level."""
    if name in GAUGES:
        return False
    return name in TOTALS or name.endswith("ed")


def per_second(series: list[float]) -> list[float]:
    """Successive differences of a running total: how much it grew each sampled second."""
    return [max(0.0, b - a) for a, b in zip(series, series[1:], strict=False)]


def build_resource_view(
    node: Node,
    topology: Topology,
    edges: list[EdgeView],
    stats: TraceStats,
    history: CounterHistory,
    now: float,
) -> ResourceView:
    """The panel's data for `node` at simulated time `now`."""
    names = {n.id: n.name for n in topology.nodes}
    series: dict[str, list[float]] = {}
    for name in node.counters:
        values = history.series(node.id, name)
        series[name] = per_second(values) if is_running_total(name) else values
    recent = []
    for event in islice(reversed(stats.recent), RECENT_SCAN):
        if event.resource == node.id:
            recent.append(event)
            if len(recent) >= 8:
                break
    recent.reverse()
    return ResourceView(
        id=node.id,
        kind=node.kind,
        name=node.name,
        service=node.service,
        counters=dict(node.counters),
        history=series,
        incoming=[e for e in edges if e.target == node.id],
        outgoing=[e for e in edges if e.source == node.id],
        names=names,
        recent=recent,
        rate=stats.node_rate(node.id, now),
    )
