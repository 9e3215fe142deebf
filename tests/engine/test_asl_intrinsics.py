"""Intrinsic functions: the tokenizer/parser and each function's behaviour and errors."""

from __future__ import annotations

from typing import Any

import pytest

from engine.services.stepfunctions import intrinsics
from engine.services.stepfunctions.intrinsics import (
    IntrinsicError,
    IntrinsicSyntaxError,
    parse,
    tokenize,
)
from engine.services.stepfunctions.jsonpath import evaluate as path_evaluate


def run(text: str, document: Any = None) -> Any:
    """Evaluate an intrinsic call against `document`."""
    return intrinsics.evaluate(parse(text), lambda arg: path_evaluate(arg.path, document))


def test_tokenizer_separates_literals_paths_and_calls() -> None:
    kinds = [t.kind for t in tokenize("States.Array(1, 'a', $.x, true, null)")]
    assert kinds == [
        "name",
        "lparen",
        "number",
        "comma",
        "string",
        "comma",
        "path",
        "comma",
        "literal",
        "comma",
        "literal",
        "rparen",
    ]


def test_nested_calls_parse_and_run() -> None:
    assert run("States.ArrayLength(States.Array(1, 2, States.Array(3)))") == 3


def test_format_renders_values_as_aws_does() -> None:
    document = {"o": {"a": 1, "b": [True, None]}, "f": 1.5}
    assert run("States.Format('{} and {}', $.o, $.f)", document) == "{a=1, b=[true, null]} and 1.5"


def test_format_escaped_braces_are_literal() -> None:
    assert run(r"States.Format('\{\} {}', 'x')") == "{} x"


def test_escaped_quote_inside_a_string() -> None:
    assert run(r"States.Format('it\'s {}', 'ok')") == "it's ok"


def test_string_split_drops_empty_parts() -> None:
    assert run("States.StringSplit(',a,,b,', ',')") == ["a", "b"]


def test_array_partition_and_range() -> None:
    assert run("States.ArrayPartition(States.Array(1, 2, 3), 2)") == [[1, 2], [3]]
    assert run("States.ArrayRange(1, 9, 4)") == [1, 5, 9]


def test_array_unique_and_contains_distinguish_true_from_one() -> None:
    assert run("States.ArrayUnique(States.Array(1, true, 1))") == [1, True]
    assert run("States.ArrayContains(States.Array(1), true)") is False


def test_hash_and_base64() -> None:
    assert run("States.Hash('input data', 'MD5')") == "812f45842bc6d66ee14572ce20db8e86"
    assert run("States.Base64Decode(States.Base64Encode('hi'))") == "hi"


def test_json_round_trip_and_merge() -> None:
    assert run("States.StringToJson(States.JsonToString($.x))", {"x": {"a": [1]}}) == {"a": [1]}
    merged = run("States.JsonMerge($.a, $.b, false)", {"a": {"x": 1, "y": 1}, "b": {"y": 2}})
    assert merged == {"x": 1, "y": 2}


def test_math_add_rounds_half_up_like_java() -> None:
    assert run("States.MathAdd(1.5, -0.5)") == 2


def test_math_random_with_seed_repeats() -> None:
    assert run("States.MathRandom(1, 100, 7)") == run("States.MathRandom(1, 100, 7)")


def test_uuid_is_version_4() -> None:
    assert run("States.UUID()")[14] == "4"


def test_wrong_argument_count_is_an_intrinsic_error() -> None:
    with pytest.raises(IntrinsicError):
        run("States.ArrayLength(States.Array(1), 2)")


def test_out_of_range_index_is_an_intrinsic_error() -> None:
    with pytest.raises(IntrinsicError):
        run("States.ArrayGetItem(States.Array(1), 3)")


def test_unknown_function_is_a_syntax_error() -> None:
    with pytest.raises(IntrinsicSyntaxError):
        parse("States.Nope(1)")


def test_unclosed_call_is_a_syntax_error() -> None:
    with pytest.raises(IntrinsicSyntaxError):
        parse("States.Array(1, 2")
