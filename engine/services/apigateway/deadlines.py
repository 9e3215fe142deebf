"""Integration timeouts on the engine clock, cheap enough for every request."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class _Watch:
    """One awaited integration call and its deadline."""

    __slots__ = ("deadline", "task", "done", "expired")

    def __init__(self, deadline: float, task: asyncio.Task) -> None:
        self.deadline = deadline
        self.task = task
        self.done = False
        self.expired = False


class Deadlines:
    """Integration timeouts with one clock timer per timeout length, not one per request.

    Calls with the same timeout expire in the order they started, so each length keeps a FIFO;
    finished calls at its head are dropped as new ones arrive, keeping it as short as the calls
    in flight.
    """

    def __init__(self, clock: Any) -> None:
        self._clock = clock
        self._queues: dict[float, deque[_Watch]] = {}
        self._armed: set[float] = set()

    async def within(self, seconds: float, work: Awaitable[T]) -> T:
        """Await `work` in this task, raising TimeoutError after `seconds` of engine time."""
        task = asyncio.current_task()
        assert task is not None
        queue = self._queues.get(seconds)
        if queue is None:
            queue = self._queues[seconds] = deque()
        while queue and queue[0].done:
            queue.popleft()
        watch = _Watch(self._clock.now() + seconds, task)
        queue.append(watch)
        if seconds not in self._armed:
            self._armed.add(seconds)
            self._clock.call_at(watch.deadline, self._fire, seconds)
        try:
            return await work
        except asyncio.CancelledError:
            if watch.expired:
                task.uncancel()
                raise TimeoutError from None
            raise
        finally:
            watch.done = True

    def _fire(self, seconds: float) -> None:
        queue = self._queues[seconds]
        now = self._clock.now()
        while queue and (queue[0].done or queue[0].deadline <= now):
            watch = queue.popleft()
            if not watch.done:
                watch.expired = True
                watch.task.cancel()
        if queue:
            self._clock.call_at(queue[0].deadline, self._fire, seconds)
        else:
            self._armed.discard(seconds)
