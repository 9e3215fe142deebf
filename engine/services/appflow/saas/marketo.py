"""The Marketo sandbox: leads and activities, with Marketo's paging tokens and 60x error codes."""

from __future__ import annotations

from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, SaasError, Table
from .http import Reply

ACTIVITY_TYPES = {
    1: "Visit Webpage",
    2: "Fill Out Form",
    6: "Send Email",
    10: "Open Email",
    11: "Click Email",
}
OBJECTS = (
    ObjectSpec(
        "leads",
        "Leads",
        (
            FieldSpec("id", "ID", "int", primary=True, writable=False),
            FieldSpec("email", "Email", "email", nullable=False),
            FieldSpec("firstName", "First Name"),
            FieldSpec("lastName", "Last Name"),
            FieldSpec("company", "Company"),
            FieldSpec("leadScore", "Lead Score", "int"),
            FieldSpec(
                "leadStatus",
                "Lead Status",
                "picklist",
                values=("New", "Engaged", "MQL", "SQL", "Recycled"),
            ),
            FieldSpec("createdAt", "Created At", "datetime", writable=False, timestamp=True),
            FieldSpec("updatedAt", "Updated At", "datetime", writable=False, timestamp=True),
        ),
        "updatedAt",
        "createdAt",
    ),
    ObjectSpec(
        "activities",
        "Activities",
        (
            FieldSpec("id", "ID", "int", primary=True, writable=False),
            FieldSpec("leadId", "Lead ID", "int", nullable=False),
            FieldSpec("activityTypeId", "Activity Type", "int", nullable=False),
            FieldSpec("primaryAttributeValue", "Primary attribute"),
            FieldSpec("activityDate", "Activity Date", "datetime", writable=False, timestamp=True),
        ),
        "activityDate",
        "activityDate",
    ),
)


class Marketo(SaasApp):
    """A Marketo instance: leads and what they did."""

    key = "marketo"
    label = "Marketo"
    connector_type = "Marketo"
    properties_key = "Marketo"
    rate_limit = (100, 20.0)  # Marketo: 100 calls per 20 seconds
    objects = OBJECTS

    def new_id(self, table: Table) -> int:  # type: ignore[override]
        return (1000 if table.spec.name == "leads" else 500000) + self.next_number(table.spec.name)

    def record_key(self, text: Any) -> int:
        if not str(text).isdigit():
            raise SaasError(f"{text!r} is not a Marketo id (a number)")
        return int(text)

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        if table.spec.name == "leads":
            record["leadStatus"] = record.get("leadStatus") or "New"
            record["leadScore"] = record.get("leadScore") or 0

    def seed(self, pools: Pools) -> None:
        rng = self.random
        start = self.clock.now() - 30 * 86400
        leads = []
        for i in range(50):
            first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
            leads.append(
                self.create(
                    "leads",
                    {
                        "email": f"{first}.{last}{i}@{rng.choice(pools.domains)}".lower(),
                        "firstName": first,
                        "lastName": last,
                        "company": rng.choice(pools.companies),
                        "leadScore": rng.randrange(0, 100),
                        "leadStatus": rng.choice(("New", "Engaged", "MQL")),
                    },
                    when=start + i * 900,
                )
            )
        for i in range(150):
            kind = rng.choice(tuple(ACTIVITY_TYPES))
            self.create(
                "activities",
                {
                    "leadId": leads[rng.randrange(len(leads))]["id"],
                    "activityTypeId": kind,
                    "primaryAttributeValue": ACTIVITY_TYPES[kind],
                },
                when=start + 86400 + i * 3000,
            )

    def random_change(self, object_name: str) -> dict[str, Any]:
        return {"leadScore": self.random.randrange(0, 100)}

    def _fail(self, code: str, message: str) -> Reply:
        return Reply(
            200,
            {
                "requestId": f"{self.next_number('request'):x}#sandbox",
                "success": False,
                "errors": [{"code": code, "message": message}],
            },
        )

    def unauthorized(self) -> Reply:
        return self._fail("601", "Access token invalid")

    def rate_limited(self) -> Reply:
        limit, window = self.rate_limit
        return self._fail("606", f"Max rate limit '{limit}' exceeded with in '{int(window)}' secs")

    def _ok(self, result: list, **extra: Any) -> Reply:
        return Reply(
            200,
            {
                "requestId": f"{self.next_number('request'):x}#sandbox",
                "result": result,
                "success": True,
                **extra,
            },
        )

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        try:
            if path == "/rest/v1/leads.json" and method == "GET":
                if query.get("filterType") != "id":
                    return self._fail("1003", "filterType must be id in the sandbox")
                wanted = [self.record_key(v) for v in query.get("filterValues", "").split(",") if v]
                table = self.tables["leads"].records
                return self._ok([table[i] for i in wanted if i in table])
            if path == "/rest/v1/leads.json" and method == "POST":
                results = []
                for item in (body or {}).get("input", []) if isinstance(body, dict) else []:
                    try:
                        results.append(
                            {"id": self.create("leads", item)["id"], "status": "created"}
                        )
                    except SaasError as error:
                        results.append(
                            {
                                "status": "skipped",
                                "reasons": [{"code": "1003", "message": str(error)}],
                            }
                        )
                return self._ok(results)
            if path == "/rest/v1/activities/pagingtoken.json":
                since = query.get("sinceDatetime", "")
                from .salesforce import parse_sf_time

                return Reply(
                    200,
                    {
                        "requestId": "0#sandbox",
                        "success": True,
                        "nextPageToken": f"T{int(parse_sf_time(since))}:0",
                    },
                )
            if path == "/rest/v1/activities.json":
                token = query.get("nextPageToken", "")
                if not token.startswith("T") or ":" not in token:
                    return self._fail("1003", "Invalid nextPageToken")
                since, offset = token[1:].split(":")
                kinds = {int(k) for k in query.get("activityTypeIds", "").split(",") if k.isdigit()}
                rows = [
                    a
                    for a in self.tables["activities"].changed_between(int(since), self.clock.now())
                    if not kinds or a["activityTypeId"] in kinds
                ]
                page, nxt = self.page(rows, offset, 300)
                return self._ok(
                    page, nextPageToken=f"T{since}:{nxt or len(rows)}", moreResult=nxt is not None
                )
        except (SaasError, ValueError) as error:
            return self._fail("1003", str(error))
        return Reply(404, {"success": False, "errors": [{"code": "404", "message": "Not found"}]})
