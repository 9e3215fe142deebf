"""`request`: send an HTTP request to a deployed API Gateway stage and show what came back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = (
    "usage: request METHOD URL [-H 'Name: value']... [-d BODY] — URL is an invoke URL "
    "(https://ID.execute-api.REGION.amazonaws.com/STAGE/path) or API/STAGE/path with the API's name or id; "
    "a $default stage needs no STAGE"
)
_INVOKE_HOST = re.compile(r"^https?://([a-z0-9]+)\.execute-api\.[^/?]+")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _target(console: Console, url: str) -> tuple[str, Any, str, str, str] | None:
    """(service name, service, api id, stage, path?query) for an invoke URL or API/STAGE/path."""
    match = _INVOKE_HOST.match(url)
    if match:
        api_ref, rest = match.group(1), url[match.end() :]
    else:
        api_ref, slash, rest = url.lstrip("/").partition("/")
        if not slash:
            return None
    rest, question, query = rest.partition("?")
    query = question + query
    stage, _, tail = rest.lstrip("/").partition("/")
    for name in ("apigateway", "apigatewayv2"):
        if name not in console.services:
            continue
        service = console.engine.service(name)
        apis = getattr(service, "apis", {})
        for api_id, api in apis.items():
            if api_ref in (api_id, getattr(api, "name", None)):
                stages = getattr(api, "stages", {})
                if stage not in stages and "$default" in stages:
                    # A `$default` stage is served at the URL's root: no stage segment.
                    return name, service, api_id, "$default", "/" + rest.lstrip("/") + query
                return name, service, api_id, stage, "/" + tail + query
    return None


async def request(console: Console, args: list[str]) -> CommandResult:
    """`request METHOD URL [-H header]... [-d body]`."""
    from engine.http import HttpRequest

    if len(args) < 2 or args[0].upper() not in _METHODS:
        return CommandResult.fail(USAGE)
    method, url = args[0].upper(), args[1]
    headers: dict[str, str] = {}
    body = b""
    rest = args[2:]
    while rest:
        flag = rest.pop(0)
        if flag in ("-H", "--header") and rest:
            name, _, value = rest.pop(0).partition(":")
            if not name.strip():
                return CommandResult.fail(f"request: bad header {name!r}; use -H 'Name: value'")
            headers[name.strip().lower()] = value.strip()
        elif flag in ("-d", "--data") and rest:
            body = rest.pop(0).encode()
        else:
            return CommandResult.fail(USAGE)
    target = _target(console, url)
    if target is None:
        return CommandResult.fail(f"request: no deployed API matches {url}")
    _, service, api_id, stage, path = target
    split = urlsplit(path)
    headers.setdefault("host", f"{api_id}.execute-api.{console.engine.region}.amazonaws.com")
    if body:
        headers.setdefault("content-type", "application/json")
    http = HttpRequest(
        method, split.path or "/", parse_qsl(split.query, keep_blank_values=True), headers, body
    )
    response = await service.invoke(api_id, stage, http)
    text = response.body.decode("utf-8", "replace")
    value = {"status": response.status, "headers": dict(response.headers), "body": text}
    table = Table.grid(padding=(0, 2))
    for name, header in response.headers.items():
        table.add_row(Text(name, "dim"), header)
    style = "bold green" if response.status < 400 else "bold red"
    shown = (
        Syntax(text, "json", word_wrap=True) if text.lstrip().startswith(("{", "[")) else Text(text)
    )
    return CommandResult(
        value=value, output=Group(Text(f"HTTP {response.status}", style), table, shown)
    )


def register(console: Console) -> None:
    """Add `request` to the console."""
    console.register_command(
        "request", request, "request METHOD URL [-H 'Name: value'] [-d BODY] — call a deployed API"
    )
