"""JSON written piece by piece and read back without holding the bulky arrays in memory.

`write_json` streams a value whose arrays may be generators (a queue's million messages is never
one list). Bytes become `{"$b64": "..."}` so binary data comes back as bytes, not as its text.
`Reader` parses with ijson (the C yajl backend): everything but the *bulk* arrays (whose ijson
prefixes the caller names) is built; each bulk array becomes a `Bulk`, a lazy list whose items
ijson builds in C from the file again when a loader iterates them, one at a time, each checked
against its schema as it comes (opening restores into a fresh lab, so a bad item deep in the
file still changes nothing).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

import ijson

BYTES_KEY = "$b64"
#: Deeper than any lab (a DynamoDB item nests 32 levels): beyond it a file is refused.
MAX_DEPTH = 200
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

    def stream(self, items: Iterator[Any]) -> None:
        """A generator's items, encoded a thousand at a time by the C encoder.

        Items of a generator array are flat data (no generators inside them).
        """
        self.put("[")
        first = True
        while True:
            chunk = list(islice(items, 1000))
            if not chunk:
                break
            text = self.dumps(chunk)
            self.put(("\n" if first else ",\n") + text[1:-1].replace("},{", "},\n{"))
            first = False
        self.put("]")

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
        elif isinstance(value, Iterator):
            self.stream(value)
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
    """A bulky array of a lab file, read again from the file (item by item) when iterated."""

    def __init__(
        self, reader: Reader, prefix: str, ordinal: int, count: int, path: list[Any]
    ) -> None:
        super().__init__()
        self.reader = reader
        self.prefix = prefix
        self.ordinal = ordinal
        self.count = count
        self.path = path

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[Any]:
        return self.reader.bulk_items(self)


ItemCheck = Callable[[Any, list[Any]], None]


class _Cursor:
    """Where the reading of one bulk prefix's items stands."""

    def __init__(self, stream: IO[bytes], items: Iterator[Any]) -> None:
        self.stream = stream
        self.items = items
        self.next_ordinal = 0


class Reader:
    """One lab file: its skeleton (built in Python) and its bulk arrays (built by ijson in C)."""

    def __init__(self, open_file: Callable[[], IO[bytes]], bulk: dict[str, ItemCheck]) -> None:
        self.open_file = open_file
        self.bulk = bulk
        self.arrays: dict[str, list[Bulk]] = {prefix: [] for prefix in bulk}
        self._cursors: dict[str, _Cursor] = {}

    def skeleton(self) -> Any:
        """The document with each bulk array replaced by a `Bulk` (items not yet checked)."""
        with self.open_file() as stream:
            events = ijson.parse(stream, use_float=True)
            try:
                return _Builder(self, events).build()
            except ijson.JSONError as error:
                raise _not_json(error) from None

    def bulk_items(self, array: Bulk) -> Iterator[Any]:
        """The items of one bulk array, in order (arrays are best read in document order)."""
        cursor = self._cursors.get(array.prefix)
        if cursor is None or array.ordinal < cursor.next_ordinal:
            if cursor is not None:
                cursor.stream.close()
            stream = self.open_file()
            cursor = _Cursor(stream, ijson.items(stream, array.prefix + ".item", use_float=True))
            self._cursors[array.prefix] = cursor
        items = cursor.items
        for skipped in self.arrays[array.prefix][cursor.next_ordinal : array.ordinal]:
            for _ in range(skipped.count):
                next(items)
        cursor.next_ordinal = array.ordinal + 1
        path = array.path
        check = self.bulk[array.prefix]
        try:
            for index in range(array.count):
                where = [*path, index]
                item = decode_tree(next(items), where)
                check(item, where)  # raises FileFormatError naming `where`
                yield item
        except (ijson.JSONError, StopIteration) as error:
            raise _not_json(error) from None

    def close(self) -> None:
        """Close the files bulk reading left open."""
        for cursor in self._cursors.values():
            cursor.stream.close()
        self._cursors.clear()


def _not_json(error: BaseException) -> FileFormatError:
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):  # yajl's messages come as bytes
        detail = detail.decode("utf-8", "replace")
    text = str(detail).strip()
    first_line = text.splitlines()[0].strip() if text else "it ends early"
    return FileFormatError("", f"is not JSON ({first_line})")


class _Builder:
    """Builds the skeleton from ijson events, tracking the JSON path of what it builds."""

    def __init__(self, reader: Reader, events: Iterator[tuple[str, str, Any]]) -> None:
        self.reader = reader
        self.events = events
        self.path: list[Any] = []

    def build(self) -> Any:
        prefix, event, value = next(self.events)
        return self.value(prefix, event, value)

    def value(self, prefix: str, event: str, value: Any) -> Any:
        if event == "start_map":
            return self.mapping()
        if event == "start_array":
            if prefix in self.reader.bulk:
                return self.bulk_array(prefix)
            return self.array()
        return value

    def mapping(self) -> Any:
        result: dict[str, Any] = {}
        events = self.events
        path = self.path
        if len(path) > MAX_DEPTH:
            raise _too_deep(path)
        for _prefix, event, value in events:
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
        if len(path) > MAX_DEPTH:
            raise _too_deep(path)
        path.append(0)
        for prefix, event, value in events:
            if event == "end_array":
                path.pop()
                return result
            path[-1] = len(result)
            result.append(self.value(prefix, event, value))
        raise FileFormatError(json_path(path), "the file ends early")

    def bulk_array(self, prefix: str) -> Bulk:
        """Skip a bulk array, counting its items (they are built later, in C)."""
        depth = 0
        count = 0
        for _prefix, event, _value in self.events:
            if depth == 0:
                if event == "end_array":
                    arrays = self.reader.arrays[prefix]
                    array = Bulk(self.reader, prefix, len(arrays), count, list(self.path))
                    arrays.append(array)
                    return array
                count += 1
            if event == "start_map" or event == "start_array":
                depth += 1
            elif event == "end_map" or event == "end_array":
                depth -= 1
        raise FileFormatError(json_path(self.path), "the file ends early")


def _too_deep(path: list[Any]) -> FileFormatError:
    return FileFormatError(json_path(path[:8]) + "…", f"nested more than {MAX_DEPTH} levels deep")


def decode_tree(value: Any, path: list[Any]) -> Any:
    """Turn `{"$b64": …}` members back into bytes, in place (C-built items)."""
    if len(path) > MAX_DEPTH:
        raise _too_deep(path)
    if type(value) is dict:
        if len(value) == 1 and BYTES_KEY in value:
            return _decode_bytes(value[BYTES_KEY], path)
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                value[key] = decode_tree(item, [*path, key])
    elif type(value) is list:
        for index, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                value[index] = decode_tree(item, [*path, index])
    return value


def _decode_bytes(text: Any, path: list[Any]) -> bytes:
    if not isinstance(text, str):
        raise FileFormatError(json_path([*path, BYTES_KEY]), "expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise FileFormatError(json_path([*path, BYTES_KEY]), "is not valid base64") from None
