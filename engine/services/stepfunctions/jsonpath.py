"""JSONPath as Step Functions evaluates it: `$`, `$$`, dots, brackets, slices, wildcards, filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


class PathError(Exception):
    """A path that does not resolve against a document; `message` words it as AWS does."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PathSyntaxError(ValueError):
    """A path whose text is not valid JSONPath."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One step of a path: a key, an index, a wildcard, a slice, a union, a filter or a descent."""

    kind: str  # key | index | wild | slice | union | filter | descend
    value: Any = None


@dataclass(frozen=True, slots=True)
class CompiledPath:
    """A parsed path: which root it starts from and its segments."""

    text: str
    context: bool  # starts with $$ (the context object)
    segments: tuple[Segment, ...]

    @property
    def definite(self) -> bool:
        """Whether the path selects at most one value (no wildcard, slice, union, filter)."""
        return all(s.kind in ("key", "index") for s in self.segments)


_NAME = re.compile(r"[^.\[\]()\s'\"]+")


@lru_cache(maxsize=4096)
def compile_path(text: str) -> CompiledPath:
    """Parse a JSONPath (cached); raises PathSyntaxError for bad syntax."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"The value for the field must be a valid JSONPath: {text}")
    context = text.startswith("$$")
    pos = 2 if context else 1
    segments: list[Segment] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if text.startswith("..", pos):
            pos += 2
            match = _NAME.match(text, pos)
            if match is None:
                if pos < n and text[pos] == "*":
                    segments.append(Segment("descend", None))
                    pos += 1
                    continue
                raise PathSyntaxError(f"Invalid JSONPath: {text}")
            segments.append(Segment("descend", match.group()))
            pos = match.end()
        elif ch == ".":
            pos += 1
            if pos < n and text[pos] == "*":
                segments.append(Segment("wild"))
                pos += 1
                continue
            match = _NAME.match(text, pos)
            if match is None:
                raise PathSyntaxError(f"Invalid JSONPath: {text}")
            segments.append(Segment("key", match.group()))
            pos = match.end()
        elif ch == "[":
            close, segment = _bracket(text, pos + 1)
            segments.append(segment)
            pos = close + 1
        else:
            raise PathSyntaxError(f"Invalid JSONPath: {text}")
    return CompiledPath(text, context, tuple(segments))


def _bracket(text: str, pos: int) -> tuple[int, Segment]:
    """Parse the inside of `[...]` starting at `pos`; returns the index of `]` and the segment."""
    if text.startswith("?(", pos):
        depth = 0
        i = pos + 1
        while i < len(text):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if i >= len(text) or not text.startswith("]", i + 1):
            raise PathSyntaxError(f"Invalid JSONPath: {text}")
        return i + 1, Segment("filter", _compile_filter(text[pos + 2 : i]))
    close = _find_close(text, pos)
    inner = text[pos:close].strip()
    if inner == "*":
        return close, Segment("wild")
    parts = _split_union(inner)
    if len(parts) > 1:
        return close, Segment("union", tuple(_single(p, text) for p in parts))
    return close, _single(inner, text)


def _find_close(text: str, pos: int) -> int:
    quote = None
    for i in range(pos, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "]":
            return i
    raise PathSyntaxError(f"Invalid JSONPath: {text}")


def _split_union(inner: str) -> list[str]:
    parts, quote, start = [], None, 0
    for i, ch in enumerate(inner):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return parts


def _single(part: str, text: str) -> Segment:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return Segment("key", part[1:-1])
    if ":" in part:
        bounds = [int(b) if b.strip() else None for b in part.split(":")]
        while len(bounds) < 3:
            bounds.append(None)
        return Segment("slice", tuple(bounds[:3]))
    try:
        return Segment("index", int(part))
    except ValueError:
        raise PathSyntaxError(f"Invalid JSONPath: {text}") from None


_FILTER = re.compile(r"^\s*@((?:\.[^\s=!<>]+|\[[^\]]+\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$")


def _compile_filter(expression: str) -> tuple[CompiledPath, str | None, Any]:
    match = _FILTER.match(expression)
    if match is None:
        raise PathSyntaxError(f"Unsupported JSONPath filter: {expression}")
    sub = compile_path("$" + match.group(1))
    op = match.group(2)
    literal: Any = None
    if op:
        raw = match.group(3).strip()
        if raw[:1] in "'\"":
            literal = raw[1:-1]
        elif raw in ("true", "false"):
            literal = raw == "true"
        elif raw == "null":
            literal = None
        else:
            literal = float(raw) if "." in raw else int(raw)
    return sub, op, literal


_MISSING = object()


def _filter_holds(item: Any, spec: tuple[CompiledPath, str | None, Any]) -> bool:
    sub, op, literal = spec
    value = _definite(sub.segments, item)
    if value is _MISSING:
        return False
    if op is None:
        return True
    try:
        if op == "==":
            return value == literal
        if op == "!=":
            return value != literal
        if op == "<":
            return value < literal
        if op == "<=":
            return value <= literal
        if op == ">":
            return value > literal
        return value >= literal
    except TypeError:
        return False


def _definite(segments: tuple[Segment, ...], value: Any) -> Any:
    for segment in segments:
        if segment.kind == "key":
            if isinstance(value, dict) and segment.value in value:
                value = value[segment.value]
            else:
                return _MISSING
        else:
            if isinstance(value, list) and -len(value) <= segment.value < len(value):
                value = value[segment.value]
            else:
                return _MISSING
    return value


def _bracketed(segments: tuple[Segment, ...]) -> str:
    out = "$"
    for s in segments:
        out += f"['{s.value}']" if s.kind == "key" else f"[{s.value}]"
    return out


def _select(segments: tuple[Segment, ...], value: Any) -> list[Any]:
    """All values an indefinite path selects."""
    current = [value]
    for segment in segments:
        nxt: list[Any] = []
        kind = segment.kind
        for v in current:
            if kind == "key":
                if isinstance(v, dict) and segment.value in v:
                    nxt.append(v[segment.value])
            elif kind == "index":
                if isinstance(v, list) and -len(v) <= segment.value < len(v):
                    nxt.append(v[segment.value])
            elif kind == "wild":
                if isinstance(v, dict):
                    nxt.extend(v.values())
                elif isinstance(v, list):
                    nxt.extend(v)
            elif kind == "slice":
                if isinstance(v, list):
                    start, stop, step = segment.value
                    nxt.extend(v[slice(start, stop, step)])
            elif kind == "union":
                for part in segment.value:
                    nxt.extend(_select((part,), v))
            elif kind == "filter":
                items = (
                    v if isinstance(v, list) else list(v.values()) if isinstance(v, dict) else []
                )
                nxt.extend(item for item in items if _filter_holds(item, segment.value))
            elif kind == "descend":
                _descend(v, segment.value, nxt)
        current = nxt
    return current


def _descend(value: Any, name: str | None, out: list[Any]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if name is None or key == name:
                out.append(child)
            _descend(child, name, out)
    elif isinstance(value, list):
        for child in value:
            if name is None:
                out.append(child)
            _descend(child, name, out)


def evaluate(path: CompiledPath, document: Any) -> Any:
    """The value `path` selects in `document`; raises PathError when a definite path misses."""
    segments = path.segments
    if not segments:
        return document
    if path.definite:
        value = document
        last = len(segments) - 1
        for i, segment in enumerate(segments):
            if segment.kind == "key":
                if isinstance(value, dict) and segment.value in value:
                    value = value[segment.value]
                    continue
            elif isinstance(value, list) and -len(value) <= segment.value < len(value):
                value = value[segment.value]
                continue
            where = _bracketed(segments[: i + 1])
            if i == last:
                raise PathError(f"No results for path: {where}")
            raise PathError(f"Missing property in path {where}")
        return value
    return _select(segments, document)


def exists(path: CompiledPath, document: Any) -> bool:
    """Whether `path` selects anything in `document` (IsPresent)."""
    if path.definite:
        return _definite(path.segments, document) is not _MISSING
    return bool(_select(path.segments, document))


def assign(document: Any, path: CompiledPath, value: Any) -> Any:
    """A copy of `document` with `value` placed at a definite `path` (ResultPath), making objects."""
    segments = path.segments
    if not segments:
        return value
    if not path.definite:
        raise PathError(f"Invalid path '{path.text}': ResultPath must be a definite path")
    root = _shallow(document) if isinstance(document, (dict, list)) else {}
    if not isinstance(document, dict) and segments[0].kind == "key":
        raise PathError(
            f"Unable to apply ResultPath '{path.text}' to input of type {_type_name(document)}"
        )
    target = root
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment.kind == "key":
            if not isinstance(target, dict):
                raise PathError(f"Unable to apply ResultPath '{path.text}'")
            if last:
                target[segment.value] = value
            else:
                child = target.get(segment.value)
                child = _shallow(child) if isinstance(child, (dict, list)) else {}
                target[segment.value] = child
                target = child
        else:
            if not isinstance(target, list) or not -len(target) <= segment.value < len(target):
                raise PathError(f"Unable to apply ResultPath '{path.text}'")
            if last:
                target[segment.value] = value
            else:
                child = target[segment.value]
                child = _shallow(child) if isinstance(child, (dict, list)) else {}
                target[segment.value] = child
                target = child
    return root


def _shallow(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
