"""Times as EventBridge writes and reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def iso_time(epoch: float) -> str:
    """An event's time field: ISO 8601 in UTC to the second."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(value: Any) -> float:
    """Seconds since the epoch from a boto3 timestamp (datetime, date, ISO text or number)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
