"""Command palette entries for every lab action: demos, jump to a resource, toggles, clock."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .demos import available_demos
from .scripts import demo_scripts

if TYPE_CHECKING:
    from .app import PipeworkApp


class LabCommands(Provider):
    """Offers the lab's actions to the command palette (ctrl+p)."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: PipeworkApp = self.app  # type: ignore[assignment]
        entries: list[tuple[str, str, Callable[[], object]]] = []
        for demo in available_demos():
            entries.append(
                (f"Demo: {demo.title}", demo.description, partial(app.action_run_demo, demo.name))
            )
        for script in demo_scripts():
            entries.append(
                (
                    f"Script: {script.title}",
                    f"Run the console demo script {script.path.name}, command by command",
                    partial(app.action_run_script, script.name),
                )
            )
        for node in app.topology_nodes():
            entries.append(
                (
                    f"Jump to: {node.name} ({node.kind})",
                    node.id,
                    partial(app.action_jump_to, node.id),
                )
            )
        entries += [
            ("Clock: pause / resume", "Stop or restart simulated time", app.action_toggle_clock),
            ("Clock: step one second", "Advance simulated time by 1 s", app.action_step_clock),
            ("Clock: faster", "Next speed up", app.action_faster),
            ("Clock: slower", "Next speed down", app.action_slower),
            ("Toggle: compact flow map", "Zoom the flow map out/in", app.action_toggle_compact),
            (
                "Toggle: neighbourhood",
                "Show only the selected resource and its neighbours",
                app.action_toggle_neighbourhood,
            ),
            ("Toggle: resource panel", "Show or hide the side panel", app.action_toggle_panel),
            ("Toggle: pause event log", "Freeze the live trace table", app.action_pause_log),
            ("Show: events", "The live trace", partial(app.action_show_tab, "events")),
            ("Show: results", "Command results", partial(app.action_show_tab, "results")),
            (
                "Journey of the latest message",
                "Timeline of the newest traced message",
                app.action_journey_latest,
            ),
            (
                "Theme: light / dark",
                "Switch between the light and dark theme",
                app.action_toggle_dark,
            ),
            ("Help", "Keys and how the lab works (F1)", app.action_help),
            (
                "Save screen",
                "SVG (and PNG) of the screen, in your data folder (ctrl+s)",
                app.action_save_screen,
            ),
            (
                "Lessons: choose a lesson",
                "Every lesson with your progress (F2)",
                app.action_lessons,
            ),
            (
                "Lesson: hint",
                "Reveal the next hint of the current step (F3)",
                app.action_lesson_hint,
            ),
        ]
        guide = app.lesson_guide
        for row in guide.rows() if guide is not None else []:
            entries.append(
                (
                    f"Lesson {row.number}: {row.title}",
                    f"{row.summary} ({row.progress})",
                    partial(app.start_lesson, row.number),
                )
            )
        return entries

    async def discover(self) -> Hits:
        """Every entry, for an empty palette."""
        for text, help_text, command in self._entries():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """Entries that fuzzy-match `query`."""
        matcher = self.matcher(query)
        for text, help_text, command in self._entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
