"""The event log draws one honest line per event: escaped, JSON values, no stale cells."""

from __future__ import annotations

import pytest

from engine import Engine
from engine.trace import TraceEvent
from tui.app import PipeworkApp
from tui.app.event_filter import EventFilter
from tui.app.event_text import describe_detail, one_line
from tui.app.screens.journey import JourneyScreen
from tui.app.widgets.event_log import EventLog
from tui.app.widgets.trace_table import TraceTable, format_row

pytestmark = pytest.mark.timeout(60)

BODIES = ['{\n  "order": 1,\n  "note": "first"\n}', "hello\nworld\r\n\ttabbed \x1b[31mred", "plain"]


async def _fan_out(eng: Engine) -> dict[str, str]:
    """An SNS topic delivering raw to two SQS queues; returns queue name → URL."""
    sns, sqs = eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="orders"))["TopicArn"]
    urls = {}
    for name in ("billing", "shipping"):
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls[name] = url
    for body in BODIES:
        await sns.publish(TopicArn=topic, Message=body)
    await eng.clock.advance(1)
    return urls


def _rendered(table: TraceTable) -> list[str]:
    """Each visible row exactly as the table draws it."""
    return [table.render_line(y).text for y in range(table.size.height)]


def _expected(event: TraceEvent, width: int) -> str:
    line = format_row(event)
    return (line + describe_detail(event, max(0, width - len(line)))).ljust(width)[:width]


def _check_rows(table: TraceTable, events: list[TraceEvent]) -> None:
    """Every drawn row is exactly the line of the event at that row, and nothing else."""
    width = table.size.width
    top = table.scroll_offset.y
    for y, text in enumerate(_rendered(table)):
        assert "\n" not in text and "\r" not in text and "\x1b" not in text
        assert len(text) == width
        index = top + y
        if index < len(events):
            assert table.rows[index] is events[index]
            assert text == _expected(events[index], width)
        else:
            assert text.strip() == ""


def test_detail_values_are_json_on_one_line() -> None:
    event = TraceEvent(1, 0.0, "sent", "sqs", "arn:q", "m-1", None, {"body": "a\nb", "n": 2})
    assert describe_detail(event, 80) == 'body="a\\nb" n=2'
    assert one_line("x\x1by\u2028") == "x\\x1by\\x2028"


async def test_multi_line_bodies_render_one_row_each(app: PipeworkApp, eng: Engine) -> None:
    await _fan_out(eng)
    async with app.run_test(size=(160, 40)) as pilot:
        app.refresh_views()
        app.action_focus_events()
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        table = app.screen.query_one(TraceTable)
        recorded = list(app.recorder.events)
        shown = [e for e in recorded if e in table.rows]
        assert table.rows == shown  # every row is a recorded event, in order
        bodies = {e.detail.get("body") for e in table.rows} - {None}
        assert set(BODIES) <= bodies
        _check_rows(table, table.rows)
        # A filter redraws from the recorder: rows only of that queue, each drawn fresh.
        log.set_filter("res:billing")
        await pilot.pause()
        billing = [e for e in recorded if "billing" in e.resource]
        assert table.rows == billing[-len(table.rows) :] and table.rows
        _check_rows(table, table.rows)
        for event in table.rows:
            delivered = event.detail.get("body")
            if delivered is not None:  # a body shown on billing's row was sent to billing
                assert any(
                    e.resource == event.resource and e.detail.get("body") == delivered
                    for e in recorded
                )


async def test_filter_by_kind_text_and_trace_id(app: PipeworkApp, eng: Engine) -> None:
    await _fan_out(eng)
    async with app.run_test(size=(160, 40)) as pilot:
        app.refresh_views()
        app.action_focus_events()
        await pilot.pause()
        recorded = list(app.recorder.events)
        table = app.screen.query_one(TraceTable)
        log = app.screen.query_one(EventLog)
        sample = next(e for e in recorded if e.trace_id and e.service == "sqs")
        log.set_filter(f"trace:{sample.trace_id}")
        await pilot.pause()
        assert table.rows and all(e.trace_id == sample.trace_id for e in table.rows)
        log.set_filter("kind:published")
        await pilot.pause()
        assert table.rows and {e.kind for e in table.rows} == {"published"}
        log.set_filter("tabbed")  # a word from a body (the detail text)
        await pilot.pause()
        assert table.rows and all("tabbed" in str(e.detail) for e in table.rows)
        assert EventFilter.parse("kind:sent x").scoped == ((("kind",), "sent"),)


async def test_slash_from_the_map_filters_and_enter_opens_a_journey(
    app: PipeworkApp, eng: Engine
) -> None:
    await _fan_out(eng)
    async with app.run_test(size=(140, 40)) as pilot:
        app.refresh_views()
        app.action_focus_flow()
        await pilot.press("slash", *"shipping")
        await pilot.pause()
        filter_box = app.screen.query_one("#event-filter")
        assert filter_box.has_focus and filter_box.value == "shipping"
        table = app.screen.query_one(TraceTable)
        wanted = EventFilter.parse("shipping")
        assert table.rows == [e for e in app.recorder.events if wanted.matches(e)]
        assert len(table.rows) < len(app.recorder.events)
        await pilot.press("enter", "end", "enter")  # enter leaves the filter for the rows
        await pilot.pause()
        assert isinstance(app.screen, JourneyScreen)
        assert app.screen.ident in {table.rows[-1].message_id, table.rows[-1].trace_id}
