"""HTTP and HTTP_PROXY integrations: lab APIs are called in-process; loopback URLs over real HTTP."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from engine.http import HttpRequest

if TYPE_CHECKING:
    from .pipeline import RequestContext
    from .service import ApiGatewayService

_LAB_API = re.compile(r"^([a-z0-9]+)\.execute-api\.[^.]+\.amazonaws\.com$")
_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding"}


async def call_http(
    service: ApiGatewayService,
    context: RequestContext,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, dict[str, str], bytes]:
    """Call an HTTP backend; raises GatewayAnswer when it cannot be reached or times out."""
    from .pipeline import GatewayAnswer

    parts = urlsplit(url)
    host = parts.hostname or ""
    lab = _LAB_API.match(host)
    if lab:
        request = HttpRequest(
            method,
            parts.path or "/",
            [tuple(p.split("=", 1)) for p in parts.query.split("&") if "=" in p],
            {k.lower(): v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP},
            body,
        )
        request.headers["host"] = host
        # handle_http finds the API (REST or HTTP API) and its stage from the host and path.
        response = await service.handle_http(request)
        return response.status, response.headers, response.body
    try:
        service.engine.outbound.check(url, "apigateway")
    except OSError as refused:
        context.log.append(f"Execution failed: {refused}")
        raise GatewayAnswer("INTEGRATION_FAILURE", "Internal server error", status="502") from None
    import httpx

    timeout = (
        context.route.method.integration.timeout_ms
        if context.route and context.route.method.integration
        else 29_000
    ) / 1000
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            response = await client.request(
                method,
                url,
                headers={k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP},
                content=body,
            )
    except httpx.TimeoutException:
        raise GatewayAnswer("INTEGRATION_TIMEOUT") from None
    except httpx.HTTPError as error:
        context.log.append(f"Execution failed due to a network error: {error}")
        raise GatewayAnswer("INTEGRATION_FAILURE", "Internal server error", status="502") from None
    answer_headers: dict[str, Any] = {
        k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP
    }
    return response.status_code, answer_headers, response.content
