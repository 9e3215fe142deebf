"""`graphql API 'query…'` and `graphql subscribe API 'subscription…'`: talk to an AppSync API.

Queries and mutations go through the API's own endpoint logic (auth, resolvers, fan-out);
`--auth api-key` (the default: the API's newest valid key), `--auth lambda=TOKEN` or
`--auth jwt=TOKEN` choose the credentials. Subscriptions live in the lab: what they receive is
traced (`watch` prints it as it arrives) and listed by `graphql received`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.syntax import Syntax
from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "graphql": "graphql API 'query { … }' [--variables JSON] [--auth api-key|lambda=TOKEN|jwt=TOKEN]",
    "graphql subscribe": "graphql subscribe API 'subscription { … }' [--auth …]",
    "graphql received": "graphql received [API]",
}
OPTIONS = ("--variables", "--auth")


class Usage(Exception):
    """A malformed graphql lab command (the message is the one line to show)."""


def _parse(name: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word in OPTIONS:
            if i + 1 >= len(args):
                raise Usage(f"{name}: {word} needs a value — usage: {USAGE[name]}")
            options[word] = args[i + 1]
            i += 2
            continue
        if word.startswith("--"):
            raise Usage(f"{name}: unknown option {word} — usage: {USAGE[name]}")
        positional.append(word)
        i += 1
    return positional, options


def _headers(console: Console, api: Any, auth: str | None) -> dict[str, str]:
    service = console.engine.service("appsync")
    if auth is None or auth == "api-key":
        headers = service.default_headers(api)
        if auth == "api-key" and not headers:
            raise Usage("graphql: the API has no valid API key (appsync create-api-key --api-id …)")
        return headers
    kind, sep, token = auth.partition("=")
    if kind in ("lambda", "jwt") and sep and token:
        return {"authorization": token}
    if kind == "api-key" and sep and token:
        return {"x-api-key": token}
    raise Usage("graphql: --auth takes api-key, api-key=KEY, lambda=TOKEN or jwt=TOKEN")


def _api(console: Console, name: str) -> Any:
    try:
        return console.engine.service("appsync").graphql_api_named(name)
    except ServiceError as error:
        raise Usage(f"graphql: {error.message}") from None


async def query(console: Console, args: list[str]) -> CommandResult:
    """Run a query or mutation against an API."""
    positional, options = _parse("graphql", args)
    if len(positional) != 2:
        raise Usage(f"usage: {USAGE['graphql']}")
    api = _api(console, positional[0])
    variables = None
    if "--variables" in options:
        try:
            variables = json.loads(options["--variables"])
        except ValueError as error:
            raise Usage(f"graphql: --variables is not JSON: {error}") from None
        if not isinstance(variables, dict):
            raise Usage("graphql: --variables must be a JSON object")
    headers = _headers(console, api, options.get("--auth"))
    status, body = await console.engine.service("appsync").execute(
        api, positional[1], variables, headers
    )
    text = json.dumps(body, indent=2, default=str)
    if status != 200:
        errors = body.get("errors") or [{}]
        return CommandResult.fail(
            f"{errors[0].get('errorType', 'Error')}: {errors[0].get('message', status)}"
        )
    return CommandResult(ok=True, value=body, output=Syntax(text, "json", theme="ansi_dark"))


async def subscribe(console: Console, args: list[str]) -> CommandResult:
    """Subscribe inside the lab; events are traced as they arrive."""
    positional, options = _parse("graphql subscribe", args)
    if len(positional) != 2:
        raise Usage(f"usage: {USAGE['graphql subscribe']}")
    api = _api(console, positional[0])
    headers = _headers(console, api, options.get("--auth"))
    service = console.engine.service("appsync")
    socket, error = await service.realtime.lab_subscribe(api, positional[1], headers)
    if error is not None:
        return CommandResult.fail(f"graphql subscribe: {error}")
    subscribers = console.__dict__.setdefault("_graphql_subscribers", [])
    subscribers.append((api.name, socket))
    text = Text(
        f"subscribed to {api.name}; data appears in the trace as it arrives "
        "(watch) and in `graphql received`"
    )
    return CommandResult(ok=True, value={"Api": api.name, "Subscribed": True}, output=text)


async def received(console: Console, args: list[str]) -> CommandResult:
    """What the lab's subscriptions have received."""
    positional, _ = _parse("graphql received", args)
    rows = []
    for name, socket in console.__dict__.get("_graphql_subscribers", []):
        if positional and positional[0] != name:
            continue
        for payload in socket.received:
            rows.append({"Api": name, "Data": json.dumps(payload.get("data"), default=str)})
    return CommandResult(ok=True, value=rows, output=records_table(rows, "Subscription data"))


def _wrap(handler: Any) -> Any:
    async def run(console: Console, args: list[str]) -> CommandResult:
        try:
            return await handler(console, args)
        except Usage as error:
            return CommandResult.fail(str(error))
        except ServiceError as error:
            return CommandResult.fail(f"{error.code}: {error.message}")

    return run


def completions(console: Console, args: list[str]) -> list[tuple[str, str, str]]:
    """API names first, then options."""
    if not args:
        service = console.engine.running("appsync")
        if service is None:
            return []
        return [(a.name, a.name, "GraphQL API") for a in service.apis.values()]  # type: ignore[attr-defined]
    return [(o, o, "graphql") for o in OPTIONS if o not in args]


def register(console: Console) -> None:
    """Register `graphql`, `graphql subscribe` and `graphql received`."""
    console.register_command(
        "graphql", _wrap(query), f"{USAGE['graphql']} — query an AppSync API", OPTIONS
    )
    console.register_command(
        "graphql subscribe",
        _wrap(subscribe),
        f"{USAGE['graphql subscribe']} — subscribe in the lab",
        ("--auth",),
    )
    console.register_command(
        "graphql received",
        _wrap(received),
        f"{USAGE['graphql received']} — what lab subscriptions got",
    )
