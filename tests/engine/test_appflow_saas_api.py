"""The sandbox SaaS apps' REST APIs over a real loopback socket (httpx): Salesforce SOQL with
paging and modified-date filters, sObject writes, Zendesk, ServiceNow, Slack, GA4 and Marketo,
and each app's own rate-limit answer."""

from __future__ import annotations

import httpx
import pytest

from engine import Engine, VirtualClock

pytestmark = pytest.mark.timeout(60)
AUTH = {"Authorization": "Bearer sandbox"}
SF = "/salesforce/services/data/v59.0"


async def base(eng: Engine) -> str:
    return await eng.service("appflow").saas.endpoint()


async def test_salesforce_soql_with_modified_date_filter_and_writes(
    eng: Engine, clock: VirtualClock
):
    url = await base(eng)
    async with httpx.AsyncClient(base_url=url, headers=AUTH) as client:
        first = (
            await client.get(f"{SF}/query", params={"q": "SELECT Id, StageName FROM Opportunity"})
        ).json()
        assert (
            first["totalSize"] == 60
            and first["done"]
            and first["records"][0]["attributes"]["type"] == "Opportunity"
        )
        target = first["records"][0]["Id"]
        await clock.advance(60)
        since = "2000-01-01T00:00:00Z"
        before = (
            await client.get(
                f"{SF}/query",
                params={"q": f"SELECT Id FROM Opportunity WHERE LastModifiedDate > {since}"},
            )
        ).json()
        assert before["totalSize"] == 60
        patched = await client.patch(
            f"{SF}/sobjects/Opportunity/{target}", json={"StageName": "Closed Won"}
        )
        assert patched.status_code == 204
        record = (await client.get(f"{SF}/sobjects/Opportunity/{target}")).json()
        assert record["IsWon"] is True and record["Probability"] == 100.0
        cutoff = eng.service("appflow").saas.app("salesforce").stamp(clock.now() - 1)
        changed = (
            await client.get(
                f"{SF}/query",
                params={"q": f"SELECT Id FROM Opportunity WHERE LastModifiedDate > {cutoff}"},
            )
        ).json()
        assert [r["Id"] for r in changed["records"]] == [target]
        created = await client.post(
            f"{SF}/sobjects/Lead", json={"LastName": "Ng", "Company": "Acme"}
        )
        assert created.status_code == 201 and created.json()["id"].startswith("00Q")
        missing = await client.post(f"{SF}/sobjects/Lead", json={"FirstName": "No"})
        assert missing.status_code == 400 and "LastName" in missing.json()[0]["message"]
        bad = await client.get(f"{SF}/query", params={"q": "SELECT Nope FROM Account"})
        assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"
        described = (await client.get(f"{SF}/sobjects/Case/describe")).json()
        assert {f["name"] for f in described["fields"]} >= {"CaseNumber", "Status"}
        no_auth = await httpx.AsyncClient(base_url=url).get(f"{SF}/sobjects")
        assert no_auth.status_code == 401 and no_auth.json()[0]["errorCode"] == "INVALID_SESSION_ID"


async def test_salesforce_query_pages_with_next_records_url(eng: Engine):
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    for i in range(2100):
        sf.create("Lead", {"LastName": f"Bulk{i}", "Company": "Loadco"})
    async with httpx.AsyncClient(base_url=await base(eng), headers=AUTH) as client:
        page = (await client.get(f"{SF}/query", params={"q": "SELECT Id FROM Lead"})).json()
        assert page["totalSize"] == 2140 and not page["done"] and len(page["records"]) == 2000
        rest = (await client.get("/salesforce" + page["nextRecordsUrl"])).json()
        assert rest["done"] and len(rest["records"]) == 140


async def test_other_apps_answer_in_their_own_shapes(eng: Engine, clock: VirtualClock):
    async with httpx.AsyncClient(base_url=await base(eng), headers=AUTH) as client:
        tickets = (
            await client.get("/zendesk/api/v2/tickets.json", params={"page[size]": "25"})
        ).json()
        assert len(tickets["tickets"]) == 25 and tickets["meta"]["has_more"]
        after = tickets["meta"]["after_cursor"]
        more = (
            await client.get(
                "/zendesk/api/v2/tickets.json", params={"page[size]": "50", "page[after]": after}
            )
        ).json()
        assert len(more["tickets"]) == 35 and not more["meta"]["has_more"]
        made = await client.post(
            "/zendesk/api/v2/tickets.json", json={"ticket": {"subject": "Printer on fire"}}
        )
        assert made.status_code == 201 and made.json()["ticket"]["status"] == "new"
        start = int(clock.now())
        incremental = (
            await client.get(
                "/zendesk/api/v2/incremental/tickets/cursor.json", params={"start_time": str(start)}
            )
        ).json()
        assert [t["subject"] for t in incremental["tickets"]] == [
            "Printer on fire"
        ] and incremental["end_of_stream"]

        incidents = await client.get(
            "/servicenow/api/now/table/incident",
            params={"sysparm_limit": "10", "sysparm_query": "priority=1"},
        )
        assert incidents.headers["x-total-count"].isdigit() and all(
            r["priority"] == "1" for r in incidents.json()["result"]
        )
        assert incidents.json()["result"][0]["number"].startswith("INC")

        channels = (await client.get("/slack/api/conversations.list")).json()
        general = channels["channels"][0]["id"]
        assert channels["ok"] and general.startswith("C")
        posted = (
            await client.post(
                "/slack/api/chat.postMessage", json={"channel": general, "text": "hi"}
            )
        ).json()
        history = (
            await client.get(
                "/slack/api/conversations.history", params={"channel": general, "limit": "1"}
            )
        ).json()
        assert history["messages"][0]["ts"] == posted["ts"] and history["has_more"]

        report = (
            await client.post(
                "/ga4/v1beta/properties/345678901:runReport",
                json={
                    "dimensions": [{"name": "deviceCategory"}],
                    "metrics": [{"name": "activeUsers"}],
                },
            )
        ).json()
        assert {r["dimensionValues"][0]["value"] for r in report["rows"]} == {
            "desktop",
            "mobile",
            "tablet",
        }

        leads = (
            await client.get(
                "/marketo/rest/v1/leads.json",
                params={"filterType": "id", "filterValues": "1001,1002"},
            )
        ).json()
        assert leads["success"] and [lead["id"] for lead in leads["result"]] == [1001, 1002]
        token = (
            await client.get(
                "/marketo/rest/v1/activities/pagingtoken.json",
                params={"sinceDatetime": "2000-01-01T00:00:00Z"},
            )
        ).json()["nextPageToken"]
        activities = (
            await client.get("/marketo/rest/v1/activities.json", params={"nextPageToken": token})
        ).json()
        assert len(activities["result"]) == 150 and not activities["moreResult"]


async def test_rate_limits_answer_like_each_app(eng: Engine, clock: VirtualClock):
    async with httpx.AsyncClient(base_url=await base(eng), headers=AUTH) as client:
        for _ in range(50):
            assert (await client.get("/slack/api/conversations.list")).status_code == 200
        limited = await client.get("/slack/api/conversations.list")
        assert limited.status_code == 429 and limited.json()["error"] == "ratelimited"
        assert int(limited.headers["retry-after"]) >= 1
        await clock.advance(60)
        assert (await client.get("/slack/api/conversations.list")).status_code == 200
        for _ in range(100):
            await client.get(
                "/marketo/rest/v1/leads.json", params={"filterType": "id", "filterValues": "1001"}
            )
        over = (
            await client.get(
                "/marketo/rest/v1/leads.json", params={"filterType": "id", "filterValues": "1001"}
            )
        ).json()
        assert over["success"] is False and over["errors"][0]["code"] == "606"


async def test_malformed_requests_get_one_clear_answer(eng: Engine):
    async with httpx.AsyncClient(base_url=await base(eng), headers=AUTH) as client:
        assert (await client.get("/nowhere/x")).status_code == 404
        bad_json = await client.post(f"{SF}/sobjects/Lead", content=b"{not json")
        assert bad_json.status_code == 400
        bad_soql = await client.get(f"{SF}/query", params={"q": "DELETE everything"})
        assert bad_soql.json()[0]["errorCode"] == "MALFORMED_QUERY"
