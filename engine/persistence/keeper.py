"""`pipework --lab NAME`: open (or create) a kept lab, checkpoint it on a cadence and on exit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .journal import Journal
from .jsonstream import write_json
from .labfile import origin, read_document, restore, snapshot
from .store import LabStore, lab_path

if TYPE_CHECKING:
    from engine.engine import Engine

#: Seconds of real time between checkpoints of a lab that changed.
CHECKPOINT_INTERVAL = 5.0


def kept(engine: Engine, name: str | None, *, durable: bool = False, fsync: bool = False) -> Any:
    """`KeptLab` for `--lab NAME` in the data folder, or a context that keeps nothing."""
    if name is None:
        return contextlib.nullcontext()
    from .store import data_dir

    return KeptLab(engine, name, data_dir(), durable=durable or fsync, fsync=fsync)


class KeptLab:
    """A lab kept in the store: restored on entry, checkpointed while open and on exit."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        data_dir: Path,
        *,
        durable: bool = False,
        fsync: bool = False,
        interval: float = CHECKPOINT_INTERVAL,
    ) -> None:
        self.engine = engine
        self.name = name
        self.path = lab_path(data_dir, name)
        self.durable = durable
        self.fsync = fsync
        self.interval = interval
        self.store: LabStore | None = None
        self.journal: Journal | None = None
        self.replayed = 0
        self.failed_replays = 0
        self.created = False
        self._cadence: asyncio.Task | None = None

    async def __aenter__(self) -> KeptLab:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Restore the last checkpoint, replay the journal after it, start the cadence."""
        store = self.store = LabStore(self.path, fsync=self.fsync)
        engine = self.engine
        if store.generation() is None:
            self.created = True
            store.set_meta("origin", json.dumps(origin()))
        else:
            document = read_document(store.open_checkpoint, engine.available_services())
            await restore(engine, document)
        journal = self.journal = Journal(store, durable=self.durable)
        journal.on_replaced = self.checkpoint
        engine.journal = journal
        await self._replay(journal)
        if self.replayed or self.created:
            self.checkpoint()
        self._cadence = asyncio.get_running_loop().create_task(self._every_interval())

    async def _replay(self, journal: Journal) -> None:
        assert self.store is not None
        journal.replaying = True
        try:
            for _seq, service, operation, params in list(self.store.journal()):
                method = getattr(self.engine.client(service), operation)
                try:
                    await method(**params)
                except ServiceError:
                    # A write that fails again (a receipt handle gone stale) fails as it would have.
                    self.failed_replays += 1
                self.replayed += 1
        finally:
            journal.replaying = False

    async def _every_interval(self) -> None:
        # Real time on purpose: this protects the person's work, whatever the lab clock does.
        pause = self.interval
        while True:
            await asyncio.sleep(pause)
            if self.journal is not None and self.journal.changed:
                started = time.perf_counter()
                self.checkpoint()
                # A big lab takes a while to write: checkpoint it less often, so that writing
                # never takes more than a tenth of the lab's time.
                pause = max(self.interval, 10 * (time.perf_counter() - started))

    def checkpoint(self) -> None:
        """Write the whole lab as the new checkpoint (pending journal entries first)."""
        if self.store is None or self.journal is None:
            return
        self.journal.flush()
        data = snapshot(self.engine)
        # Wall-clock time: `pipework lab list` tells a person when their work was last kept.
        self.store.write_checkpoint(lambda out: write_json(out, data), time.time())
        self.journal.changed = False

    async def close(self) -> None:
        """Stop the cadence, checkpoint once more and close the store."""
        if self._cadence is not None:
            self._cadence.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cadence
            self._cadence = None
        if self.store is None:
            return
        try:
            self.checkpoint()
        finally:
            self.engine.journal = None
            self.store.close()
            self.store = None
