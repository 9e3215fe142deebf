"""Object checksums: the algorithm a writer names or sends a value for, verified and stored.

S3 keeps one full-object checksum per object: the one the request carried (`x-amz-checksum-*`,
as a header or an aws-chunked trailer), else the algorithm it named, else CRC64NVME, which S3
adds to every new object since 2025. CRC32C and CRC64NVME come from anycrc (a C CRC library),
imported when first needed.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from functools import cache
from typing import Any

from engine.errors import ServiceError

#: The algorithms S3 knows, by name, with their answer member and the digest's length in bytes.
ALGORITHMS = {
    "CRC32": ("ChecksumCRC32", 4),
    "CRC32C": ("ChecksumCRC32C", 4),
    "CRC64NVME": ("ChecksumCRC64NVME", 8),
    "SHA1": ("ChecksumSHA1", 20),
    "SHA256": ("ChecksumSHA256", 32),
}

DEFAULT = "CRC64NVME"


def compute(algorithm: str, data: bytes) -> str:
    """The base64 checksum of `data` with `algorithm` (one of ALGORITHMS)."""
    if algorithm == "CRC32":
        digest = zlib.crc32(data).to_bytes(4, "big")
    elif algorithm == "SHA1":
        digest = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        digest = hashlib.sha256(data).digest()
    else:
        size = ALGORITHMS[algorithm][1]
        digest = _crc_model(algorithm).calc(data).to_bytes(size, "big")
    return base64.b64encode(digest).decode()


@cache
def _crc_model(algorithm: str) -> Any:
    """anycrc's model for CRC32C or CRC64NVME (loaded when an object first needs one)."""
    import anycrc

    return anycrc.Model({"CRC32C": "CRC32C", "CRC64NVME": "CRC64-NVME"}[algorithm])


def _given(params: dict) -> tuple[str, str] | None:
    """The (algorithm, value) a request carries, if any."""
    for algorithm, (member, _) in ALGORITHMS.items():
        if member in params:
            return algorithm, str(params[member])
    return None


def _check_value(algorithm: str, value: str) -> None:
    member, size = ALGORITHMS[algorithm]
    try:
        decoded = base64.b64decode(value, validate=True)
    except ValueError:
        decoded = b""
    if len(decoded) != size:
        raise ServiceError(
            "InvalidRequest",
            f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.",
        )


def for_write(params: dict, data: bytes) -> tuple[str, str]:
    """The (algorithm, value) to store for a written body; BadDigest when a value is wrong."""
    given = _given(params)
    if given is not None:
        algorithm, value = given
        _check_value(algorithm, value)
        if compute(algorithm, data) != value:
            raise ServiceError(
                "BadDigest",
                f"The {algorithm} you specified did not match the calculated checksum.",
            )
        return algorithm, value
    algorithm = str(params.get("ChecksumAlgorithm") or "").upper()
    if algorithm not in ALGORITHMS:
        algorithm = DEFAULT
    return algorithm, compute(algorithm, data)


def answer(algorithm: str | None, value: str | None, kind: str = "FULL_OBJECT") -> dict[str, Any]:
    """The answer members naming a stored checksum ({} when there is none)."""
    if not algorithm or not value:
        return {}
    return {ALGORITHMS[algorithm][0]: value, "ChecksumType": kind}


def default_type(algorithm: str) -> str:
    """The checksum type a multipart upload gets when it names only an algorithm."""
    return "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"


def composite(algorithm: str, part_values: list[str]) -> str:
    """A multipart object's COMPOSITE checksum: of the parts' digests joined, then "-N"."""
    joined = b"".join(base64.b64decode(value) for value in part_values)
    return f"{compute(algorithm, joined)}-{len(part_values)}"


def check_content_md5(params: dict, data: bytes, hex_expected: bool) -> None:
    """Content-MD5: 16 base64 bytes (InvalidDigest) that match the body (BadDigest).

    AWS names the expected digest in hex for PutObject and in base64 for UploadPart.
    """
    if "ContentMD5" not in params:
        return
    given = str(params["ContentMD5"])
    try:
        expected = base64.b64decode(given, validate=True)
    except ValueError:
        expected = b""
    if len(expected) != 16:
        raise ServiceError(
            "InvalidDigest",
            "The Content-MD5 you specified was invalid.",
            extra={"Content-MD5": given},
        )
    actual = hashlib.md5(data).digest()
    if expected != actual:
        raise ServiceError(
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            extra={
                "ExpectedDigest": expected.hex() if hex_expected else given,
                "CalculatedDigest": base64.b64encode(actual).decode(),
            },
        )
