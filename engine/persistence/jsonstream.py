"""JSON written piece by piece and read back without holding the bulky arrays in memory.

`write_json` streams a value whose arrays may be generators (a queue's million messages is never
one list). Bytes become `{"$b64": "..."}` so binary data comes back as bytes, not as its text.
`Reader` parses with ijson (the C yajl backend): everything but the *bulk* arrays (whose ijson
prefixes the caller names) is built; each bulk array becomes a `Bulk`, a lazy list that parses its
items again from the file when a loader iterates it, one at a time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import ijson

BYTES_KEY = "$b64"
_CHUNK = 1 << 16


def encode_default(value: Any) -> Any:
    """json.dumps' `default`: bytes as `{"$b64": …}`, dates as ISO text."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {BYTES_KEY: base64.b64encode(bytes(value)).decode("ascii")}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class _Writer:
    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0
        self.dumps = json.JSONEncoder(default=encode_default, separators=(",", ":")).encode

    def put(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.parts))
        self.parts.clear()
        self.size = 0

    def value(self, value: Any, depth: int) -> None:
        if isinstance(value, dict):
            self.put("{")
            first = True
            for key, item in value.items():
                if not first:
                    self.put(",")
                first = False
                self.put("\n" + " " * depth if depth < 3 else "")
                self.put(json.dumps(str(key)) + ":")
                self.value(item, depth + 1)
            self.put("}")
        elif isinstance(value, (list, tuple)) and depth < 6:
            self.array(value, depth)
        elif isinstance(value, (str, int, float, bool, type(None), list, tuple, bytes)):
            self.put(self.dumps(value))
        elif isinstance(value, Iterable):
            self.array(value, depth)
        else:
            self.put(self.dumps(value))

    def array(self, items: Iterable[Any], depth: int) -> None:
        self.put("[")
        first = True
        for item in items:
            if not first:
                self.put(",")
            first = False
            if isinstance(item, dict) and not _holds_iterators(item):
                # The common bulky case (one message, one record): one C-encoder call.
                self.put("\n" + self.dumps(item))
            else:
                self.value(item, depth + 1)
        self.put("]")


def _holds_iterators(value: dict) -> bool:
    for item in value.values():
        if isinstance(item, (dict, list)):
            if isinstance(item, dict) and _holds_iterators(item):
                return True
        elif not isinstance(item, (str, int, float, bool, type(None), bytes, tuple)):
            return True
    return False


def write_json(out: IO[str], value: Any) -> None:
    """Write `value` as JSON to `out`, streaming generator arrays element by element."""
    writer = _Writer(out)
    writer.value(value, 0)
    writer.put("\n")
    writer.flush()


# -- reading ----------------------------------------------------------------------------------
class FileFormatError(ValueError):
    """The file is not JSON (or not what a lab file holds); `path` says where, when known."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.detail = message


def json_path(parts: Iterable[Any]) -> str:
    """`services.sqs.queues[3].attributes` from its keys and indexes."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class Bulk(list):
    """A bulky array of a lab file, parsed again item by item when iterated."""

    def __init__(self, reader: Reader, ordinal: int, count: int) -> None:
        super().__init__()
        self.reader = reader
        self.ordinal = ordinal
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[Any]:
        return self.reader.bulk_items(self.ordinal)


ItemCheck = Callable[[Any, list[Any]], None]


class Reader:
    """One lab file: its skeleton (built) and its bulk arrays (re-read lazily)."""

    def __init__(self, open_file: Callable[[], IO[bytes]], bulk: dict[str, ItemCheck]) -> None:
        self.open_file = open_file
        self.bulk = bulk
        self._stream: IO[bytes] | None = None
        self._events: Iterator[tuple[str, str, Any]] | None = None
        self._next_ordinal = 0

    def skeleton(self) -> Any:
        """The whole document with each bulk array replaced by a `Bulk` (items checked)."""
        with self.open_file() as stream:
            events = ijson.parse(stream, use_float=True)
            try:
                builder = _Builder(self, events, check_bulk=True)
                return builder.build()
            except ijson.JSONError as error:
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
                raise FileFormatError("", f"is not JSON ({first_line})") from None

    def bulk_items(self, ordinal: int) -> Iterator[Any]:
        """The items of bulk array number `ordinal` (document order), parsed one at a time."""
        if self._events is None or ordinal < self._next_ordinal:
            self.close()
            self._stream = self.open_file()
            self._events = ijson.parse(self._stream, use_float=True)
            self._next_ordinal = 0
        events = self._events
        for prefix, event, _value in events:
            if event == "start_array" and prefix in self.bulk:
                seen = self._next_ordinal
                self._next_ordinal += 1
                if seen == ordinal:
                    builder = _Builder(self, events, check_bulk=False)
                    yield from builder.array_items()
                    return
        raise FileFormatError("", "changed while it was being opened")

    def close(self) -> None:
        """Close the file a bulk iteration left open."""
        if self._stream is not None:
            self._stream.close()
        self._stream = None
        self._events = None


class _Builder:
    """Builds values from ijson events, tracking the JSON path of what it builds."""

    def __init__(
        self, reader: Reader, events: Iterator[tuple[str, str, Any]], *, check_bulk: bool
    ) -> None:
        self.reader = reader
        self.events = events
        self.check_bulk = check_bulk
        self.path: list[Any] = []
        self.ordinal = 0

    def build(self) -> Any:
        prefix, event, value = next(self.events)
        return self.value(prefix, event, value)

    def value(self, prefix: str, event: str, value: Any) -> Any:
        if event == "start_map":
            return self.mapping()
        if event == "start_array":
            if self.check_bulk and prefix in self.reader.bulk:
                return self.bulk_array(prefix)
            return self.array()
        return value

    def mapping(self) -> Any:
        result: dict[str, Any] = {}
        events = self.events
        path = self.path
        for prefix, event, value in events:
            if event == "end_map":
                if len(result) == 1 and BYTES_KEY in result:
                    return _decode_bytes(result[BYTES_KEY], path)
                return result
            # event == "map_key"
            path.append(value)
            prefix, event, item = next(events)
            result[value] = self.value(prefix, event, item)
            path.pop()
        raise FileFormatError(json_path(path), "the file ends early")

    def array(self) -> list[Any]:
        result: list[Any] = []
        events = self.events
        path = self.path
        path.append(0)
        for prefix, event, value in events:
            if event == "end_array":
                path.pop()
                return result
            path[-1] = len(result)
            result.append(self.value(prefix, event, value))
        raise FileFormatError(json_path(path), "the file ends early")

    def bulk_array(self, prefix: str) -> Bulk:
        check = self.reader.bulk[prefix]
        ordinal = self.ordinal
        self.ordinal += 1
        path = self.path
        path.append(0)
        for count, (item_prefix, event, value) in enumerate(self.events):
            if event == "end_array":
                path.pop()
                return Bulk(self.reader, ordinal, count)
            path[-1] = count
            check(self.value(item_prefix, event, value), path)
        raise FileFormatError(json_path(path), "the file ends early")

    def array_items(self) -> Iterator[Any]:
        for prefix, event, value in self.events:
            if event == "end_array":
                return
            yield self.value(prefix, event, value)


def _decode_bytes(text: Any, path: list[Any]) -> bytes:
    if not isinstance(text, str):
        raise FileFormatError(json_path([*path, BYTES_KEY]), "expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise FileFormatError(json_path([*path, BYTES_KEY]), "is not valid base64") from None
