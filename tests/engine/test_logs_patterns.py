"""CloudWatch Logs filter patterns, with the examples from AWS's filter pattern syntax page."""

from __future__ import annotations

import pytest

from engine.services.logs.patterns import PatternError, compile_pattern, metric_value

pytestmark = pytest.mark.timeout(60)

LINES = [
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 500] Exception thrown in handler",
    "[WARN] disk space low",
    "[INFO] all good",
]


def matching(pattern: str, lines: list[str] = LINES) -> list[str]:
    compiled = compile_pattern(pattern)
    return [line for line in lines if compiled.match(line) is not None]


def test_terms_and_phrases_or_and_exclusions():
    assert matching("") == LINES
    assert matching("ERROR") == LINES[:2]
    assert matching("ERROR Exception") == LINES[1:2]
    assert matching("?ERROR ?WARN") == LINES[:3]
    assert matching("ERROR -Exception") == LINES[:1]
    assert matching('"Exception thrown"') == LINES[1:2]
    assert matching("%UNAUTHORI[SZ]ED%") == LINES[:1]
    assert matching("error") == []  # case-sensitive


JSON_EVENTS = [
    '{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "cluster.name": "c", "level": "ERROR", "latency": 150, "ok": true}',
    '{"eventType": "CreateTrail", "sourceIPAddress": "10.0.0.1", "level": "INFO", "latency": 50, "ok": false, "user": {"id": 7}}',
    "plain text line",
]


def test_json_patterns_from_the_documentation():
    assert matching('{ $.eventType = "UpdateTrail" }', JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching("{ $.sourceIPAddress != 123.123.* }", JSON_EVENTS) == JSON_EVENTS[1:2]
    assert matching('{ $.arrayKey[0] = "value" }', JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching("{ $.objectList[1].id = 2 }", JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching("{ $.SomeObject IS NULL }", JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching("{ $.SomeOtherObject NOT EXISTS }", JSON_EVENTS) == JSON_EVENTS[:2]
    assert matching("{ $.ok IS TRUE }", JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching('{ $.level = "ERROR" && $.latency > 100 }', JSON_EVENTS) == JSON_EVENTS[:1]
    assert matching("{ ($.latency > 100) || ($.user.id = 7) }", JSON_EVENTS) == JSON_EVENTS[:2]
    assert matching('{ $.eventType = "*Trail" }', JSON_EVENTS) == JSON_EVENTS[:2]
    assert matching("{ $.eventType = %^Create% }", JSON_EVENTS) == JSON_EVENTS[1:2]
    assert matching('{ $.arrayKey[*] = "another value" }', JSON_EVENTS) == JSON_EVENTS[:1]


APACHE = [
    '127.0.0.1 frank admin [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 frank admin [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5246',
    '127.0.0.1 frank admin [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 128',
]


def test_space_delimited_patterns_extract_fields():
    pattern = compile_pattern("[ip, user, username, timestamp, request, status_code, bytes]")
    extracted = pattern.match(APACHE[0])
    assert extracted == {
        "$ip": "127.0.0.1",
        "$user": "frank",
        "$username": "admin",
        "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0",
        "$status_code": "200",
        "$bytes": "1534",
    }
    assert matching("[..., status_code = 5*, bytes]", APACHE) == APACHE[1:2]
    assert matching("[..., status_code = 4* || status_code = 5*, bytes]", APACHE) == APACHE[1:]
    assert matching("[ip, user, ..., status_code != 200, bytes > 1000]", APACHE) == APACHE[1:2]
    assert matching("[ip, user]", APACHE) == []  # seven fields, not two
    assert compile_pattern("[..., status, size]").match(APACHE[2]) == {
        "$status": "404",
        "$size": "128",
    }


def test_metric_values_and_bad_patterns():
    json_pattern = compile_pattern("{ $.latency > 0 }")
    extracted = json_pattern.match(JSON_EVENTS[0])
    assert metric_value("$.latency", JSON_EVENTS[0], extracted) == 150
    assert metric_value("1", JSON_EVENTS[0], extracted) == 1
    assert (
        metric_value("$bytes", APACHE[0], compile_pattern("[..., bytes]").match(APACHE[0])) == 1534
    )
    for bad in ("{ $.a = }", "{ a = 1 }", "{ $.a ~ 1 }", "[a, a]", "{ $.a = 1"):
        with pytest.raises(PatternError):
            compile_pattern(bad)
