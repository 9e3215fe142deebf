"""AWS event streams (`application/vnd.amazon.eventstream`): Kinesis SubscribeToShard over HTTP.

Each message is a binary frame: total length, headers length, CRC32 of those eight bytes,
headers (name, type 7 = string, value), the payload, and a CRC32 of everything before it.
The `json` protocol opens with an `initial-response` event; then each event the service yields
is one frame, and an error while streaming becomes an `exception` frame.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from engine.errors import ServiceError
from engine.http import HttpResponse

from .codec import encode_json

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7


@dataclass(slots=True)
class StreamingHttpResponse(HttpResponse):
    """A response whose body is sent as it is produced (chunked), frame by frame."""

    stream: AsyncIterator[bytes] | None = field(default=None)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream frame with string headers."""
    encoded = b""
    for name, value in headers.items():
        name_bytes, value_bytes = name.encode(), value.encode()
        encoded += struct.pack("B", len(name_bytes)) + name_bytes
        encoded += struct.pack(">BH", _STRING, len(value_bytes)) + value_bytes
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def _event(kind: str, payload: Any) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload).encode())


def _exception(code: str, message: str) -> bytes:
    headers = {
        ":exception-type": code,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode())


async def event_frames(
    stream_shape: Shape, events: Any, initial: dict[str, Any] | None
) -> AsyncIterator[bytes]:
    """Frames for an event source: the initial response (when given), each event, then the end."""
    try:
        if initial is not None:
            yield _event("initial-response", initial)
        async for event in events:
            for name, body in event.items():
                member = stream_shape.members.get(name)
                yield _event(name, encode_json(member, body) if member is not None else body)
    except ServiceError as error:
        yield _exception(error.code, error.message)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def event_stream_response(
    shape: Shape, result: dict[str, Any], request_id: str, initial_response: bool
) -> StreamingHttpResponse:
    """A 200 whose body is the event stream named by the output shape's event-stream member."""
    name = shape.event_stream_name
    stream_shape = shape.members[name]
    rest = {k: v for k, v in result.items() if k != name}
    initial = encode_json(shape, rest) if initial_response else None
    return StreamingHttpResponse(
        200,
        {"content-type": CONTENT_TYPE, "x-amzn-requestid": request_id},
        b"",
        event_frames(stream_shape, result[name], initial),
    )
