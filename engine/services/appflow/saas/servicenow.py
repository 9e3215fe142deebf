"""The ServiceNow sandbox: the incident table over the Table API (sysparm_query, offset paging)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, SaasError, Table
from .http import Reply

STATES = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
OBJECTS = (
    ObjectSpec(
        "incident",
        "Incident",
        (
            FieldSpec("sys_id", "Sys ID", "id", primary=True, writable=False),
            FieldSpec("number", "Number", writable=False),
            FieldSpec("short_description", "Short description", nullable=False),
            FieldSpec("description", "Description", "textarea"),
            FieldSpec("state", "State", "picklist", values=tuple(STATES)),
            FieldSpec("priority", "Priority", "picklist", values=("1", "2", "3", "4", "5")),
            FieldSpec("urgency", "Urgency", "picklist", values=("1", "2", "3")),
            FieldSpec("impact", "Impact", "picklist", values=("1", "2", "3")),
            FieldSpec(
                "category",
                "Category",
                "picklist",
                values=("inquiry", "software", "hardware", "network", "database"),
            ),
            FieldSpec("caller_id", "Caller", "reference"),
            FieldSpec("sys_created_on", "Created", "datetime", writable=False, timestamp=True),
            FieldSpec("sys_updated_on", "Updated", "datetime", writable=False, timestamp=True),
        ),
        "sys_updated_on",
        "sys_created_on",
    ),
)
_TERM = re.compile(r"^(\w+)(>=|<=|!=|=|>|<|LIKE)(.*)$")


class ServiceNow(SaasApp):
    """A ServiceNow instance with the incident table."""

    key = "servicenow"
    label = "ServiceNow"
    connector_type = "Servicenow"
    properties_key = "ServiceNow"
    rate_limit = (100, 1.0)
    objects = OBJECTS

    def new_id(self, table: Table) -> str:
        number = self.next_number(table.spec.name)
        return f"{(number * 2654435761) & 0xFFFFFFFF:08x}" + f"{number:024x}"

    def stamp(self, when: float) -> str:
        return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S")

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        if record.get("number") is None:
            record["number"] = f"INC{10000 + self.next_number('INC'):07d}"
        record["state"] = record.get("state") or "1"
        record["priority"] = record.get("priority") or "4"

    def seed(self, pools: Pools) -> None:
        rng = self.random
        start = self.clock.now() - 45 * 86400
        for i in range(50):
            self.create(
                "incident",
                {
                    "short_description": rng.choice(pools.sentences)[:100],
                    "description": rng.choice(pools.sentences),
                    "state": rng.choice(tuple(STATES)),
                    "priority": rng.choice(("1", "2", "3", "4", "5")),
                    "urgency": rng.choice(("1", "2", "3")),
                    "impact": rng.choice(("1", "2", "3")),
                    "category": rng.choice(("inquiry", "software", "hardware", "network")),
                    "caller_id": f"{i % 7 + 1:032x}",
                },
                when=start + i * 5400,
            )

    def random_change(self, object_name: str) -> dict[str, Any]:
        return {"state": self.random.choice(("2", "3", "6"))}

    def unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "error": {
                    "message": "User Not Authenticated",
                    "detail": "Required to provide Auth information",
                },
                "status": "failure",
            },
        )

    def rate_limited(self) -> Reply:
        return Reply(
            429,
            {
                "error": {"message": "Rate limit exceeded", "detail": "Too many requests"},
                "status": "failure",
            },
            {"retry-after": str(self.retry_after())},
        )

    def _matches(self, record: dict, query: str) -> bool:
        for term in filter(None, query.split("^")):
            match = _TERM.match(term)
            if match is None:
                raise SaasError(f"invalid sysparm_query term {term!r}")
            name, op, value = match.groups()
            have = record.get(name)
            have = "" if have is None else str(have)
            ok = {
                "=": have == value,
                "!=": have != value,
                ">": have > value,
                "<": have < value,
                ">=": have >= value,
                "<=": have <= value,
                "LIKE": value.lower() in have.lower(),
            }[op]
            if not ok:
                return False
        return True

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        parts = [p for p in path.split("/") if p]
        if parts[:3] != ["api", "now", "table"] or len(parts) < 4 or parts[3] not in self.tables:
            return Reply(
                400, {"error": {"message": "Invalid table", "detail": path}, "status": "failure"}
            )
        table = self.tables[parts[3]]
        try:
            if len(parts) == 4 and method == "GET":
                rows = [
                    r
                    for r in table.records.values()
                    if self._matches(r, query.get("sysparm_query", ""))
                ]
                limit = int(query.get("sysparm_limit") or 10000)
                offset = int(query.get("sysparm_offset") or 0)
                page = rows[offset : offset + limit]
                headers = {"x-total-count": str(len(rows))}
                if offset + limit < len(rows):
                    headers["link"] = (
                        f"</api/now/table/{parts[3]}?sysparm_offset={offset + limit}"
                        f'&sysparm_limit={limit}>;rel="next"'
                    )
                return Reply(200, {"result": page}, headers)
            if len(parts) == 4 and method == "POST":
                return Reply(
                    201, {"result": self.create(parts[3], body if isinstance(body, dict) else {})}
                )
            if len(parts) == 5:
                record = table.records.get(parts[4])
                if record is None:
                    return Reply(
                        404,
                        {
                            "error": {"message": "No Record found", "detail": parts[4]},
                            "status": "failure",
                        },
                    )
                if method == "GET":
                    return Reply(200, {"result": record})
                if method in ("PATCH", "PUT"):
                    return Reply(200, {"result": self.update(parts[3], parts[4], body or {})})
        except (SaasError, ValueError) as error:
            return Reply(400, {"error": {"message": str(error), "detail": ""}, "status": "failure"})
        return Reply(
            405,
            {"error": {"message": "Method not supported", "detail": method}, "status": "failure"},
        )
