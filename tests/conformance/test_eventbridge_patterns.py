"""EventBridge pattern conformance: every recorded AWS answer in ../shared/conformance/eventbridge/."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import ServiceError
from engine.patterns import PatternIndex, matches, validate_event_pattern

from .corpus import expected_failures, load_json, report, require_corpus

SUITE = "eventbridge"


def _event_of(case: dict) -> Any:
    if "event_text" in case:
        return case["event_text"]
    if "event_file" in case:
        return require_corpus("eventbridge", "patterns", case["event_file"]).read_text()
    return case["event"]


def _pattern_of(case: dict) -> str:
    return case["pattern_text"] if "pattern_text" in case else json.dumps(case["pattern"])


async def _outcome(eng: Any, case: dict) -> tuple[str, Any]:
    """What Pipework answers: ("match", bool) or ("error", (code, message))."""
    event = _event_of(case)
    event_text = event if isinstance(event, str) else json.dumps(event)
    try:
        result = await eng.client("events").test_event_pattern(
            EventPattern=_pattern_of(case), Event=event_text
        )
    except ServiceError as error:
        return "error", (error.code, error.message)
    # The compiled index must agree with the single-pattern evaluator on every case.
    index = PatternIndex()
    index.add("case", validate_event_pattern(_pattern_of(case)))
    parsed = json.loads(event_text)
    assert ("case" in index.matches(parsed)) == matches(_pattern_of(case), parsed)
    return "match", result["Result"]


def _expected(case: dict) -> tuple[str, Any]:
    if "error" in case:
        return "error", (case["error"], case["error_message"])
    return "match", case["match"]


def _cases() -> list[tuple[str, dict]]:
    cases: list[tuple[str, dict]] = []
    for file_name in ("cases.json", "cases_raw.json", "cases_extra.json"):
        for case in load_json("eventbridge", "patterns", file_name):
            cases.append((file_name.removesuffix(".json"), case))
    return cases


async def test_eventbridge_pattern_corpus(eng: Any) -> None:
    """Every case passes unless it is listed in expected_failures/eventbridge.txt."""
    allowed = expected_failures(SUITE)
    failures: list[str] = []
    passed = 0
    by_category: dict[str, tuple[int, int]] = {}
    cases = _cases()
    for category, case in cases:
        outcome = await _outcome(eng, case)
        ok = outcome == _expected(case)
        passed += ok
        done, total = by_category.get(category, (0, 0))
        by_category[category] = (done + ok, total + 1)
        if not ok and case["name"] not in allowed:
            failures.append(f"{case['name']}: got {outcome}, AWS {_expected(case)}")
        if ok and case["name"] in allowed:
            failures.append(f"{case['name']} passes but is listed as an expected failure")
    print(report(SUITE, passed, len(cases), by_category))
    if failures:
        pytest.fail("\n".join(failures))
