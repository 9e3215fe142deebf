"""EventBridge event patterns and SNS filter policies: one grammar, one compiled matcher.

Public API (see docs/ENGINE.md, "Pattern matching"):

- `validate_event_pattern(text) -> dict` raises ServiceError InvalidEventPatternException.
- `validate_filter_policy(policy, scope, api) -> dict` raises ServiceError InvalidParameter.
- `PatternIndex(dialect)` with `.add(key, pattern)`, `.remove(key)`, `.matches(event) -> set`.
- `matches(pattern, event, dialect=...) -> bool` for one pattern.
- `compile_pattern(pattern, dialect) -> CompiledPattern` to compile once and match many times.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ..errors import ServiceError
from .compiler import DIALECTS, EVENTBRIDGE, SNS, CompiledPattern, PatternError, compile_pattern
from .evaluate import compiled_matches
from .index import PatternIndex
from .jsontext import JsonTextError, parse_json
from .sns_policy import validate_filter_policy

__all__ = [
    "DIALECTS",
    "EVENTBRIDGE",
    "SNS",
    "CompiledPattern",
    "PatternError",
    "PatternIndex",
    "compile_pattern",
    "matches",
    "parse_event_pattern",
    "validate_event_pattern",
    "validate_filter_policy",
]

_EVENTBRIDGE_PREFIX = "Event pattern is not valid. Reason: "


def _invalid_pattern(reason: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", _EVENTBRIDGE_PREFIX + reason)


def parse_event_pattern(text: str | dict) -> tuple[dict, CompiledPattern]:
    """The parsed and compiled EventBridge pattern; raises InvalidEventPatternException."""
    if isinstance(text, str):
        try:
            pattern = parse_json(text)
        except JsonTextError as error:
            raise _invalid_pattern(str(error)) from None
    else:
        pattern = json.loads(json.dumps(text))  # a private copy
    try:
        return pattern, compile_pattern(pattern, EVENTBRIDGE)
    except PatternError as error:
        raise _invalid_pattern(str(error)) from None


def validate_event_pattern(text: str | dict) -> dict:
    """Check an EventBridge event pattern; return it parsed, or raise InvalidEventPatternException."""
    return parse_event_pattern(text)[0]


@lru_cache(maxsize=1024)
def _compiled(text: str, dialect: str) -> CompiledPattern:
    """Compile pattern text once: callers such as event source mappings match it per record."""
    return compile_pattern(json.loads(text), dialect)


def matches(
    pattern: dict | str | CompiledPattern, event: dict | str, dialect: str = EVENTBRIDGE
) -> bool:
    """Whether one pattern matches one event (each a dict, JSON text, or a CompiledPattern)."""
    if not isinstance(pattern, CompiledPattern):
        text = pattern if isinstance(pattern, str) else json.dumps(pattern, sort_keys=True)
        pattern = _compiled(text, dialect)
    if isinstance(event, str):
        event = json.loads(event)
    return compiled_matches(pattern, event)
