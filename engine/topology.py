"""What the flow map draws: resources as nodes and the connections between them as edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Node:
    """A resource: a queue, topic, bus, rule, stream, function, state machine, bucket, table, API …"""

    id: str  # the resource's ARN
    kind: str  # queue | topic | bus | rule | stream | shard | function | state-machine | ...
    name: str
    service: str
    counters: dict[str, float] = field(default_factory=dict)
    parent: str | None = None  # e.g. a rule's bus, a shard's stream
    stack: str | None = None  # the CloudFormation stack that made it (the flow map groups by it)


@dataclass(slots=True)
class Edge:
    """A connection messages travel: subscription, rule target, mapping, integration …"""

    source: str
    target: str
    kind: str  # subscription | rule-target | event-source-mapping | integration | task | ...
    label: str = ""
    counters: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Topology:
    """All nodes and edges of the lab at one moment."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, ident: str) -> Node | None:
        """The node whose id (ARN) or name is `ident`."""
        for node in self.nodes:
            if node.id == ident or node.name == ident:
                return node
        return None

    def neighbours(self, ident: str) -> list[Edge]:
        """Edges that touch the node `ident`."""
        return [e for e in self.edges if ident in (e.source, e.target)]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {
            "nodes": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "name": n.name,
                    "service": n.service,
                    "counters": n.counters,
                    "parent": n.parent,
                    "stack": n.stack,
                }
                for n in self.nodes
            ],
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "kind": e.kind,
                    "label": e.label,
                    "counters": e.counters,
                }
                for e in self.edges
            ],
        }
