"""PipeworkApp: the Textual lab — flow map, panels, journeys, events and a command bar."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Input, TabbedContent
from textual.worker import Worker

from engine import Clock, Engine, RealClock, ServiceError, VirtualClock
from engine.topology import Node, Topology
from engine.trace import TraceEvent, TraceRecorder
from tui.console.lab.memory import resident_bytes

from .clock_control import ClockControl
from .commands import LabCommands
from .demos import DEMOS, start_demo
from .engine_host import EngineHost
from .flow_alarms import AlarmWatch
from .flow_canvas import EdgeView
from .flow_model import build_flow
from .history import append_history, history_path, load_history
from .inspectors import inspect
from .key_policy import LAB_SCREEN_ACTIONS, key_applies
from .lesson_guide import LessonGuide
from .panel_metrics import panel_metrics
from .resource_view import build_resource_view
from .screens.help import HelpScreen
from .screens.journey import JourneyScreen
from .screens.lab import LabScreen
from .screens.lessons import LessonsScreen
from .screens.workflow import WorkflowScreen
from .scripts import demo_scripts
from .trace_stats import CounterHistory, EdgeCounterRates, TickBatch, TraceStats
from .wall_stamps import WallStamps
from .widgets.clock_bar import ClockBar
from .widgets.command_bar import CommandBar
from .widgets.command_hint import CommandHint
from .widgets.event_log import EventLog
from .widgets.flow_map import FlowMap
from .widgets.held_banner import HeldBanner
from .widgets.lesson_panel import LessonPanel, LessonView
from .widgets.resource_panel import ResourcePanel
from .widgets.result_pane import ResultPane
from .widgets.trace_table import TraceTable

#: Real seconds between UI ticks: trace is drained and widgets updated at most this often.
TICK_SECONDS = 0.2
#: Trace events handed to the event log per tick (the rest are counted, not listed).
LOG_EVENTS_PER_TICK = 40
#: Ticks between lesson checks while time runs (2 s of real time).
LESSON_CHECK_TICKS = 10


class PipeworkApp(App[int]):
    """The lab in a terminal. `PipeworkApp()` opens a fresh lab on a real-time clock.

    `PipeworkApp(clock=VirtualClock())` opens a fresh lab on a virtual clock (which the app
    starts paused: deterministic screenshots). Tests and embedders may pass their own
    `engine=` (closed by them) and `console=`. The shared history file is used when given,
    or when the app owns its lab.
    """

    CSS_PATH = "app.tcss"
    TITLE = "Pipework"
    SUB_TITLE = "integration lab"
    COMMANDS = App.COMMANDS | {LabCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "lessons", "Lessons", id="app.lessons"),
        Binding("f3", "lesson_hint", "Hint", show=False, id="app.lesson_hint"),
        Binding("space", "toggle_clock", "Pause/Run", id="clock.pause"),
        Binding("full_stop", "step_clock", "Step", id="clock.step"),
        Binding("plus", "faster", "Faster", id="clock.faster"),
        Binding("minus", "slower", "Slower", id="clock.slower"),
        Binding("colon", "focus_command", "Command", key_display=":", id="app.command"),
        Binding("ctrl+l", "focus_command", "Command", show=False, id="app.command_alt"),
        Binding("j", "journey_latest", "Journey", id="app.journey"),
        Binding("m", "metrics", "Metrics", id="app.metrics"),
        Binding("s", "stacks", "Stacks", id="app.stacks"),
        Binding("r", "redrive", "Redrive", show=False, id="app.redrive"),
        Binding("slash", "filter_events", "Filter", show=False, id="app.filter"),
        # Priority: the command bar's Input binds ctrl+e (end of line) itself.
        Binding("ctrl+e", "focus_events", "Events", priority=True, id="app.events"),
        Binding("ctrl+r", "focus_results", "Results", priority=True, id="app.results"),
        Binding("ctrl+b", "toggle_panel", "Panel", show=False, priority=True, id="app.panel"),
        Binding("ctrl+s", "save_screen", "Save screen", show=False, id="app.save_screen"),
        Binding("ctrl+t", "toggle_dark", "Theme", show=False, id="app.theme"),
        Binding("escape", "focus_flow", "Map", id="app.flow"),
    ]

    def __init__(
        self,
        engine: Engine | None = None,
        console: Any | None = None,
        *,
        clock: Clock | None = None,
        history_file: Path | None = None,
        demo: str | None = None,
        memory_probe: Callable[[], int | None] | None = None,
        lab: str | None = None,
        durable: bool = False,
        fsync: bool = False,
    ) -> None:
        super().__init__()
        self._owns_engine = engine is None
        if engine is None:
            engine = Engine(clock=clock if clock is not None else RealClock())
        self.engine = engine
        #: Reads resident memory for the header once a second; the app's own real-time lab
        #: shows it by default (`memory` in the command bar has the details).
        shows_memory = self._owns_engine and isinstance(engine.clock, RealClock)
        self.memory_probe = memory_probe or (resident_bytes if shows_memory else None)
        # A lab the app owns on a real-time clock gets its own thread (see engine_host).
        self.host = EngineHost(
            engine, threaded=self._owns_engine and isinstance(engine.clock, RealClock)
        )
        self.console_error: str | None = None
        self._owns_console = console is None
        self.lab_console = console if console is not None else self._make_console()
        #: The guided lessons on this console (`lesson …` in the command bar), and the panel's guide.
        self.lessons = self._install_lessons()
        self.lesson_guide = LessonGuide(self.lessons) if self.lessons is not None else None
        self._lesson_lock = asyncio.Lock()
        self._lesson_ticks = 0
        recorder = getattr(self.lab_console, "recorder", None)
        self.recorder: TraceRecorder = recorder or self.engine.trace.record()
        self.clock_control = ClockControl(self.engine.clock)
        self.stats: TraceStats | None = None
        self.counter_history = CounterHistory()
        self.edge_rates = EdgeCounterRates()
        #: What glows on the map while it holds (a lagging consumer, a filling DLQ …).
        self.alarm_watch = AlarmWatch()
        self.topology = Topology()
        self.selected: str | None = None
        self.history_file = history_file or (history_path() if self._owns_engine else None)
        self._start_demo = demo
        #: `--lab NAME`: the kept lab opened on mount, checkpointed while open and on exit.
        self._lab_name, self._durable, self._fsync = lab, durable, fsync
        self.kept_lab: Any = None
        self._last_tick = time.monotonic()
        self._clock_worker: Worker | None = None
        self._ticks = 0
        self._lab_ready = False
        self._sample_worker: Worker | None = None
        self.tick_timer: Timer | None = None
        #: The flow map's edges as last drawn (the panel lists the selected node's).
        self.flow_edges: list[EdgeView] = []

    def _make_console(self) -> Any:
        try:
            from tui.console import Console
        except ImportError as error:
            self.console_error = f"the console is not available in this build ({error})"
            return None
        return Console(self.engine)

    def _install_lessons(self) -> Any:
        """Give the console the `lesson` command (or reuse the session it already has)."""
        if self.lab_console is None:
            return None
        existing = getattr(self.lab_console, "lesson_session", None)
        if existing is not None:
            return existing
        from lessons import install

        return install(self.lab_console)

    def get_default_screen(self) -> LabScreen:
        """The lab screen is the app's only base screen."""
        return LabScreen()

    # -- lifecycle ---------------------------------------------------------------------
    def on_mount(self) -> None:
        # Read the recorder the app keeps anyway: no second listener for the engine to feed.
        self.stats = TraceStats(self.engine.trace, recorder=self.recorder)
        #: Real time of each event, for the journey (before the engine's thread starts).
        self.wall_stamps = WallStamps(self.engine.trace)
        self.host.start()
        self._start_metrics()
        if self._lab_name is not None:
            self.run_worker(self._open_kept_lab(), group="lab")

    def _start_metrics(self) -> None:
        """CloudWatch samples the lab's counters every lab minute: start it so metrics have history."""
        self.host.post(self.engine.service, "cloudwatch")

    async def _open_kept_lab(self) -> None:
        from engine.persistence.keeper import kept

        keeper = kept(self.engine, self._lab_name, durable=self._durable, fsync=self._fsync)
        try:
            await self.host.run(keeper.open())
        except (ValueError, OSError) as error:  # a bad name, a damaged store: say so, stay empty
            self.notify(
                f"The lab {self._lab_name!r} could not be opened: {error}", severity="error"
            )
            return
        self.kept_lab = keeper
        self.notify(f"Lab {self._lab_name!r} is kept in {keeper.path}", title="Lab", timeout=5)
        self._start_metrics()  # the opened lab replaced the services

    async def on_lab_screen_ready(self, message: LabScreen.Ready) -> None:
        bar = self.screen.query_one(CommandBar)
        if self.lab_console is not None:
            bar.completer = self.lab_console.complete
        if self.history_file is not None:
            bar.history = load_history(self.history_file)
        if self.console_error:
            self.screen.query_one(ResultPane).show_result(None, self.console_error, None)
        self._lab_ready = True
        backlog = await self.host.call(self.recorder.recent, LOG_EVENTS_PER_TICK)
        if backlog:
            self.screen.query_one(EventLog).add_events(backlog, len(backlog))
        self.refresh_views(force_panel=True)
        #: The sampling timer; tests and screenshot scripts pause it to drive sampling themselves.
        self.tick_timer = self.set_interval(TICK_SECONDS, self._tick)
        bar.focus()
        if self._start_demo:
            self.action_run_demo(self._start_demo)
        self._offer_resume()

    async def on_unmount(self) -> None:
        if self.stats is not None:
            await self.host.call(self.stats.close)
            await self.host.call(self.wall_stamps.close)
        if self._owns_console and self.lab_console is not None:
            await self.host.call(self.lab_console.close)
        if self.kept_lab is not None:
            await self.host.run(self.kept_lab.close())
        await self.host.stop(close_engine=self._owns_engine)

    # -- the tick: drain the trace, sample the topology, feed the widgets ------------------
    async def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        running_virtual = self.clock_control.is_virtual and not self.clock_control.paused
        # Advance in a worker; while one runs, later ticks skip rather than pile up.
        if running_virtual and (self._clock_worker is None or self._clock_worker.is_finished):
            self._clock_worker = self.run_worker(
                self.clock_control.tick(min(elapsed, 1.0)), group="clock"
            )
        self.refresh_views()
        self._lesson_ticks += 1
        # Time alone completes some steps (a message dead-lettered, a consumer falling behind).
        if (
            self._lesson_ticks % LESSON_CHECK_TICKS == 0
            and self.lessons is not None
            and self.lessons.lesson is not None
            and not self.lessons.completed
            and not self._lesson_lock.locked()
        ):
            self.run_worker(self.tick_lesson(), group="lesson")

    def refresh_views(self, *, force_panel: bool = False) -> None:
        """Feed every widget from one look at the engine (called per tick)."""
        if self.stats is None or not self._lab_ready:
            return
        if self.host.threaded:
            # Sample on the engine's thread; while a sample is in flight, ticks skip.
            if self._sample_worker is None or self._sample_worker.is_finished:
                self._sample_worker = self.run_worker(
                    self._sample_remote(force_panel), group="sample"
                )
            return
        self._apply_sample(self._sample(), force_panel)

    def _sample(self) -> tuple[Topology, list[TraceEvent], float]:
        """One look at the lab: topology, new trace events, simulated time (engine side)."""
        assert self.stats is not None
        return self.engine.topology(), self.stats.take(), self.engine.clock.now()

    async def _sample_remote(self, force_panel: bool) -> None:
        sample = await self.host.call(self._sample)
        self._apply_sample(sample, force_panel)

    def _apply_sample(
        self, sample: tuple[Topology, list[TraceEvent], float], force_panel: bool
    ) -> None:
        assert self.stats is not None
        topology, events, now = sample
        self.topology = topology
        self.stats.set_nodes(
            frozenset(node.id for node in topology.nodes),
            frozenset((edge.source, edge.target) for edge in topology.edges),
        )
        batch = self.stats.fold(events, LOG_EVENTS_PER_TICK)
        try:
            screen = self.screen
        except ScreenStackError:
            return  # a tick that fired while the app closes
        if not isinstance(screen, LabScreen):
            return  # a modal is open: the events are counted, the lab is drawn later
        try:
            self._feed_widgets(screen, batch, now, force_panel)
        except NoMatches:
            pass  # the screen is being torn down (app exiting)

    def _feed_widgets(
        self, screen: LabScreen, batch: TickBatch, now: float, force_panel: bool
    ) -> None:
        assert self.stats is not None
        nodes, edges = build_flow(self.topology, self.stats, now, self.edge_rates, self.alarm_watch)
        self.flow_edges = edges
        screen.query_one(FlowMap).update_flow(nodes, edges, now)
        new_second = self.counter_history.sample(
            {node.id: node.counters for node in self.topology.nodes}, now
        )
        if batch.events or batch.total:
            screen.query_one(EventLog).add_events(batch.events, batch.total)
        hold = self.engine.hold  # two plain attributes: safe to read from the UI thread
        screen.query_one(HeldBanner).reason = hold.reason if hold.held else ""
        bar = screen.query_one(ClockBar)
        bar.sim_time = now
        bar.paused = self.clock_control.paused
        bar.speed = self.clock_control.speed
        bar.virtual = self.clock_control.is_virtual
        bar.resources = len(nodes)
        bar.event_rate = sum(self.stats.node_rate(n.id, now) for n in nodes)
        if new_second and self.memory_probe is not None:
            bar.resident_bytes = self.memory_probe()
        self._ticks += 1
        if force_panel or new_second or self._ticks % 5 == 0:
            self.call_later(self.refresh_panel)

    async def refresh_panel(self) -> None:
        """Show the selected resource in the side panel (also called per tick and per second)."""
        if not isinstance(self.screen, LabScreen):
            return
        panel = self.screen.query_one(ResourcePanel)
        node = self.topology.node(self.selected) if self.selected else None
        if node is None or self.stats is None:
            await panel.show(None)
            return
        view = build_resource_view(
            node,
            self.topology,
            self.flow_edges,
            self.stats,
            self.counter_history,
            self.engine.clock.now(),
        )
        view.details = await self.host.call(inspect, self.engine, node, self.recorder)
        view.metrics = await self.host.call(panel_metrics, self.engine, node.id)
        await panel.show(view)

    # -- widget messages ---------------------------------------------------------------
    async def on_flow_map_node_selected(self, message: FlowMap.NodeSelected) -> None:
        if not isinstance(self.screen, LabScreen):
            return
        self.selected = message.node_id
        await self.refresh_panel()

    async def on_flow_map_node_opened(self, message: FlowMap.NodeOpened) -> None:
        if not isinstance(self.screen, LabScreen):
            return  # a flow map on another screen (the workflow graph)
        node = self.topology.node(message.node_id)
        if node is not None and node.kind == "state-machine":
            await self.push_screen(WorkflowScreen(node.id))
            return
        self.selected = message.node_id
        self.screen.add_class("panel-open")
        self.screen.remove_class("hide-panel")
        await self.refresh_panel()

    async def on_event_log_journey_requested(self, message: EventLog.JourneyRequested) -> None:
        await self.open_journey(message.ident)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id != "command":
            return
        command = message.value.strip()
        bar = self.screen.query_one(CommandBar)
        bar.value = ""
        if not command:
            return
        bar.remember(command)
        if self.history_file is not None:
            append_history(command, self.history_file)
        self.screen.query_one(ResultPane).show_command(command)
        self.action_show_tab("results")
        self.run_worker(self._execute(command), group="commands")

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id != "command" or self.lab_console is None:
            return
        hint = self.screen.query_one(CommandHint)
        text, cursor = message.value, message.input.cursor_position
        try:
            completions = self.lab_console.complete(text, cursor) if text else []
            doc = self.lab_console.describe_at(text, cursor) if text else None
        except Exception as error:  # noqa: BLE001 — a hint must never break typing
            completions, doc = [], f"(no help: {type(error).__name__})"
        hint.candidates = tuple((c.display or c.text, c.meta or "") for c in completions[:6])
        hint.doc = doc or ""

    async def _execute(self, command: str) -> None:
        pane = self.screen.query_one(ResultPane)
        if self.lab_console is None:
            pane.show_result(None, self.console_error or "no console", None)
            return
        if command.split(maxsplit=1)[:1] == ["deploy"]:
            await self.open_stacks(None)  # a deploy's events, as they happen
        result = await self.host.run(self.lab_console.execute(command))
        pane.show_result(result.output, result.error, result.value)
        if result.exit:
            self.exit(0)
        self.refresh_views(force_panel=True)
        await self.tick_lesson(command)

    def on_held_banner_resume_requested(self, message: HeldBanner.ResumeRequested) -> None:
        self.run_command("resume")

    # -- public API (lessons, tests, palette) -----------------------------------------------
    def show_lesson(self, lesson: LessonView | None) -> None:
        """Show a lesson beside the lab (None hides the panel)."""
        try:
            panel = self.screen.query_one(LessonPanel)
        except NoMatches:
            return  # the lab screen is closing (a lesson check finished as the app exits)
        panel.lesson = lesson
        # The resource panel and the lesson share the side (app.tcss: LabScreen.lesson-open).
        self.screen.set_class(lesson is not None, "lesson-open")

    async def tick_lesson(self, command: str | None = None) -> None:
        """Check the lesson's steps after `command` (or time passing) and redraw its panel."""
        session, guide = self.lessons, self.lesson_guide
        if session is None or guide is None:
            return
        if self._lesson_lock.locked() and command is None:
            return  # a check is running; the periodic one is not needed
        async with self._lesson_lock:
            newly = []
            # `lesson …` commands tick steps themselves (start, check) and print them.
            if session.lesson is not None and not (command or "").startswith("lesson"):
                newly = await self.host.run(session.check())
            pointer = await self._point_at(guide.focus_of(newly)) if newly else ""
            guide.record(newly, pointer)
            if newly and isinstance(self.screen, LabScreen):
                from lessons.commands import announce

                self.screen.query_one(ResultPane).show_result(announce(session, newly), None, None)
            if isinstance(self.screen, LabScreen):
                topology = await self.host.call(self.engine.topology) if session.lesson else None
                self.show_lesson(guide.view(topology))

    async def _point_at(self, name: str | None) -> str:
        """Select a lesson step's `focus` resource on the flow map; says where to look."""
        if name is None or not isinstance(self.screen, LabScreen):
            return "j opens the journey of the newest message"
        topology = await self.host.call(self.engine.topology)
        node = topology.node(name)
        if node is None:
            return f"look for {name} on the flow map"
        self.topology = topology
        self.screen.query_one(FlowMap).select(node.id)
        return f"{node.name} is selected on the flow map: enter opens its panel, j a journey"

    def action_lessons(self) -> None:
        """Open the lessons screen (pick a lesson, see progress, resume)."""
        guide = self.lesson_guide
        if guide is None:
            self.notify(self.console_error or "Lessons need the console.", severity="warning")
            return
        if isinstance(self.screen, LessonsScreen):
            return
        problems = [str(problem) for problem in guide.session.catalogue.problems]
        screen = LessonsScreen(guide.rows(), guide.resume_number(), problems)
        self.push_screen(screen, self._lesson_chosen)

    def _offer_resume(self) -> None:
        """A learner who stopped mid-lesson is told how to go on (only in a real, owned lab)."""
        if self.lessons is None or not self._owns_engine:
            return
        if not isinstance(self.engine.clock, RealClock):
            return  # virtual-clock apps are tests and screenshots: no state from the data dir
        number = self.lessons.progress.current
        lesson = self.lessons.catalogue.get(number) if number is not None else None
        if lesson is not None and not self.lessons.progress.of(lesson.number).completed:
            self.notify(
                f"Lesson {lesson.number} ({lesson.title}) is in progress: F2, then Enter, resumes it.",
                title="Lessons",
                timeout=8,
            )

    def _lesson_chosen(self, number: int | None) -> None:
        if number is not None:
            self.start_lesson(number)

    def start_lesson(self, number: int) -> None:
        """Start (or resume) lesson `number` as if `lesson start N` were typed."""
        self.run_command(f"lesson start {number}")
        if isinstance(self.screen, LabScreen):
            # The learner's next move is a command: give the bar the keys.
            self.screen.query_one("#command").focus()

    def action_lesson_hint(self) -> None:
        """Reveal the next hint of the current lesson step."""
        if self.lessons is None or self.lessons.lesson is None:
            self.notify("No lesson in progress: F2 picks one.", severity="warning")
            return
        self.run_command("lesson hint")

    def run_command(self, command: str) -> None:
        """Run a console command as if typed in the command bar (result in the results tab)."""
        if not isinstance(self.screen, LabScreen):
            return
        self.screen.query_one(ResultPane).show_command(command)
        self.action_show_tab("results")
        self.run_worker(self._execute(command), group="commands")

    def topology_nodes(self) -> list[Node]:
        """The resources on the flow map right now."""
        return list(self.topology.nodes)

    async def open_journey(self, ident: str) -> None:
        """Open the timeline of a message or trace id."""
        events = await self.host.call(self.recorder.journey, ident)
        walls = await self.host.call(self.wall_stamps.of, events)
        await self.push_screen(JourneyScreen(ident, events, walls))

    def _latest_message_event(self) -> TraceEvent | None:
        for event in reversed(self.recorder.events):
            if event.message_id or event.trace_id:
                return event
        return None

    async def latest_message_event(self) -> TraceEvent | None:
        """The newest recorded event that belongs to a message."""
        return await self.host.call(self._latest_message_event)

    # -- actions ---------------------------------------------------------------------------
    def action_help(self) -> None:
        """Open the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_toggle_clock(self) -> None:
        """Pause or resume simulated time."""
        await self.host.call(self.clock_control.toggle)
        self.refresh_views()

    async def action_step_clock(self) -> None:
        """Advance simulated time by one second."""
        await self.host.run(self.clock_control.step())
        self.refresh_views(force_panel=True)
        await self.tick_lesson()

    async def action_faster(self) -> None:
        """Speed simulated time up."""
        await self.host.call(self.clock_control.faster)
        self.refresh_views()

    async def action_slower(self) -> None:
        """Slow simulated time down."""
        await self.host.call(self.clock_control.slower)
        self.refresh_views()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Printable-key actions are off while a text box has focus; lab keys off other screens."""
        if not isinstance(self.screen, LabScreen):
            return action not in LAB_SCREEN_ACTIONS
        return key_applies(action, self.focused)

    def on_descendant_focus(self) -> None:
        # The footer shows what the keys do where focus now is.
        self.refresh_bindings()

    def action_focus_command(self) -> None:
        """Put the cursor in the command bar."""
        self.screen.query_one(CommandBar).focus()

    def action_focus_flow(self) -> None:
        """Focus the flow map (from the command bar, Escape)."""
        if isinstance(self.screen, LabScreen):
            self.screen.query_one(FlowMap).focus()

    def action_show_tab(self, tab: str) -> None:
        """Show the results or the events tab."""
        self.screen.query_one(TabbedContent).active = tab

    def action_focus_events(self) -> None:
        """Show the event log and give it the keys (arrows, enter, / and p)."""
        if isinstance(self.screen, LabScreen):
            self.action_show_tab("events")
            self.screen.query_one(TraceTable).focus()

    def action_focus_results(self) -> None:
        """Show the results and give them the keys (scrolling)."""
        if isinstance(self.screen, LabScreen):
            self.action_show_tab("results")
            self.screen.query_one(ResultPane).focus()

    def action_filter_events(self) -> None:
        """Show the event log with the cursor in its filter (`/` from anywhere)."""
        if isinstance(self.screen, LabScreen):
            self.action_show_tab("events")
            self.screen.query_one(EventLog).action_focus_filter()

    def action_toggle_panel(self) -> None:
        """Show or hide the resource panel."""
        screen = self.screen
        if screen.has_class("narrow"):
            screen.toggle_class("panel-open")
        else:
            screen.toggle_class("hide-panel")

    def action_toggle_compact(self) -> None:
        """Zoom the flow map out to compact boxes, or back."""
        self.screen.query_one(FlowMap).action_toggle_compact()

    def action_toggle_neighbourhood(self) -> None:
        """Show only the selected node's neighbourhood, or everything."""
        self.screen.query_one(FlowMap).action_toggle_neighbourhood()

    def action_pause_log(self) -> None:
        """Freeze or unfreeze the event log."""
        self.screen.query_one(EventLog).action_toggle_pause()

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """The palette's "Save screenshot": saved where ctrl+s saves (Textual's own default,
        ~/Downloads, may not exist and then nothing is written)."""
        self.run_worker(self.action_save_screen(), group="screen")

    async def action_save_screen(self) -> None:
        """Save the screen as SVG (and PNG where cairosvg works) and say where."""
        from .screen_saver import save_screen, screenshot_dir, screenshot_name

        svg = self.export_screenshot()
        try:
            saved = await save_screen(svg, screenshot_dir(), screenshot_name())
        except OSError as error:
            self.notify(f"The screen could not be saved: {error}", severity="error")
            return
        where = " and ".join(str(path) for path in saved)
        self.notify(f"Saved {where}", title="Screen saved", timeout=8)
        if isinstance(self.screen, LabScreen):
            self.screen.query_one(ResultPane).show_note(f"screen saved: {where}", "green")

    def action_toggle_dark(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    async def action_journey_latest(self) -> None:
        """Open the journey of the newest traced message."""
        event = await self.latest_message_event()
        if event is None:
            self.notify("No message has been traced yet.", severity="warning")
            return
        await self.open_journey(event.message_id or event.trace_id or "")

    async def action_stacks(self) -> None:
        """Show the CloudFormation stacks and their events (the selected resource's stack first)."""
        node = self.topology.node(self.selected) if self.selected else None
        await self.open_stacks(node.stack if node is not None else None)

    async def open_stacks(self, stack: str | None) -> None:
        """Open the stacks view on `stack` (None: whichever stack changes, e.g. one deploying)."""
        from .screens.stacks import StackEventsScreen

        if not isinstance(self.screen, StackEventsScreen):
            await self.push_screen(StackEventsScreen(stack))

    async def action_metrics(self) -> None:
        """Chart the selected resource's CloudWatch metrics (every metric when none is)."""
        from .screens.metrics import MetricsScreen

        if not isinstance(self.screen, MetricsScreen):
            await self.push_screen(MetricsScreen(self.selected))

    def action_redrive(self) -> None:
        """Move the selected dead-letter queue's messages back to their source queues."""
        node = self.topology.node(self.selected) if self.selected else None
        if node is None or node.kind != "queue":
            self.notify("Select a dead-letter queue to redrive.", severity="warning")
            return
        self.run_worker(self._redrive(node.id), group="commands")

    async def _redrive(self, queue_arn: str) -> None:
        pane = self.screen.query_one(ResultPane)
        sqs = self.engine.client("sqs")
        try:
            result = await self.host.run(sqs.start_message_move_task(SourceArn=queue_arn))
        except ServiceError as error:
            pane.show_result(None, f"redrive failed: {error.code}: {error.message}", None)
            return
        pane.show_note(f"redrive started: task {result['TaskHandle'][:24]}…", "green")
        self.action_show_tab("results")

    def action_jump_to(self, node_id: str) -> None:
        """Select a resource on the flow map."""
        self.screen.query_one(FlowMap).select(node_id)

    def action_run_demo(self, name: str, rate: float | None = None) -> None:
        """Open demo scenario `name` (resources plus traffic at `rate` messages/s)."""
        self.run_worker(self._run_demo(name, rate), group="demos")

    def action_run_script(self, name: str) -> None:
        """Run one of the console's demo scripts, command by command, in the results pane."""
        self.run_worker(self._run_script(name), group="demos", exclusive=True)

    async def _run_script(self, name: str) -> None:
        from tui.console.script import iter_commands

        pane = self.screen.query_one(ResultPane)
        script = next((s for s in demo_scripts() if s.name == name), None)
        if script is None or self.lab_console is None:
            pane.show_result(None, f"no demo script '{name}'", None)
            return
        self.action_show_tab("results")
        pane.show_note(f"running demo script: {script.title}", "bold")
        for number, command in iter_commands(script.path.read_text(encoding="utf-8")):
            pane.show_command(command)
            result = await self.host.run(self._execute_in_script(command))
            pane.show_result(result.output, result.error, None)
            self.refresh_views(force_panel=True)
            await self.tick_lesson(command)
            if not result.ok:
                pane.show_note(f"{script.path.name}:{number}: stopped here", "bold red")
                return
        pane.show_note(f"demo script '{name}' finished", "green")

    async def _execute_in_script(self, command: str) -> Any:
        # On a virtual clock a script jumps over idle time (as `pipework run` does); on the
        # real clock it waits in real time.
        clock = self.engine.clock
        if isinstance(clock, VirtualClock):
            return await clock.run(self.lab_console.execute(command))
        return await self.lab_console.execute(command)

    async def _run_demo(self, name: str, rate: float | None = None) -> None:
        pane = self.screen.query_one(ResultPane)
        demo = DEMOS.get(name)
        if demo is None:
            pane.show_result(None, f"unknown demo '{name}' (known: {', '.join(DEMOS)})", None)
            return
        pane.show_note(f"opening demo: {demo.title}")
        notes: list[str] = []
        try:
            await self.host.run(start_demo(self.engine, name, notes.append, rate))
        except Exception as error:  # noqa: BLE001 — a demo failure is reported, not fatal
            pane.show_result(None, f"demo '{name}' failed: {type(error).__name__}: {error}", None)
            return
        for note in notes:
            pane.show_note(note)
        # Sample now (not on the next tick) so the map holds the demo's nodes to select.
        self._apply_sample(await self.host.call(self._sample), True)
        self._select_demo_focus(demo.focus)

    def _select_demo_focus(self, name: str) -> None:
        """Select where the demo's story starts and give the map the keys (enter opens it)."""
        node = self.topology.node(name) if name else None
        if node is None or not isinstance(self.screen, LabScreen):
            return
        flow = self.screen.query_one(FlowMap)
        flow.select(node.id)
        flow.focus()
