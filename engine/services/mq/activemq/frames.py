"""STOMP frames: reading them off a stream and writing them, with 1.1/1.2 header escaping.

No maintained server-side STOMP codec is on PyPI (stomper and stompest stopped in 2017–2019;
stomp.py's parser is client-side and expects whole frames), so this is the small codec STOMP's
specification describes: a command line, `name:value` header lines, a blank line, a body ended by
NUL (or sized by `content-length`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

#: Limits that keep one client from exhausting the lab (ActiveMQ has similar transport limits).
MAX_HEADERS = 1000
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024

_UNESCAPE = {"\\\\": "\\", "\\n": "\n", "\\c": ":", "\\r": "\r"}
_ESCAPE_12 = str.maketrans({"\\": "\\\\", "\n": "\\n", ":": "\\c", "\r": "\\r"})
_ESCAPE_11 = str.maketrans({"\\": "\\\\", "\n": "\\n", ":": "\\c"})


class FrameError(ValueError):
    """A malformed frame: the connection gets an ERROR frame and is closed."""


@dataclass(slots=True)
class Frame:
    """One STOMP frame."""

    command: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _unescape(text: str, version: str) -> str:
    if version == "1.0" or "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            pair = text[i : i + 2]
            if pair not in _UNESCAPE or (pair == "\\r" and version == "1.1"):
                raise FrameError(f"Invalid escape sequence '{pair}' in a header")
            out.append(_UNESCAPE[pair])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


async def read_frame(reader: asyncio.StreamReader, version: str) -> Frame | None:
    """The next frame, or None for a heart-beat (a lone EOL). Raises FrameError when malformed."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise FrameError("The command line of the frame is too long") from None
    command = line.rstrip(b"\r\n")
    if not command:
        return None
    try:
        frame = Frame(command.decode("utf-8"))
    except UnicodeDecodeError:
        raise FrameError("The frame's command is not UTF-8") from None
    # CONNECT/CONNECTED headers are never escaped (for 1.0 compatibility).
    escaped_version = "1.0" if frame.command in ("CONNECT", "STOMP") else version
    size = 0
    while True:
        try:
            raw = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise FrameError("A header line is too long") from None
        size += len(raw)
        if size > MAX_HEADER_BYTES or len(frame.headers) > MAX_HEADERS:
            raise FrameError("The frame's headers are too large")
        raw = raw.rstrip(b"\r\n") if version != "1.0" else raw.rstrip(b"\n")
        if not raw:
            break
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError("A header is not UTF-8") from None
        name, colon, value = text.partition(":")
        if not colon:
            raise FrameError(f"Header line '{text[:64]}' has no ':'")
        name = _unescape(name, escaped_version)
        if version == "1.0":
            name, value = name.strip(), value.strip()
        # A repeated header: the first one wins (STOMP 1.2).
        frame.headers.setdefault(name, _unescape(value, escaped_version))
    length = frame.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise FrameError(f"Invalid content-length '{length}'")
        count = int(length)
        if count > MAX_BODY_BYTES:
            raise FrameError(f"The frame's body is larger than {MAX_BODY_BYTES} bytes")
        frame.body = await reader.readexactly(count)
        if await reader.readexactly(1) != b"\0":
            raise FrameError("The frame's body is longer than its content-length")
    else:
        try:
            frame.body = (await reader.readuntil(b"\0"))[:-1]
        except asyncio.LimitOverrunError:
            raise FrameError(
                "A frame body without content-length is too large; send content-length"
            ) from None
    return frame


def encode_frame(
    command: str, headers: dict[str, str], body: bytes = b"", version: str = "1.2"
) -> bytes:
    """The bytes of one frame (headers escaped as `version` requires; content-length added)."""
    table = _ESCAPE_12 if version == "1.2" else _ESCAPE_11
    escape = command != "CONNECTED" and version != "1.0"
    parts = [command]
    for name, value in headers.items():
        text = str(value)
        parts.append(
            f"{name.translate(table)}:{text.translate(table)}" if escape else f"{name}:{text}"
        )
    if body or command in ("MESSAGE", "ERROR"):
        parts.append(f"content-length:{len(body)}")
    parts.append("")
    return ("\n".join(parts) + "\n").encode("utf-8") + body + b"\0"
