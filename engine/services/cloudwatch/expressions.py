"""Metric math for GetMetricData: arithmetic over series and the common functions.

Values are scalars, time series ({timestamp: value}) or arrays of series. Supported: + - * / ^,
parentheses, [a, b] arrays, query ids, METRICS([filter]), SUM/AVG/MIN/MAX/STDDEV (of an array:
per timestamp; of one series: a scalar), FILL(m, value|REPEAT), RATE, DIFF, DIFF_TIME, ABS,
CEIL, FLOOR, LOG, LOG10, SQRT, PERIOD, RUNNING_SUM, FIRST/LAST.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Series = dict[int, float]
Value = float | Series | list[Series]

_TOKEN = re.compile(
    r"""\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>"[^"]*"|'[^']*')|(?P<name>[A-Za-z_][\w]*)
    |(?P<op>[-+*/^(),\[\]]))""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """A metric math expression CloudWatch would refuse."""


class Evaluator:
    """Evaluates one expression against the other queries' results."""

    def __init__(
        self,
        text: str,
        results: dict[str, Series],
        labels: dict[str, str],
        period: int,
        timestamps: list[int],
    ) -> None:
        self.tokens = self._tokenize(text)
        self.position = 0
        self.results = results
        self.labels = labels
        self.period = period
        self.timestamps = timestamps

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        text = text.strip()
        while position < len(text):
            found = _TOKEN.match(text, position)
            if found is None or found.end() == position:
                raise ExpressionError(f"Unexpected character at position {position}: {text}")
            kind = found.lastgroup or "op"
            tokens.append((kind, found.group(kind)))
            position = found.end()
        return tokens

    def evaluate(self) -> Value:
        value = self.sum()
        if self.position != len(self.tokens):
            raise ExpressionError(f"Unexpected token {self.tokens[self.position][1]!r}")
        return value

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError("Unexpected end of expression")
        self.position += 1
        return token

    def sum(self) -> Value:
        left = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            left = _binary(op, left, self.product())
        return left

    def product(self) -> Value:
        left = self.power()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            left = _binary(op, left, self.power())
        return left

    def power(self) -> Value:
        left = self.unary()
        if self.peek() == ("op", "^"):
            self.take()
            left = _binary("^", left, self.unary())
        return left

    def unary(self) -> Value:
        if self.peek() == ("op", "-"):
            self.take()
            return _binary("*", -1.0, self.unary())
        return self.primary()

    def primary(self) -> Value:
        kind, value = self.take()
        if kind == "number":
            return float(value)
        if kind == "string":
            return value[1:-1]  # type: ignore[return-value]
        if (kind, value) == ("op", "("):
            inner = self.sum()
            self.expect(")")
            return inner
        if (kind, value) == ("op", "["):
            items: list[Series] = []
            while self.peek() != ("op", "]"):
                item = self.sum()
                items.extend(
                    item if isinstance(item, list) else [_as_series(item, self.timestamps)]
                )
                if self.peek() == ("op", ","):
                    self.take()
            self.expect("]")
            return items
        if kind == "name":
            if self.peek() == ("op", "("):
                return self.call(value.upper())
            if value in self.results:
                return dict(self.results[value])
            raise ExpressionError(f"Unknown metric id {value}")
        raise ExpressionError(f"Unexpected token {value!r}")

    def expect(self, op: str) -> None:
        if self.take() != ("op", op):
            raise ExpressionError(f"Expected {op!r}")

    def call(self, name: str) -> Value:
        self.expect("(")
        args: list[Any] = []
        while self.peek() != ("op", ")"):
            if self.peek() and self.peek()[0] == "name" and self.peek()[1].upper() == "REPEAT":  # type: ignore[index]
                self.take()
                args.append("REPEAT")
            else:
                args.append(self.sum())
            if self.peek() == ("op", ","):
                self.take()
        self.expect(")")
        if name == "METRICS":
            wanted = args[0] if args else ""
            return [
                dict(series)
                for key, series in self.results.items()
                if key in self.labels and wanted in self.labels[key]
            ]
        if name == "PERIOD":
            return float(self.period)
        function = _FUNCTIONS.get(name)
        if function is None:
            raise ExpressionError(f"Unsupported function {name}")
        return function(self, *args)


def _as_series(value: Value, timestamps: list[int]) -> Series:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        raise ExpressionError("An array of series is not valid here")
    return {t: value for t in timestamps}


def _apply(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "^":
        return a**b
    if b == 0:
        return math.nan
    return a / b


def _binary(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, list):
        return [_binary(op, item, right) for item in left]  # type: ignore[misc]
    if isinstance(right, list):
        return [_binary(op, left, item) for item in right]  # type: ignore[misc]
    if isinstance(left, dict) and isinstance(right, dict):
        return {t: _apply(op, left[t], right[t]) for t in left if t in right}
    if isinstance(left, dict):
        return {t: _apply(op, v, right) for t, v in left.items()}  # type: ignore[arg-type]
    if isinstance(right, dict):
        return {t: _apply(op, left, v) for t, v in right.items()}
    return _apply(op, left, right)


def _reduce(reducer: Callable[[list[float]], float]) -> Callable[..., Value]:
    def function(evaluator: Evaluator, value: Value) -> Value:
        if isinstance(value, list):
            stamps = sorted({t for series in value for t in series})
            return {
                t: reducer([s[t] for s in value if t in s])
                for t in stamps
                if any(t in s for s in value)
            }
        if isinstance(value, dict):
            return reducer(list(value.values())) if value else math.nan
        return value

    return function


def _pointwise(transform: Callable[[float], float]) -> Callable[..., Value]:
    def function(evaluator: Evaluator, value: Value) -> Value:
        if isinstance(value, list):
            return [{t: transform(v) for t, v in s.items()} for s in value]
        if isinstance(value, dict):
            return {t: transform(v) for t, v in value.items()}
        return transform(value)

    return function


def _fill(evaluator: Evaluator, value: Value, fill: Any) -> Value:
    if isinstance(value, list):
        return [_fill(evaluator, s, fill) for s in value]  # type: ignore[misc]
    series = _as_series(value, evaluator.timestamps)
    out: Series = {}
    last = None
    for stamp in sorted(set(evaluator.timestamps) | set(series)):
        if stamp in series:
            last = out[stamp] = series[stamp]
        elif fill == "REPEAT":
            if last is not None:
                out[stamp] = last
        elif isinstance(fill, dict):
            if stamp in fill:
                out[stamp] = fill[stamp]
        else:
            out[stamp] = float(fill)
    return out


def _difference(per_second: bool, rate: bool) -> Callable[..., Value]:
    def function(evaluator: Evaluator, value: Value) -> Value:
        if isinstance(value, list):
            return [function(evaluator, s) for s in value]  # type: ignore[misc]
        series = _as_series(value, evaluator.timestamps)
        stamps = sorted(series)
        out: Series = {}
        for before, after in zip(stamps, stamps[1:], strict=False):
            if rate:
                out[after] = (series[after] - series[before]) / (after - before)
            elif per_second:
                out[after] = float(after - before)
            else:
                out[after] = series[after] - series[before]
        return out

    return function


def _running_sum(evaluator: Evaluator, value: Value) -> Value:
    series = _as_series(value, evaluator.timestamps)
    total, out = 0.0, {}
    for stamp in sorted(series):
        total += series[stamp]
        out[stamp] = total
    return out


def _stddev(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "SUM": _reduce(sum),
    "AVG": _reduce(lambda values: sum(values) / len(values)),
    "MIN": _reduce(min),
    "MAX": _reduce(max),
    "STDDEV": _reduce(_stddev),
    "ABS": _pointwise(abs),
    "CEIL": _pointwise(math.ceil),
    "FLOOR": _pointwise(math.floor),
    "SQRT": _pointwise(lambda v: math.sqrt(v) if v >= 0 else math.nan),
    "LOG": _pointwise(lambda v: math.log(v) if v > 0 else math.nan),
    "LOG10": _pointwise(lambda v: math.log10(v) if v > 0 else math.nan),
    "FILL": _fill,
    "RATE": _difference(False, True),
    "DIFF": _difference(False, False),
    "DIFF_TIME": _difference(True, False),
    "RUNNING_SUM": _running_sum,
}


def evaluate(
    text: str,
    results: dict[str, Series],
    labels: dict[str, str],
    period: int,
    timestamps: list[int],
) -> Value:
    """Evaluate a metric math expression (raises ExpressionError)."""
    return Evaluator(text, results, labels, period, timestamps).evaluate()
