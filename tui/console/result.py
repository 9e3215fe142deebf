"""What running a command gives back, and what completion offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from rich.console import RenderableType


@dataclass(slots=True)
class CommandResult:
    """The outcome of one console command."""

    ok: bool = True
    value: Any = None  # the JSON-able result (what --query and expect see); None for errors
    output: RenderableType | None = None  # what to show (already honours --output/--query)
    error: str | None = None  # one line naming what is wrong (with AWS's code when there is one)
    exit: bool = False  # True after `exit`

    @classmethod
    def fail(cls, error: str) -> CommandResult:
        """A failed command with its one-line error."""
        return cls(ok=False, error=" ".join(error.split("\n")) if "\n" in error else error)


class Completion(NamedTuple):
    """One thing that can be typed next: replace `line[start:cursor]` with `text`."""

    text: str
    start: int  # index in the line where the replaced word begins
    display: str
    meta: str
