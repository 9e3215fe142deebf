"""The MD5 digests SQS returns, computed exactly as AWS does (boto3 verifies them)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

_STRING_TYPE = 1
_BINARY_TYPE = 2


def md5_of_body(body: str) -> str:
    """MD5 hex digest of the UTF-8 message body."""
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _encoded(value: bytes) -> bytes:
    return struct.pack("!I", len(value)) + value


def md5_of_attributes(attributes: Mapping[str, Mapping]) -> str:
    """MD5 over message (or system) attributes in AWS's length-prefixed, name-sorted encoding."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        attribute = attributes[name]
        data_type = attribute["DataType"]
        digest.update(_encoded(name.encode("utf-8")))
        digest.update(_encoded(data_type.encode("utf-8")))
        if "StringValue" in attribute:
            digest.update(bytes([_STRING_TYPE]))
            digest.update(_encoded(attribute["StringValue"].encode("utf-8")))
        elif "BinaryValue" in attribute:
            digest.update(bytes([_BINARY_TYPE]))
            value = attribute["BinaryValue"]
            if isinstance(value, str):
                value = value.encode("utf-8")
            digest.update(_encoded(bytes(value)))
    return digest.hexdigest()
