"""DiscoverInputSchema: a schema from sampled records, JSON objects or CSV lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from engine.errors import ServiceError


def _sql_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "BOOLEAN"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "BIGINT" if any(abs(v) > 2**31 - 1 for v in present) else "INTEGER"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "DOUBLE"
    if present and all(isinstance(v, str) and _is_time(v) for v in present):
        return "TIMESTAMP"
    longest = max((len(str(v)) for v in present), default=1)
    size = 1
    while size < longest:
        size *= 2
    return f"VARCHAR({size})"


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return len(text) >= 10


def _json_rows(samples: list[bytes]) -> list[dict] | None:
    rows = []
    for data in samples:
        try:
            value = json.loads(data)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        rows.append(value)
    return rows


def discover(samples: list[bytes]) -> dict[str, Any]:
    """DiscoverInputSchema's answer for these records (UnableToDetectSchemaException if none)."""
    raw = [data.decode("utf-8", "replace") for data in samples]
    if not raw:
        raise ServiceError(
            "UnableToDetectSchemaException", "No records were found to detect a schema from"
        )
    rows = _json_rows(samples)
    if rows is not None:
        names: list[str] = []
        for row in rows:
            names += [key for key in row if key not in names]
        columns = [
            {
                "Name": name,
                "Mapping": f"$.{name}",
                "SqlType": _sql_type([r.get(name) for r in rows]),
            }
            for name in names
        ]
        parsed = [[("" if r.get(n) is None else str(r.get(n))) for n in names] for r in rows]
        record_format = {
            "RecordFormatType": "JSON",
            "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
        }
    else:
        lines = [line.split(",") for text in raw for line in text.splitlines() if line.strip()]
        width = max(len(fields) for fields in lines)
        columns = []
        for index in range(width):
            values: list[Any] = []
            for fields in lines:
                text = fields[index].strip() if index < len(fields) else None
                values.append(_number(text))
            columns.append({"Name": f"COL{index + 1}", "SqlType": _sql_type(values)})
        parsed = [[f.strip() for f in fields] for fields in lines]
        record_format = {
            "RecordFormatType": "CSV",
            "MappingParameters": {
                "CSVMappingParameters": {"RecordRowDelimiter": "\n", "RecordColumnDelimiter": ","}
            },
        }
    return {
        "InputSchema": {
            "RecordFormat": record_format,
            "RecordEncoding": "UTF-8",
            "RecordColumns": columns,
        },
        "ParsedInputRecords": parsed,
        "RawInputRecords": raw,
    }


def _number(text: str | None) -> Any:
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
