"""JSONPath as Step Functions evaluates it."""

from __future__ import annotations

import pytest

from engine.services.stepfunctions.jsonpath import (
    PathError,
    PathSyntaxError,
    assign,
    compile_path,
    evaluate,
    exists,
)

DOC = {"a": {"b": [1, 2, {"c": "x"}]}, "items": [{"p": 5}, {"p": 15}], "k y": 1}


def test_dot_and_bracket_paths_select_the_same_value() -> None:
    assert evaluate(compile_path("$.a.b[2].c"), DOC) == "x"
    assert evaluate(compile_path("$['a']['b'][2]['c']"), DOC) == "x"


def test_root_path_returns_the_document() -> None:
    assert evaluate(compile_path("$"), DOC) is DOC


def test_missing_leaf_is_worded_as_aws_no_results() -> None:
    with pytest.raises(PathError) as caught:
        evaluate(compile_path("$.nope"), DOC)
    assert caught.value.message == "No results for path: $['nope']"


def test_missing_intermediate_is_worded_as_aws_missing_property() -> None:
    with pytest.raises(PathError) as caught:
        evaluate(compile_path("$.no.such.path"), DOC)
    assert caught.value.message == "Missing property in path $['no']"


def test_wildcard_and_filter_select_lists() -> None:
    assert evaluate(compile_path("$.items[*].p"), DOC) == [5, 15]
    assert evaluate(compile_path("$.items[?(@.p > 10)]"), DOC) == [{"p": 15}]


def test_slice_and_negative_index() -> None:
    assert evaluate(compile_path("$.a.b[0:2]"), DOC) == [1, 2]
    assert evaluate(compile_path("$.a.b[-1].c"), DOC) == "x"


def test_recursive_descent_finds_nested_keys() -> None:
    assert evaluate(compile_path("$..c"), DOC) == ["x"]


def test_exists_reports_presence_without_raising() -> None:
    assert exists(compile_path("$.a.b"), DOC)
    assert not exists(compile_path("$.a.z"), DOC)


def test_assign_places_a_value_and_leaves_the_input_unchanged() -> None:
    updated = assign(DOC, compile_path("$.a.result"), 7)
    assert updated["a"]["result"] == 7
    assert "result" not in DOC["a"]


def test_assign_creates_missing_objects() -> None:
    assert assign({}, compile_path("$.x.y"), 1) == {"x": {"y": 1}}


def test_bad_syntax_is_rejected() -> None:
    with pytest.raises(PathSyntaxError):
        compile_path("a.b")
