"""The journey timeline's header counts hops in plain English."""

from __future__ import annotations

from rich.console import Console

from engine.trace import TraceEvent
from tui.app.widgets.journey_view import render_journey


def _text(renderable: object) -> str:
    console = Console(width=120, record=True)
    console.print(renderable)
    return console.export_text()


def test_one_hop_is_singular_and_more_are_plural() -> None:
    event = TraceEvent(1, 0.0, "sent", "sqs", "arn:aws:sqs:us-east-1:123456789012:q", "m1", "T", {})
    later = TraceEvent(
        2, 1.0, "received", "sqs", "arn:aws:sqs:us-east-1:123456789012:q", "m1", "T", {}
    )
    assert "1 event in 1 hop across sqs" in _text(render_journey("m1", [event]))
    assert "2 events in 1 hop across sqs" in _text(render_journey("m1", [event, later]))
