"""The lessons screen: every lesson with the learner's progress; Enter starts (or resumes) one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from ..lesson_guide import LessonRow

PROGRESS_STYLES = {"done": "green", "new": "dim"}


class LessonsScreen(ModalScreen[int | None]):
    """Pick a lesson; dismisses with its number (None when closed with Escape)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="lessons.close"),
        Binding("f2", "dismiss(None)", "Close", show=False, id="lessons.toggle"),
        Binding("enter", "choose", "Start", id="lessons.start"),
    ]

    def __init__(
        self, rows: list[LessonRow], resume: int | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__()
        self.rows = rows
        self.resume = resume
        self.problems = problems or []

    def compose(self) -> ComposeResult:
        with Vertical(id="lessons-box"):
            yield Static(
                "Lessons — learn each integration pattern by doing it", id="lessons-heading"
            )
            yield DataTable(id="lessons-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="lessons-summary")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Progress comes before the (long) title so a narrow window still shows it.
        table.add_column("#", key="number")
        table.add_column("progress", key="progress")
        table.add_column("lesson", key="title")
        for row in self.rows:
            progress = Text(row.progress, PROGRESS_STYLES.get(row.progress, "yellow"))
            if row.current:
                progress.append("  ◀ resume", "bold cyan")
            table.add_row(str(row.number), progress, row.title, key=str(row.number))
        for problem in self.problems:
            table.add_row("!", "", Text(problem, "red"), key=f"problem:{problem}")
        numbers = [row.number for row in self.rows]
        if self.resume in numbers:
            table.move_cursor(row=numbers.index(self.resume))
        table.focus()
        self._describe(table.cursor_row)

    def _describe(self, index: int) -> None:
        summary = self.query_one("#lessons-summary", Static)
        if 0 <= index < len(self.rows):
            row = self.rows[index]
            verb = "resume" if row.current or row.progress not in ("new", "done") else "start"
            summary.update(
                Text.assemble(
                    (f"{row.number}. {row.title}\n", "bold"),
                    (row.summary + "\n", ""),
                    (f"Enter: {verb} it beside the lab · Escape: back", "dim"),
                )
            )
        else:
            summary.update("")

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self._describe(message.cursor_row)

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        self._choose(message.cursor_row)

    def action_choose(self) -> None:
        """Start the highlighted lesson."""
        self._choose(self.query_one(DataTable).cursor_row)

    def _choose(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.dismiss(self.rows[index].number)
