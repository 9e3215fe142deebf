"""The lab store: labs kept in SQLite (WAL) under the data folder, crash-safe by transaction.

One file per lab, `<data dir>/labs/<name>.sqlite`. A checkpoint writes the whole lab (the same
JSON as a lab file, in 1 MiB chunks) and switches to it in one transaction, so a crash leaves
the previous checkpoint or the new one. In durable mode every acknowledged write is appended to
the `journal` table and committed before the call returns (written to the WAL file: it survives
the process being killed; with `fsync` also a power cut); opening replays the entries the last
checkpoint does not cover.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .jsonstream import decode_tree

_CHUNK = 1 << 20
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshot (
    generation INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (generation, part));
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, service TEXT NOT NULL, operation TEXT NOT NULL,
    params TEXT NOT NULL);
"""


def data_dir() -> Path:
    """`platformdirs.user_data_dir("pipework")` ($PIPEWORK_DATA_DIR overrides it), created on use."""
    import os

    import platformdirs

    override = os.environ.get("PIPEWORK_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("pipework"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class StoreError(ValueError):
    """A lab name or store that cannot be used (one line for the person)."""


def labs_folder(data_dir: Path) -> Path:
    """Where kept labs live."""
    return data_dir / "labs"


def lab_path(data_dir: Path, name: str) -> Path:
    """The SQLite file of lab `name` (the name is checked: letters, digits, `.`, `_`, `-`)."""
    if not NAME_PATTERN.match(name):
        raise StoreError(
            f"lab name {name!r}: use 1-64 letters, digits, '.', '_' or '-' (starting with a "
            "letter or digit)"
        )
    return labs_folder(data_dir) / f"{name}.sqlite"


def list_labs(data_dir: Path) -> list[dict[str, Any]]:
    """Every kept lab: name, size in bytes and when it was last checkpointed."""
    folder = labs_folder(data_dir)
    labs = []
    for path in sorted(folder.glob("*.sqlite")) if folder.exists() else []:
        try:
            store = LabStore(path)
        except StoreError:
            saved = None  # damaged: listed (so it can be deleted), never checkpointed
        else:
            try:
                saved = store.meta("checkpointed_at")
            finally:
                store.close()
        size = sum(p.stat().st_size for p in folder.glob(f"{path.name}*"))
        labs.append(
            {"name": path.stem, "bytes": size, "checkpointed_at": float(saved) if saved else None}
        )
    return labs


def delete_lab(data_dir: Path, name: str) -> bool:
    """Remove lab `name` (its database and WAL files); False when there was none."""
    path = lab_path(data_dir, name)
    found = path.exists()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return found


class LabStore:
    """One lab's SQLite database: its checkpoints and its durable journal."""

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit is in the WAL file (the OS has it) when it returns, so it survives
            # the process dying (kill -9); FULL also fsyncs it, surviving a power cut, slower.
            self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path}: not a Pipework lab store ({error})") from None

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # -- metadata ----------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """One metadata value (origin, generation, covered journal seq …)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set one metadata value (inside the caller's transaction, if any)."""
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- checkpoints ---------------------------------------------------------------------------
    def generation(self) -> int | None:
        """The current checkpoint's number (None: never checkpointed)."""
        value = self.meta("generation")
        return int(value) if value is not None else None

    def write_checkpoint(self, write: Any, checkpointed_at: float) -> None:
        """Write a new checkpoint with `write(out)` and make it current, all in one transaction.

        The journal entries it covers (every committed one) are dropped in the same transaction.
        """
        db = self.db
        current = self.generation()
        new = (current or 0) + 1
        db.execute("BEGIN IMMEDIATE")
        try:
            out = _ChunkWriter(db, new)
            write(out)
            out.close()
            covered = db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]
            db.execute("DELETE FROM journal WHERE seq <= ?", (covered,))
            if current is not None:
                db.execute("DELETE FROM snapshot WHERE generation = ?", (current,))
            self.set_meta("generation", str(new))
            self.set_meta("checkpointed_at", repr(checkpointed_at))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def open_checkpoint(self) -> _ChunkReader:
        """A binary file-like reading the current checkpoint's JSON."""
        generation = self.generation()
        if generation is None:
            raise StoreError(f"{self.path.name}: no checkpoint yet")
        return _ChunkReader(self.db, generation)

    # -- the journal ---------------------------------------------------------------------------
    def append(self, entries: list[tuple[str, str, str]]) -> None:
        """Commit journal entries (service, operation, params JSON); on disk when it returns."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO journal (service, operation, params) VALUES (?, ?, ?)", entries
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def journal(self) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        """Entries not yet covered by a checkpoint, in order: (seq, service, operation, params)."""
        rows = self.db.execute("SELECT seq, service, operation, params FROM journal ORDER BY seq")
        for seq, service, operation, params in rows:
            yield seq, service, operation, decode_tree(json.loads(params), [])

    def journal_length(self) -> int:
        """How many entries wait for the next checkpoint."""
        return self.db.execute("SELECT COUNT(*) FROM journal").fetchone()[0]


class _ChunkWriter:
    """A text file-like that stores what is written as 1 MiB rows of one generation."""

    def __init__(self, db: sqlite3.Connection, generation: int) -> None:
        self.db = db
        self.generation = generation
        self.part = 0
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.parts.append(data)
        self.size += len(data)
        if self.size >= _CHUNK:
            self._store()
        return len(text)

    def _store(self) -> None:
        if not self.parts:
            return
        self.db.execute(
            "INSERT INTO snapshot (generation, part, data) VALUES (?, ?, ?)",
            (self.generation, self.part, b"".join(self.parts)),
        )
        self.part += 1
        self.parts.clear()
        self.size = 0

    def close(self) -> None:
        self._store()


class _ChunkReader:
    """A binary file-like over one generation's rows (what ijson reads)."""

    def __init__(self, db: sqlite3.Connection, generation: int) -> None:
        self.db = db
        self.generation = generation
        self.part = 0
        self.buffer = b""
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) - self.offset < size:
            row = self.db.execute(
                "SELECT data FROM snapshot WHERE generation = ? AND part = ?",
                (self.generation, self.part),
            ).fetchone()
            if row is None:
                break
            self.part += 1
            self.buffer = self.buffer[self.offset :] + row[0]
            self.offset = 0
        end = len(self.buffer) if size < 0 else self.offset + size
        data = self.buffer[self.offset : end]
        self.offset = end
        return data

    def close(self) -> None:
        self.buffer = b""

    def __enter__(self) -> _ChunkReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
