"""S3's `aws-chunked` upload encoding, which SDKs use for streamed (SigV4 streaming) PUTs.

The body is a series of `<hex size>[;chunk-signature=…]\\r\\n<data>\\r\\n` chunks ending with a
zero-size chunk, optionally followed by trailer headers (`x-amz-checksum-crc32:…`) and a blank
line. The lab checks no signatures; it takes the data back out and the trailers as headers.
"""

from __future__ import annotations

from engine.http import HttpRequest

from .errors import WireError

_INCOMPLETE = WireError("IncompleteBody", "The request body terminated unexpectedly")


def is_aws_chunked(request: HttpRequest) -> bool:
    """Whether the request body is in the aws-chunked encoding."""
    encoding = request.headers.get("content-encoding", "")
    declared = request.headers.get("x-amz-content-sha256", "")
    return "aws-chunked" in encoding or declared.startswith("STREAMING-")


def decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload and trailers of an aws-chunked body; IncompleteBody when it is cut short."""
    data = bytearray()
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise _INCOMPLETE
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _INCOMPLETE from None
        start = line_end + 2
        if size == 0:
            return bytes(data), _trailers(body[start:])
        end = start + size
        if end + 2 > len(body) or body[end : end + 2] != b"\r\n":
            raise _INCOMPLETE
        data += body[start:end]
        position = end + 2


def _trailers(text: bytes) -> dict[str, str]:
    """Trailer lines (`x-amz-checksum-crc32:…`), lower-cased names, signatures left out."""
    trailers = {}
    for line in text.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if colon and name and name != "x-amz-trailer-signature":
            trailers[name] = value.strip()
    return trailers


def unchunked(request: HttpRequest) -> HttpRequest:
    """The request with its aws-chunked body decoded and the encoding headers put right."""
    headers = dict(request.headers)
    encodings = [e.strip() for e in headers.pop("content-encoding", "").split(",") if e.strip()]
    encodings = [e for e in encodings if e != "aws-chunked"]
    if encodings:
        headers["content-encoding"] = ",".join(encodings)
    body, trailers = decode_aws_chunked(request.body)
    headers.update(trailers)
    headers["content-length"] = str(len(body))
    return HttpRequest(
        request.method,
        request.path,
        request.query,
        headers,
        body,
        request.source_ip,
        request.scheme,
    )
