"""Alarms the flow map shows on a node or edge while a condition holds (not only on an event).

A consumer falling behind (stream lag or a queue backlog growing), a dead-letter queue
filling, a function being throttled: each is read from the topology's counters, sampled per
tick, and holds while the counter grew within the last `window` simulated seconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from engine.topology import Topology

#: Counters a stream node uses for records written (first found wins).
STREAM_WRITTEN = ("put", "records")


@dataclass(frozen=True, slots=True)
class Alarm:
    """A condition to glow: the palette flag to draw it in and a short badge."""

    flag: str  # a FlowPalette flag: lag | dead-letter | throttle | refused | error
    badge: str


class AlarmWatch:
    """Remembers recent counter values and says which nodes and edges are in alarm now."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self._samples: dict[tuple[str, ...], deque[tuple[float, float]]] = {}

    def _growth(self, key: tuple[str, ...], value: float, now: float) -> float:
        """How much `value` grew over the window (0 on the first sample)."""
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = deque()
        if not samples or samples[-1][0] != now:
            samples.append((now, value))
        while len(samples) > 1 and samples[1][0] <= now - self.window:
            samples.popleft()
        return value - samples[0][1]

    def scan(
        self, topology: Topology, now: float
    ) -> tuple[dict[str, Alarm], dict[tuple[str, str, str], Alarm]]:
        """Node id → alarm and (source, target, kind) → alarm for everything alarming now."""
        nodes = {node.id: node for node in topology.nodes}
        node_alarms: dict[str, Alarm] = {}
        edge_alarms: dict[tuple[str, str, str], Alarm] = {}
        dead_letter_targets = {e.target for e in topology.edges if e.kind == "dead-letter"}
        consumed = {e.source for e in topology.edges if e.kind == "event-source-mapping"}
        for node in topology.nodes:
            counters = node.counters
            if node.kind == "function" and "throttles" in counters:
                grew = self._growth((node.id, "throttles"), counters["throttles"], now)
                if grew > 0:
                    node_alarms[node.id] = Alarm("throttle", f"throttled +{_count(grew)}")
            elif node.kind == "queue" and "visible" in counters:
                visible = counters["visible"]
                grew = self._growth((node.id, "visible"), visible, now)
                if node.id in dead_letter_targets and grew > 0:
                    node_alarms[node.id] = Alarm("dead-letter", f"DLQ +{_count(grew)}")
                elif node.id in consumed and grew > 0 and visible > 0:
                    node_alarms[node.id] = Alarm("lag", f"backlog {_count(visible)}")
        seen: set[str] = set()
        for edge in topology.edges:
            source = nodes.get(edge.source)
            if edge.kind != "event-source-mapping" or source is None or source.kind != "stream":
                continue
            written = next(
                (source.counters[c] for c in STREAM_WRITTEN if c in source.counters), None
            )
            read = edge.counters.get("records")
            if written is None or read is None:
                continue
            lag = max(0.0, written - read)
            key = (edge.source, edge.target, edge.kind)
            if lag > 0 and self._growth(("lag", *key), lag, now) > 0:
                alarm = Alarm("lag", f"lag {_count(lag)}")
                edge_alarms[key] = alarm
                if source.id not in seen:
                    node_alarms[source.id] = alarm
                    seen.add(source.id)
            elif lag == 0:
                self._growth(("lag", *key), lag, now)
        return node_alarms, edge_alarms


def _count(value: float) -> str:
    from .flow_model import format_count

    return format_count(value)
