"""The lab's hold: code a lab file carries (mappings, schedules, pipes) waits until released."""

from __future__ import annotations

import asyncio


class Hold:
    """Paused or running: event source mappings, schedules and pipes check it before they act.

    A lab opened from a file or store made by someone else (or on another machine) starts held, so
    nothing it carries runs until the person says `resume`. While held, pollers wait and schedules
    skip their firings (they continue from the next one after `resume`).
    """

    def __init__(self) -> None:
        self.held = False
        self.reason = ""
        #: Who made the held lab: kept in saves and checkpoints until `resume`.
        self.origin: dict | None = None
        self._released: asyncio.Event | None = None

    def hold(self, reason: str, origin: dict | None = None) -> None:
        """Pause mappings, schedules and pipes, saying why (and who made the lab)."""
        self.held = True
        self.reason = reason
        self.origin = origin
        if self._released is not None:
            self._released.clear()

    def release(self) -> None:
        """Let them run."""
        self.held = False
        self.reason = ""
        self.origin = None
        if self._released is not None:
            self._released.set()

    async def wait(self) -> None:
        """Return at once when not held; otherwise when released."""
        if not self.held:
            return
        if self._released is None:
            self._released = asyncio.Event()
        await self._released.wait()
