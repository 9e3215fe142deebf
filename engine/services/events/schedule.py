"""Schedule expressions as AWS parses them: rate(), cron() (six fields, with ? L W #) and at().

Shared by EventBridge rules (UTC) and EventBridge Scheduler (any IANA time zone).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {name.upper(): number for name, number in _MONTHS.items()}
# AWS numbers days of the week 1-7 from Sunday.
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^()]*)\)")
_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MAX_YEAR = 2199


class ScheduleSyntaxError(ValueError):
    """The expression is not one AWS accepts."""


def aws_weekday(day: date) -> int:
    """AWS's day-of-week number for `day` (Sunday 1 … Saturday 7)."""
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True, slots=True)
class Rate:
    """rate(value unit): fires every `seconds`, counted from when the schedule starts."""

    seconds: int

    def next_after(self, after: float, start: float) -> float:
        """The first firing strictly after `after` for a schedule started at `start`."""
        periods = int((after - start) // self.seconds) + 1
        return start + max(1, periods) * self.seconds


@dataclass(frozen=True, slots=True)
class At:
    """at(yyyy-mm-ddThh:mm:ss): fires once, at a wall-clock time in the schedule's time zone."""

    when: datetime  # naive, local to the schedule's zone

    def next_after(self, after: float, zone: ZoneInfo | None = None) -> float | None:
        """The firing time if it is still ahead of `after`, else None."""
        moment = self.when.replace(tzinfo=zone or UTC).timestamp()
        return moment if moment > after else None


@dataclass(frozen=True, slots=True)
class Cron:
    """cron(minutes hours day-of-month month day-of-week year), evaluated in a time zone."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    days_of_month: frozenset[int] | None  # None: the field is "?"
    last_day_of_month: bool
    last_weekday_of_month: bool
    nearest_weekdays: frozenset[int]  # "15W"
    days_of_week: frozenset[int] | None  # None: the field is "?"
    last_days_of_week: frozenset[int]  # "6L": the last Friday
    nth_days_of_week: frozenset[tuple[int, int]]  # "SAT#3": (7, 3)

    def day_matches(self, day: date) -> bool:
        """Whether the date part of the expression selects `day`."""
        if day.year not in self.years or day.month not in self.months:
            return False
        if (
            self.days_of_month is not None
            or self.last_day_of_month
            or self.nearest_weekdays
            or self.last_weekday_of_month
        ):
            return self._dom_matches(day)
        return self._dow_matches(day)

    def _dom_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.days_of_month and day.day in self.days_of_month:
            return True
        if self.last_day_of_month and day.day == last:
            return True
        if self.last_weekday_of_month:
            target = last
            while date(day.year, day.month, target).weekday() >= 5:
                target -= 1
            if day.day == target:
                return True
        for wanted in self.nearest_weekdays:
            if wanted <= last and day.day == _nearest_weekday(day.year, day.month, wanted):
                return True
        return False

    def _dow_matches(self, day: date) -> bool:
        weekday = aws_weekday(day)
        if self.days_of_week and weekday in self.days_of_week:
            return True
        last = calendar.monthrange(day.year, day.month)[1]
        if weekday in self.last_days_of_week and day.day + 7 > last:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth_days_of_week

    def next_after(self, after: float, zone: ZoneInfo | None = None) -> float | None:
        """The first firing strictly after epoch `after`, or None if there is none."""
        zone = zone or UTC
        local = datetime.fromtimestamp(after, zone).replace(second=0, microsecond=0, tzinfo=None)
        local += timedelta(minutes=1)
        day = local.date()
        first_day = True
        last_year = min(max(self.years), _MAX_YEAR)
        while day.year <= last_year:
            if day.month not in self.months or day.year not in self.years:
                day = _first_of_next_month(day)
                first_day = False
                continue
            if self.day_matches(day):
                for hour in sorted(self.hours):
                    if first_day and hour < local.hour:
                        continue
                    for minute in sorted(self.minutes):
                        if first_day and hour == local.hour and minute < local.minute:
                            continue
                        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                        stamp = moment.timestamp()
                        if stamp > after:
                            return stamp
            day += timedelta(days=1)
            first_day = False
        return None


def _nearest_weekday(year: int, month: int, wanted: int) -> int:
    weekday = date(year, month, wanted).weekday()
    last = calendar.monthrange(year, month)[1]
    if weekday == 5:  # Saturday: the Friday before, unless that leaves the month
        return wanted - 1 if wanted > 1 else wanted + 2
    if weekday == 6:  # Sunday: the Monday after, unless that leaves the month
        return wanted + 1 if wanted < last else wanted - 2
    return wanted


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _number(text: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleSyntaxError(text)
    return int(text)


def _parse_list(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    names = names or {}
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit() or step_text == "0":
            raise ScheduleSyntaxError(part)
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, second = base.partition("-")
            start, end = _number(first, names), _number(second, names)
        else:
            start = _number(base, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleSyntaxError(part)
        span = (end - start) % (high - low + 1)  # a range may wrap (FRI-MON, 22-2)
        values.update(
            low + (start - low + offset) % (high - low + 1) for offset in range(0, span + 1, step)
        )
    return values


def parse_cron(body: str) -> Cron:
    """Parse the six fields inside cron(…)."""
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleSyntaxError(body)
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleSyntaxError("exactly one of day-of-month and day-of-week must be ?")
    days_of_month: set[int] | None = None
    last_day = last_weekday = False
    nearest: set[int] = set()
    if dom != "?":
        days_of_month = set()
        for part in dom.split(","):
            if part == "L":
                last_day = True
            elif part == "LW":
                last_weekday = True
            elif part.endswith("W") and part[:-1].isdigit() and 1 <= int(part[:-1]) <= 31:
                nearest.add(int(part[:-1]))
            else:
                days_of_month |= _parse_list(part, 1, 31)
    days_of_week: set[int] | None = None
    last_days: set[int] = set()
    nth: set[tuple[int, int]] = set()
    if dow != "?":
        days_of_week = set()
        for part in dow.split(","):
            if part == "L":
                last_days.add(7)
            elif part.endswith("L"):
                last_days.add(_day_number(part[:-1]))
            elif "#" in part:
                day_text, _, which = part.partition("#")
                if not which.isdigit() or not 1 <= int(which) <= 5:
                    raise ScheduleSyntaxError(part)
                nth.add((_day_number(day_text), int(which)))
            else:
                days_of_week |= _parse_list(part, 1, 7, _DAYS)
    return Cron(
        frozenset(_parse_list(minutes, 0, 59)),
        frozenset(_parse_list(hours, 0, 23)),
        frozenset(_parse_list(month, 1, 12, _MONTHS)),
        frozenset(_parse_list(year, 1970, _MAX_YEAR)),
        frozenset(days_of_month) if days_of_month is not None else None,
        last_day,
        last_weekday,
        frozenset(nearest),
        frozenset(days_of_week) if days_of_week is not None else None,
        frozenset(last_days),
        frozenset(nth),
    )


def _day_number(text: str) -> int:
    number = _number(text, _DAYS)
    if not 1 <= number <= 7:
        raise ScheduleSyntaxError(text)
    return number


def parse_rate(expression: str) -> Rate:
    """Parse rate(value unit); AWS wants the singular unit for 1 and the plural otherwise."""
    match = _RATE.fullmatch(expression)
    if match is None:
        raise ScheduleSyntaxError(expression)
    value, unit = int(match.group(1)), match.group(2)
    if value <= 0 or (value == 1) != (not unit.endswith("s")):
        raise ScheduleSyntaxError(expression)
    return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])


def parse_schedule(expression: str, *, allow_at: bool = False) -> Rate | Cron | At:
    """Parse a schedule expression; raise ScheduleSyntaxError when AWS would reject it."""
    if expression.startswith("rate("):
        return parse_rate(expression)
    match = _CRON.fullmatch(expression)
    if match is not None:
        return parse_cron(match.group(1))
    match = _AT.fullmatch(expression)
    if match is not None and allow_at:
        try:
            return At(datetime(*(int(part) for part in match.groups())))
        except ValueError:
            raise ScheduleSyntaxError(expression) from None
    raise ScheduleSyntaxError(expression)
