"""Clock controls: pause, step and speed on virtual and real clocks."""

from __future__ import annotations

from engine import RealClock, VirtualClock
from tui.app.clock_control import SPEEDS, ClockControl


def test_a_virtual_clock_starts_paused() -> None:
    assert ClockControl(VirtualClock()).paused


async def test_step_moves_a_virtual_clock_one_second() -> None:
    clock = VirtualClock(start=0.0)
    await ClockControl(clock).step()
    assert clock.now() == 1.0


async def test_a_running_virtual_clock_follows_ticks_at_its_speed() -> None:
    clock = VirtualClock(start=0.0)
    control = ClockControl(clock)
    control.resume()
    control.faster()
    await control.tick(0.5)
    assert clock.now() == 1.0  # 0.5 real seconds at 2×


async def test_a_paused_virtual_clock_ignores_ticks() -> None:
    clock = VirtualClock(start=0.0)
    await ClockControl(clock).tick(5)
    assert clock.now() == 0.0


def test_speed_stops_at_the_ends_of_the_range() -> None:
    control = ClockControl(VirtualClock())
    for _ in range(20):
        control.slower()
    assert control.speed == SPEEDS[0]
    for _ in range(20):
        control.faster()
    assert control.speed == SPEEDS[-1]


def test_a_real_clock_is_paused_and_sped_up_itself() -> None:
    clock = RealClock()
    control = ClockControl(clock)
    control.toggle()
    assert clock.paused and control.paused
    control.faster()
    assert clock.speed == 2.0
