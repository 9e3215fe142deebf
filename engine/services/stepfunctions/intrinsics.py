"""Intrinsic functions (`States.Format(...)` and friends): a tokenizer, a parser and the functions."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .jsonpath import CompiledPath, PathSyntaxError, compile_path


class IntrinsicError(Exception):
    """An intrinsic function call that failed; AWS reports it as States.IntrinsicFailure."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IntrinsicSyntaxError(ValueError):
    """Text that is not a well-formed intrinsic function call."""


# -- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: kind is name, string, number, path, var, lparen, rparen, comma, literal."""

    kind: str
    value: Any
    pos: int


_LITERALS = {"true": True, "false": False, "null": None}


def tokenize(text: str) -> list[Token]:
    """Split an intrinsic call into tokens; raises IntrinsicSyntaxError on stray characters."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(Token("lparen", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(Token("rparen", ch, i))
            i += 1
        elif ch == ",":
            tokens.append(Token("comma", ch, i))
            i += 1
        elif ch == "'":
            value, i = _string(text, i + 1)
            tokens.append(Token("string", value, i))
        elif ch == "$":
            start = i
            i = _path_end(text, i)
            raw = text[start:i].rstrip()
            kind = "path" if raw.startswith("$$") or raw[:2] in ("$", "$.", "$[") else "var"
            tokens.append(Token(kind, raw, start))
        elif ch == "-" or ch.isdigit():
            start = i
            i += 1
            while i < n and (text[i].isdigit() or text[i] in ".eE+-"):
                i += 1
            raw = text[start:i]
            try:
                number: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                raise IntrinsicSyntaxError(f"Invalid number '{raw}'") from None
            tokens.append(Token("number", number, start))
        elif ch.isalpha():
            start = i
            while i < n and (text[i].isalnum() or text[i] in "._"):
                i += 1
            word = text[start:i]
            if word in _LITERALS:
                tokens.append(Token("literal", _LITERALS[word], start))
            else:
                tokens.append(Token("name", word, start))
        else:
            raise IntrinsicSyntaxError(f"Unexpected character '{ch}' at position {i}")
    return tokens


def _string(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            # Only \' is resolved here; States.Format needs \{ \} \\ intact (see _unescape).
            out.append("'" if text[i + 1] == "'" else text[i : i + 2])
            i += 2
            continue
        if ch == "'":
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise IntrinsicSyntaxError("Unterminated string literal")


def _path_end(text: str, i: int) -> int:
    """Index just past a path argument: up to a top-level ',' or ')'."""
    depth = 0
    quote = None
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and depth:
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            if depth == 0:
                return i
            depth -= 1
        elif ch == "," and depth == 0:
            return i
        i += 1
    return i


# -- syntax tree ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """A call of an intrinsic function with its argument nodes."""

    name: str
    args: tuple[Any, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal argument: string, number, boolean or null (`raw` keeps a string's escapes)."""

    value: Any
    raw: Any = None


@dataclass(frozen=True, slots=True)
class PathArg:
    """A JSONPath argument over the input (`$`) or the context object (`$$`)."""

    path: CompiledPath


@dataclass(frozen=True, slots=True)
class VarArg:
    """A variable reference argument, `$name` or `$name.path`."""

    name: str
    path: CompiledPath


def is_intrinsic(text: Any) -> bool:
    """Whether a `.$` value is an intrinsic call rather than a path."""
    return isinstance(text, str) and text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    """Parse an intrinsic call (cached); raises IntrinsicSyntaxError when malformed."""
    tokens = tokenize(text)
    call, pos = _call(tokens, 0, text)
    if pos != len(tokens):
        raise IntrinsicSyntaxError(f"Unexpected text after the function call in '{text}'")
    return call


def _call(tokens: list[Token], pos: int, text: str) -> tuple[Call, int]:
    if pos >= len(tokens) or tokens[pos].kind != "name":
        raise IntrinsicSyntaxError(f"Expected a function name in '{text}'")
    name = tokens[pos].value
    if name not in FUNCTIONS:
        raise IntrinsicSyntaxError(f"Unknown intrinsic function '{name}'")
    start = tokens[pos].pos
    pos += 1
    if pos >= len(tokens) or tokens[pos].kind != "lparen":
        raise IntrinsicSyntaxError(f"Expected '(' after {name}")
    pos += 1
    args: list[Any] = []
    if pos < len(tokens) and tokens[pos].kind == "rparen":
        return Call(name, (), text[start:]), pos + 1
    while True:
        if pos >= len(tokens):
            raise IntrinsicSyntaxError(f"Missing ')' in '{text}'")
        token = tokens[pos]
        if token.kind == "name":
            arg, pos = _call(tokens, pos, text)
            args.append(arg)
        elif token.kind == "string":
            args.append(Literal(_unescape(token.value), token.value))
            pos += 1
        elif token.kind in ("number", "literal"):
            args.append(Literal(token.value))
            pos += 1
        elif token.kind == "path":
            try:
                args.append(PathArg(compile_path(token.value)))
            except PathSyntaxError as error:
                raise IntrinsicSyntaxError(str(error)) from None
            pos += 1
        elif token.kind == "var":
            args.append(_variable(token.value))
            pos += 1
        else:
            raise IntrinsicSyntaxError(f"Unexpected '{token.value}' in '{text}'")
        if pos >= len(tokens):
            raise IntrinsicSyntaxError(f"Missing ')' in '{text}'")
        if tokens[pos].kind == "comma":
            pos += 1
            continue
        if tokens[pos].kind == "rparen":
            end = tokens[pos].pos
            return Call(name, tuple(args), text[start : end + 1]), pos + 1
        raise IntrinsicSyntaxError(f"Expected ',' or ')' in '{text}'")


def _unescape(text: str) -> str:
    """Resolve the backslash escapes left in a string literal."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _variable(raw: str) -> VarArg:
    body = raw[1:]
    cut = len(body)
    for sep in ".[":
        at = body.find(sep)
        if at != -1:
            cut = min(cut, at)
    name = body[:cut]
    try:
        return VarArg(name, compile_path("$" + body[cut:]))
    except PathSyntaxError as error:
        raise IntrinsicSyntaxError(str(error)) from None


# -- evaluation -----------------------------------------------------------------------------

Resolver = Callable[[Any], Any]


def evaluate(call: Call, resolve: Resolver, rng: random.Random | None = None) -> Any:
    """Run `call`; `resolve(arg)` gives the value of a path or variable argument."""
    values = [
        evaluate(a, resolve, rng)
        if isinstance(a, Call)
        else a.value
        if isinstance(a, Literal)
        else resolve(a)
        for a in call.args
    ]
    if call.name == "States.Format" and call.args and isinstance(call.args[0], Literal):
        # The template keeps its escapes so that \{} is not a placeholder.
        values[0] = call.args[0].raw if call.args[0].raw is not None else values[0]
    function = FUNCTIONS[call.name]
    return function(values, rng or random.Random())


def _arity(name: str, values: list[Any], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(values) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise IntrinsicError(
            f"Function {name} expects {expected} argument(s) but received {len(values)}"
        )


def _want(name: str, value: Any, kinds: tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and bool not in kinds:
        raise IntrinsicError(f"Function {name} expects {what} but received {_show(value)}")
    if not isinstance(value, kinds):
        raise IntrinsicError(f"Function {name} expects {what} but received {_show(value)}")
    return value


def _rounded(name: str, value: Any) -> int:
    """A number rounded half up, as Java's Math.round does (MathAdd accepts decimals)."""
    number = _want(name, value, (int, float), "a number")
    return math.floor(number + 0.5) if isinstance(number, float) else number


def _integer(name: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _want(name, value, (int,), "an integer")


def _show(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def to_format_text(value: Any) -> str:
    """How States.Format renders one argument (Java's toString of the JSON value)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(to_format_text(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}={to_format_text(v)}" for k, v in value.items()) + "}"


def _format(values: list[Any], rng: random.Random) -> str:
    if not values:
        raise IntrinsicError("Function States.Format expects at least 1 argument")
    template = _want("States.Format", values[0], (str,), "a string as its first argument")
    args = values[1:]
    out: list[str] = []
    i, used = 0, 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 2
            continue
        if template.startswith("{}", i):
            if used >= len(args):
                raise IntrinsicError("Function States.Format has more placeholders than arguments")
            out.append(to_format_text(args[used]))
            used += 1
            i += 2
            continue
        out.append(ch)
        i += 1
    if used != len(args):
        raise IntrinsicError("Function States.Format has more arguments than placeholders")
    return "".join(out)


def _string_to_json(values: list[Any], rng: random.Random) -> Any:
    _arity("States.StringToJson", values, 1)
    text = _want("States.StringToJson", values[0], (str,), "a string")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise IntrinsicError(
            f"Function States.StringToJson received invalid JSON: {text}"
        ) from None


def _json_to_string(values: list[Any], rng: random.Random) -> str:
    _arity("States.JsonToString", values, 1)
    return json.dumps(values[0], separators=(",", ":"), ensure_ascii=False)


def _array(values: list[Any], rng: random.Random) -> list:
    return list(values)


def _array_partition(values: list[Any], rng: random.Random) -> list:
    _arity("States.ArrayPartition", values, 2)
    array = _want("States.ArrayPartition", values[0], (list,), "an array")
    size = _integer("States.ArrayPartition", values[1])
    if size <= 0:
        raise IntrinsicError("Function States.ArrayPartition expects a chunk size greater than 0")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_contains(values: list[Any], rng: random.Random) -> bool:
    _arity("States.ArrayContains", values, 2)
    array = _want("States.ArrayContains", values[0], (list,), "an array")
    target = values[1]
    return any(_same(item, target) for item in array)


def _same(a: Any, b: Any) -> bool:
    """JSON equality (true is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _array_range(values: list[Any], rng: random.Random) -> list:
    _arity("States.ArrayRange", values, 3)
    start, end, step = (_integer("States.ArrayRange", v) for v in values)
    if step == 0:
        raise IntrinsicError("Function States.ArrayRange expects a non-zero step")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    if len(result) > 1000:
        raise IntrinsicError("Function States.ArrayRange can produce at most 1000 items")
    return result


def _array_get_item(values: list[Any], rng: random.Random) -> Any:
    _arity("States.ArrayGetItem", values, 2)
    array = _want("States.ArrayGetItem", values[0], (list,), "an array")
    index = _integer("States.ArrayGetItem", values[1])
    if not 0 <= index < len(array):
        raise IntrinsicError(f"Function States.ArrayGetItem index {index} is out of bounds")
    return array[index]


def _array_length(values: list[Any], rng: random.Random) -> int:
    _arity("States.ArrayLength", values, 1)
    return len(_want("States.ArrayLength", values[0], (list,), "an array"))


def _array_unique(values: list[Any], rng: random.Random) -> list:
    _arity("States.ArrayUnique", values, 1)
    array = _want("States.ArrayUnique", values[0], (list,), "an array")
    seen: list[Any] = []
    for item in array:
        if not any(_same(item, s) for s in seen):
            seen.append(item)
    return seen


def _base64_encode(values: list[Any], rng: random.Random) -> str:
    _arity("States.Base64Encode", values, 1)
    text = _want("States.Base64Encode", values[0], (str,), "a string")
    if len(text) > 10_000:
        raise IntrinsicError("Function States.Base64Encode accepts at most 10000 characters")
    return base64.b64encode(text.encode()).decode()


def _base64_decode(values: list[Any], rng: random.Random) -> str:
    _arity("States.Base64Decode", values, 1)
    text = _want("States.Base64Decode", values[0], (str,), "a string")
    if len(text) > 10_000:
        raise IntrinsicError("Function States.Base64Decode accepts at most 10000 characters")
    try:
        return base64.b64decode(text, validate=True).decode()
    except ValueError:
        raise IntrinsicError(
            f"Function States.Base64Decode received invalid base64: {text}"
        ) from None


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(values: list[Any], rng: random.Random) -> str:
    _arity("States.Hash", values, 2)
    data = values[0]
    if data is None:
        raise IntrinsicError("Function States.Hash expects data to hash but received null")
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    if len(text) > 10_000:
        raise IntrinsicError("Function States.Hash accepts at most 10000 characters")
    algorithm = _want("States.Hash", values[1], (str,), "an algorithm name")
    if algorithm not in _HASHES:
        raise IntrinsicError(
            f"Function States.Hash does not support the algorithm {algorithm}: "
            "use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
        )
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _json_merge(values: list[Any], rng: random.Random) -> dict:
    _arity("States.JsonMerge", values, 3)
    left = _want("States.JsonMerge", values[0], (dict,), "a JSON object")
    right = _want("States.JsonMerge", values[1], (dict,), "a JSON object")
    deep = values[2]
    if deep is not False:
        raise IntrinsicError("Function States.JsonMerge supports only a shallow merge (false)")
    return {**left, **right}


def _math_random(values: list[Any], rng: random.Random) -> int:
    _arity("States.MathRandom", values, 2, 3)
    start = _integer("States.MathRandom", values[0])
    end = _integer("States.MathRandom", values[1])
    if start >= end:
        raise IntrinsicError("Function States.MathRandom expects start to be less than end")
    source = random.Random(_integer("States.MathRandom", values[2])) if len(values) == 3 else rng
    return source.randrange(start, end)


def _math_add(values: list[Any], rng: random.Random) -> int:
    _arity("States.MathAdd", values, 2)
    return _rounded("States.MathAdd", values[0]) + _rounded("States.MathAdd", values[1])


def _string_split(values: list[Any], rng: random.Random) -> list[str]:
    _arity("States.StringSplit", values, 2)
    text = _want("States.StringSplit", values[0], (str,), "a string")
    delimiters = _want("States.StringSplit", values[1], (str,), "a delimiter string")
    parts, current = [], []
    for ch in text:
        if ch in delimiters:
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return parts


def _uuid(values: list[Any], rng: random.Random) -> str:
    _arity("States.UUID", values, 0)
    return str(uuid_module.UUID(int=rng.getrandbits(128), version=4))


FUNCTIONS: dict[str, Callable[[list[Any], random.Random], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
