"""Pilot tests: each interaction of the lab app, on a virtual clock."""

from __future__ import annotations

from textual.widgets import TabbedContent

from engine import Engine
from tui.app import LessonPanel, LessonStep, LessonView, PipeworkApp
from tui.app.screens.help import HelpScreen
from tui.app.screens.journey import JourneyScreen
from tui.app.widgets.clock_bar import ClockBar
from tui.app.widgets.command_bar import CommandBar
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.resource_panel import ResourcePanel
from tui.app.widgets.result_pane import ResultPane
from tui.app.widgets.trace_table import TraceTable, short_name


def _pane_text(app: PipeworkApp) -> str:
    return "\n".join(line.text for line in app.screen.query_one(ResultPane).lines)


async def _run(pilot, app: PipeworkApp, command: str) -> None:
    """Put `command` in the bar and press Enter (typing each key is slow under Pilot)."""
    bar = app.screen.query_one(CommandBar)
    bar.focus()
    bar.value = command
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _make_queues(eng: Engine, *names: str) -> list[str]:
    sqs = eng.client("sqs")
    return [(await sqs.create_queue(QueueName=name))["QueueUrl"] for name in names]


async def test_typing_a_command_runs_it_and_shows_the_result(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#command")
        await pilot.press(*"sqs create-queue --queue-name a1", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "a1" in _pane_text(app)
        assert app.topology.node("a1") is not None
        assert app.screen.query_one(FlowMap).nodes


async def test_a_failing_command_shows_its_one_line_error(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await _run(pilot, app, "sqs get-queue-url --queue-name nope")
        assert "NonExistentQueue" in _pane_text(app)


async def test_up_recalls_the_previous_command(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await _run(pilot, app, "sqs list-queues")
        await pilot.press("up")
        assert app.screen.query_one(CommandBar).value == "sqs list-queues"


async def test_tab_completes_from_the_console(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        bar = app.screen.query_one(CommandBar)
        bar.focus()
        bar.value = "sqs create-q"
        await pilot.press("tab")
        assert app.screen.query_one(CommandBar).value.startswith("sqs create-queue")


async def test_arrow_keys_select_a_node_and_fill_the_panel(app: PipeworkApp, eng: Engine) -> None:
    await _make_queues(eng, "orders")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app.refresh_views()
        flow = app.screen.query_one(FlowMap)
        flow.focus()
        await pilot.press("right")
        await pilot.pause()
        assert app.selected is not None and app.selected.endswith(":orders")
        await pilot.pause(0.1)
        panel = app.screen.query_one(ResourcePanel)
        assert panel.view is not None and panel.view.name == "orders"


async def test_clicking_a_node_selects_it(app: PipeworkApp, eng: Engine) -> None:
    await _make_queues(eng, "orders")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app.refresh_views()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        box = next(iter(flow._layout.boxes.values()))
        await pilot.click(FlowMap, offset=(box.x + 3, box.y + 1))
        assert app.selected == box.id


async def test_space_pauses_and_resumes_the_clock(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.query_one(FlowMap).focus()
        assert app.clock_control.paused  # a virtual clock starts paused
        await pilot.press("space")
        assert not app.clock_control.paused
        await pilot.press("space")
        assert app.clock_control.paused
        assert app.screen.query_one(ClockBar).paused


async def test_step_and_speed_keys_move_the_clock(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.query_one(FlowMap).focus()
        start = eng.clock.now()
        await pilot.press("full_stop")
        await pilot.pause()
        assert eng.clock.now() == start + 1
        await pilot.press("plus")
        assert app.clock_control.speed == 2.0
        await pilot.press("minus", "minus")
        assert app.clock_control.speed == 0.5


async def test_space_in_the_command_bar_types_a_space(app: PipeworkApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.query_one(CommandBar).focus()
        await pilot.press("a", "space", "b")
        assert app.screen.query_one(CommandBar).value == "a b"
        assert app.clock_control.paused


async def test_running_a_demo_builds_its_flow(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        app.action_run_demo("orders")
        await app.workers.wait_for_complete()
        await eng.clock.advance(10)
        app.refresh_views()
        await pilot.pause()
        flow = app.screen.query_one(FlowMap)
        names = {node.name for node in flow.nodes.values()}
        assert {"orders", "orders-dlq"} <= names
        assert any(edge.rate > 0 for edge in flow.edges) or any(
            node.rate > 0 for node in flow.nodes.values()
        )


async def test_an_event_row_opens_its_message_journey(app: PipeworkApp, eng: Engine) -> None:
    (url,) = await _make_queues(eng, "orders")
    async with app.run_test(size=(140, 40)) as pilot:
        await eng.client("sqs").send_message(QueueUrl=url, MessageBody="hello")
        app.refresh_views()
        app.action_show_tab("events")
        await pilot.pause()
        table = app.screen.query_one(TraceTable)
        table.focus()
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, JourneyScreen)
        assert [e.kind for e in app.screen.events][:1] == ["sent"]
        await pilot.press("escape")
        assert not isinstance(app.screen, JourneyScreen)


async def test_j_opens_the_journey_of_the_latest_message(app: PipeworkApp, eng: Engine) -> None:
    (url,) = await _make_queues(eng, "orders")
    sent = await eng.client("sqs").send_message(QueueUrl=url, MessageBody="hi")
    async with app.run_test(size=(120, 36)) as pilot:
        app.screen.query_one(FlowMap).focus()
        await pilot.press("j")
        assert isinstance(app.screen, JourneyScreen)
        assert app.screen.ident == sent["MessageId"]


async def test_the_event_log_filters_and_pauses(app: PipeworkApp, eng: Engine) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await _make_queues(eng, "orders", "billing")
        app.refresh_views()
        app.action_show_tab("events")
        await pilot.pause()
        app.screen.query_one("#event-filter").value = "billing"
        await pilot.pause()
        table = app.screen.query_one(TraceTable)
        assert {short_name(event.resource) for event in table.rows} == {"billing"}
        app.action_pause_log()
        await _make_queues(eng, "billing-2")
        app.refresh_views()
        await pilot.pause()
        assert table.row_count == 1


async def test_f1_opens_help_and_escape_closes_it(app: PipeworkApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_ctrl_t_switches_light_and_dark(app: PipeworkApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark


async def test_the_palette_offers_demos_and_resources(app: PipeworkApp, eng: Engine) -> None:
    await _make_queues(eng, "orders")
    async with app.run_test(size=(120, 36)) as pilot:
        app.refresh_views()
        from tui.app.commands import LabCommands

        provider = LabCommands(app.screen)
        texts = [text for text, _help, _command in provider._entries()]
        assert any(text.startswith("Demo: Orders") for text in texts)
        assert "Jump to: orders (queue)" in texts
        await pilot.pause()


async def test_the_lesson_panel_shows_only_when_given_a_lesson(app: PipeworkApp) -> None:
    async with app.run_test(size=(160, 40)) as pilot:
        panel = app.screen.query_one(LessonPanel)
        assert not panel.display
        app.show_lesson(LessonView("Queues 101", "Send a message.", [LessonStep("send", True)]))
        await pilot.pause()
        assert panel.display
        app.show_lesson(None)
        assert not panel.display


async def test_a_widget_failure_is_reported_not_fatal(app: PipeworkApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        flow = app.screen.query_one(FlowMap)
        flow.update_flow(None, None, 0.0)  # type: ignore[arg-type]  # bad data on purpose
        await pilot.pause()
        assert app.is_running
        assert any("update_flow failed" in str(n.message) for n in app._notifications)


async def test_the_app_is_usable_at_80_by_24(app: PipeworkApp, eng: Engine) -> None:
    await _make_queues(eng, "orders")
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_views()
        await pilot.pause()
        assert app.screen.has_class("narrow")
        assert app.screen.query_one(FlowMap).size.height >= 4
        assert app.screen.query_one(CommandBar).region.height >= 1
        assert not app.screen.query_one("#side").display
        app.screen.query_one(FlowMap).focus()
        await pilot.press("right", "enter")
        await pilot.pause()
        assert app.screen.query_one("#side").display
        assert app.screen.query_one(TabbedContent).active == "results"


async def test_r_on_a_dead_letter_queue_starts_a_redrive(app: PipeworkApp, eng: Engine) -> None:
    import json

    sqs = eng.client("sqs")
    (dlq,) = await _make_queues(eng, "dlq")
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})
    await sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})
    await sqs.send_message(QueueUrl=dlq, MessageBody="stuck")
    async with app.run_test(size=(140, 40)) as pilot:
        app.refresh_views()
        flow = app.screen.query_one(FlowMap)
        flow.select(dlq_arn)
        flow.focus()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "redrive started" in _pane_text(app)


async def test_an_app_owned_real_time_lab_runs_on_its_own_thread(tmp_path) -> None:
    from engine import RealClock

    app = PipeworkApp(clock=RealClock(), history_file=tmp_path / "history")
    assert app.host.threaded
    async with app.run_test(size=(120, 36)) as pilot:
        await _run(pilot, app, "sqs create-queue --queue-name threaded")
        assert "threaded" in _pane_text(app)
        for _ in range(50):
            if app.topology.node("threaded") is not None:
                break
            await pilot.pause(0.05)
        assert app.topology.node("threaded") is not None
    assert (tmp_path / "history").read_text().count("+sqs create-queue") == 1


async def test_enter_on_a_state_machine_opens_its_workflow_graph(app: PipeworkApp) -> None:
    from tui.app.screens.workflow import WorkflowScreen

    async with app.run_test(size=(140, 40)) as pilot:
        app.action_run_demo("workflow-retry")
        await app.workers.wait_for_complete()
        await app.engine.clock.advance(8)
        app.refresh_views()
        flow = app.screen.query_one(FlowMap)
        flow.select(app.topology.node("checkout").id)
        flow.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WorkflowScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        graph = app.screen.query_one(FlowMap)
        assert {"Validate", "ChargeCard", "Refund"} <= set(graph.nodes)
        assert graph.nodes["Validate"].flag == "succeeded"
        await pilot.press("escape")
        assert not isinstance(app.screen, WorkflowScreen)


async def test_a_console_demo_script_runs_from_the_palette_entry(app: PipeworkApp) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        app.action_run_script("queue-with-dlq")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = _pane_text(app)
        assert "finished" in text, text[-400:]
        assert app.topology.node("orders-dlq") is not None
