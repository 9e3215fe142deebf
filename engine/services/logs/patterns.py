"""CloudWatch Logs filter patterns: terms, JSON and space-delimited patterns, and %regex%.

`compile_pattern(text) -> FilterPattern` parses once (raising `PatternError` for what AWS
refuses as "Invalid filter pattern"); `pattern.match(message) -> dict | None` gives the
extracted values (`$.path` or `$field` → value) of a matching message, None otherwise.

Grammar (AWS's "Filter pattern syntax for metric filters, subscription filters, and filter
log events"):

    pattern   := "" | terms | "{" json "}" | "[" fields "]" | "%" regex "%"
    terms     := (["?" | "-"] (word | "quoted phrase" | %regex%))*
    json      := or ; or := and ("||" and)* ; and := unit ("&&" unit)*
    unit      := "(" json ")" | selector op value | selector "IS" (TRUE|FALSE|NULL)
               | selector "NOT" "EXISTS" | selector "EXISTS"
    fields    := field ("," field)* ; field := "..." | name [cond (("&&"|"||") cond)*]
    cond      := name op value
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_OPS = ("<=", ">=", "!=", "=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<regex>%(?:[^%\\]|\\.)*%)
      | (?P<selector>\$(?:[^\s"(){}\[\],=<>!&|]|\[[^\]]*\])*)
      | (?P<op>&&|\|\||<=|>=|!=|=|<|>|\(|\)|\{|\}|\[|\]|,)
      | (?P<word>[^\s"(){}\[\],=<>!&|]+)
    )""",
    re.VERBOSE,
)


class PatternError(ValueError):
    """A filter pattern AWS would refuse."""


Matcher = Callable[[str], "dict[str, Any] | None"]


@dataclass(slots=True)
class FilterPattern:
    """A compiled filter pattern."""

    text: str
    kind: str  # all | terms | json | delimited | regex
    _match: Matcher

    def match(self, message: str) -> dict[str, Any] | None:
        """The extracted values when `message` matches, else None."""
        return self._match(message)


def compile_pattern(text: str | None) -> FilterPattern:
    """Parse a filter pattern (raises PatternError)."""
    source = (text or "").strip()
    if not source:
        return FilterPattern(text or "", "all", lambda _message: {})
    if source.startswith("{"):
        if not source.endswith("}"):
            raise PatternError("Invalid character(s) in term")
        return FilterPattern(text or "", "json", _json_pattern(source[1:-1]))
    if source.startswith("["):
        if not source.endswith("]"):
            raise PatternError("Invalid character(s) in term")
        return FilterPattern(text or "", "delimited", _delimited_pattern(source[1:-1]))
    return FilterPattern(text or "", "terms", _terms_pattern(source))


# -- tokens -------------------------------------------------------------------------------------
def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise PatternError(f"Invalid character(s) in term '{text[position:]}'")
        kind = found.lastgroup or "word"
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _unquote(text: str) -> str:
    return json.loads(text) if text.startswith('"') else text


def _regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text[1:-1])
    except re.error as error:
        raise PatternError(f"Invalid regex: {error}") from None


# -- terms ------------------------------------------------------------------------------------
def _terms_pattern(text: str) -> Matcher:
    required: list[Callable[[str], bool]] = []
    optional: list[Callable[[str], bool]] = []
    excluded: list[Callable[[str], bool]] = []
    for kind, value in _tokens(text):
        bucket = required
        if kind == "word" and value[0] in "?-" and len(value) > 1:
            bucket = optional if value[0] == "?" else excluded
            value = value[1:]
            kind = "regex" if value.startswith("%") and value.endswith("%") else kind
        elif kind == "op":
            raise PatternError(f"Invalid character(s) in term '{value}'")
        if kind == "regex":
            pattern = _regex(value)
            bucket.append(lambda m, p=pattern: p.search(m) is not None)
        else:
            term = _unquote(value)
            bucket.append(lambda m, t=term: t in m)

    def match(message: str) -> dict[str, Any] | None:
        if not all(test(message) for test in required):
            return None
        if optional and not any(test(message) for test in optional):
            return None
        if any(test(message) for test in excluded):
            return None
        return {}

    return match


# -- values and comparisons ---------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _wildcard(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in text) + r"\Z", re.S)


def _comparison(op: str, kind: str, raw: str) -> Callable[[Any], bool]:
    """A test of one value against `op raw` (numbers numerically, strings with * wildcards)."""
    if kind == "regex":
        if op not in ("=", "!="):
            raise PatternError("Regex values only support = and !=")
        pattern = _regex(raw)
        equal = op == "="
        return lambda v: isinstance(v, str) and (pattern.search(v) is not None) == equal
    literal = _unquote(raw)
    number = None if kind == "string" else _number(literal)
    if number is not None:

        def numeric(value: Any) -> bool:
            have = _number(value)
            if have is None:
                return op == "!=" and value is not None
            return _compare(op, have, number)

        return numeric
    if op not in ("=", "!="):
        raise PatternError(f"Invalid comparison of a string with {op}")
    wildcard = _wildcard(literal) if "*" in literal else None

    def textual(value: Any) -> bool:
        if value is None or isinstance(value, dict | list):
            return op == "!="
        shown = value if isinstance(value, str) else json.dumps(value)
        same = wildcard.match(shown) is not None if wildcard else shown == literal
        return same if op == "=" else not same

    return textual


def _compare(op: str, left: float, right: float) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


# -- JSON patterns ------------------------------------------------------------------------------
_MISSING = object()
_SELECTOR_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _selector(text: str) -> Callable[[Any], Any]:
    if not text.startswith("$"):
        raise PatternError(f"Invalid selector '{text}': it must start with $")
    parts: list[str | int] = []
    position = 1
    while position < len(text):
        found = _SELECTOR_PART.match(text, position)
        if found is None:
            raise PatternError(f"Invalid selector '{text}'")
        if found.group(1) is not None:
            parts.append(found.group(1))
        else:
            index = found.group(2)
            parts.append(-1 if index == "*" else int(index))
        position = found.end()

    def select(document: Any) -> Any:
        value = document
        for part in parts:
            if isinstance(part, str):
                if not isinstance(value, dict) or part not in value:
                    return _MISSING
                value = value[part]
            elif part == -1:
                if not isinstance(value, list):
                    return _MISSING
                value = ("*", value)
                return value
            else:
                if not isinstance(value, list) or part >= len(value):
                    return _MISSING
                value = value[part]
        return value

    return select


class _JsonParser:
    """Recursive descent over the tokens between the braces."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0
        self.selectors: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError("Unexpected end of JSON pattern")
        self.position += 1
        return token

    def parse(self) -> Callable[[Any], bool]:
        test = self.disjunction()
        if self.peek() is not None:
            raise PatternError(f"Unexpected '{self.peek()[1]}' in JSON pattern")  # type: ignore[index]
        return test

    def disjunction(self) -> Callable[[Any], bool]:
        tests = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            tests.append(self.conjunction())
        return tests[0] if len(tests) == 1 else lambda d: any(t(d) for t in tests)

    def conjunction(self) -> Callable[[Any], bool]:
        tests = [self.unit()]
        while self.peek() == ("op", "&&"):
            self.take()
            tests.append(self.unit())
        return tests[0] if len(tests) == 1 else lambda d: all(t(d) for t in tests)

    def unit(self) -> Callable[[Any], bool]:
        kind, value = self.take()
        if (kind, value) == ("op", "("):
            test = self.disjunction()
            if self.take() != ("op", ")"):
                raise PatternError("Missing ) in JSON pattern")
            return test
        if kind != "selector":
            raise PatternError(f"Invalid selector '{value}' in JSON pattern")
        self.selectors.append(value)
        select = _selector(value)
        kind, op = self.take()
        if kind == "word" and op.upper() == "IS":
            _, what = self.take()
            expected = {"TRUE": True, "FALSE": False, "NULL": None}.get(what.upper(), _MISSING)
            if expected is _MISSING:
                raise PatternError(f"Invalid IS comparison '{what}'")
            return lambda d: _each(select(d), lambda v: v is expected and v is not _MISSING)
        if kind == "word" and op.upper() == "NOT":
            _, what = self.take()
            if what.upper() != "EXISTS":
                raise PatternError(f"Invalid NOT comparison '{what}'")
            return lambda d: select(d) is _MISSING
        if kind == "word" and op.upper() == "EXISTS":
            return lambda d: select(d) is not _MISSING
        if kind != "op" or op not in _OPS:
            raise PatternError(f"Invalid operator '{op}' in JSON pattern")
        value_kind, raw = self.take()
        if value_kind == "op":
            raise PatternError(f"Invalid value '{raw}' in JSON pattern")
        compare = _comparison(op, value_kind, raw)
        return lambda d: _each(select(d), lambda v: v is not _MISSING and compare(v))


def _each(value: Any, test: Callable[[Any], bool]) -> bool:
    """`$.list[*]` matches when any element does."""
    if isinstance(value, tuple) and value and value[0] == "*":
        return any(test(item) for item in value[1])
    return test(value)


def _json_pattern(body: str) -> Matcher:
    parser = _JsonParser(_tokens(body))
    test = parser.parse()
    selectors = [(s, _selector(s)) for s in parser.selectors]

    def match(message: str) -> dict[str, Any] | None:
        start = message.lstrip()[:1]
        if start not in ("{", "["):
            return None
        try:
            document = json.loads(message)
        except ValueError:
            return None
        if not test(document):
            return None
        extracted = {}
        for name, select in selectors:
            value = select(document)
            if value is not _MISSING and not isinstance(value, tuple):
                extracted[name] = value
        return extracted

    match.select = lambda message, selector: _json_value(message, selector)  # type: ignore[attr-defined]
    return match


def _json_value(message: str, selector: str) -> Any:
    try:
        value = _selector(selector)(json.loads(message))
    except (ValueError, PatternError):
        return None
    return None if value is _MISSING or isinstance(value, tuple) else value


# -- space-delimited patterns ---------------------------------------------------------------------
_FIELD_TOKEN = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')


def split_fields(message: str) -> list[str]:
    """A space-delimited log line's fields: quoted strings and [bracketed] parts are one field."""
    return [
        next(g for g in found.groups() if g is not None) for found in _FIELD_TOKEN.finditer(message)
    ]


@dataclass(slots=True)
class _Field:
    name: str  # "..." for the ellipsis
    test: Callable[[str], bool] | None


def _delimited_pattern(body: str) -> Matcher:
    tokens = _tokens(body)
    fields: list[_Field] = []
    position = 0

    def take() -> tuple[str, str] | None:
        nonlocal position
        if position >= len(tokens):
            return None
        position += 1
        return tokens[position - 1]

    while position < len(tokens):
        kind, name = take()  # type: ignore[misc]
        if kind != "word":
            raise PatternError(f"Invalid field '{name}' in space-delimited pattern")
        tests: list[Callable[[str], bool]] = []
        joins: list[str] = []
        while position < len(tokens) and tokens[position] != ("op", ","):
            kind, value = take()  # type: ignore[misc]
            if kind == "op" and value in ("&&", "||"):
                joins.append(value)
                kind, value = take() or ("", "")
            if kind == "word" and value == name:
                kind, value = take() or ("", "")
            if kind != "op" or value not in _OPS:
                raise PatternError(f"Invalid condition on field '{name}'")
            value_kind, raw = take() or ("", "")
            if value_kind not in ("word", "string", "regex"):
                raise PatternError(f"Invalid value in condition on field '{name}'")
            tests.append(_comparison(value, value_kind, raw))
        if position < len(tokens):
            take()  # the comma
        fields.append(_Field(name, _joined(tests, joins) if tests else None))

    names = [f.name for f in fields if f.name != "..."]
    if len(set(names)) != len(names):
        raise PatternError("Duplicate field names in space-delimited pattern")

    def match(message: str) -> dict[str, Any] | None:
        values = split_fields(message)
        extracted: dict[str, Any] = {}
        if _match_fields(fields, 0, values, 0, extracted):
            return extracted
        return None

    return match


def _joined(tests: list[Callable[[str], bool]], joins: list[str]) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        result = tests[0](value)
        for join, other in zip(joins, tests[1:], strict=False):
            result = (result and other(value)) if join == "&&" else (result or other(value))
        return result

    return test


def _match_fields(
    fields: list[_Field], fi: int, values: list[str], vi: int, extracted: dict[str, Any]
) -> bool:
    if fi == len(fields):
        return vi == len(values)
    field = fields[fi]
    if field.name == "...":
        for skip in range(len(values) - vi, -1, -1):
            if _match_fields(fields, fi + 1, values, vi + skip, extracted):
                return True
        return False
    if vi >= len(values):
        return False
    value = values[vi]
    if field.test is not None and not field.test(value):
        return False
    extracted[f"${field.name}"] = value
    if _match_fields(fields, fi + 1, values, vi + 1, extracted):
        return True
    extracted.pop(f"${field.name}", None)
    return False


def metric_value(expression: str, message: str, extracted: dict[str, Any]) -> float | None:
    """A metric transformation's value for one matched event (a number, `$.path` or `$field`)."""
    if not expression.startswith("$"):
        return _number(expression)
    if expression in extracted:
        return _number(extracted[expression])
    if expression.startswith("$."):
        return _number(_json_value(message, expression))
    return None
