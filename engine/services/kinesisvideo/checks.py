"""Checks and shapes the control plane's operations share: names, tags, copies, pages."""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from engine.errors import ServiceError

from .errors import invalid

#: What stream and channel names may contain (the model's pattern, which AWS enforces).
NAME = re.compile(r"[a-zA-Z0-9_.-]+")
#: Tags per stream or channel (AWS's documented maximum).
MAX_TAGS = 50


def check_name(name: str, member: str) -> None:
    """Refuse a name outside the model's pattern."""
    if not NAME.fullmatch(name):
        raise invalid(f"{member} must match [a-zA-Z0-9_.-]+ (got {name!r}).")


def check_tags(tags: dict[str, str]) -> None:
    """Refuse more tags than a resource may carry."""
    if len(tags) > MAX_TAGS:
        raise ServiceError(
            "TagsPerResourceExceededLimitException",
            f"A resource can have at most {MAX_TAGS} tags.",
        )


def copy_data(value: Any) -> Any:
    """A deep copy of plain dicts and lists (copy in, copy out)."""
    if isinstance(value, dict):
        return {k: copy_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_data(v) for v in value]
    return value


def page(items: list[dict], limit: int, token: str | None, key: str) -> dict[str, Any]:
    """One page of `items` under `key`, with a NextToken when more follow."""
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise invalid("The NextToken is not valid.") from None
    out: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out


#: Calls a client may make per second per stream (GetMedia, GetMediaForFragmentList, PutMedia).
CALLS_PER_SECOND = 5


def throttle(calls: deque[float], now: float) -> None:
    """Count one call at `now`; refuse a sixth within a second, as AWS does."""
    while calls and calls[0] <= now - 1.0:
        calls.popleft()
    if len(calls) >= CALLS_PER_SECOND:
        raise ServiceError(
            "ClientLimitExceededException",
            "Kinesis Video Streams has throttled the request because you have exceeded the "
            "limit of allowed client calls. Try making the call later.",
        )
    calls.append(now)
