"""Streaming SQL → something sqlglot parses: the few rewrites Flink SQL and legacy SQL need.

Every rewrite keeps the text's line breaks, so a parse error still names the user's line.
Flink SQL: `TABLE(TUMBLE(TABLE t, …))` loses its `TABLE` keywords, `SESSION(TABLE t PARTITION BY k,
…)` becomes `SESSWIN(t, PARTITION_BY(k), …)`, `METADATA FROM '…'` columns are remembered.
Legacy SQL (SQL-1_0): `CREATE STREAM` → `CREATE TABLE`, pumps keep their name, `SELECT STREAM` →
`SELECT`, `STEP(x BY i)` → `STEP(x, i)`, and `WINDOWED BY STAGGER (PARTITION BY k RANGE i)` →
`GROUP BY k, STAGGERWIN(i)`.
"""

from __future__ import annotations

import re

from engine.errors import ServiceError

_TABLE_CALL = re.compile(r"\bTABLE(\s*\(\s*)(?=(?:TUMBLE|HOP|CUMULATE|SESSION)\s*\()", re.I)
_SESSION_PARTITION = re.compile(
    r"\bSESSION(\s*)\(\s*TABLE\s+([\w\"`]+)\s+PARTITION\s+BY\s+(.+?)\s*,\s*DESCRIPTOR", re.I | re.S
)
_TABLE_ARG = re.compile(r"(?<=[(,])(\s*)TABLE\s+(?=[\w\"`])", re.I)
_SESSION = re.compile(r"\bSESSION(\s*)\(", re.I)
_METADATA = re.compile(r"(\w+|\"[^\"]+\"|`[^`]+`)\s+([\w()]+)\s+METADATA\s+FROM\s+'([^']+)'", re.I)
_CREATE_STREAM = re.compile(r"\bCREATE\s+(OR\s+REPLACE\s+)?STREAM\b", re.I)
_PUMP = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?PUMP\s+(\"[^\"]+\"|\w+)\s+AS\s+(?=INSERT)", re.I
)
_SELECT_STREAM = re.compile(r"\bSELECT\s+STREAM\b", re.I)
_STEP_BY = re.compile(r"\bSTEP\s*\(([^()]*?)\s+BY\s+INTERVAL", re.I)
_FOREST = re.compile(r"\b(RANDOM_CUT_FOREST(_WITH_EXPLANATION)?|HOTSPOTS)\b", re.I)
_STAGGER = re.compile(
    r"\bWINDOWED\s+BY\s+STAGGER\s*\(\s*PARTITION\s+BY\s+(.+?)\s+RANGE\s+(INTERVAL\s+'[^']*'\s+\w+)\s*\)",
    re.I | re.S,
)


def _blank(text: str) -> str:
    """Spaces for every character but line breaks (keeps positions)."""
    return re.sub(r"[^\n]", " ", text)


def line_of(text: str, offset: int) -> int:
    """The 1-based line an offset falls on."""
    return text.count("\n", 0, offset) + 1


def code_error(message: str) -> ServiceError:
    """AWS's error for application code that does not compile."""
    return ServiceError("CodeValidationException", message)


def flink(text: str) -> tuple[str, dict[str, str]]:
    """Rewrite Flink SQL for the parser; returns (text, {column: metadata key})."""
    metadata: dict[str, str] = {}

    def keep_metadata(match: re.Match) -> str:
        metadata[match.group(1).strip('"`')] = match.group(3)
        kept = f"{match.group(1)} {match.group(2)}"
        return kept + _blank(match.group(0)[len(kept) :])

    text = _METADATA.sub(keep_metadata, text)
    text = _TABLE_CALL.sub(lambda m: "     " + m.group(1), text)
    text = _SESSION_PARTITION.sub(
        lambda m: f"SESSWIN{m.group(1)}({m.group(2)}, PARTITION_BY({m.group(3)}), DESCRIPTOR", text
    )
    text = _TABLE_ARG.sub(lambda m: m.group(1) + "      ", text)
    text = _SESSION.sub(lambda m: f"SESSWIN{m.group(1)}(", text)
    return text, metadata


def legacy(text: str) -> tuple[str, dict[int, str]]:
    """Rewrite legacy Kinesis Data Analytics SQL; returns (text, {statement offset: pump name})."""
    forest = _FOREST.search(text)
    if forest:
        raise code_error(
            f"{forest.group(0).upper()} at line {line_of(text, forest.start())} is not emulated by "
            "the lab (its machine-learning functions are out of scope); use a threshold over a "
            "window (HAVING AVG(x) > limit) instead."
        )
    # A stagger window groups by its partition keys: it becomes GROUP BY keys, STAGGERWIN(range).
    text = _STAGGER.sub(
        lambda m: (
            f"GROUP BY {m.group(1)}, STAGGERWIN({m.group(2)})" + "\n" * m.group(0).count("\n")
        ),
        text,
    )
    pumps: dict[int, str] = {}

    def keep_pump(match: re.Match) -> str:
        pumps[match.end()] = match.group(1).strip('"')
        return _blank(match.group(0))

    text = _PUMP.sub(keep_pump, text)
    text = _CREATE_STREAM.sub(lambda m: "CREATE " + (m.group(1) or "") + "TABLE ", text)
    text = _SELECT_STREAM.sub("SELECT       ", text)
    text = _STEP_BY.sub(lambda m: f"STEP({m.group(1)},  INTERVAL", text)
    return text, pumps
