"""Values to and from AWS's wire formats, driven by botocore's shapes (the inverse of botocore)."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import json
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

from botocore.model import Shape

# -- scalars ------------------------------------------------------------------------------------


def read_blob(value: Any) -> bytes:
    """Bytes from a blob a service returned: bytes, str, or a StreamingBody-like object."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if hasattr(value, "read"):
        data = value.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return bytes(value)


def to_datetime(value: Any) -> dt.datetime:
    """A timestamp as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        except ValueError:
            pass
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = parsedate_to_datetime(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise ValueError(f"not a timestamp: {value!r}")


def format_timestamp(value: Any, fmt: str) -> Any:
    """A timestamp in one of AWS's formats: unixTimestamp, iso8601 or rfc822."""
    moment = to_datetime(value)
    if fmt == "unixTimestamp":
        seconds = calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6
        return int(seconds) if seconds == int(seconds) else round(seconds, 3)
    if fmt == "rfc822":
        return formatdate(calendar.timegm(moment.utctimetuple()), usegmt=True)
    text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _timestamp_format(shape: Shape, default: str) -> str:
    return shape.serialization.get("timestampFormat") or default


def parse_scalar(shape: Shape, text: str) -> Any:
    """A string from a header, query string or XML, as the shape's Python type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "timestamp":
        try:
            return to_datetime(text)
        except (TypeError, OverflowError, OSError):
            raise ValueError(f"not a timestamp: {text!r}") from None
    if kind == "blob":
        return base64.b64decode(text)
    return text


def scalar_text(shape: Shape, value: Any, timestamp_default: str = "iso8601") -> str:
    """A scalar as the string a header, query string or XML carries."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, _timestamp_format(shape, timestamp_default)))
    if kind == "blob":
        return base64.b64encode(read_blob(value)).decode()
    if kind in ("float", "double") and isinstance(value, float) and value == int(value):
        return str(value)
    if kind == "string" and isinstance(value, dict):
        # IAM policy documents: the engine gives boto3's decoded dict, the wire URL-encoded JSON.
        return quote(json.dumps(value), safe="")
    return str(value)


# -- JSON bodies ----------------------------------------------------------------------------------


#: id(structure shape) → (the shape, kept alive; JSON key → (member name, member shape)).
_JSON_NAMES: dict[int, tuple[Shape, dict[str, tuple[str, Shape]]]] = {}


def _json_names(shape: Shape) -> dict[str, tuple[str, Shape]]:
    """A structure's members by the key JSON carries them under (`locationName`, else the name)."""
    cached = _JSON_NAMES.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    names = {
        member.serialization.get("name", name): (name, member)
        for name, member in shape.members.items()
    }
    _JSON_NAMES[id(shape)] = (shape, names)
    return names


def decode_json(shape: Shape | None, value: Any) -> Any:
    """A JSON request value as boto3 would have passed it (blobs decoded, timestamps parsed)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        names = _json_names(shape)
        decoded: dict[str, Any] = {}
        for key, item in value.items():
            found = names.get(key)
            if found is None:
                decoded[key] = item  # unknown: left for the validator to name
            else:
                decoded[found[0]] = decode_json(found[1], item)
        return decoded
    if kind == "list":
        return (
            [decode_json(shape.member, item) for item in value]
            if isinstance(value, list)
            else value
        )
    if kind == "map":
        return (
            {key: decode_json(shape.value, item) for key, item in value.items()}
            if isinstance(value, dict)
            else value
        )
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise ValueError(f"'{value[:40]}' is not valid base64 for a blob") from None
    if kind == "timestamp" and isinstance(value, (int, float, str)):
        try:
            return to_datetime(value)
        except (ValueError, TypeError, OverflowError, OSError):
            return value
    return value


def encode_json(shape: Shape | None, value: Any, timestamp_default: str = "unixTimestamp") -> Any:
    """A result value as JSON-ready data (blobs base64, timestamps as the protocol wants)."""
    if value is None:
        return None
    if shape is None:
        return plain_json(value)
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        encoded: dict[str, Any] = {}
        for key, item in value.items():
            member = members.get(key)
            if member is None or item is None:
                continue
            if member.serialization.get("location"):
                continue
            name = member.serialization.get("name", key)
            encoded[name] = encode_json(member, item, timestamp_default)
        return encoded
    if kind == "list":
        return [encode_json(shape.member, item, timestamp_default) for item in value]
    if kind == "map":
        return {str(k): encode_json(shape.value, v, timestamp_default) for k, v in value.items()}
    if kind == "blob":
        return base64.b64encode(read_blob(value)).decode()
    if kind == "timestamp":
        return format_timestamp(value, _timestamp_format(shape, timestamp_default))
    if shape.serialization.get("jsonvalue") and not isinstance(value, str):
        return json.dumps(value)
    return value


def plain_json(value: Any) -> Any:
    """Unmodeled data as JSON-ready values (bytes as base64, datetimes as epoch seconds)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return format_timestamp(value, "unixTimestamp")
    return value


# -- query-string bodies (the query protocol) ----------------------------------------------------


def decode_query(shape: Shape | None, params: dict[str, str], prefix: str = "") -> Any:
    """Rebuild a structure from flattened query parameters (`A.member.1`, `B.entry.1.key` …)."""
    if shape is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            value = decode_query(member, params, f"{prefix}.{key}" if prefix else key)
            if value is not None:
                result[name] = value
        return result or None if prefix else result
    if kind == "list":
        flattened = shape.serialization.get("flattened")
        member_name = shape.member.serialization.get("name", "member")
        base = f"{prefix}." if flattened else f"{prefix}.{member_name}."
        items = []
        index = 1
        while True:
            item = decode_query(shape.member, params, f"{base}{index}")
            if item is None:
                break
            items.append(item)
            index += 1
        if not items and params.get(prefix) == "":
            return []
        return items or None
    if kind == "map":
        flattened = shape.serialization.get("flattened")
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        base = f"{prefix}." if flattened else f"{prefix}.entry."
        result_map: dict[str, Any] = {}
        index = 1
        while f"{base}{index}.{key_name}" in params:
            key = params[f"{base}{index}.{key_name}"]
            result_map[key] = decode_query(shape.value, params, f"{base}{index}.{value_name}")
            index += 1
        return result_map or None
    if prefix in params:
        return parse_scalar(shape, params[prefix])
    return None


# -- XML ------------------------------------------------------------------------------------------


def encode_xml(
    parent: ElementTree.Element,
    shape: Shape,
    value: Any,
    name: str,
    timestamp_default: str = "iso8601",
) -> None:
    """Append `value` of `shape` to `parent` as AWS's XML (query and rest-xml responses)."""
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        element = ElementTree.SubElement(parent, name)
        namespace = shape.serialization.get("xmlNamespace")
        if isinstance(namespace, dict) and namespace.get("uri"):
            # a prefixed namespace (S3's xsi for Grantee's xsi:type) is declared under its prefix
            prefix = namespace.get("prefix")
            element.set(f"xmlns:{prefix}" if prefix else "xmlns", namespace["uri"])
        for member_name, member in shape.members.items():
            if member_name not in value or member.serialization.get("location"):
                continue
            child_name = member.serialization.get("name", member_name)
            if member.serialization.get("xmlAttribute"):
                element.set(child_name, scalar_text(member, value[member_name], timestamp_default))
                continue
            encode_xml(element, member, value[member_name], child_name, timestamp_default)
        return
    if kind == "list":
        member_name = shape.member.serialization.get("name", "member")
        if shape.serialization.get("flattened"):
            for item in value:
                encode_xml(parent, shape.member, item, name, timestamp_default)
            return
        element = ElementTree.SubElement(parent, name)
        for item in value:
            encode_xml(element, shape.member, item, member_name, timestamp_default)
        return
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        container = parent if flattened else ElementTree.SubElement(parent, name)
        for key, item in value.items():
            entry = ElementTree.SubElement(container, name if flattened else "entry")
            ElementTree.SubElement(entry, key_name).text = str(key)
            encode_xml(entry, shape.value, item, value_name, timestamp_default)
        return
    ElementTree.SubElement(parent, name).text = scalar_text(shape, value, timestamp_default)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def decode_xml(shape: Shape, element: ElementTree.Element) -> Any:
    """Read a rest-xml request body element as the shape's Python value."""
    kind = shape.type_name
    if kind == "structure":
        result: dict[str, Any] = {}
        children: dict[str, list[ElementTree.Element]] = {}
        for child in element:
            children.setdefault(_local(child.tag), []).append(child)
        for member_name, member in shape.members.items():
            xml_name = member.serialization.get("name", member_name)
            if member.serialization.get("xmlAttribute"):
                for attribute, text in element.attrib.items():
                    if _local(attribute) == xml_name:
                        result[member_name] = parse_scalar(member, text)
                continue
            found = children.get(xml_name)
            if not found:
                continue
            if member.type_name == "list" and member.serialization.get("flattened"):
                result[member_name] = [decode_xml(member.member, item) for item in found]
            elif member.type_name == "map" and member.serialization.get("flattened"):
                result[member_name] = _decode_map_entries(member, found)
            else:
                result[member_name] = decode_xml(member, found[0])
        return result
    if kind == "list":
        return [decode_xml(shape.member, item) for item in element]
    if kind == "map":
        return _decode_map_entries(shape, list(element))
    return parse_scalar(shape, element.text or "")


def _decode_map_entries(shape: Shape, entries: list[ElementTree.Element]) -> dict[str, Any]:
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    result: dict[str, Any] = {}
    for entry in entries:
        key = value = None
        for child in entry:
            if _local(child.tag) == key_name:
                key = child.text or ""
            elif _local(child.tag) == value_name:
                value = decode_xml(shape.value, child)
        if key is not None:
            result[key] = value
    return result
