"""S3 listings asked for with `EncodingType=url`: keys URL-encoded in the XML, as AWS sends them.

boto3 asks for this encoding on every listing (object keys may hold characters XML 1.0 cannot
carry) and decodes the answer itself. The engine's client already returns decoded keys, as
boto3 shows them, so the wire encodes them again — exactly the members botocore decodes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

#: Operation → (top-level members, (list member, item member) pairs) that AWS URL-encodes.
ENCODED_MEMBERS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "ListObjects": (
        ("Delimiter", "Marker", "NextMarker", "Prefix"),
        (("Contents", "Key"), ("CommonPrefixes", "Prefix")),
    ),
    "ListObjectsV2": (
        ("Delimiter", "Prefix", "StartAfter"),
        (("Contents", "Key"), ("CommonPrefixes", "Prefix")),
    ),
    "ListObjectVersions": (
        ("KeyMarker", "NextKeyMarker", "Prefix", "Delimiter"),
        (("Versions", "Key"), ("DeleteMarkers", "Key"), ("CommonPrefixes", "Prefix")),
    ),
}


def _encode(text: str) -> str:
    # botocore decodes with unquote_plus, so quote_plus (keeping "/") round-trips exactly.
    return quote_plus(text, safe="/")


def encode_listing(operation: str, params: dict[str, Any], result: dict[str, Any]) -> dict:
    """The listing with its keys URL-encoded when the request asked for `EncodingType=url`."""
    members = ENCODED_MEMBERS.get(operation)
    if members is None or params.get("EncodingType") != "url":
        return result
    top, nested = members
    encoded = dict(result)
    encoded["EncodingType"] = "url"
    for name in top:
        if isinstance(encoded.get(name), str):
            encoded[name] = _encode(encoded[name])
    for list_name, item_name in nested:
        items = encoded.get(list_name)
        if items:
            encoded[list_name] = [
                {**item, item_name: _encode(item[item_name])} if item_name in item else item
                for item in items
            ]
    return encoded
