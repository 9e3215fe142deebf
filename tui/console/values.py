"""Turn the words after an `--option` into the value botocore's model expects, as the AWS CLI does."""

from __future__ import annotations

import base64
import binascii
import json
import os
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

from .commands import Argument
from .shorthand import ShorthandError, parse_explicit_list, parse_shorthand

_COMPLEX = ("structure", "list", "map")


class ArgumentError(ValueError):
    """A value could not be read for an option; the message is one line naming the option."""


def _fail(cli_name: str, why: str) -> ArgumentError:
    return ArgumentError(f"Error parsing parameter '{cli_name}': {why}")


def read_param_file(word: str, cli_name: str) -> str | bytes:
    """The contents behind `file://` (text) or `fileb://` (bytes); other words unchanged."""
    for prefix, mode in (("fileb://", "rb"), ("file://", "r")):
        if word.startswith(prefix):
            path = os.path.expanduser(os.path.expandvars(word[len(prefix) :]))
            try:
                with open(path, mode, **({} if mode == "rb" else {"encoding": "utf-8"})) as fh:
                    return fh.read()
            except OSError as error:
                raise _fail(
                    cli_name, f"Unable to load paramfile {word}: {error.strerror}"
                ) from None
            except UnicodeDecodeError:
                raise _fail(cli_name, f"Unable to load paramfile {word}: not UTF-8 text") from None
    return word


def _is_document(shape: Shape) -> bool:
    return bool(shape.metadata.get("document"))


def _load_json(text: str, cli_name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise _fail(cli_name, f"Invalid JSON: {error}. JSON received: {text}") from None


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date/time or epoch seconds, as the AWS CLI accepts them, as aware UTC."""
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def convert_scalar(shape: Shape, raw: Any, cli_name: str, binary_format: str) -> Any:
    """One scalar value in the model's Python type (strings from the command line converted)."""
    kind = shape.type_name
    if isinstance(raw, bytes):
        if kind == "blob":
            return raw
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(cli_name, "expected text, got binary data") from None
    if not isinstance(raw, str):
        if kind == "blob" and not isinstance(raw, (bytes, bytearray)):
            return raw  # left for the model check to reject with botocore's message
        if kind == "timestamp" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return datetime.fromtimestamp(raw, UTC)
        return raw
    if kind in ("integer", "long"):
        try:
            return int(raw.strip())
        except ValueError:
            raise _fail(cli_name, f"expected an integer, received '{raw}'") from None
    if kind in ("float", "double"):
        try:
            return float(raw.strip())
        except ValueError:
            raise _fail(cli_name, f"expected a number, received '{raw}'") from None
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise _fail(cli_name, f"expected true or false, received '{raw}'")
    if kind == "timestamp":
        try:
            return parse_timestamp(raw)
        except (ValueError, OverflowError):
            raise _fail(
                cli_name, f"expected an ISO 8601 timestamp or epoch seconds, received '{raw}'"
            ) from None
    if kind == "blob" and getattr(shape, "serialization", {}).get("streaming"):
        path = os.path.expanduser(os.path.expandvars(raw))
        # The AWS CLI reads streaming blobs from a file path (devices such as /dev/null too).
        if not os.path.exists(path) or os.path.isdir(path):
            raise _fail(cli_name, "Blob values must be a path to a file.")
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError as error:
            raise _fail(cli_name, f"Unable to read {raw}: {error.strerror}") from None
    if kind == "blob":
        if binary_format == "raw-in-base64-out":
            return raw.encode("utf-8")
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise _fail(
                cli_name,
                f'Invalid base64: "{raw}" (blob values are base64 unless you pass '
                "--cli-binary-format raw-in-base64-out or use fileb://)",
            ) from None
    return raw


def shape_value(shape: Shape, value: Any, cli_name: str, binary_format: str) -> Any:
    """Walk parsed JSON or shorthand data along `shape`, converting scalars to the model's types."""
    kind = shape.type_name
    if _is_document(shape):
        return value
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        members = shape.members
        return {
            key: shape_value(members[key], item, cli_name, binary_format)
            if key in members
            else item
            for key, item in value.items()
        }
    if kind == "list":
        if not isinstance(value, list):
            value = [value]  # shorthand `Key=a` for a list member means ["a"]
        return [shape_value(shape.member, item, cli_name, binary_format) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            return value
        return {
            key: shape_value(shape.value, item, cli_name, binary_format)
            for key, item in value.items()
        }
    if isinstance(value, (dict, list)):
        return value  # the model check names the wrong type
    return convert_scalar(shape, value, cli_name, binary_format)


def _complex_from_text(shape: Shape, text: str, cli_name: str, binary_format: str) -> Any:
    """A structure or map written as JSON or as shorthand."""
    stripped = text.strip()
    if _is_document(shape) or stripped.startswith("{"):
        return shape_value(shape, _load_json(stripped, cli_name), cli_name, binary_format)
    if not stripped:
        raise _fail(cli_name, "expected a value (JSON or Key=Value shorthand)")
    try:
        data = parse_shorthand(stripped)
    except ShorthandError as error:
        raise _fail(cli_name, str(error)) from None
    return shape_value(shape, data, cli_name, binary_format)


def _list_from_words(
    shape: Shape, words: list[str | bytes], cli_name: str, binary_format: str
) -> list[Any]:
    """A list option: one JSON/bracketed word, or one word per item."""
    if len(words) == 1 and isinstance(words[0], str) and words[0].strip().startswith("["):
        text = words[0].strip()
        try:
            data = json.loads(text)
        except ValueError:
            try:
                data = parse_explicit_list(text)
            except ShorthandError as error:
                raise _fail(cli_name, f"not JSON and not a [a,b] list: {error}") from None
        return shape_value(shape, data, cli_name, binary_format)
    member = shape.member
    items: list[Any] = []
    for word in words:
        if member.type_name in ("structure", "map") and isinstance(word, str):
            items.append(_complex_from_text(member, word, cli_name, binary_format))
        elif member.type_name == "list" and isinstance(word, str):
            items.append(_list_from_words(member, [word], cli_name, binary_format))
        else:
            items.append(convert_scalar(member, word, cli_name, binary_format))
    return items


def convert_argument(argument: Argument, words: list[str], binary_format: str = "base64") -> Any:
    """The model value for `argument` given the words typed after it (file:// read here)."""
    cli_name = argument.cli_name
    shape = argument.shape
    if argument.is_flag and not words:
        return not argument.negated
    loaded = [read_param_file(word, cli_name) for word in words]
    if not loaded:
        raise _fail(cli_name, "expected a value")
    kind = shape.type_name
    if kind == "list" and not _is_document(shape):
        return _list_from_words(shape, loaded, cli_name, binary_format)
    if len(loaded) > 1:
        raise _fail(
            cli_name, f"expected one value, got {len(loaded)} (quote values that contain spaces)"
        )
    value = loaded[0]
    if kind in _COMPLEX:
        if isinstance(value, bytes):
            value = convert_scalar(_TEXT_SHAPE, value, cli_name, binary_format)
        return _complex_from_text(shape, value, cli_name, binary_format)
    result = convert_scalar(shape, value, cli_name, binary_format)
    if argument.negated:
        return not result
    return result


class _TextShape:
    """A stand-in string shape used to decode file contents as text."""

    type_name = "string"


_TEXT_SHAPE: Any = _TextShape()
