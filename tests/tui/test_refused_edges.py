"""A hop IAM refused flags its edge as refused on the flow map, ahead of the failure it causes."""

from __future__ import annotations

import pytest

from engine import VirtualClock
from engine.topology import Edge, Node, Topology
from engine.trace import TraceBus
from tui.app.flow_model import build_flow
from tui.app.trace_stats import TraceStats

pytestmark = pytest.mark.timeout(30)

TOPIC = "arn:aws:sns:us-east-1:123456789012:t"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"


async def test_a_denied_hop_flags_the_edge_refused() -> None:
    clock = VirtualClock(start=0.0)
    bus = TraceBus(clock)
    stats = TraceStats(bus)
    stats.set_nodes(frozenset({TOPIC, QUEUE}))
    bus.emit("delivery-failed", "sns", TOPIC, endpoint=QUEUE)
    bus.emit(
        "denied",
        "iam",
        QUEUE,
        principal="sns.amazonaws.com",
        action="sqs:SendMessage",
        source=TOPIC,
        statement="no statement allowed it",
    )
    stats.drain()
    assert stats.edge_flag(TOPIC, QUEUE, clock.now()) == "refused"
    topology = Topology(
        [Node(TOPIC, "topic", "t", "sns"), Node(QUEUE, "queue", "q", "sqs")],
        [Edge(TOPIC, QUEUE, "subscription")],
    )
    _, edges = build_flow(topology, stats, clock.now())
    assert [(e.source, e.target, e.flag) for e in edges] == [(TOPIC, QUEUE, "refused")]
