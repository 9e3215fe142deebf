"""Pause, step and speed controls that work the same on a RealClock and a VirtualClock."""

from __future__ import annotations

from engine.clock import Clock, RealClock, VirtualClock

#: The speeds the faster/slower keys move between (simulated seconds per real second).
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
#: Simulated seconds one press of "step" moves the clock.
STEP_SECONDS = 1.0


class ClockControl:
    """The app's handle on simulated time.

    A RealClock runs by itself; pause, resume and speed are passed to it. A VirtualClock only
    moves when advanced, so the app advances it by `speed × real time` on each tick while it
    runs. A VirtualClock starts paused, so tests and screenshots see exactly what they drive.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._virtual_paused = True
        self._virtual_speed = 1.0

    @property
    def is_virtual(self) -> bool:
        """Whether the app must move this clock itself."""
        return isinstance(self.clock, VirtualClock)

    @property
    def paused(self) -> bool:
        """Whether simulated time stands still."""
        if isinstance(self.clock, RealClock):
            return self.clock.paused
        return self._virtual_paused

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        if isinstance(self.clock, RealClock):
            return self.clock.speed
        return self._virtual_speed

    def toggle(self) -> None:
        """Pause a running clock, resume a paused one."""
        if self.paused:
            self.resume()
        else:
            self.pause()

    def pause(self) -> None:
        """Stop simulated time."""
        if isinstance(self.clock, RealClock):
            self.clock.pause()
        else:
            self._virtual_paused = True

    def resume(self) -> None:
        """Let simulated time run."""
        if isinstance(self.clock, RealClock):
            self.clock.resume()
        else:
            self._virtual_paused = False

    def faster(self) -> float:
        """Move to the next speed up; returns the new speed."""
        return self._set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))

    def slower(self) -> float:
        """Move to the next speed down; returns the new speed."""
        return self._set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))

    def _set_speed(self, speed: float) -> float:
        if isinstance(self.clock, RealClock):
            self.clock.set_speed(speed)
        else:
            self._virtual_speed = speed
        return speed

    async def step(self, seconds: float = STEP_SECONDS) -> None:
        """Move simulated time forward by `seconds`, firing what falls due."""
        advance = getattr(self.clock, "advance", None)
        if advance is not None:
            await advance(seconds)

    async def tick(self, real_seconds: float) -> None:
        """Called on each UI tick: moves a running VirtualClock along with real time."""
        if isinstance(self.clock, VirtualClock) and not self._virtual_paused:
            await self.clock.advance(real_seconds * self._virtual_speed)
