"""Results as rich renderables: JSON highlighted, AWS CLI text/table/yaml, and short summaries."""

from __future__ import annotations

import base64
import io
import json
from datetime import date, datetime
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.json import JSON
from rich.table import Table
from rich.text import Text


def jsonable(value: Any) -> Any:
    """A copy of a boto3-style result that JSON can hold, as the AWS CLI prints it.

    Timestamps become ISO 8601 text and blobs base64, as AWS CLI v2 shows them.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    read = getattr(value, "read", None)  # streaming bodies (S3 GetObject)
    if callable(read):
        data = read()
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return str(value)


def as_json(value: Any) -> RenderableType:
    """Highlighted, indented JSON."""
    return JSON(json.dumps(value, ensure_ascii=False), indent=4)


def as_yaml(value: Any) -> RenderableType:
    """YAML as the AWS CLI prints it."""
    import yaml

    return Text(yaml.safe_dump(value, sort_keys=False, allow_unicode=True).rstrip("\n"))


# -- AWS CLI text output ------------------------------------------------------------------
class PlainOutput:
    """Output that must reach a file byte for byte (tabs kept): `--output text`.

    It renders like Text on a terminal; script runners write `.text` straight to their stream.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(self.text.rstrip("\n"))


def as_text(value: Any) -> RenderableType:
    """The AWS CLI's `--output text`: tab-separated rows, nested sections labelled in capitals."""
    stream = io.StringIO()
    _format_text(value, stream)
    return PlainOutput(stream.getvalue())


def text_output(value: Any) -> str:
    """`--output text` as a plain string."""
    stream = io.StringIO()
    _format_text(value, stream)
    return stream.getvalue()


def _format_text(
    item: Any, stream: io.StringIO, identifier: str | None = None, keys: list | None = None
) -> None:
    if isinstance(item, dict):
        scalars, nested = _partition(item, keys)
        if scalars:
            if identifier is not None:
                scalars.insert(0, identifier.upper())
            stream.write("\t".join(scalars) + "\n")
        for name, value in nested:
            _format_text(value, stream, name)
    elif isinstance(item, list):
        if not item:
            return
        if any(isinstance(e, dict) for e in item):
            scalar_keys = sorted(
                {k for e in item if isinstance(e, dict) for k, v in e.items() if not _nested(v)}
            )
            for element in item:
                _format_text(element, stream, identifier, scalar_keys)
        elif any(isinstance(e, list) for e in item):
            plain = [e for e in item if not _nested(e)]
            if plain:
                _scalar_list(plain, identifier, stream)
            for element in item:
                if _nested(element):
                    _format_text(element, stream, identifier)
        else:
            _scalar_list(item, identifier, stream)
    else:
        stream.write(f"{_scalar(item)}\n")


def _nested(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _scalar(value: Any) -> str:
    return "None" if value is None else str(value)


def _scalar_list(items: list, identifier: str | None, stream: io.StringIO) -> None:
    if identifier is not None:
        for item in items:
            stream.write(f"{identifier.upper()}\t{_scalar(item)}\n")
    else:
        stream.write("\t".join(_scalar(i) for i in items) + "\n")


def _partition(item: dict, keys: list | None) -> tuple[list[str], list[tuple[str, Any]]]:
    scalars: list[str] = []
    nested: list[tuple[str, Any]] = []
    if keys is None:
        for key, value in sorted(item.items()):
            if _nested(value):
                nested.append((key, value))
            else:
                scalars.append(_scalar(value))
    else:
        scalars = [_scalar(item.get(key, "")) for key in keys]
        nested = [(k, item[k]) for k in sorted(set(item) - set(keys))]
    return scalars, nested


# -- AWS CLI table output -------------------------------------------------------------------
def as_table(value: Any, title: str = "") -> RenderableType:
    """The AWS CLI's `--output table`: a titled table, nested lists as their own sections."""
    parts: list[RenderableType] = []
    _table_sections(value, title, parts)
    return Group(*parts) if parts else Text("")


def _cell(value: Any) -> str:
    if _nested(value):
        return json.dumps(value, ensure_ascii=False)
    return _scalar(value)


def _table_sections(value: Any, title: str, parts: list[RenderableType]) -> None:
    if isinstance(value, dict):
        scalars = {k: v for k, v in value.items() if not _nested(v)}
        if len(scalars) > 4:  # wide records read better as rows, as the AWS CLI does
            parts.append(key_value_table(scalars, title))
        elif scalars or not value:
            table = Table(title=title or None, show_header=True, expand=False)
            for key in scalars:
                table.add_column(key)
            if scalars:
                table.add_row(*(_cell(v) for v in scalars.values()))
            parts.append(table)
        for key, item in value.items():
            if _nested(item):
                _table_sections(item, key, parts)
    elif isinstance(value, list):
        if value and all(isinstance(e, dict) for e in value):
            parts.append(records_table(value, title))
        else:
            table = Table(title=title or None, show_header=False)
            table.add_column(title or "value")
            for item in value:
                table.add_row(_cell(item))
            parts.append(table)
    else:
        table = Table(title=title or None, show_header=False)
        table.add_column("value")
        table.add_row(_cell(value))
        parts.append(table)


def records_table(records: list[dict], title: str = "", columns: list[str] | None = None) -> Table:
    """A table with one row per dict and one column per key (nested values as compact JSON)."""
    if columns is None:
        columns = []
        for record in records:
            for key in record:
                if key not in columns:
                    columns.append(key)
    table = Table(title=title or None)
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*(_cell(record.get(c, "")) for c in columns))
    return table


def key_value_table(
    mapping: dict, title: str = "", headers: tuple[str, str] = ("Name", "Value")
) -> Table:
    """A two-column table of a flat mapping."""
    table = Table(title=title or None)
    table.add_column(headers[0], style="bold")
    table.add_column(headers[1], overflow="fold")
    for key, value in mapping.items():
        table.add_row(str(key), _cell(value))
    return table


# -- the console's default view ----------------------------------------------------------
def _received_messages(value: dict) -> RenderableType | None:
    messages = value.get("Messages")
    if not messages:
        return Text("No messages.", style="dim")
    rows = []
    for message in messages:
        attributes = message.get("Attributes", {})
        rows.append(
            (
                str(message.get("MessageId", "")),
                _shorten(str(message.get("Body", "")), 200),
                str(attributes.get("ApproximateReceiveCount", "")),
                str(attributes.get("MessageGroupId", "")),
            )
        )
    table = Table(title=f"{len(messages)} message{'s' if len(messages) != 1 else ''}")
    headers = ("MessageId", "Body", "Receives", "Group")
    shown = [i for i in range(4) if i < 2 or any(row[i] for row in rows)]  # skip empty columns
    for i in shown:
        table.add_column(
            headers[i],
            style="cyan" if i == 0 else "",
            no_wrap=i == 0,
            overflow="fold",
            justify="right" if i == 2 else "left",
        )
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    # The table hides receipt handles (long and opaque), so say how to use one without seeing it.
    hint = Text(
        "delete with --receipt-handle ${Messages[0].ReceiptHandle} (--output json shows all)",
        style="dim",
    )
    return Group(table, hint)


def _sent_message(value: dict) -> RenderableType | None:
    text = Text("Sent message ")
    text.append(str(value.get("MessageId", "")), style="cyan")
    if value.get("SequenceNumber"):
        text.append(f" (sequence {value['SequenceNumber']})", style="dim")
    return text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SUMMARIES = {
    ("sqs", "ReceiveMessage"): _received_messages,
    ("sqs", "SendMessage"): _sent_message,
}


def summary(service: str, operation: str, value: Any) -> RenderableType | None:
    """The console's default view of a result: a short human summary, a table, or JSON."""
    special = _SUMMARIES.get((service, operation))
    if special is not None and isinstance(value, dict):
        view = special(value)
        if view is not None:
            return view
    if value in ({}, None):
        return None
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        flat_records = (
            isinstance(inner, list)
            and inner
            and all(isinstance(e, dict) for e in inner)
            and all(not _nested(v) for e in inner for v in e.values())
        )
        if flat_records:
            return records_table(inner, title=key)
        if isinstance(inner, list) and inner and not any(_nested(e) for e in inner):
            table = Table(title=key, show_header=False)
            table.add_column(key, overflow="fold")
            for item in inner:
                table.add_row(_scalar(item))
            return table
        if isinstance(inner, dict) and inner and not any(_nested(v) for v in inner.values()):
            return key_value_table(inner, title=key)
    return as_json(value)


def render(
    value: Any, output: str | None, *, service: str = "", operation: str = "", queried: bool = False
) -> RenderableType | None:
    """`value` in the chosen output format; `None` picks the console's default view."""
    if output == "json":
        return as_json(value)
    if output == "yaml":
        return as_yaml(value)
    if output == "text":
        return as_text(value)
    if output == "table":
        return as_table(value, title=operation)
    if queried:
        return as_json(value)
    return summary(service, operation, value)
