"""Durations as people type them (`30s`, `5m`, `1h30m`, `1d`) and times as the console shows them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> float:
    """Seconds in `text` (`90`, `30s`, `5m`, `2h`, `1d`, `1h30m`, `250ms`); ValueError otherwise."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    try:
        seconds = float(text)
    except ValueError:
        pos = 0
        seconds = 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text) or pos == 0:
            raise ValueError(f"invalid duration '{text}' (use e.g. 30s, 5m, 2h, 1d)") from None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        raise ValueError(f"invalid duration '{text}'")
    return seconds


def format_duration(seconds: float) -> str:
    """A short human duration (`1h 2m 3s`, `250ms`)."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    parts: list[str] = []
    remaining = seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if remaining >= size:
            count = int(remaining // size)
            parts.append(f"{count}{unit}")
            remaining -= count * size
    if remaining or not parts:
        parts.append(f"{remaining:g}s" if remaining != int(remaining) else f"{int(remaining)}s")
    return " ".join(parts)


def clock_text(epoch: float) -> str:
    """An epoch time as `2026-01-01 00:00:05.250Z`."""
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
