"""The shared pattern matcher: grammar errors, SNS policy rules, and the compiled index."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError
from engine.patterns import (
    PatternIndex,
    matches,
    validate_event_pattern,
    validate_filter_policy,
)


def _reason(pattern: object) -> str:
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    with pytest.raises(ServiceError) as caught:
        validate_event_pattern(text)
    assert caught.value.code == "InvalidEventPatternException"
    return caught.value.message.removeprefix("Event pattern is not valid. Reason: ")


def test_event_pattern_is_returned_parsed() -> None:
    assert validate_event_pattern('{"source": ["app"]}') == {"source": ["app"]}


def test_bad_json_gets_jacksons_wording() -> None:
    assert _reason("{'a': 1}").startswith("Unexpected character (''' (code 39))")


def test_leaf_must_be_a_list() -> None:
    assert _reason({"detail": {"n": 5}}) == '"n" must be an object or an array'


def test_numeric_range_must_go_up() -> None:
    assert _reason({"n": [{"numeric": [">", 5, "<", 1]}]}) == "Bottom must be less than top"


def test_wildcard_with_consecutive_stars_is_refused() -> None:
    assert _reason({"f": [{"wildcard": "a**"}]}) == "Consecutive wildcard characters at pos 2"


def test_cidr_mask_beyond_the_address_size_is_refused() -> None:
    assert _reason({"ip": [{"cidr": "10.0.0.0/33"}]}).startswith("Malformed CIDR")


def test_keys_join_with_dots_on_both_sides() -> None:
    assert matches({"detail": {"a.b": ["x"]}}, {"detail": {"a": {"b": "x"}}})
    assert matches({"detail": {"a": {"b": ["x"]}}}, {"detail": {"a.b": "x"}})


def test_array_in_event_matches_if_any_element_does() -> None:
    assert matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": ["a", "b"]})


def test_numbers_compare_by_value_not_by_spelling() -> None:
    assert matches({"n": [300]}, {"n": 300.0})
    assert not matches({"n": [300]}, {"n": "300"})


def test_true_is_not_the_number_one() -> None:
    assert not matches({"n": [1]}, {"n": True})
    assert matches({"n": [True]}, {"n": True})


def test_exists_false_matches_a_missing_field() -> None:
    assert matches({"a": [{"exists": False}]}, {"b": 1})
    assert not matches({"a": [{"exists": False}]}, {"a": None})


def test_or_alternatives_each_carry_the_siblings() -> None:
    pattern = {"kind": ["x"], "$or": [{"a": [1]}, {"b": [2]}]}
    assert matches(pattern, {"kind": "x", "b": 2})
    assert not matches(pattern, {"kind": "y", "b": 2})


def test_index_returns_every_matching_key() -> None:
    index = PatternIndex()
    index.add("orders", {"source": ["shop"], "detail-type": ["Order"]})
    index.add("all-shop", {"source": ["shop"]})
    index.add("big", {"detail": {"total": [{"numeric": [">=", 100]}]}})
    event = {"source": "shop", "detail-type": "Order", "detail": {"total": 100}}
    assert index.matches(event) == {"orders", "all-shop", "big"}


def test_index_add_replaces_the_pattern_under_a_key() -> None:
    index = PatternIndex()
    index.add("r", {"source": ["a"]})
    index.add("r", {"source": ["b"]})
    assert index.matches({"source": "a"}) == set()
    assert index.matches({"source": "b"}) == {"r"}


def test_index_remove_of_a_shared_prefix_keeps_the_other_rule() -> None:
    index = PatternIndex()
    index.add("one", {"source": ["a"], "x": [1]})
    index.add("two", {"source": ["a"], "x": [2]})
    index.remove("one")
    assert index.matches({"source": "a", "x": 2}) == {"two"}
    assert index.matches({"source": "a", "x": 1}) == set()


def test_empty_pattern_matches_everything() -> None:
    index = PatternIndex()
    index.add("any", {})
    assert index.matches({"source": "z"}) == {"any"}


def test_sns_dialect_refuses_wildcard() -> None:
    with pytest.raises(ServiceError) as caught:
        validate_filter_policy({"k": [{"wildcard": "a*"}]}, "MessageBody", "Subscribe")
    assert caught.value.message.endswith("FilterPolicy: Unrecognized match type wildcard")


def test_sns_message_wording_depends_on_the_api() -> None:
    with pytest.raises(ServiceError) as caught:
        validate_filter_policy({"k": []}, "MessageAttributes", "SetSubscriptionAttributes")
    assert caught.value.code == "InvalidParameter"
    assert caught.value.message == "Invalid parameter: FilterPolicy: Empty arrays are not allowed"


def test_sns_counts_nesting_depth_in_the_combinations() -> None:
    policy = {
        "a": {"b": {"c": ["1", "2", "3", "4"]}},
        "d": {"e": ["1", "2", "3"]},
        "f": ["1", "2", "3"],
    }
    with pytest.raises(ServiceError) as caught:
        validate_filter_policy(policy, "MessageBody", "SetSubscriptionAttributes")
    assert caught.value.message.endswith("Filter policy is too complex")


def test_sns_accepts_exactly_150_combinations() -> None:
    policy = {"a": [str(n) for n in range(150)]}
    assert validate_filter_policy(policy, "MessageAttributes", "Subscribe") == policy


def test_sns_attributes_scope_refuses_nesting() -> None:
    with pytest.raises(ServiceError) as caught:
        validate_filter_policy({"a": {"b": ["x"]}}, "MessageAttributes", "Subscribe")
    assert "does not support nested filter policy" in caught.value.message


def test_index_stays_exact_across_rebuilds_and_removals() -> None:
    index = PatternIndex()
    patterns = {
        n: {"source": [f"app{n % 7}"], "detail": {"n": [{"numeric": [">", n % 5]}]}}
        for n in range(100)
    }
    for key, pattern in patterns.items():
        index.add(key, pattern)
    for key in range(0, 100, 3):
        index.remove(key)
        del patterns[key]
    event = {"source": "app3", "detail": {"n": 3}}
    assert index.matches(event) == {k for k, p in patterns.items() if matches(p, event)}
