"""`reset`, `save FILE` and `open FILE`: empty the lab, or keep its resources and data in a file."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.errors import ServiceError

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

FORMAT = "pipework-lab"
VERSION = 1


async def reset(console: Console, args: list[str]) -> CommandResult:
    """Remove every resource, message, fault and load generator from the lab."""
    if args:
        return CommandResult.fail("usage: reset")
    await console.engine.reset()
    console.recorder.clear()
    console.load_runs.clear()
    console.watching = None
    console.last_value = None
    return CommandResult(ok=True, value={"reset": True}, output=Text("The lab is empty."))


def lab_snapshot(console: Console) -> dict[str, Any]:
    """Every started service's `dump()`, as the file `save` writes."""
    services: dict[str, Any] = {}
    for service in console.engine.started_services():
        data = service.dump()
        if data:
            services[service.name] = data
    return {
        "format": FORMAT,
        "version": VERSION,
        "time": console.engine.clock.now(),
        "services": services,
    }


async def save(console: Console, args: list[str]) -> CommandResult:
    """Write the lab's resources and data to a JSON file."""
    if len(args) != 1:
        return CommandResult.fail("usage: save FILE")
    path = os.path.expanduser(args[0])
    snapshot = lab_snapshot(console)
    try:
        text = json.dumps(snapshot, indent=2, default=_encode)
    except (TypeError, ValueError) as error:
        return CommandResult.fail(f"save: the lab could not be written as JSON: {error}")
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as error:
        return CommandResult.fail(f"save: cannot write {path}: {error.strerror}")
    names = ", ".join(snapshot["services"]) or "nothing yet"
    return CommandResult(
        ok=True,
        value={"file": path, "services": list(snapshot["services"])},
        output=Text(f"Saved {names} to {path}"),
    )


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


async def open_lab(console: Console, args: list[str]) -> CommandResult:
    """Replace the lab with what a `save` file holds."""
    if len(args) != 1:
        return CommandResult.fail("usage: open FILE")
    path = os.path.expanduser(args[0])
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as error:
        return CommandResult.fail(f"open: cannot read {path}: {error.strerror}")
    except ValueError as error:
        return CommandResult.fail(f"open: {path} is not JSON: {error}")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return CommandResult.fail(f"open: {path} is not a Pipework lab file (made by save)")
    services = data.get("services")
    if not isinstance(services, dict):
        return CommandResult.fail(f"open: {path} has no services section")
    unknown = [name for name in services if name not in console.services]
    if unknown:
        return CommandResult.fail(f"open: this build does not emulate {', '.join(unknown)}")
    await reset(console, [])
    for name, dumped in services.items():
        try:
            console.engine.service(name).load(dumped)
        except (ServiceError, KeyError, TypeError, ValueError) as error:
            return CommandResult.fail(f"open: {name} could not be restored from {path}: {error}")
    return CommandResult(
        ok=True,
        value={"file": path, "services": list(services)},
        output=Text(f"Opened {path}: {', '.join(services) or 'an empty lab'}"),
    )


def register(console: Console) -> None:
    """Register `reset`, `save` and `open`."""
    console.register_command("reset", reset, "reset — remove every resource and message")
    console.register_command("save", save, "save FILE — write the lab's resources and data to FILE")
    console.register_command("open", open_lab, "open FILE — replace the lab with a saved one")
