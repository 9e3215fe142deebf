"""Shared fixtures: an engine on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from engine import Engine, VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    """A virtual clock at the default epoch."""
    return VirtualClock()


@pytest.fixture
async def eng(clock: VirtualClock) -> AsyncIterator[Engine]:
    """An engine on the virtual clock, closed after the test."""
    async with Engine(clock=clock) as engine:
        yield engine


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker a test uses when a caught engine error is what it checks."""
    config.addinivalue_line(
        "markers", "engine_errors_expected: the test provokes engine errors on purpose"
    )


@pytest.fixture(autouse=True)
def engine_errors_fail_the_test(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Any defect the lab catches during a test (a crashed task, a failed request) fails it."""
    caught: list[str] = []
    report = Engine.report_error

    def recording(self: Engine, resource: str, where: str | None, error: BaseException) -> None:
        caught.append(f"{resource} {where or ''}: {type(error).__name__}: {error}")
        report(self, resource, where, error)

    monkeypatch.setattr(Engine, "report_error", recording)
    yield
    if caught and request.node.get_closest_marker("engine_errors_expected") is None:
        pytest.fail("the lab caught an engine error during this test: " + " | ".join(caught[:3]))
