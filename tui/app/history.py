"""The command history shared with `pipework repl`: `history` in the console's data directory.

The file uses prompt_toolkit's FileHistory format (a `# timestamp` line, then the command's lines
each prefixed by `+`), so both front ends read and append the same file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tui.console.paths import data_dir

#: How many past commands the app loads.
LOAD_LIMIT = 1000


def history_path() -> Path:
    """Where the shared history lives: the same file `pipework repl` uses.

    That is `history` in `tui.console.paths.data_dir()` (platformdirs' user data directory for
    pipework, or $PIPEWORK_DATA_DIR).
    """
    return data_dir() / "history"


def load_history(path: Path | None = None) -> list[str]:
    """The remembered commands, oldest first (empty when there is no file yet)."""
    path = path or history_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    commands: list[str] = []
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("+"):
            lines.append(line[1:])
        elif lines:
            commands.append("\n".join(lines))
            lines = []
    if lines:
        commands.append("\n".join(lines))
    return commands[-LOAD_LIMIT:]


def append_history(command: str, path: Path | None = None) -> None:
    """Add one command to the shared history file (errors are ignored: history is a nicety)."""
    path = path or history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(f"\n# {datetime.now()}\n")
            for line in command.split("\n"):
                file.write(f"+{line}\n")
    except OSError:
        pass
