"""ISO-8601 timestamps as Step Functions reads and writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

# RFC 3339: a date, a 'T', a time with optional fraction, and 'Z' or an offset.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(text: str) -> float | None:
    """Epoch seconds for an RFC 3339 timestamp, or None when it is not one."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7)
    zone = match.group(8)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    seconds = moment.timestamp() + (float(fraction) if fraction else 0.0)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        seconds -= sign * (hours * 3600 + minutes * 60)
    return seconds


@lru_cache(maxsize=256)
def format_timestamp(epoch: float) -> str:
    """An ISO-8601 UTC timestamp with milliseconds, as in the context object."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
