"""CloudWatch Logs Insights: StartQuery / GetQueryResults / StopQuery / DescribeQueries.

A query is a pipeline of commands separated by `|`: `fields`, `display`, `filter`, `stats … by`
(with `bin(5m)`), `sort`, `limit`, `parse` (glob or /regex/ with named groups) and `dedup`.
Records carry @timestamp, @message, @logStream, @log, @ingestionTime, the fields of JSON
messages (flattened with dots) and, for Lambda REPORT lines, @type/@requestId/@duration/….
Queries run to completion on StartQuery (the lab's logs are small); status is then Complete.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import ServiceError

if TYPE_CHECKING:
    from .service import LogsService

Record = dict[str, Any]
Expr = Callable[[Record], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<regex>/(?:[^/\\]|\\.)+/[a-z]*)
      | (?P<duration>\d+(?:\.\d+)?(?:ms|s|m|h|d|w|mo|q|y)\b)
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<op>=~|!=|<=|>=|=|<|>|\(|\)|,|\+|-|\*|/|%|\[|\])
      | (?P<name>`[^`]+`|[@A-Za-z_][\w.@$-]*)
    )""",
    re.VERBOSE,
)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2592000,
          "q": 7776000, "y": 31536000}  # fmt: skip
_REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\tDuration: (?P<duration>[\d.]+) ms\tBilled Duration: "
    r"(?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\tMax Memory Used: (?P<used>\d+) MB"
)
DEFAULT_LIMIT = 1000


class QueryError(ValueError):
    """A query AWS would refuse with MalformedQueryException."""


def _malformed(message: str) -> ServiceError:
    return ServiceError(
        "MalformedQueryException",
        message,
        extra={"queryCompileError": {"location": {"start": 0, "end": 0}, "message": message}},
    )


# -- expressions ----------------------------------------------------------------------------------
class _Parser:
    """Expressions inside commands: boolean logic, comparisons, arithmetic, functions."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            found = _TOKEN.match(text, position)
            if found is None or found.end() == position:
                raise QueryError(f"unexpected symbol: {text[position : position + 20]!r}")
            kind = found.lastgroup or "name"
            self.tokens.append((kind, found.group(kind)))
            position = found.end()
        self.position = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "name" and token[1].lower() in words

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("unexpected end of query")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise QueryError(f"expected {value!r}, found {token[1]!r}")

    def done(self) -> bool:
        return self.position >= len(self.tokens)

    # grammar
    def expression(self) -> Expr:
        return self.disjunction()

    def disjunction(self) -> Expr:
        left = self.conjunction()
        while self.at_word("or"):
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda r: bool(a(r)) or bool(b(r)))(left, right)
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.at_word("and"):
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda r: bool(a(r)) and bool(b(r)))(left, right)
        return left

    def negation(self) -> Expr:
        if self.at_word("not"):
            self.take()
            inner = self.negation()
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.additive()
        negate = False
        if self.at_word("not") and self.peek(1) and self.peek(1)[1].lower() in ("like", "in"):  # type: ignore[index]
            self.take()
            negate = True
        token = self.peek()
        if token is None:
            return left
        kind, value = token
        if kind == "op" and value in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.additive()
            return _comparison(value, left, right)
        if (kind == "op" and value == "=~") or (kind == "name" and value.lower() == "like"):
            self.take()
            right_kind, right_value = self.take()
            if right_kind == "regex":
                pattern = _regex(right_value)
            else:
                pattern = re.compile(re.escape(str(_literal(right_kind, right_value))))

            def test(record: Record) -> bool:
                text = _text(left(record))
                return text is not None and pattern.search(text) is not None

            return (lambda r: not test(r)) if negate else test
        if kind == "name" and value.lower() == "in":
            self.take()
            self.expect("[")
            items = []
            while self.peek() and self.peek()[1] != "]":  # type: ignore[index]
                items.append(self.additive())
                if self.peek() and self.peek()[1] == ",":  # type: ignore[index]
                    self.take()
            self.expect("]")
            test = lambda r: any(_equal(left(r), item(r)) for item in items)  # noqa: E731
            return (lambda r: not test(r)) if negate else test
        return left

    def additive(self) -> Expr:
        left = self.multiplicative()
        while self.peek() and self.peek()[0] == "op" and self.peek()[1] in "+-":  # type: ignore[index]
            op = self.take()[1]
            right = self.multiplicative()
            left = _arithmetic(op, left, right)
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while self.peek() and self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "%"):  # type: ignore[index]
            op = self.take()[1]
            right = self.unary()
            left = _arithmetic(op, left, right)
        return left

    def unary(self) -> Expr:
        if self.peek() == ("op", "-"):
            self.take()
            inner = self.unary()
            return lambda r: -_number(inner(r)) if _number(inner(r)) is not None else None
        return self.primary()

    def primary(self) -> Expr:
        kind, value = self.take()
        if kind == "op" and value == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if kind in ("string", "number", "duration", "regex"):
            literal = _literal(kind, value)
            return lambda r: literal
        if kind == "name":
            if self.peek() == ("op", "("):
                return self.call(value)
            name = value.strip("`")
            return lambda r: r.get(name)
        raise QueryError(f"unexpected {value!r}")

    def call(self, name: str) -> Expr:
        self.expect("(")
        args: list[Expr] = []
        raw: list[tuple[str, str]] = []
        while self.peek() and self.peek() != ("op", ")"):
            raw.append(self.peek())  # type: ignore[arg-type]
            args.append(self.expression())
            if self.peek() == ("op", ","):
                self.take()
        self.expect(")")
        function = _FUNCTIONS.get(name.lower())
        if function is None:
            raise QueryError(f"unknown function {name}")
        if name.lower() == "bin":
            seconds = _literal(*raw[0]) if raw else 60
            period = float(seconds) * 1000
            return lambda r: _bin(r.get("@timestamp"), period)
        return lambda r: function(*[a(r) for a in args])


def _regex(text: str) -> re.Pattern[str]:
    body, _, flags = text[1:].rpartition("/")
    return re.compile(body, re.I if "i" in flags else 0)


def _literal(kind: str, value: str) -> Any:
    if kind == "string":
        return value[1:-1].encode().decode("unicode_escape")
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "duration":
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * _UNITS[unit]
    if kind == "regex":
        return value
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return _text(left) == _text(right)


def _comparison(op: str, left: Expr, right: Expr) -> Expr:
    def test(record: Record) -> bool:
        a, b = left(record), right(record)
        if a is None or b is None:
            return False
        if op == "=":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        x, y = _number(a), _number(b)
        if x is None or y is None:
            x, y = _text(a), _text(b)  # type: ignore[assignment]
        if op == "<":
            return x < y  # type: ignore[operator]
        if op == "<=":
            return x <= y  # type: ignore[operator]
        if op == ">":
            return x > y  # type: ignore[operator]
        return x >= y  # type: ignore[operator]

    return test


def _arithmetic(op: str, left: Expr, right: Expr) -> Expr:
    def compute(record: Record) -> Any:
        a, b = _number(left(record)), _number(right(record))
        if a is None or b is None:
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            return None
        return a / b if op == "/" else a % b

    return compute


def _bin(timestamp: Any, period_ms: float) -> Any:
    if timestamp is None or period_ms <= 0:
        return None
    return int(timestamp // period_ms * period_ms)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "bin": _bin,
    "strlen": lambda s: len(_text(s) or ""),
    "toupper": lambda s: (_text(s) or "").upper(),
    "tolower": lambda s: (_text(s) or "").lower(),
    "trim": lambda s: (_text(s) or "").strip(),
    "concat": lambda *parts: "".join(_text(p) or "" for p in parts),
    "ispresent": lambda v: v is not None,
    "isempty": lambda v: v is None or v == "",
    "isblank": lambda v: v is None or str(v).strip() == "",
    "coalesce": lambda *values: next((v for v in values if v is not None), None),
    "abs": lambda v: abs(_number(v)) if _number(v) is not None else None,
    "ceil": lambda v: math.ceil(_number(v)) if _number(v) is not None else None,
    "floor": lambda v: math.floor(_number(v)) if _number(v) is not None else None,
    "round": lambda v, d=0: round(_number(v), int(d)) if _number(v) is not None else None,
    "substr": lambda s, start, length=None: (_text(s) or "")[
        int(start) : None if length is None else int(start) + int(length)
    ],
    "replace": lambda s, a, b: (_text(s) or "").replace(str(a), str(b)),
    "strcontains": lambda s, sub: int(str(sub) in (_text(s) or "")),
    "tonumber": _number,
    "tostring": _text,
    "fromMillis": lambda v: _stamp(v),
}


def _stamp(timestamp_ms: Any) -> str | None:
    value = _number(timestamp_ms)
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


# -- aggregates ---------------------------------------------------------------------------------------
_AGGREGATES = {"count", "sum", "avg", "min", "max", "count_distinct", "pct", "stddev",
               "earliest", "latest", "sortsfirst", "sortslast"}  # fmt: skip


@dataclass(slots=True)
class Aggregate:
    """One stats function over a group of records."""

    name: str  # the output field name
    function: str
    args: list[Expr]
    star: bool

    def compute(self, records: list[Record]) -> Any:
        function = self.function
        if function == "count":
            if self.star or not self.args:
                return len(records)
            return sum(1 for r in records if self.args[0](r) is not None)
        values = [self.args[0](r) for r in records] if self.args else []
        if function == "count_distinct":
            return len({_text(v) for v in values if v is not None})
        if function in ("earliest", "latest", "sortsfirst", "sortslast"):
            ordered = sorted(
                (r for r in records if self.args[0](r) is not None),
                key=lambda r: r.get("@timestamp", 0),
            )
            if not ordered:
                return None
            chosen = ordered[0] if function in ("earliest", "sortsfirst") else ordered[-1]
            return self.args[0](chosen)
        numbers = [n for n in (_number(v) for v in values) if n is not None]
        if not numbers:
            return None
        if function == "sum":
            return sum(numbers)
        if function == "avg":
            return sum(numbers) / len(numbers)
        if function == "min":
            return min(numbers)
        if function == "max":
            return max(numbers)
        if function == "stddev":
            mean = sum(numbers) / len(numbers)
            return math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers))
        percent = _number(self.args[1]({})) if len(self.args) > 1 else 50
        ordered = sorted(numbers)
        index = max(0, math.ceil(len(ordered) * (percent or 0) / 100) - 1)
        return ordered[min(index, len(ordered) - 1)]


# -- commands ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class Query:
    """A compiled query: filters and projections applied in order, then stats/sort/limit."""

    steps: list[Callable[[list[Record]], list[Record]]] = field(default_factory=list)
    shown: list[str] | None = None
    aggregated: bool = False
    sorted: bool = False
    limit: int | None = None


def _split(text: str, separator: str) -> list[str]:
    """Split on `separator` outside quotes, regexes and brackets."""
    parts, current, quote, depth = [], [], "", 0
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            continue
        if char in "'\"`/" and (char != "/" or not current or current[-1] in " (,"):
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _aliased(text: str) -> tuple[str, str | None]:
    found = re.match(r"(.*?)\s+as\s+([@\w.`-]+)\s*$", text, re.S | re.I)
    if found:
        return found.group(1).strip(), found.group(2).strip("`")
    return text.strip(), None


def _compile_expression(text: str) -> Expr:
    parser = _Parser(text)
    expression = parser.expression()
    if not parser.done():
        raise QueryError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return expression


def compile_query(text: str) -> Query:
    """Parse a Logs Insights query (raises QueryError)."""
    query = Query()
    for command_text in _split(text, "|"):
        if not command_text:
            raise QueryError("empty command")
        command, _, rest = command_text.partition(" ")
        command = command.lower()
        rest = rest.strip()
        if command in ("fields", "display"):
            projections = []
            for item in _split(rest, ","):
                expression_text, alias = _aliased(item)
                name = alias or expression_text.strip("`")
                projections.append((name, _compile_expression(expression_text)))
            names = [n for n, _ in projections]
            if command == "display":
                query.shown = names
            else:
                query.shown = (query.shown or []) + [
                    n for n in names if n not in (query.shown or [])
                ]
            query.steps.append(_project(projections))
        elif command == "filter":
            test = _compile_expression(rest)
            query.steps.append(lambda records, t=test: [r for r in records if t(r)])
        elif command == "stats":
            query.steps.append(_stats(rest, query))
        elif command == "sort":
            query.steps.append(_sort(rest))
            query.sorted = True
        elif command == "limit":
            if not rest.isdigit() or not 0 < int(rest) <= 10000:
                raise QueryError("limit must be a number from 1 to 10000")
            query.limit = int(rest) if query.limit is None else min(query.limit, int(rest))
        elif command == "parse":
            query.steps.append(_parse(rest))
        elif command == "dedup":
            keys = [k.strip("` ") for k in _split(rest, ",")]
            query.steps.append(_dedup(keys))
        else:
            raise QueryError(f"unexpected command: {command}")
    return query


def _project(projections: list[tuple[str, Expr]]) -> Callable[[list[Record]], list[Record]]:
    def apply(records: list[Record]) -> list[Record]:
        for record in records:
            for name, expression in projections:
                record[name] = expression(record)
        return records

    return apply


def _stats(text: str, query: Query) -> Callable[[list[Record]], list[Record]]:
    found = re.match(r"(.*?)\s+by\s+(.*)$", text, re.S | re.I)
    aggregates_text, keys_text = (found.group(1), found.group(2)) if found else (text, "")
    aggregates = []
    for item in _split(aggregates_text, ","):
        expression_text, alias = _aliased(item)
        call = re.match(r"(\w+)\s*\((.*)\)\s*$", expression_text, re.S)
        if call is None or call.group(1).lower() not in _AGGREGATES:
            raise QueryError(f"stats needs an aggregate function: {expression_text}")
        inner = call.group(2).strip()
        star = inner in ("*", "")
        args = [] if star else [_compile_expression(a) for a in _split(inner, ",")]
        aggregates.append(
            Aggregate(alias or expression_text.replace(" ", ""), call.group(1).lower(), args, star)
        )
    keys = []
    for item in _split(keys_text, ",") if keys_text else []:
        expression_text, alias = _aliased(item)
        keys.append((alias or expression_text.replace(" ", ""), _compile_expression(expression_text),
                     expression_text.lower().startswith("bin(")))  # fmt: skip
    query.aggregated = True
    query.shown = [k for k, _, _ in keys] + [a.name for a in aggregates]

    def apply(records: list[Record]) -> list[Record]:
        groups: dict[tuple, list[Record]] = {}
        for record in records:
            groups.setdefault(tuple(_text(k(record)) for _, k, _ in keys), []).append(record)
        out = []
        for group_key, members in groups.items():
            row: Record = {}
            for (name, expression, is_bin), value in zip(keys, group_key, strict=True):
                row[name] = _stamp(expression(members[0])) if is_bin else value
                if is_bin:
                    row["@timestamp"] = expression(members[0])
            for aggregate in aggregates:
                row[aggregate.name] = aggregate.compute(members)
            out.append(row)
        if any(is_bin for _, _, is_bin in keys):
            out.sort(key=lambda r: r.get("@timestamp") or 0, reverse=True)
        return out

    return apply


def _sort(text: str) -> Callable[[list[Record]], list[Record]]:
    orders = []
    for item in _split(text, ","):
        words = item.split()
        descending = len(words) > 1 and words[-1].lower() == "desc"
        name = " ".join(
            words[:-1] if len(words) > 1 and words[-1].lower() in ("asc", "desc") else words
        )
        orders.append((_compile_expression(name), descending))

    def apply(records: list[Record]) -> list[Record]:
        for expression, descending in reversed(orders):
            present = [r for r in records if expression(r) is not None]
            missing = [r for r in records if expression(r) is None]
            numeric = all(_number(expression(r)) is not None for r in present)
            convert = _number if numeric else _text
            present.sort(key=lambda r, e=expression, c=convert: c(e(r)), reverse=descending)
            records = present + missing
        return records

    return apply


def _parse(text: str) -> Callable[[list[Record]], list[Record]]:
    found = re.match(r"(\S+)\s+(.*)$", text, re.S)
    if found is None:
        raise QueryError("parse needs a field and a pattern")
    source, pattern_text = found.group(1).strip("`"), found.group(2).strip()
    if pattern_text.startswith("/"):
        pattern = _regex(pattern_text)
        names = list(pattern.groupindex)
    else:
        glob_match = re.match(r"""(['"])(.*)\1\s+as\s+(.*)$""", pattern_text, re.S | re.I)
        if glob_match is None:
            raise QueryError("parse needs 'pattern' as field, ...")
        glob, names = glob_match.group(2), [n.strip() for n in glob_match.group(3).split(",")]
        pieces = glob.split("*")
        if len(pieces) - 1 != len(names):
            raise QueryError("parse: the number of * must equal the number of fields")
        pattern = re.compile(
            "(.*?)".join(re.escape(p) for p in pieces[:-1]) + "(.*)" + re.escape(pieces[-1])
            if len(pieces) > 1
            else re.escape(glob),
            re.S,
        )  # noqa: E501

    def apply(records: list[Record]) -> list[Record]:
        for record in records:
            matched = pattern.search(_text(record.get(source)) or "")
            for index, name in enumerate(names, start=1):
                record[name] = matched.group(index) if matched else None
        return records

    return apply


def _dedup(keys: list[str]) -> Callable[[list[Record]], list[Record]]:
    def apply(records: list[Record]) -> list[Record]:
        seen: set[tuple] = set()
        kept = []
        for record in records:
            key = tuple(_text(record.get(k)) for k in keys)
            if key not in seen:
                seen.add(key)
                kept.append(record)
        return kept

    return apply


# -- records ----------------------------------------------------------------------------------------------
def _flatten(value: Any, prefix: str, out: Record) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    elif prefix:
        out[prefix] = value


def record_of(account: str, group: str, stream: str, event: Any) -> Record:
    """An event as Logs Insights sees it, with discovered fields."""
    message = event.message
    record: Record = {
        "@timestamp": event.timestamp,
        "@message": message,
        "@logStream": stream,
        "@log": f"{account}:{group}",
        "@ingestionTime": event.ingestion_time,
        "@ptr": event.event_id,
    }
    head = message.lstrip()[:1]
    if head == "{":
        try:
            document = json.loads(message)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", record)
    elif message.startswith("REPORT RequestId"):
        found = _REPORT.match(message)
        if found:
            record.update(
                {
                    "@type": "REPORT",
                    "@requestId": found.group("id"),
                    "@duration": float(found.group("duration")),
                    "@billedDuration": int(found.group("billed")),
                    "@memorySize": int(found.group("memory")) * 1_000_000,
                    "@maxMemoryUsed": int(found.group("used")) * 1_000_000,
                }
            )
    return record


def run_query(query: Query, records: list[Record], limit: int | None) -> list[Record]:
    """Apply a compiled query to records (newest first unless sorted)."""
    records = sorted(records, key=lambda r: r["@timestamp"], reverse=True)
    for step in query.steps:
        records = step(records)
    cap = min(
        x
        for x in (
            query.limit,
            limit,
            DEFAULT_LIMIT if query.limit is None and limit is None else None,
        )
        if x is not None
    )
    return records[:cap]


def _shown(value: Any, name: str) -> str | None:
    if name in ("@timestamp", "@ingestionTime") and _number(value) is not None:
        return _stamp(value)
    return _text(value)


@dataclass(slots=True)
class QueryRun:
    """A started query and its results."""

    query_id: str
    text: str
    groups: list[str]
    created: int
    status: str
    results: list[list[dict[str, str]]]
    statistics: dict[str, float]


class Insights:
    """The Logs Insights operations (delegated from LogsService)."""

    OPERATIONS = ("start_query", "get_query_results", "stop_query", "describe_queries",
                  "get_log_record")  # fmt: skip

    def __init__(self, service: LogsService) -> None:
        self.service = service
        self.queries: dict[str, QueryRun] = {}
        self._pointers: dict[str, Record] = {}

    def start_query(self, params: dict) -> dict:
        service = self.service
        names = list(params.get("logGroupNames") or [])
        if params.get("logGroupName"):
            names.append(params["logGroupName"])
        names += list(params.get("logGroupIdentifiers") or [])
        if not names and not params["queryString"].lower().startswith("source"):
            raise ServiceError(
                "InvalidParameterException",
                "Log group name or identifier must be specified.",
            )
        groups = []
        for name in names:
            group = service.group(name)
            if group is None:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Log group '{name}' does not exist for account ID '{service.account_id}' "
                    "(Service: AWSLogs; Status Code: 400; Error Code: ResourceNotFoundException)",
                )
            groups.append(group)
        if params["endTime"] < params["startTime"]:
            raise ServiceError(
                "InvalidParameterException", "End time should not be before the start time"
            )
        try:
            query = compile_query(params["queryString"])
        except QueryError as error:
            raise _malformed(str(error)) from None
        start, end = params["startTime"] * 1000, (params["endTime"] + 1) * 1000
        records, scanned_bytes = [], 0
        for group in groups:
            for stream in group.streams.values():
                service._expire(group, stream)
                low, high = stream.window(start, end)
                for event in stream.events[low:high]:
                    scanned_bytes += len(event.message)
                    records.append(record_of(service.account_id, group.name, stream.name, event))
        scanned = len(records)
        try:
            rows = run_query(query, records, params.get("limit"))
        except (TypeError, ValueError) as error:
            raise _malformed(str(error)) from None
        results = []
        for row in rows:
            names_shown = query.shown or ["@timestamp", "@message"]
            cells = [
                {"field": name, "value": _shown(row.get(name), name)}
                for name in names_shown
                if row.get(name) is not None
            ]
            if not query.aggregated and row.get("@ptr"):
                cells.append({"field": "@ptr", "value": row["@ptr"]})
                self._pointers[row["@ptr"]] = row
            results.append(cells)
        run = QueryRun(
            service.ids.uuid(),
            params["queryString"],
            [g.name for g in groups],
            service.now_ms(),
            "Complete",
            results,
            {
                "recordsMatched": float(len(rows) if not query.aggregated else scanned),
                "recordsScanned": float(scanned),
                "bytesScanned": float(scanned_bytes),
            },
        )
        self.queries[run.query_id] = run
        return {"queryId": run.query_id}

    def _run(self, query_id: str) -> QueryRun:
        run = self.queries.get(query_id)
        if run is None:
            raise ServiceError("ResourceNotFoundException", "Query does not exist.")
        return run

    def get_query_results(self, params: dict) -> dict:
        run = self._run(params["queryId"])
        return {
            "queryLanguage": "CWLI",
            "results": [[dict(cell) for cell in row] for row in run.results],
            "statistics": dict(run.statistics),
            "status": run.status,
        }

    def stop_query(self, params: dict) -> dict:
        run = self._run(params["queryId"])
        if run.status in ("Scheduled", "Running"):
            run.status = "Cancelled"
            return {"success": True}
        return {"success": False}

    def describe_queries(self, params: dict) -> dict:
        group = params.get("logGroupName")
        status = params.get("status")
        queries = [
            {
                "queryLanguage": "CWLI",
                "queryId": run.query_id,
                "queryString": run.text,
                "status": run.status,
                "createTime": run.created,
                "logGroupName": run.groups[0] if run.groups else "",
            }
            for run in self.queries.values()
            if (group is None or group in run.groups) and (status is None or run.status == status)
        ]
        return {"queries": queries[: params.get("maxResults", 1000)]}

    def get_log_record(self, params: dict) -> dict:
        record = self._pointers.get(params["logRecordPointer"])
        if record is None:
            raise ServiceError("InvalidParameterException", "Log record pointer is not valid.")
        return {"logRecord": {k: _shown(v, k) or "" for k, v in record.items() if v is not None}}
