"""The Slack sandbox: channels and their messages, with the Web API's cursor pagination."""

from __future__ import annotations

from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, Table
from .http import Reply

OBJECTS = (
    ObjectSpec(
        "conversations",
        "Channels",
        (
            FieldSpec("id", "Channel ID", "id", primary=True, writable=False),
            FieldSpec("name", "Name", nullable=False),
            FieldSpec("topic", "Topic"),
            FieldSpec("purpose", "Purpose"),
            FieldSpec("is_archived", "Archived", "boolean"),
            FieldSpec("num_members", "Members", "int"),
            FieldSpec("created", "Created", "datetime", writable=False, timestamp=True),
            FieldSpec("updated", "Updated", "datetime", writable=False, timestamp=True),
        ),
        "updated",
        "created",
    ),
    ObjectSpec(
        "messages",
        "Messages",
        (
            FieldSpec("ts", "Timestamp", "id", primary=True, writable=False, timestamp=True),
            FieldSpec("channel", "Channel ID", "reference", nullable=False),
            FieldSpec("user", "User ID", "reference"),
            FieldSpec("type", "Type"),
            FieldSpec("text", "Text", "textarea", nullable=False),
            FieldSpec("reply_count", "Replies", "int"),
        ),
        "ts",
        "",
    ),
)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Slack(SaasApp):
    """A Slack workspace: public channels with message history."""

    key = "slack"
    label = "Slack"
    connector_type = "Slack"
    properties_key = "Slack"
    rate_limit = (50, 60.0)  # Web API tier 3: about 50 requests a minute
    objects = OBJECTS

    def new_id(self, table: Table) -> str:
        number = self.next_number(table.spec.name)
        if table.spec.name == "messages":
            return f"{int(self.clock.now())}.{number:06d}"
        text = ""
        for _ in range(10):
            number, rest = divmod(number * 7919 + 13, 36)
            text += _ALNUM[rest]
        return "C" + text

    def stamp(self, when: float) -> int:
        return int(when)

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        if table.spec.name == "messages":
            record["type"] = "message"
            record["reply_count"] = record.get("reply_count") or 0
        else:
            record["is_archived"] = bool(record.get("is_archived"))

    def seed(self, pools: Pools) -> None:
        rng = self.random
        start = self.clock.now() - 30 * 86400
        users = [f"U{1000000 + i:08d}" for i in range(12)]
        channels = []
        for i, name in enumerate(("general", "sales", "support", "deals", "engineering")):
            channels.append(
                self.create(
                    "conversations",
                    {"name": name, "topic": rng.choice(pools.catch_phrases), "num_members": 12},
                    when=start + i,
                )
            )
        for i in range(120):
            self.create(
                "messages",
                {
                    "channel": channels[i % len(channels)]["id"],
                    "user": rng.choice(users),
                    "text": rng.choice(pools.sentences),
                },
                when=start + 3600 + i * 1800,
            )

    def random_change(self, object_name: str) -> dict[str, Any]:
        return {"topic": "Updated " + str(self.random.randrange(1000))}

    def unauthorized(self) -> Reply:
        return Reply(200, {"ok": False, "error": "not_authed"})

    def rate_limited(self) -> Reply:
        return Reply(
            429, {"ok": False, "error": "ratelimited"}, {"retry-after": str(self.retry_after())}
        )

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        params = dict(query)
        if isinstance(body, dict):
            params.update({k: str(v) for k, v in body.items()})
        limit = int(params.get("limit") or 100) if (params.get("limit") or "1").isdigit() else 100
        if path == "/api/conversations.list":
            items, nxt = self.page(
                list(self.tables["conversations"].records.values()), params.get("cursor"), limit
            )
            return Reply(
                200,
                {"ok": True, "channels": items, "response_metadata": {"next_cursor": nxt or ""}},
            )
        if path == "/api/conversations.history":
            channel = params.get("channel", "")
            if channel not in self.tables["conversations"].records:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            oldest = float(params.get("oldest") or 0)
            latest = float(params.get("latest") or 1e12)
            messages = [
                m
                for m in reversed(self.tables["messages"].records.values())
                if m["channel"] == channel and oldest < float(m["ts"]) <= latest
            ]
            items, nxt = self.page(messages, params.get("cursor"), limit)
            return Reply(
                200,
                {
                    "ok": True,
                    "messages": items,
                    "has_more": nxt is not None,
                    "response_metadata": {"next_cursor": nxt or ""},
                },
            )
        if path == "/api/chat.postMessage" and method == "POST":
            channel = params.get("channel", "")
            if channel not in self.tables["conversations"].records:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            if not params.get("text"):
                return Reply(200, {"ok": False, "error": "no_text"})
            message = self.create(
                "messages",
                {
                    "channel": channel,
                    "text": params["text"],
                    "user": params.get("user", "U00000001"),
                },
            )
            return Reply(
                200, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
            )
        return Reply(404, {"ok": False, "error": "unknown_method"})
