"""The portable lab file: written atomically, validated whole, restored all-or-nothing."""

from __future__ import annotations

import contextlib
import gc
import getpass
import os
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .jsonstream import FileFormatError, Reader, write_json
from .schema import BULK, FORMAT, OLDEST_VERSION, VERSION, compile_check, lab_schema

if TYPE_CHECKING:
    from engine.engine import Engine

#: What the person is told while a lab from elsewhere is paused.
FOREIGN_REASON = (
    "This lab was made by {who}. Its event source mappings, schedules and pipes are paused "
    "until you say `resume`."
)


#: The origin written for a paused lab whose maker is not known.
UNKNOWN_ORIGIN = {"machine": "unknown", "user": "unknown"}


def machine_id() -> str:
    """A stable id for this machine (systemd's machine-id, else the host name and MAC)."""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(candidate).read_text().strip()
        except OSError:
            continue
        if text:
            return text
    return f"{socket.gethostname()}-{uuid.getnode():012x}"


def current_user() -> str:
    """The login name of whoever runs this lab."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def origin() -> dict[str, str]:
    """Who made a lab: this machine and this user."""
    return {"machine": machine_id(), "user": current_user(), "host": socket.gethostname()}


def is_foreign(saved: dict[str, Any] | None) -> bool:
    """Whether a lab's origin is not this machine and this user (or is unknown)."""
    if not isinstance(saved, dict):
        return True
    return saved.get("machine") != machine_id() or saved.get("user") != current_user()


def describe_origin(saved: dict[str, Any] | None) -> str:
    """`alice on buildbox` for the paused banner."""
    if not isinstance(saved, dict):
        return "an unknown user on an unknown machine"
    return f"{saved.get('user', '?')} on {saved.get('host') or saved.get('machine', '?')}"


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every started service's `dump()` (bulky arrays may be generators), with the envelope."""
    services: dict[str, Any] = {}
    for service in engine.started_services():
        # Services with bulky data offer a streaming dump (generators instead of lists).
        dump = getattr(service, "dump_streaming", service.dump)
        data = dump()
        if data:
            services[service.name] = data
    return {
        "format": FORMAT,
        "version": VERSION,
        "time": engine.clock.now(),
        # A lab still paused keeps its maker: saving it here must not make it trusted.
        "origin": (engine.hold.origin or UNKNOWN_ORIGIN) if engine.hold.held else origin(),
        # The restored lab's ids continue from here rather than repeat the ones in the file.
        "ids_seed": engine.ids.continuation_seed(),
        "services": services,
    }


def write_atomically(path: str | os.PathLike[str], write: Callable[[IO[str]], None]) -> None:
    """Write a file so that a crash at any moment leaves the old file or the new one, whole.

    The text goes to a temporary file in the same folder, is flushed and fsynced, then renamed
    over the old file; the folder is fsynced so the rename itself survives a power cut.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # platforms that cannot open a folder (Windows) order renames themselves
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def save_file(engine: Engine, path: str | os.PathLike[str]) -> list[str]:
    """Save the lab to `path` atomically; returns the names of the services saved."""
    data = snapshot(engine)
    with _no_gc_passes():
        write_atomically(path, lambda out: write_json(out, data))
    return list(data["services"])


@dataclass
class LabDocument:
    """A validated lab: its data (bulky arrays lazy) and the reader they come from."""

    data: dict[str, Any]
    reader: Reader

    @property
    def services(self) -> dict[str, Any]:
        """Service name → what its `dump()` wrote."""
        return self.data["services"]

    @property
    def origin(self) -> dict[str, Any] | None:
        """Who made the lab (None in files older than version 2)."""
        return self.data.get("origin")

    def close(self) -> None:
        """Release the file."""
        self.reader.close()


def read_document(open_file: Callable[[], IO[bytes]], known_services: list[str]) -> LabDocument:
    """Parse and validate a lab; raises FileFormatError naming the path that is wrong.

    The bulky arrays' items are checked as `restore` reads them into the fresh lab.
    """
    bulk = {prefix: compile_check(schema) for prefix, schema in BULK.items()}
    reader = Reader(open_file, bulk)
    with _no_gc_passes():
        data = reader.skeleton()
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FileFormatError("", "is not a Pipework lab file (made by save)")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise FileFormatError(
            "version",
            f"the file is format version {version}, written by a newer Pipework; this build "
            f"opens versions {OLDEST_VERSION} to {VERSION}",
        )
    compile_check(lab_schema(known_services))(data, [])
    if version < OLDEST_VERSION:
        raise FileFormatError("version", f"expected a version from {OLDEST_VERSION} to {VERSION}")
    return LabDocument(data, reader)


def read_file(path: str | os.PathLike[str], known_services: list[str]) -> LabDocument:
    """Read and validate the lab file at `path`."""
    return read_document(lambda: open(path, "rb"), known_services)


async def restore(engine: Engine, document: LabDocument) -> None:
    """Replace the lab with `document`'s, all-or-nothing; hold it when it came from elsewhere."""

    def load(fresh: Engine) -> None:
        with _no_gc_passes():
            load_services(fresh)

    def load_services(fresh: Engine) -> None:
        for name, dumped in document.services.items():
            try:
                fresh.service(name).load(dumped)
            except FileFormatError:
                raise
            except Exception as error:
                raise FileFormatError(
                    f"services.{name}", f"could not be restored: {_describe(error)}"
                ) from error

    hold = engine.hold
    before = (hold.held, hold.reason, hold.origin)
    # Held before anything loads: mappings start polling as they are restored.
    if is_foreign(document.origin):
        saved = document.origin if isinstance(document.origin, dict) else None
        hold.hold(FOREIGN_REASON.format(who=describe_origin(document.origin)), saved)
    else:
        hold.release()
    try:
        seed = document.data.get("ids_seed")
        await engine.replace(load, seed=seed if isinstance(seed, int) else None)
    except BaseException:
        if before[0]:
            hold.hold(before[1], before[2])
        else:
            hold.release()
        raise
    finally:
        document.close()


@contextlib.contextmanager
def _no_gc_passes() -> Iterator[None]:
    """Pause the cyclic collector while millions of objects are made (it would rescan them all
    again and again, for nothing: a restored lab's objects live on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing {error.args[0]!r}"
    text = str(error) or type(error).__name__
    return text if len(text) < 200 else text[:197] + "..."
