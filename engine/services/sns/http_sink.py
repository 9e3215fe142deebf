"""HTTP/S endpoints for SNS: a lab registry of in-process endpoints, plus real loopback HTTP."""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from engine.outbound import is_loopback_host

#: Seconds SNS waits for an HTTP endpoint to answer (AWS: 15 s).
HTTP_TIMEOUT = 15.0


@dataclass(slots=True, frozen=True)
class HttpRequest:
    """One POST SNS made to an HTTP/S endpoint."""

    time: float
    url: str
    headers: dict[str, str]
    body: str
    status: int = 0  # the endpoint's answer (0: no answer)


@dataclass(slots=True)
class _Endpoint:
    handler: Callable[[HttpRequest], int | Awaitable[int] | None] | None
    auto_confirm: bool = False
    requests: list[HttpRequest] = field(default_factory=list)


class HttpSink:
    """Where SNS's HTTP/S deliveries go: registered lab endpoints first, then loopback HTTP."""

    def __init__(
        self,
        now: Callable[[], float],
        history: int = 10_000,
        outbound: Callable[[str, str], None] | None = None,
    ) -> None:
        self._now = now
        #: Raises OSError for a host the lab may not reach (the engine's outbound policy).
        self._outbound = outbound or _loopback_only
        self._endpoints: dict[str, _Endpoint] = {}
        #: Every request made, newest last (bounded).
        self.requests: deque[HttpRequest] = deque(maxlen=history)

    def register(
        self,
        url: str,
        handler: Callable[[HttpRequest], int | Awaitable[int] | None] | None = None,
        *,
        auto_confirm: bool = False,
    ) -> None:
        """Serve `url` in the lab: `handler(request)` returns the HTTP status (default 200).

        With `auto_confirm`, a 2xx answer to a SubscriptionConfirmation confirms the subscription
        (a lab shortcut for an endpoint that visits the SubscribeURL).
        """
        self._endpoints[url] = _Endpoint(handler, auto_confirm)

    def auto_confirms(self, url: str) -> bool:
        """Whether the lab endpoint at `url` confirms subscriptions by itself."""
        endpoint = self._endpoints.get(url)
        return endpoint is not None and endpoint.auto_confirm

    def unregister(self, url: str) -> None:
        """Stop serving `url`."""
        self._endpoints.pop(url, None)

    def received(self, url: str) -> list[HttpRequest]:
        """The requests a registered endpoint has received, oldest first."""
        endpoint = self._endpoints.get(url)
        return list(endpoint.requests) if endpoint else []

    async def post(self, url: str, headers: dict[str, str], body: str) -> int:
        """POST `body` to `url`; the endpoint's status code, or 0 when nothing answered."""
        endpoint = self._endpoints.get(url)
        request = HttpRequest(self._now(), url, dict(headers), body)
        if endpoint is not None:
            status = 200
            if endpoint.handler is not None:
                try:
                    answer = endpoint.handler(request)
                    if inspect.isawaitable(answer):
                        answer = await answer
                    status = 200 if answer is None else int(answer)
                except Exception:  # a lab endpoint that crashes answers like a broken server
                    status = 500
        else:
            try:
                self._outbound(url, "sns")
            except OSError:
                status = 0  # refused (and traced): a delivery nothing answered
            else:
                status = await _post_over_network(url, headers, body)
        request = HttpRequest(request.time, url, request.headers, body, status)
        if endpoint is not None:
            endpoint.requests.append(request)
        self.requests.append(request)
        return status


def _loopback_only(url: str, source: str = "sns") -> None:
    host = urlsplit(url).hostname or ""
    if not is_loopback_host(host):
        raise OSError(f"the lab reaches only loopback, not {host}")


async def _post_over_network(url: str, headers: dict[str, str], body: str) -> int:
    """A real HTTP/1.1 POST to a loopback server (a test's); 0 if it cannot be reached."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    context = None
    if secure:
        # Loopback test servers use self-signed certificates.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    data = body.encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(data)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port, ssl=context), HTTP_TIMEOUT
        )
    except (TimeoutError, OSError):
        return 0
    try:
        writer.write(head + data)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), HTTP_TIMEOUT)
        fields = status_line.decode("latin-1").split()
        return int(fields[1]) if len(fields) >= 2 and fields[1].isdigit() else 0
    except (TimeoutError, OSError):
        return 0
    finally:
        writer.close()
