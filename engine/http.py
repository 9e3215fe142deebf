"""Plain HTTP request and response objects shared by the wire endpoint and API Gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(slots=True)
class HttpRequest:
    """An HTTP request as the lab sees it: header names lower-cased, body as bytes."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    scheme: str = "http"

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        query_string: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> HttpRequest:
        """A request from its parts (the query string is parsed, headers lower-cased)."""
        return cls(
            method.upper(),
            path,
            parse_qsl(query_string, keep_blank_values=True),
            {k.lower(): v for k, v in (headers or {}).items()},
            body,
        )

    @property
    def host(self) -> str:
        """The Host header without its port."""
        return self.headers.get("host", "").rsplit(":", 1)[0]

    def query_dict(self) -> dict[str, str]:
        """The query string as a dict (the last value of a repeated name wins)."""
        return dict(self.query)


@dataclass(slots=True)
class HttpResponse:
    """An HTTP response: status, headers and body bytes."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
