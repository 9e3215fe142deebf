"""Schedule expressions: rate() and cron() parsed and evaluated as AWS does."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.services.events.schedule import ScheduleSyntaxError, parse_schedule

START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()  # a Thursday


def _next(expression: str, zone: str | None = None) -> datetime | None:
    schedule = parse_schedule(expression)
    when = schedule.next_after(START, ZoneInfo(zone) if zone else None)
    return None if when is None else datetime.fromtimestamp(when, UTC)


def test_rate_counts_from_the_start() -> None:
    assert parse_schedule("rate(2 hours)").next_after(START + 1, START) == START + 7200


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 18 ? * MON-FRI *)", datetime(2026, 1, 1, 18, tzinfo=UTC)),
        ("cron(0 2 ? * SAT#3 *)", datetime(2026, 1, 17, 2, tzinfo=UTC)),
        ("cron(0 9 ? * 6L *)", datetime(2026, 1, 30, 9, tzinfo=UTC)),
        ("cron(0 12 L * ? *)", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 1, 1, 0, 15, tzinfo=UTC)),
        ("cron(0 8 1 FEB ? *)", datetime(2026, 2, 1, 8, tzinfo=UTC)),
    ],
)
def test_cron_next_firing(expression: str, expected: datetime) -> None:
    assert _next(expression) == expected


def test_cron_in_the_past_never_fires() -> None:
    assert _next("cron(15 10 ? * 6L 2002-2005)") is None


def test_cron_follows_the_time_zone() -> None:
    assert _next("cron(0 9 * * ? *)", "America/New_York") == datetime(2026, 1, 1, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 1 * * * *)",
        "cron(7 20 * * NOT *)",
        "cron(INVALID)",
        "rate(1 hours)",
        "rate(0 minutes)",
    ],
)
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleSyntaxError):
        parse_schedule(expression)
