"""S3 object names as Firehose writes them: evaluated prefix plus a timestamped suffix."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_EXPRESSION = re.compile(r"!\{([a-zA-Z]+):([^}]*)\}")
#: Java DateTimeFormatter letters Firehose users write, mapped to strftime.
_JAVA_TO_STRFTIME = (
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
)


def has_expressions(prefix: str) -> bool:
    """Whether a prefix uses !{namespace:value} expressions."""
    return bool(_EXPRESSION.search(prefix))


def check_prefix(prefix: str) -> str | None:
    """Why a prefix is not acceptable (unknown namespace or value), or None when it is."""
    for namespace, value in _EXPRESSION.findall(prefix):
        if namespace == "timestamp":
            continue
        if namespace == "firehose" and value in ("error-output-type", "random-string"):
            continue
        return f"The expression !{{{namespace}:{value}}} is not supported."
    return None


def java_time(pattern: str, when: datetime) -> str:
    """Format `when` with a Java DateTimeFormatter pattern (quoted literals kept)."""
    out: list[str] = []
    for index, chunk in enumerate(pattern.split("'")):
        if index % 2:
            out.append(chunk)
            continue
        for java, strf in _JAVA_TO_STRFTIME:
            chunk = chunk.replace(java, strf)
        out.append(when.strftime(chunk))
    return "".join(out)


def evaluate(prefix: str, when: datetime, random_string: str, error_type: str = "") -> str:
    """The prefix with every expression replaced by its value at `when`."""

    def value(match: re.Match) -> str:
        namespace, argument = match.group(1), match.group(2)
        if namespace == "timestamp":
            return java_time(argument, when)
        return error_type if argument == "error-output-type" else random_string

    return _EXPRESSION.sub(value, prefix)


def object_prefix(prefix: str, when: datetime, random_string: str) -> str:
    """Where delivered data goes: a custom prefix, or the default YYYY/MM/dd/HH/ after it."""
    if has_expressions(prefix):
        return evaluate(prefix, when, random_string)
    return prefix + when.strftime("%Y/%m/%d/%H/")


def error_prefix(error_prefix_text: str, when: datetime, random_string: str, kind: str) -> str:
    """Where failed records go: ErrorOutputPrefix evaluated, or `<kind>/YYYY/MM/dd/HH/`."""
    if has_expressions(error_prefix_text):
        return evaluate(error_prefix_text, when, random_string, kind)
    return error_prefix_text + kind + when.strftime("/%Y/%m/%d/%H/")


def object_name(stream_name: str, version: int, when: datetime, unique: str) -> str:
    """The suffix: DeliveryStreamName-Version-YYYY-MM-dd-HH-mm-ss-RandomString."""
    return f"{stream_name}-{version}-{when.strftime('%Y-%m-%d-%H-%M-%S')}-{unique}"


def utc(epoch: float) -> datetime:
    """An epoch time as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)
