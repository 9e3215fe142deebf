"""The result pane: each command with its output or its one-line error."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import RichLog

from ..guard import guarded


class ResultPane(RichLog):
    """A scrolling log of commands and their results."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, max_lines=2000)

    @guarded
    def show_command(self, command: str) -> None:
        """Echo a command as it starts."""
        self.write(Text.assemble(("› ", "bold"), (command, "bold")))

    @guarded
    def show_result(self, output: RenderableType | None, error: str | None, value: Any) -> None:
        """Show a finished command: its output, or its error in red."""
        if error:
            self.write(Text(error, style="bold red"))
        elif output is not None:
            self.write(output)
        elif value is not None:
            self.write(Text(str(value)))

    @guarded
    def show_note(self, note: str, style: str = "dim") -> None:
        """A line from the app itself (demo progress, saved files)."""
        self.write(Text(note, style=style))
