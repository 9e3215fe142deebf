"""`graphql API 'query…'`, `graphql subscribe` and `graphql received`, with API-name completion."""

from __future__ import annotations

import pytest

from engine import Engine
from tests.engine.test_appsync_realtime import build
from tui.console import Console
from tui.console.completion import complete

pytestmark = pytest.mark.timeout(30)


async def test_query_mutation_and_lab_subscription(eng: Engine, console: Console) -> None:
    await build(eng)
    hello = await console.execute("graphql chat '{ __typename }'")
    assert hello.ok, hello.error
    assert hello.value == {"data": {"__typename": "Query"}}
    subscribed = await console.execute(
        "graphql subscribe chat 'subscription { onSend(room: \"lobby\") { text } }'"
    )
    assert subscribed.ok, subscribed.error
    sent = await console.execute(
        "graphql chat 'mutation($t: String) { send(room: \"lobby\", text: $t) { room text } }' "
        '--variables \'{"t": "hi"}\''
    )
    assert sent.value == {"data": {"send": {"room": "lobby", "text": "hi"}}}
    await console.execute('graphql chat \'mutation { send(room: "attic", text: "no") { room } }\'')
    got = await console.execute("graphql received chat")
    assert got.value == [{"Api": "chat", "Data": '{"onSend": {"text": "hi"}}'}]


async def test_bad_graphql_commands_say_what_is_wrong(eng: Engine, console: Console) -> None:
    await build(eng)
    missing = await console.execute("graphql nope '{ x }'")
    assert not missing.ok and "not found" in missing.error
    bad_vars = await console.execute("graphql chat '{ hello }' --variables '[1'")
    assert not bad_vars.ok and "--variables" in bad_vars.error
    bad_auth = await console.execute("graphql chat '{ hello }' --auth lambda=letmein")
    assert not bad_auth.ok and "UnauthorizedException" in bad_auth.error
    invalid = await console.execute("graphql subscribe chat '{ hello }'")
    assert not invalid.ok and "subscriptions" in invalid.error


async def test_api_names_complete(eng: Engine, console: Console) -> None:
    await build(eng)
    found = [c.text for c in complete(console, "graphql ", len("graphql "))]
    assert "chat" in found
