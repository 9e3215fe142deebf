"""The engine's clocks: every simulated delay is measured on one of these, never on time.time()."""

from __future__ import annotations

import asyncio
import heapq
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")

#: VirtualClock's default start: 2026-01-01T00:00:00Z, so virtual runs repeat exactly.
DEFAULT_EPOCH = 1_767_225_600.0


class Timer:
    """A callback due at `when` on a clock; `cancel()` stops it firing and releases what it holds."""

    __slots__ = ("when", "seq", "callback", "args", "cancelled", "_clock", "__weakref__")

    def __init__(
        self, when: float, seq: int, callback: Callable[..., Any], args: tuple, clock: Clock
    ) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False
        self._clock: Clock | None = clock  # set while the timer waits in its clock's heap

    def cancel(self) -> None:
        """Stop this timer from firing; its callback and arguments are released at once."""
        if self.cancelled:
            return
        self.cancelled = True
        # A cancelled timer may sit in the heap until its deadline (days, for retention):
        # dropping the callback now is what lets a deleted queue and its messages be freed.
        self.callback = _noop
        self.args = ()
        clock, self._clock = self._clock, None
        if clock is not None:
            clock._timer_cancelled()

    def _take(self) -> tuple[Callable[..., Any], tuple]:
        """Mark this timer fired and hand over its callback and arguments."""
        callback, args = self.callback, self.args
        self.cancelled = True
        self.callback = _noop
        self.args = ()
        self._clock = None
        return callback, args

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


def _noop(*_args: Any) -> None:
    """What a fired or cancelled timer holds instead of its callback."""


#: Compact a clock's heap once this many cancelled timers wait in it (and they outnumber the live).
COMPACT_AFTER = 256


class Clock(ABC):
    """Simulated time plus a heap of timers fired in time order."""

    def __init__(self) -> None:
        self._timers: list[Timer] = []
        self._seq = 0
        self._cancelled_in_heap = 0

    # -- reading time -------------------------------------------------------------
    @abstractmethod
    def now(self) -> float:
        """Seconds since the Unix epoch, in simulated time."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, in simulated time."""
        return int(self.now() * 1000)

    def datetime(self) -> datetime:
        """The simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def paused(self) -> bool:
        """Whether simulated time is standing still."""
        return False

    @property
    def virtual(self) -> bool:
        """Whether time moves only when advanced (VirtualClock), not with the wall clock."""
        return False

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return 1.0

    # -- timers -------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run `callback(*args)` when simulated time reaches `when`."""
        self._seq += 1
        timer = Timer(when, self._seq, callback, args, self)
        heapq.heappush(self._timers, timer)
        if self._timers[0] is timer:
            self._earliest_changed()
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run `callback(*args)` after `delay` simulated seconds."""
        return self.call_at(self.now() + max(0.0, delay), callback, *args)

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of simulated time."""
        await self.sleep_until(self.now() + max(0.0, seconds))

    async def sleep_until(self, when: float) -> None:
        """Wait until simulated time reaches `when`."""
        if when <= self.now():
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        timer = self.call_at(when, _resolve, future)
        try:
            await future
        finally:
            timer.cancel()

    async def timeout(self, seconds: float, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`, raising TimeoutError after `seconds` of simulated time."""
        task = asyncio.ensure_future(awaitable)
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = self.call_later(seconds, expire)
        try:
            return await task
        except asyncio.CancelledError:
            if expired:
                raise TimeoutError from None
            raise
        finally:
            timer.cancel()
            if not task.done():
                task.cancel()

    def outside(self, awaitable: Awaitable[T]) -> asyncio.Future[T]:
        """Run work done outside the event loop (a worker process) as a task.

        A VirtualClock counts it as part of settling: time does not move while it runs, so
        what it causes happens at the time it started, however long it takes for real.
        """
        return asyncio.ensure_future(awaitable)

    def next_deadline(self) -> float | None:
        """The time of the earliest pending timer, or None."""
        self._drop_cancelled_head()
        return self._timers[0].when if self._timers else None

    def pending_timers(self) -> int:
        """How many timers are waiting to fire (cancelled ones are not counted)."""
        return len(self._timers) - self._cancelled_in_heap

    def _timer_cancelled(self) -> None:
        """A timer in the heap was cancelled: compact once the dead outnumber the live."""
        self._cancelled_in_heap += 1
        dead = self._cancelled_in_heap
        if dead >= COMPACT_AFTER and dead * 2 > len(self._timers):
            self._timers = [timer for timer in self._timers if not timer.cancelled]
            heapq.heapify(self._timers)
            self._cancelled_in_heap = 0

    def _drop_cancelled_head(self) -> None:
        timers = self._timers
        while timers and timers[0].cancelled:
            heapq.heappop(timers)
            self._cancelled_in_heap -= 1

    def _pop_due(self, until: float) -> Timer | None:
        """Remove and return the earliest live timer due at or before `until`, if any."""
        self._drop_cancelled_head()
        timers = self._timers
        if timers and timers[0].when <= until:
            return heapq.heappop(timers)
        return None

    def _fire_due(self, until: float) -> int:
        """Fire every timer due at or before `until`; returns how many fired."""
        fired = 0
        while (timer := self._pop_due(until)) is not None:
            callback, args = timer._take()
            callback(*args)
            fired += 1
        return fired

    def _earliest_changed(self) -> None:
        """Hook: the earliest deadline moved earlier."""


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


async def settle(max_rounds: int = 10_000, stop: Callable[[], bool] | None = None) -> None:
    """Let every task that can run, run, until all are blocked on the clock or on outside input.

    `stop` ends the wait early when it turns true (two settles spinning together never idle).
    """
    loop = asyncio.get_running_loop()
    ready = getattr(loop, "_ready", None)
    for _ in range(max_rounds):
        if stop is not None and stop():
            return
        await asyncio.sleep(0)
        if ready is None:
            if _ >= 20:
                return
        elif not ready:
            # One more pass catches callbacks that completed futures during the last round.
            await asyncio.sleep(0)
            if not ready:
                return


class VirtualClock(Clock):
    """Deterministic time that moves only when told to: `advance()` fires timers in order."""

    @property
    def virtual(self) -> bool:
        return True

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        super().__init__()
        self._now = float(start)
        # How many advance_to() calls are running: run() must not idle-jump past their target.
        self._advancing = 0
        self._advance_waiters: list[asyncio.Future] = []
        #: Work outside the loop (worker processes) that settling waits for.
        self._outside: set[asyncio.Future] = set()

    def now(self) -> float:
        return self._now

    def outside(self, awaitable: Awaitable[T]) -> asyncio.Future[T]:
        future = asyncio.ensure_future(awaitable)
        self._outside.add(future)
        future.add_done_callback(self._outside.discard)
        return future

    async def settle(self) -> None:
        """Let the engine run until everything waits on the clock or on outside input."""
        await self._settle()

    async def _settle(self) -> None:
        await settle()
        while self._outside:
            await asyncio.wait(set(self._outside))
            await settle()

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, firing timers in order and settling after each."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        await self.advance_to(self._now + seconds)

    async def advance_to(self, when: float) -> None:
        """Move time forward to `when`, firing timers in order and settling after each."""
        self._advancing += 1
        try:
            await self._advance_to(when)
        finally:
            self._advancing -= 1
            if not self._advancing:
                waiters, self._advance_waiters = self._advance_waiters, []
                for waiter in waiters:
                    _resolve(waiter)

    async def _advance_to(self, when: float) -> None:
        await self._settle()
        while (timer := self._pop_due(when)) is not None:
            self._now = max(self._now, timer.when)
            callback, args = timer._take()
            callback(*args)
            await self._settle()
        self._now = max(self._now, when)
        await self._settle()

    def _is_advancing(self) -> bool:
        return self._advancing > 0

    async def step(self) -> bool:
        """Jump to the next timer and fire everything due then; False when none is pending."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        await self.advance_to(deadline)
        return True

    async def run(self, awaitable: Awaitable[T], *, limit: float = 10 * 365 * 86400.0) -> T:
        """Await `awaitable`, jumping time ahead whenever the lab is idle (scripts' idle-jump)."""
        task = asyncio.ensure_future(awaitable)
        give_up = self._now + limit
        while True:
            await settle(stop=self._is_advancing)
            if task.done():
                return task.result()
            if self._advancing:  # the awaited work is itself advancing time: let it finish
                waiter = asyncio.get_running_loop().create_future()
                self._advance_waiters.append(waiter)
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                continue
            deadline = self.next_deadline()
            if deadline is not None and deadline <= give_up:
                await self.advance_to(deadline)
                continue
            # Nothing on the clock: the task waits on outside input (a socket, a thread).
            done, _ = await asyncio.wait({task}, timeout=0.01)
            if done:
                return task.result()


class ServiceClock:
    """A service's view of the lab clock: the same time, and `release()` cancels the timers it set.

    Engine.reset() and close() release each service's clock, so a dropped service's timers (a
    disabled stream's 24-hour expiry, a schedule's next tick) cannot keep it alive in the heap.
    """

    def __init__(self, clock: Clock) -> None:
        self.base = clock
        # Bound once: reading the time through the view costs what reading the clock costs.
        self.now = clock.now
        self.now_ms = clock.now_ms
        self.datetime = clock.datetime
        self._timers: weakref.WeakSet[Timer] = weakref.WeakSet()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """`Clock.call_at`, remembered until it fires or is cancelled."""
        timer = self.base.call_at(when, callback, *args)
        self._timers.add(timer)
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """`Clock.call_later`, remembered until it fires or is cancelled."""
        return self.call_at(self.base.now() + max(0.0, delay), callback, *args)

    def release(self) -> None:
        """Cancel every timer this service set that has not fired yet."""
        for timer in list(self._timers):
            timer.cancel()
        self._timers = weakref.WeakSet()


class RealClock(Clock):
    """Simulated time that follows the wall clock at `speed`, and can be paused and resumed."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        super().__init__()
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._speed = float(speed)
        self._base_sim = time.time() if start is None else float(start)
        self._base_real = time.monotonic()
        self._paused = False
        self._wakeup: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def now(self) -> float:
        if self._paused:
            return self._base_sim
        return self._base_sim + (time.monotonic() - self._base_real) * self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speed(self) -> float:
        return self._speed

    def _rebase(self) -> None:
        self._base_sim = self.now()
        self._base_real = time.monotonic()

    def pause(self) -> None:
        """Stop simulated time; timers wait until `resume()`."""
        if not self._paused:
            self._rebase()
            self._paused = True
            self._reschedule()

    def resume(self) -> None:
        """Let simulated time run again."""
        if self._paused:
            self._base_real = time.monotonic()
            self._paused = False
            self._reschedule()

    def set_speed(self, speed: float) -> None:
        """Change how many simulated seconds pass per real second."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._rebase()
        self._speed = float(speed)
        self._reschedule()

    @speed.setter
    def speed(self, value: float) -> None:
        self.set_speed(value)

    async def advance(self, seconds: float) -> None:
        """Jump simulated time forward by `seconds`, firing what falls due."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        target = self.now() + seconds
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._base_sim, self._base_real = deadline, time.monotonic()
            self._fire_due(deadline)
            await settle()
        self._base_sim, self._base_real = target, time.monotonic()
        self._reschedule()
        await settle()

    def _earliest_changed(self) -> None:
        self._reschedule()

    def _reschedule(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        if self._paused:
            return
        deadline = self.next_deadline()
        if deadline is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
            if loop is None:
                return
        self._loop = loop
        delay = max(0.0, (deadline - self.now()) / self._speed)
        self._wakeup = loop.call_later(delay, self._on_wakeup)

    def _on_wakeup(self) -> None:
        self._wakeup = None
        self._fire_due(self.now())
        self._reschedule()
