"""The stacks view: a stack's events as DescribeStackEvents lists them, live while it deploys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Engine
from tui.app import PipeworkApp
from tui.app.screens.stacks import REFRESH_SECONDS, StackEventsScreen
from tui.app.widgets.flow_map import FlowMap
from tui.app.widgets.stack_events import StackEventsTable

pytestmark = pytest.mark.timeout(60)

TEMPLATE = {
    "Resources": {
        "Orders": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            },
        },
        "Inbox": {"Type": "AWS::SQS::Queue"},
    }
}


async def _until(pilot: object, ready: object) -> None:
    """Let the app run until `ready()` holds (the view refreshes every REFRESH_SECONDS)."""
    for _ in range(40):
        await pilot.pause(REFRESH_SECONDS)  # type: ignore[attr-defined]
        if ready():  # type: ignore[operator]
            return
    raise AssertionError("the stacks view did not catch up")


def _cells(table: StackEventsTable) -> list[tuple[str, str, str, str]]:
    """(logical id, type, status, reason) per row, top row first."""
    return [
        tuple(str(table.get_row_at(i)[col]) for col in (1, 2, 3, 4))  # type: ignore[misc]
        for i in range(table.row_count)
    ]


async def test_deploy_in_the_command_bar_shows_events_as_they_happen(
    app: PipeworkApp, eng: Engine, tmp_path: Path
) -> None:
    eng.settings["cloudformation.lint"] = "off"
    eng.settings["dynamodb.status_delay"] = 20.0  # the table takes 20 s of lab time
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(TEMPLATE))
    other = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "old"}}}}
    await eng.service("cloudformation").deploy_template(json.dumps(other), "other", {})  # type: ignore[attr-defined]
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        app.selected = next(n.id for n in eng.topology().nodes if n.name == "old")
        app.run_command(f"deploy {path}")
        await _until(pilot, lambda: isinstance(app.screen, StackEventsScreen))
        screen = app.screen
        assert isinstance(screen, StackEventsScreen)
        table = screen.query_one(StackEventsTable)
        await _until(pilot, lambda: any(r[0] == "Inbox" for r in _cells(table)))
        rows = _cells(table)
        # Newest first, as DescribeStackEvents: the table is still being created.
        latest_of_table = next(r for r in rows if r[0] == "Orders")
        assert latest_of_table[:3] == ("Orders", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS")
        assert rows[-1][0] == "orders"
        assert (
            "orders",
            "AWS::CloudFormation::Stack",
            "CREATE_IN_PROGRESS",
            "User Initiated",
        ) in rows
        assert ("Inbox", "AWS::SQS::Queue", "CREATE_COMPLETE", "") in rows
        # The deploying stack, not the selected resource's.
        assert (screen.shown()["name"], screen.shown()["status"]) == (
            "orders",
            "CREATE_IN_PROGRESS",
        )
        await eng.clock.advance(30)
        await _until(pilot, lambda: _cells(table)[0][2] == "CREATE_COMPLETE")
        rows = _cells(table)
        assert rows[0][:3] == ("orders", "AWS::CloudFormation::Stack", "CREATE_COMPLETE")
        assert rows[1][:3] == ("Orders", "AWS::DynamoDB::Table", "CREATE_COMPLETE")
        assert len(rows) == len(screen.shown()["events"]) == 8
        await pilot.press("escape")
        assert not isinstance(app.screen, StackEventsScreen)


async def test_s_opens_the_selected_resources_stack(app: PipeworkApp, eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"
    cfn = eng.service("cloudformation")
    queue = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q1"}}}}
    await cfn.deploy_template(json.dumps(queue), "first", {})  # type: ignore[attr-defined]
    queue["Resources"]["Q"]["Properties"]["QueueName"] = "q2"
    await cfn.deploy_template(json.dumps(queue), "second", {})  # type: ignore[attr-defined]
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        node = next(n for n in eng.topology().nodes if n.name == "q1")
        assert node.stack == "first"
        app.selected = node.id
        app.screen.query_one(FlowMap).focus()
        await pilot.press("s")
        await pilot.pause(REFRESH_SECONDS * 2)
        screen = app.screen
        assert isinstance(screen, StackEventsScreen)
        assert screen.shown()["name"] == "first"  # not the stack deployed last
        assert _cells(screen.query_one(StackEventsTable))[0][:3] == (
            "first",
            "AWS::CloudFormation::Stack",
            "CREATE_COMPLETE",
        )
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.shown()["name"] == "second"
        await pilot.press("escape")
        await pilot.pause()
