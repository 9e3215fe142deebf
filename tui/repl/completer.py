"""prompt-toolkit completion backed by the console's own completer (fuzzy, context-aware)."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from tui.console import Console


class ConsoleCompleter(Completer):
    """Offers what can come next on the line: service, operation, option, value, resource."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        """Completions at the cursor; the whole buffer is the text so multi-line input works."""
        text = document.text
        cursor = document.cursor_position
        for item in self.console.complete(text, cursor):
            yield Completion(
                item.text,
                start_position=item.start - cursor,
                display=item.display,
                display_meta=item.meta,
            )
