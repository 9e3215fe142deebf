"""JSONata evaluation for `{% %}` fields, with `$states`, variables and Step Functions' extra functions."""

from __future__ import annotations

import hashlib
import json
import random
from functools import lru_cache
from typing import Any

import jsonata
from jsonata.functions import Functions
from jsonata.jexception import JException
from jsonata.utils import Utils

from .intrinsics import IntrinsicError, _array_partition, _array_range

UNDEFINED = object()


class JsonataFailure(Exception):
    """A JSONata expression that failed: `reason` completes AWS's sentence about the field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JsonataSyntaxError(ValueError):
    """An expression that does not parse."""


def is_expression(value: Any) -> bool:
    """Whether a string is a `{% ... %}` JSONata expression."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    """The expression inside `{% ... %}`."""
    return value[2:-2].strip()


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> jsonata.Jsonata:
    """Parse a JSONata expression (cached); raises JsonataSyntaxError when it does not parse."""
    try:
        expression = jsonata.Jsonata(text)
    except JException as error:
        raise JsonataSyntaxError(f"{error.error}: {error}") from None
    except Exception as error:  # the parser raises plain errors on some malformed input
        raise JsonataSyntaxError(str(error)) from None
    expression.set_output_convert_nulls(False)
    return expression


def _partition(array: Any, size: Any) -> Any:
    return _call_intrinsic(_array_partition, [array, size])


def _range(start: Any, end: Any, step: Any) -> Any:
    result = _call_intrinsic(_array_range, [start, end, step])
    # A JSONata sequence of one item is that item.
    return result[0] if len(result) == 1 else result


def _hash(data: Any, algorithm: Any) -> str:
    names = {
        "MD5": "md5",
        "SHA-1": "sha1",
        "SHA-256": "sha256",
        "SHA-384": "sha384",
        "SHA-512": "sha512",
    }
    if algorithm not in names:
        raise ValueError(f"Unsupported hash algorithm: {algorithm}")
    text = data if isinstance(data, str) else json.dumps(to_python(data), separators=(",", ":"))
    return hashlib.new(names[algorithm], text.encode()).hexdigest()


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise ValueError("$parse expects a JSON string")
    return to_jsonata(json.loads(text))


def _call_intrinsic(function: Any, values: list[Any]) -> Any:
    try:
        return function([to_python(v) for v in values], random.Random())
    except IntrinsicError as error:
        raise ValueError(error.message) from None


def _functions(rng: random.Random, uuid_source: Any, now_ms: int | None) -> dict[str, Any]:
    lam = jsonata.Jsonata.JLambda
    clock: dict[str, Any] = {}
    if now_ms is not None:
        # $now() and $millis() read the engine clock, not the wall clock.
        clock = {
            "now": lam(
                lambda picture=None, timezone=None: Functions.datetime_from_millis(
                    now_ms, picture, timezone
                )
            ),
            "millis": lam(lambda: now_ms),
        }
    return {
        **clock,
        "partition": lam(_partition),
        "range": lam(_range),
        "hash": lam(_hash),
        "random": lam(lambda *seed: random.Random(seed[0]).random() if seed else rng.random()),
        "uuid": lam(uuid_source),
        "parse": lam(_parse),
    }


def to_jsonata(value: Any) -> Any:
    """A JSON value as a binding: a top-level None becomes JSONata null (not undefined)."""
    return Utils.NULL_VALUE if value is None else value


def to_python(value: Any) -> Any:
    """A JSONata result as plain JSON data; raises TypeError for functions."""
    if value is None or value is Utils.NULL_VALUE:
        return None
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_python(v) for v in value]
    raise TypeError("unsupported result type")


def evaluate(
    text: str,
    states: dict[str, Any],
    variables: dict[str, Any],
    rng: random.Random,
    uuid_source: Any,
    now_ms: int | None = None,
) -> Any:
    """Evaluate expression `text`; returns UNDEFINED when it yields nothing, raises JsonataFailure."""
    try:
        expression = compile_expression(text)
    except JsonataSyntaxError as error:
        raise JsonataFailure(f"threw an error during evaluation. {error}") from None
    bindings = {name: to_jsonata(value) for name, value in variables.items()}
    bindings.update(_functions(rng, uuid_source, now_ms))
    bindings["states"] = states
    try:
        result = expression.evaluate(None, bindings)
    except JException as error:
        raise JsonataFailure(f"threw an error during evaluation. {error.error}: {error}") from None
    except Exception as error:
        raise JsonataFailure(f"threw an error during evaluation. {error}") from None
    if result is None:
        return UNDEFINED
    try:
        return to_python(result)
    except TypeError:
        raise JsonataFailure("returned an unsupported result type.") from None
