"""Turns `eng.topology()` plus the aggregated trace into what the flow map draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.topology import Topology

from .flow_canvas import EdgeView, NodeView
from .trace_stats import EdgeCounterRates, TraceStats

if TYPE_CHECKING:
    from .flow_alarms import AlarmWatch

#: Node kinds drawn inside their parent rather than as boxes of their own.
FOLDED_KINDS = frozenset({"shard"})
#: Short names for common counters, so a box line fits.
COUNTER_ABBREVIATIONS = {
    "visible": "vis",
    "in_flight": "flight",
    "inflight": "flight",
    "delayed": "delay",
    "messages": "msgs",
    "subscriptions": "subs",
    "invocations": "inv",
    "errors": "err",
    "executions": "exec",
    "running": "run",
    "records": "rec",
    "shards": "shards",
    "unacked": "unack",
    "consumers": "cons",
    "prefetch": "pf",
    "open_shards": "shards",
}
#: Key figures a full-size box shows (the first counters, as the service lists them).
FIGURES = 4


def counter_line(counters: dict[str, float], limit: int = 3) -> str:
    """`vis 12 · flight 3 · delay 0` from a node's counters (first `limit` of them)."""
    return " · ".join(figures(counters, limit))


def figures(counters: dict[str, float], limit: int = FIGURES) -> tuple[str, ...]:
    """(`vis 12`, `flight 3`, …): a node's first `limit` counters, short and whole."""
    return tuple(
        f"{COUNTER_ABBREVIATIONS.get(name, name)} {format_count(value)}"
        for name, value in list(counters.items())[:limit]
    )


def format_count(value: float) -> str:
    """A short count: 12, 3.4k, 1.2M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:g}" if value != int(value) else str(int(value))


def build_flow(
    topology: Topology,
    stats: TraceStats | None,
    now: float,
    edge_rates: EdgeCounterRates | None = None,
    alarms: AlarmWatch | None = None,
) -> tuple[list[NodeView], list[EdgeView]]:
    """Node and edge views for the flow map at simulated time `now`.

    An edge's rate is what the trace shows between its ends or, for edges that count their
    own traffic, the growth of that counter — whichever is higher. Edges carry the names the
    user gave (a subscription's protocol and filter, a mapping's batch size, a rule target's
    id); `alarms` adds what is alarming now (a lagging consumer, a filling DLQ …).
    """
    node_alarms, edge_alarms = alarms.scan(topology, now) if alarms is not None else ({}, {})
    folded: dict[str, str] = {}
    nodes: list[NodeView] = []
    for node in topology.nodes:
        if node.kind in FOLDED_KINDS and node.parent:
            folded[node.id] = node.parent
            continue
        counters = node.counters
        first = next(iter(counters.values()), None)
        alarm = node_alarms.get(node.id)
        flag = stats.node_flag(node.id, now) if stats else None
        nodes.append(
            NodeView(
                id=node.id,
                kind=node.kind,
                name=node.name,
                summary=counter_line(counters),
                headline=format_count(first) if first is not None else "",
                flag=flag or (alarm.flag if alarm else None),
                rate=stats.node_rate(node.id, now) if stats else 0.0,
                figures=figures(counters),
                alarm=alarm.badge if alarm else "",
                stack=node.stack,
            )
        )
    edges: list[EdgeView] = []
    seen: set[tuple[str, str, str]] = set()  # (source, target, kind) already drawn
    for edge in topology.edges:
        source = folded.get(edge.source, edge.source)
        target = folded.get(edge.target, edge.target)
        key = (source, target, edge.kind)
        if key in seen:
            continue
        seen.add(key)
        rate = stats.edge_rate(edge.source, edge.target, now) if stats else 0.0
        if edge_rates is not None and edge.counters:
            rate = max(rate, edge_rates.rate(key, edge.counters, now))
        flag = stats.edge_flag(edge.source, edge.target, now) if stats else None
        if edge.kind == "dead-letter" and stats is not None:
            # A dead-letter hop is reported by the source queue as "dead-lettered".
            flag = flag or ("dead-letter" if rate else None)
        alarm = edge_alarms.get(key)
        label = edge.label
        if alarm is not None:
            flag = flag or alarm.flag
            label = f"{label} · {alarm.badge}" if label else alarm.badge
        elif flag == "refused":
            label = f"{label} · denied" if label else "denied"
        edges.append(EdgeView(source, target, edge.kind, rate, flag, label))
    if stats is not None:
        edges += _observed_edges(stats, nodes, edges, now)
    return nodes, edges


def _observed_edges(
    stats: TraceStats, nodes: list[NodeView], declared: list[EdgeView], now: float
) -> list[EdgeView]:
    """Hops the trace showed but no resource declares (a function publishing in code).

    Their rate is what the trace counted on the hop or, when that is lower (under load only a
    sample of hops can be followed), the target's arrivals that its declared incoming edges
    do not explain, shared between its observed incoming edges.
    """
    shown = {node.id: node for node in nodes}
    pairs = sorted(
        (source, target) for source, target in stats.observed if source in shown and target in shown
    )
    observed_into: dict[str, int] = {}
    for _, target in pairs:
        observed_into[target] = observed_into.get(target, 0) + 1
    explained: dict[str, float] = {}
    for edge in declared:
        explained[edge.target] = explained.get(edge.target, 0.0) + edge.rate
    views = []
    for source, target in pairs:
        unexplained = max(0.0, shown[target].rate - explained.get(target, 0.0))
        rate = max(stats.edge_rate(source, target, now), unexplained / observed_into[target])
        flag = stats.edge_flag(source, target, now)
        views.append(EdgeView(source, target, "observed", rate, flag))
    return views
