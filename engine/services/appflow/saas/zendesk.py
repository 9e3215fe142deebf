"""The Zendesk sandbox: tickets, users and organizations, cursor pagination and incremental export."""

from __future__ import annotations

from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, SaasError, Table
from .http import Reply


def _audit() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("created_at", "Created", "datetime", writable=False, timestamp=True),
        FieldSpec("updated_at", "Updated", "datetime", writable=False, timestamp=True),
    )


OBJECTS = (
    ObjectSpec(
        "tickets",
        "Tickets",
        (
            FieldSpec("id", "ID", "int", primary=True, writable=False),
            FieldSpec("subject", "Subject", nullable=False),
            FieldSpec("description", "Description", "textarea"),
            FieldSpec(
                "status",
                "Status",
                "picklist",
                values=("new", "open", "pending", "hold", "solved", "closed"),
            ),
            FieldSpec(
                "priority", "Priority", "picklist", values=("low", "normal", "high", "urgent")
            ),
            FieldSpec(
                "type", "Type", "picklist", values=("problem", "incident", "question", "task")
            ),
            FieldSpec("requester_id", "Requester", "int"),
            FieldSpec("organization_id", "Organization", "int"),
            *_audit(),
        ),
        "updated_at",
        "created_at",
    ),
    ObjectSpec(
        "users",
        "Users",
        (
            FieldSpec("id", "ID", "int", primary=True, writable=False),
            FieldSpec("name", "Name", nullable=False),
            FieldSpec("email", "Email", "email"),
            FieldSpec("role", "Role", "picklist", values=("end-user", "agent", "admin")),
            FieldSpec("organization_id", "Organization", "int"),
            *_audit(),
        ),
        "updated_at",
        "created_at",
    ),
    ObjectSpec(
        "organizations",
        "Organizations",
        (
            FieldSpec("id", "ID", "int", primary=True, writable=False),
            FieldSpec("name", "Name", nullable=False),
            FieldSpec("details", "Details", "textarea"),
            *_audit(),
        ),
        "updated_at",
        "created_at",
    ),
)


class Zendesk(SaasApp):
    """A Zendesk Support account."""

    key = "zendesk"
    label = "Zendesk"
    connector_type = "Zendesk"
    properties_key = "Zendesk"
    rate_limit = (700, 60.0)  # the Support API's Team plan: 700 requests a minute
    objects = OBJECTS

    def new_id(self, table: Table) -> int:  # type: ignore[override]
        return {"tickets": 0, "users": 360000000, "organizations": 36000000}[
            table.spec.name
        ] + self.next_number(table.spec.name)

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        if table.spec.name == "tickets":
            record["status"] = record.get("status") or "new"
            record["priority"] = record.get("priority") or "normal"

    def record_key(self, text: Any) -> int:
        if not str(text).isdigit():
            raise SaasError(f"{text!r} is not a Zendesk id (a number)")
        return int(text)

    def seed(self, pools: Pools) -> None:
        rng = self.random
        start = self.clock.now() - 60 * 86400
        orgs = [
            self.create("organizations", {"name": pools.companies[i]}, when=start + i)
            for i in range(10)
        ]
        users = []
        for i in range(30):
            first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
            users.append(
                self.create(
                    "users",
                    {
                        "name": f"{first} {last}",
                        "email": f"{first}.{last}@example.com".lower(),
                        "role": "agent" if i < 4 else "end-user",
                        "organization_id": orgs[i % 10]["id"],
                    },
                    when=start + 600 + i,
                )
            )
        for i in range(60):
            requester = users[4 + i % 26]
            self.create(
                "tickets",
                {
                    "subject": rng.choice(pools.sentences)[:80],
                    "description": rng.choice(pools.sentences),
                    "status": rng.choice(("new", "open", "pending", "solved")),
                    "priority": rng.choice(("low", "normal", "high", "urgent")),
                    "type": rng.choice(("problem", "incident", "question", "task")),
                    "requester_id": requester["id"],
                    "organization_id": requester["organization_id"],
                },
                when=start + 86400 + i * 7200,
            )

    def random_change(self, object_name: str) -> dict[str, Any]:
        if self.table(object_name).spec.name == "tickets":
            return {"status": self.random.choice(("open", "pending", "solved"))}
        return {"name": "Renamed " + str(self.random.randrange(1000))}

    def unauthorized(self) -> Reply:
        return Reply(401, {"error": "Couldn't authenticate you"})

    def rate_limited(self) -> Reply:
        return Reply(
            429,
            {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            },
            {"retry-after": str(self.retry_after())},
        )

    def _singular(self, name: str) -> str:
        return name[:-1]

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["api", "v2"] or len(parts) < 3:
            return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
        rest = parts[2:]
        size = (
            int(query.get("page[size]", "100")) if query.get("page[size]", "1").isdigit() else 100
        )
        if rest[0] == "incremental" and len(rest) == 3 and rest[2] == "cursor.json":
            name = rest[1]
            if name not in self.tables:
                return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
            start, _, offset = (query.get("cursor") or query.get("start_time") or "").partition(":")
            if not start.isdigit():
                return Reply(
                    400, {"error": "InvalidValue", "description": "start_time is required"}
                )
            changed = self.tables[name].changed_between(int(start) - 1, self.clock.now())
            page, nxt = self.page(changed, offset, 1000)
            nxt = f"{start}:{nxt}" if nxt else None
            return Reply(200, {name: page, "after_cursor": nxt, "end_of_stream": nxt is None})
        name = rest[0].removesuffix(".json")
        if name not in self.tables:
            return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
        table = self.tables[name]
        try:
            if len(rest) == 1 and method == "GET":
                page, nxt = self.page(list(table.records.values()), query.get("page[after]"), size)
                return Reply(
                    200, {name: page, "meta": {"has_more": nxt is not None, "after_cursor": nxt}}
                )
            if len(rest) == 1 and method == "POST":
                fields = (body or {}).get(self._singular(name)) if isinstance(body, dict) else None
                if not isinstance(fields, dict):
                    return Reply(
                        400, {"error": "RecordInvalid", "description": "Record validation errors"}
                    )
                return Reply(201, {self._singular(name): self.create(name, fields)})
            if len(rest) == 2:
                record_id = self.record_key(rest[1].removesuffix(".json"))
                record = table.records.get(record_id)  # type: ignore[call-overload]
                if record is None:
                    return Reply(404, {"error": "RecordNotFound", "description": "Not found"})
                if method == "GET":
                    return Reply(200, {self._singular(name): record})
                if method == "PUT":
                    fields = (
                        (body or {}).get(self._singular(name)) if isinstance(body, dict) else None
                    )
                    if not isinstance(fields, dict):
                        return Reply(
                            400,
                            {"error": "RecordInvalid", "description": "Record validation errors"},
                        )
                    return Reply(200, {self._singular(name): self.update(name, record_id, fields)})  # type: ignore[arg-type]
        except SaasError as error:
            return Reply(422, {"error": "RecordInvalid", "description": str(error)})
        return Reply(404, {"error": "InvalidEndpoint", "description": "Not found"})
