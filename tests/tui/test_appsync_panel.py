"""The API panel for AppSync: resolvers with their data sources, live subscriptions, recent requests."""

from __future__ import annotations

import pytest
from rich.console import Console

from engine import Engine
from tests.engine.test_appsync_graphql import build, post
from tui.app.api_inspector import api_details
from tui.app.widgets.inspection_view import render_inspection

pytestmark = pytest.mark.timeout(60)


def _text(renderable: object) -> str:
    console = Console(width=80, record=True)
    console.print(renderable)
    return console.export_text()


async def test_graphql_api_panel_lists_resolvers_and_requests(eng: Engine) -> None:
    recorder = eng.trace.record()
    _, url, key = await build(eng)
    await post(url, key, '{ echo(text: "x") }')
    await post(url, None, '{ echo(text: "x") }')
    (node,) = [n for n in eng.topology().nodes if n.service == "appsync" and n.name == "blog"]
    details = api_details(eng, node, recorder)
    routes = {r["route"]: r for r in details["routes"]}
    assert routes["Query.getPost"]["target"] == "posts"
    assert routes["Query.jsPost"]["integration"] == "JS"
    assert routes["Query.shout"]["target"] == "pipeline: upper"
    assert [r["status"] for r in details["requests"]] == [200, 401]
    assert details["requests"][1]["decided_by"] == "authorizer"
    shown = _text(render_inspection(details))
    assert "Query.getPost" in shown and "live subscriptions: 0" in shown
