"""`saas …`: look at and change the sandbox SaaS apps, stream changes, and complete the words."""

from __future__ import annotations

import pytest

from engine import Engine, VirtualClock
from tui.console import Console
from tui.console.completion import complete

pytestmark = pytest.mark.timeout(60)


async def test_update_create_get_delete_and_list(eng: Engine, console: Console) -> None:
    overview = await console.execute("saas")
    assert overview.ok and {r["App"] for r in overview.value} >= {"salesforce", "zendesk", "ga4"}
    listed = await console.execute("saas salesforce list Opportunity --limit 3")
    assert listed.ok and len(listed.value) == 3
    opportunity = listed.value[0]["Id"]
    updated = await console.execute(
        f"saas salesforce update Opportunity {opportunity} StageName=Closed Won"
    )
    assert updated.ok, updated.error
    assert updated.value["StageName"] == "Closed Won" and updated.value["IsWon"] is True
    ticket = await console.execute(
        "saas zendesk create ticket subject=Printer on fire priority=high"
    )
    assert (
        ticket.ok
        and ticket.value["subject"] == "Printer on fire"
        and ticket.value["priority"] == "high"
    )
    got = await console.execute(f"saas zendesk get tickets {ticket.value['id']}")
    assert got.ok and got.value["status"] == "new"
    latest = await console.execute("saas zendesk list tickets --limit 1")
    assert latest.value[0]["id"] == ticket.value["id"]
    gone = await console.execute(f"saas zendesk delete tickets {ticket.value['id']}")
    assert gone.ok
    endpoint = await console.execute("saas endpoint")
    assert endpoint.value["endpoint"].startswith("http://127.0.0.1:")


async def test_bad_saas_commands_say_what_is_wrong(eng: Engine, console: Console) -> None:
    for line, expected in [
        ("saas hubspot", "no sandbox app called 'hubspot'"),
        ("saas salesforce list Widget", "Salesforce has no object Widget"),
        ("saas salesforce update Opportunity nope StageName=Closed Won", "does not exist"),
        ("saas salesforce update Opportunity", "give the record id"),
        ("saas salesforce explode Account", "unknown action"),
        ("saas salesforce create Lead LastName", "expected Field=Value"),
        (
            "saas salesforce create Lead FirstName=Ann",
            "Required fields are missing: [LastName, Company]",
        ),
        ("saas zendesk create ticket subject=x priority=whenever", "priority must be one of"),
        ("saas zendesk get tickets abc", "is not a Zendesk id"),
        ("saas load", "name an app"),
        ("saas load salesforce --rate fast", "--rate wants"),
        ("saas load salesforce --count 5 --for 10s", "not both"),
    ]:
        result = await console.execute(line)
        assert not result.ok and expected in result.error, (line, result.error)


async def test_load_streams_changes_on_the_engine_clock(
    eng: Engine, clock: VirtualClock, console: Console
) -> None:
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    before = sf.change
    started = await console.execute("saas load salesforce --rate 10/s --for 3s")
    assert started.ok and started.value["total"] == 30
    await clock.advance(1.05)
    assert 10 <= sf.change - before <= 11
    await clock.advance(5)
    assert sf.change - before == 30
    status = await console.execute("load")
    assert status.ok


async def test_saas_words_complete(eng: Engine, console: Console) -> None:
    assert {"salesforce", "zendesk", "load"} <= {c.text for c in complete(console, "saas ", 5)}
    assert "update" in {c.text for c in complete(console, "saas salesforce ", 16)}
    line = "saas salesforce update "
    assert "Opportunity" in {c.text for c in complete(console, line, len(line))}
    sf = eng.service("appflow").saas.app("salesforce")
    newest = list(sf.table("Opportunity").records)[-1]
    line = "saas salesforce update Opportunity "
    assert newest in {c.text for c in complete(console, line, len(line))}
    line = f"saas salesforce update Opportunity {newest} "
    assert "StageName=" in {c.text for c in complete(console, line, len(line))}


async def test_request_talks_to_a_sandbox_rest_api(eng: Engine, console: Console) -> None:
    query = await console.execute(
        "saas request GET /salesforce/services/data/v59.0/query?q=SELECT Id, Name FROM Account LIMIT 2"
    )
    assert query.ok and query.value["status"] == 200 and len(query.value["body"]["records"]) == 2
    made = await console.execute(
        'saas request POST /zendesk/api/v2/tickets.json -d \'{"ticket": {"subject": "Hello"}}\''
    )
    assert made.value["status"] == 201 and made.value["body"]["ticket"]["subject"] == "Hello"
    bad = await console.execute("saas request FETCH /salesforce")
    assert not bad.ok and "METHOD" in bad.error
