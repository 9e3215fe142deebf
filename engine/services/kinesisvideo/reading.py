"""Where a read starts and what each returned chunk carries: the shared part of every reader."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .errors import invalid
from .fragments import Fragment, FragmentLog
from .mkv import chunk


def epoch_ms(value: Any) -> int:
    """Milliseconds since the epoch from a datetime (botocore's timestamps) or a number."""
    if hasattr(value, "timestamp"):
        return round(value.timestamp() * 1000)
    return round(float(value) * 1000)


def seconds_text(ms: int) -> str:
    """A timestamp as AWS writes it in fragment tags: seconds with three decimals."""
    return f"{ms // 1000}.{ms % 1000:03d}"


def start_index(log: FragmentLog, selector: dict[str, Any]) -> int:
    """The position GetMedia starts at, for a StartSelector."""
    kind = selector["StartSelectorType"]
    if kind == "NOW":
        return len(log)
    if kind == "EARLIEST":
        return 0
    if kind == "FRAGMENT_NUMBER":
        number = selector.get("AfterFragmentNumber")
        if not number:
            raise invalid("AfterFragmentNumber is required for the FRAGMENT_NUMBER selector.")
        index = log.index_of_number(int(number))
        if index is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Fragment {number} is not in the stream.",
                status_code=404,
            )
        return index
    if kind == "CONTINUATION_TOKEN":
        token = selector.get("ContinuationToken")
        if not token or not token.isdigit():
            raise invalid("ContinuationToken is required for the CONTINUATION_TOKEN selector.")
        return log.index_after_number(int(token))
    when = selector.get("StartTimestamp")
    if when is None:
        raise invalid(f"StartTimestamp is required for the {kind} selector.")
    at_ms = epoch_ms(when)
    covering = log.covering(kind, at_ms)
    if covering is not None:
        found = log.index_of_number(covering.number)
        assert found is not None
        return found
    if kind == "SERVER_TIMESTAMP":
        return log.index_at_server(at_ms)
    return log.index_at_producer(at_ms)


def media_chunk(fragment: Fragment, now_ms: int, newest_ms: int) -> bytes:
    """A GetMedia chunk: number and timestamps before the cluster, lag and token after it."""
    return chunk(
        fragment.header,
        fragment.body,
        [
            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", str(fragment.number)),
            ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", seconds_text(fragment.server_ms)),
            ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", seconds_text(fragment.producer_ms)),
        ],
        [
            ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", str(max(0, newest_ms - fragment.server_ms))),
            ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", str(fragment.number)),
        ],
    )


def archived_chunk(fragment: Fragment) -> bytes:
    """A GetMediaForFragmentList chunk, with the archived-media tag names."""
    return chunk(
        fragment.header,
        fragment.body,
        [
            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", str(fragment.number)),
            ("AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP", seconds_text(fragment.server_ms)),
            ("AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP", seconds_text(fragment.producer_ms)),
        ],
    )
