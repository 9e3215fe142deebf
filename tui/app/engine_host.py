"""Where the lab's engine runs: on the app's own event loop, or on a thread of its own.

A lab under heavy load keeps its event loop busy; sharing that loop with Textual would make
every key press wait behind thousands of engine callbacks. So the app runs a lab it owns on a
real-time clock in a dedicated thread with its own loop, and talks to it only through this
host: coroutines and calls are handed to the engine's loop and their results awaited. A lab
on a VirtualClock (tests, screenshots) or one given by the caller stays on the app's loop.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from engine import Engine

T = TypeVar("T")

#: Seconds a thread may hold the GIL before the other gets a turn (Python's default: 0.005).
SWITCH_INTERVAL = 0.0005
#: Net allocations between young garbage collections (Python's default: 700). A traced lab
#: under load keeps ~100,000 events a second alive for a while (the recorder's window), so
#: at the default the collector runs hundreds of times a second and walks the whole heap
#: every few seconds — half the engine's time and the UI's worst stalls.
GC_YOUNG_THRESHOLD = 50_000


class EngineHost:
    """Runs engine work where the engine lives; `threaded` decides where that is."""

    def __init__(self, engine: Engine, *, threaded: bool) -> None:
        self.engine = engine
        self.threaded = threaded
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._saved_settings: tuple[float, tuple[int, ...]] | None = None

    def start(self) -> None:
        """Start the engine's thread and loop (nothing to do when sharing the app's loop)."""
        if not self.threaded or self._thread is not None:
            return
        self._saved_settings = (sys.getswitchinterval(), gc.get_threshold())
        # Two busy threads share the GIL: a short switch interval keeps the UI thread's
        # wake-ups (each key press is many loop turns) from queueing 5 ms each behind the lab.
        sys.setswitchinterval(SWITCH_INTERVAL)
        # What is alive now (modules, Textual, the lab) will not become garbage: keep it out
        # of the collector's walks, and collect young objects far less often (see above).
        gc.freeze()
        young, middle, old = gc.get_threshold()
        gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=serve, name="pipework-engine", daemon=True)
        self._thread.start()
        ready.wait()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the engine's loop."""
        if self._loop is None:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a plain function on the engine's loop and return its result."""
        if self._loop is None:
            return fn(*args)

        async def invoke() -> T:
            return fn(*args)

        return await self.run(invoke())

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule a plain function on the engine's loop without waiting for it."""
        if self._loop is None:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    async def stop(self, close_engine: bool) -> None:
        """Close the engine (when asked) and stop its thread."""
        # Undo this host's tuning first: the engine tuned the collector before the host did,
        # and each restores what it found, so the last to tune must be the first to undo.
        if self._saved_settings is not None:
            interval, thresholds = self._saved_settings
            sys.setswitchinterval(interval)
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            self._saved_settings = None
        if close_engine:
            await self.run(self.engine.close())
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 5)
        self._loop = None
        self._thread = None
