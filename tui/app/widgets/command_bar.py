"""The command bar: an Input on the console language with history and Tab completion."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

#: `complete(text, cursor)` → the console's completions (objects with text/start/display/meta).
Completer = Callable[[str, int], list]


class ConsoleSuggester(Suggester):
    """Ghost text: the console's first completion for what is typed so far."""

    def __init__(self, bar: CommandBar) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._bar = bar

    async def get_suggestion(self, value: str) -> str | None:
        """The input completed with the first candidate, or None."""
        completions = self._bar.completions_for(value)
        if not completions:
            return None
        first = completions[0]
        suggestion = value[: first.start] + first.text
        return suggestion if suggestion.startswith(value) and suggestion != value else None


class CommandBar(Input):
    """Where commands are typed; ↑/↓ walk the shared history, Tab completes."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous", show=False, id="command.previous"),
        Binding("down", "history(1)", "Next", show=False, id="command.next"),
        Binding("tab", "complete", "Complete", show=False, priority=True, id="command.complete"),
    ]

    def __init__(self, *, id: str = "command", placeholder: str = "") -> None:
        super().__init__(id=id, placeholder=placeholder)
        self.completer: Completer | None = None
        self.history: list[str] = []
        self._history_index: int | None = None
        self.suggester = ConsoleSuggester(self)

    def completions_for(self, value: str, cursor: int | None = None) -> list:
        """The console's completions at `cursor` (default: the end); none if it fails."""
        if self.completer is None:
            return []
        try:
            return list(self.completer(value, len(value) if cursor is None else cursor))
        except Exception:  # noqa: BLE001 — completion is a hint; typing must go on regardless
            return []

    def remember(self, command: str) -> None:
        """Add a command to the in-memory history and reset the walk."""
        if command and (not self.history or self.history[-1] != command):
            self.history.append(command)
        self._history_index = None

    def action_history(self, step: int) -> None:
        """Show the previous (-1) or next (+1) command from history."""
        if not self.history:
            return
        index = len(self.history) if self._history_index is None else self._history_index
        index = max(0, min(len(self.history), index + step))
        self._history_index = index
        self.value = self.history[index] if index < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        """Insert the first completion at the cursor; in an empty bar or with none, move focus on."""
        completions = (
            self.completions_for(self.value, self.cursor_position) if self.value.strip() else []
        )
        if not completions:
            self.screen.focus_next()
            return
        first = completions[0]
        tail = self.value[self.cursor_position :]
        head = self.value[: first.start] + first.text
        if not tail and not head.endswith(("=", "/", ":")):
            head += " "
        self.value = head + tail
        self.cursor_position = len(head)
