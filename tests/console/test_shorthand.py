"""The AWS CLI's shorthand syntax."""

from __future__ import annotations

import pytest

from tui.console.shorthand import ShorthandError, parse_explicit_list, parse_shorthand


def test_key_value_pairs() -> None:
    assert parse_shorthand("Key=Value,Key2=Value2") == {"Key": "Value", "Key2": "Value2"}


def test_csv_list_value() -> None:
    assert parse_shorthand("a=b,c,d=e") == {"a": ["b", "c"], "d": "e"}


def test_explicit_list_and_nested_hash() -> None:
    assert parse_shorthand("Key=[a,b],Other={A=1,B=[x]}") == {
        "Key": ["a", "b"],
        "Other": {"A": "1", "B": ["x"]},
    }


def test_quoted_values_keep_commas() -> None:
    assert parse_shorthand("Body='a,b',Other=\"c\"") == {"Body": "a,b", "Other": "c"}


def test_escaped_comma() -> None:
    assert parse_shorthand(r"A=x\,y") == {"A": "x,y"}


def test_value_may_contain_equals_sign() -> None:
    assert parse_shorthand("Filter=a=b") == {"Filter": "a=b"}


def test_missing_equals_is_an_error() -> None:
    with pytest.raises(ShorthandError, match="Expected: '='"):
        parse_shorthand("Key")


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ShorthandError, match="Second instance"):
        parse_shorthand("A=1,A=2")


def test_unclosed_list_is_an_error() -> None:
    with pytest.raises(ShorthandError):
        parse_shorthand("A=[1,2")


def test_explicit_list_of_scalars() -> None:
    assert parse_explicit_list("[a, b ,c]") == ["a", "b", "c"]
