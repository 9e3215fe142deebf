"""`reset`, `save FILE`, `open FILE` and `resume`: empty the lab, keep it in a file, let it run.

`save` writes a portable JSON lab file atomically (a crash leaves the old file or the new one);
`open` validates the whole file before it touches the lab and restores it all-or-nothing. A lab
made by another user or on another machine opens paused (mappings, schedules, pipes) until
`resume`. The format is described in docs/persistence.md.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rich.text import Text

from engine.persistence.jsonstream import FileFormatError
from engine.persistence.labfile import read_file, restore, save_file

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console


async def reset(console: Console, args: list[str]) -> CommandResult:
    """Remove every resource, message, fault and load generator from the lab."""
    if args:
        return CommandResult.fail("usage: reset")
    await console.engine.reset()
    _forget_session(console)
    return CommandResult(ok=True, value={"reset": True}, output=Text("The lab is empty."))


def _forget_session(console: Console) -> None:
    console.recorder.clear()
    console.load_runs.clear()
    console.watching = None
    console.last_value = None


async def save(console: Console, args: list[str]) -> CommandResult:
    """Write the lab's resources and data to a JSON file, atomically."""
    if len(args) != 1:
        return CommandResult.fail("usage: save FILE")
    path = os.path.expanduser(args[0])
    try:
        names = save_file(console.engine, path)
    except OSError as error:
        return CommandResult.fail(f"save: cannot write {path}: {error.strerror or error}")
    except (TypeError, ValueError) as error:
        return CommandResult.fail(f"save: the lab could not be written as JSON: {error}")
    listed = ", ".join(names) or "nothing yet"
    return CommandResult(
        ok=True,
        value={"file": path, "services": names},
        output=Text(f"Saved {listed} to {path}"),
    )


async def open_lab(console: Console, args: list[str]) -> CommandResult:
    """Replace the lab with what a `save` file holds (nothing changes if the file is bad)."""
    if len(args) != 1:
        return CommandResult.fail("usage: open FILE")
    path = os.path.expanduser(args[0])
    label = os.path.basename(path)
    try:
        document = read_file(path, console.engine.available_services())
        await restore(console.engine, document)
    except FileNotFoundError:
        return CommandResult.fail(f"open: {path}: no such file")
    except OSError as error:
        return CommandResult.fail(f"open: cannot read {path}: {error.strerror or error}")
    except FileFormatError as error:
        where = f"{label}: {error.path}" if error.path else label
        return CommandResult.fail(f"open: {where}: {error.detail}")
    _forget_session(console)
    services = list(document.services)
    text = f"Opened {path}: {', '.join(services) or 'an empty lab'}"
    hold = console.engine.hold
    if hold.held:
        text += f"\n{hold.reason}"
    return CommandResult(
        ok=True,
        value={"file": path, "services": services, "paused": hold.held},
        output=Text(text),
    )


async def resume(console: Console, args: list[str]) -> CommandResult:
    """Let a lab opened from elsewhere run its mappings, schedules and pipes."""
    if args:
        return CommandResult.fail("usage: resume")
    hold = console.engine.hold
    was_held = hold.held
    hold.release()
    text = (
        "Event source mappings, schedules and pipes are running."
        if was_held
        else "Nothing was paused."
    )
    return CommandResult(ok=True, value={"resumed": was_held}, output=Text(text))


def register(console: Console) -> None:
    """Register `reset`, `save`, `open` and `resume`."""
    console.register_command("reset", reset, "reset — remove every resource and message")
    console.register_command(
        "save",
        save,
        "save FILE — write the lab (resources, messages, running executions) to a JSON file; "
        "an interrupted save leaves the previous file whole",
    )
    console.register_command(
        "open",
        open_lab,
        "open FILE — replace the lab with a saved one; a bad file changes nothing; a lab made "
        "elsewhere opens with mappings, schedules and pipes paused",
    )
    console.register_command(
        "resume",
        resume,
        "resume — let an opened lab's event source mappings, schedules and pipes run",
    )
