"""The journey: hops in causal order as a fan-out tree, lab and real time, JSON bodies, Enter."""

from __future__ import annotations

import pytest
from rich.console import Console

from engine import Engine
from tui.app import PipeworkApp
from tui.app.journey_model import build_hops
from tui.app.screens.journey import HopScreen, JourneyScreen
from tui.app.widgets.journey_view import render_journey
from tui.app.widgets.trace_table import short_name

pytestmark = pytest.mark.timeout(60)


def _text(renderable: object) -> str:
    console = Console(width=140, record=True)
    console.print(renderable)
    return console.export_text()


async def _fan_out(eng: Engine) -> str:
    """A topic fanning out to two queues; returns the published message id."""
    sns, sqs = eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    for name in ("billing", "shipping"):
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=attributes["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
    sent = await sns.publish(TopicArn=topic, Message='{"order": 180, "lines": [1, 2]}')
    await eng.clock.advance(1)
    return sent["MessageId"]


async def test_a_fan_out_is_a_tree_in_causal_order(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(160, 48)) as pilot:
        message_id = await _fan_out(eng)
        await app.open_journey(message_id)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JourneyScreen)
        hops = screen.hops
        assert hops[0].parent is None and short_name(hops[0].resource) == "orders"
        queues = [hop for hop in hops if hop.service == "sqs"]
        assert {short_name(hop.resource) for hop in queues} == {"billing", "shipping"}
        for hop in queues:  # each queue's hop was caused by its subscription, caused by the topic
            subscription = hops[hop.parent]
            assert subscription.service == "sns" and hop.resource in str(subscription.events)
            assert subscription.parent == 0
        assert len(hops[0].children) == 2  # the fork
        firsts = [hop.first.seq for hop in hops]
        for hop in hops:  # a cause always comes before its effects
            if hop.parent is not None:
                assert firsts[hop.parent] < hop.first.seq
        text = _text(render_journey(message_id, screen.events, screen.walls))
        assert '"order": 180' in text and "{'order'" not in text  # JSON, pretty, not a repr
        assert "├─ " in text and "└─ " in text
        assert screen.walls and all(e.seq in screen.walls for e in screen.events)
        assert "µs" in text or "ms" in text  # real elapsed beside lab time
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HopScreen)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert not isinstance(app.screen, JourneyScreen | HopScreen)


def test_hops_group_events_by_resource_and_message() -> None:
    from engine.trace import TraceEvent

    q = "arn:aws:sqs:us-east-1:123456789012:q"
    events = [
        TraceEvent(1, 0.0, "sent", "sqs", q, "m1", "T", {"body": "{}"}),
        TraceEvent(3, 0.0, "invoked", "lambda", "arn:f", None, "T", {"source": q}),
        TraceEvent(2, 0.0, "received", "sqs", q, "m1", "T", {}),
    ]
    hops = build_hops(events)
    assert [hop.kinds for hop in hops] == [["sent", "received"], ["invoked"]]
    assert hops[1].parent == 0
