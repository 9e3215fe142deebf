"""The RabbitMQ management HTTP API's core, on the broker's console URL (basic auth).

Reads: /api/overview, /api/whoami, /api/vhosts, /api/users, /api/queues[/vhost[/name]],
/api/exchanges[/vhost[/name]], /api/bindings[/vhost]. Writes: PUT/DELETE /api/users/NAME and
/api/vhosts/NAME (Amazon MQ for RabbitMQ manages users and vhosts this way, not via its API).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httptools

if TYPE_CHECKING:
    from .broker import RabbitBroker

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
}


class _Request:
    def __init__(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


class ManagementApi:
    """Serves one broker's management API connections."""

    def __init__(self, broker: RabbitBroker) -> None:
        self.broker = broker

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request, answer it, close (Connection: close)."""
        request = _Request()
        parser = httptools.HttpRequestParser(request)
        while not request.done:
            chunk = await reader.read(65536)
            if not chunk:
                return
            try:
                parser.feed_data(chunk)
            except httptools.HttpParserError:
                await self._write(writer, 400, {"error": "bad_request", "reason": "malformed HTTP"})
                return
        method = parser.get_method().decode()
        path = httptools.parse_url(request.url).path.decode()
        status, payload = self.handle(method, path, request.headers, request.body)
        await self._write(writer, status, payload)

    async def _write(self, writer: asyncio.StreamWriter, status: int, payload: Any) -> None:
        body = b"" if payload is None else json.dumps(payload, default=str).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n"
        )
        if status == 401:
            head += 'www-authenticate: Basic realm="RabbitMQ Management"\r\n'
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()

    def _user(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if self.broker.authenticate(user, password) else None

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        """(status, JSON payload) for one request."""
        user = self._user(headers)
        if user is None:
            return 401, {"error": "not_authorised", "reason": "Login failed"}
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if not parts or parts[0] != "api":
            return 404, {"error": "Object Not Found", "reason": "Not Found"}
        parts = parts[1:]
        broker = self.broker
        head = parts[0] if parts else ""
        if method == "GET":
            if head == "overview":
                return 200, broker.overview()
            if head == "whoami":
                return 200, {"name": user, "tags": broker.users[user]["tags"]}
            if head == "vhosts":
                return 200, [{"name": name} for name in broker.vhosts]
            if head == "users":
                return 200, [{"name": n, "tags": u["tags"]} for n, u in broker.users.items()]
            if head in ("queues", "exchanges", "bindings"):
                return self._listing(head, parts[1:])
        if method in ("PUT", "DELETE") and head in ("users", "vhosts") and len(parts) == 2:
            return self._write_object(method, head, parts[1], body)
        return 404, {"error": "Object Not Found", "reason": "Not Found"}

    def _listing(self, kind: str, rest: list[str]):
        broker = self.broker
        vhosts = list(broker.vhosts.values())
        if rest:
            found = broker.vhosts.get(rest[0])
            if found is None:
                return 404, {"error": "Object Not Found", "reason": "Not Found"}
            vhosts = [found]
        items: list[dict] = []
        for vhost in vhosts:
            if kind == "queues":
                items.extend(q.describe() for q in vhost.queues.values())
            elif kind == "exchanges":
                items.extend(
                    {
                        "name": e.name,
                        "vhost": vhost.name,
                        "type": e.type,
                        "durable": e.durable,
                        "auto_delete": e.auto_delete,
                        "internal": e.internal,
                        "arguments": dict(e.arguments),
                        "message_stats": {"publish_in": e.published},
                    }
                    for e in vhost.exchanges.values()
                )
            else:
                items.extend(b.describe(vhost.name) for b in vhost.bindings())
        if len(rest) == 2 and kind != "bindings":
            for item in items:
                if item["name"] == rest[1]:
                    return 200, item
            return 404, {"error": "Object Not Found", "reason": "Not Found"}
        return 200, items

    def _write_object(self, method: str, kind: str, name: str, body: bytes):
        broker = self.broker
        if kind == "vhosts":
            if method == "PUT":
                if name not in broker.vhosts:
                    from .vhost import VirtualHost

                    broker.vhosts[name] = VirtualHost(broker, name)
                    return 201, None
                return 204, None
            vhost = broker.vhosts.pop(name, None)
            if vhost is None:
                return 404, {"error": "Object Not Found", "reason": "Not Found"}
            for queue in list(vhost.queues.values()):
                vhost.delete_queue(queue)
            return 204, None
        if method == "DELETE":
            if broker.users.pop(name, None) is None:
                return 404, {"error": "Object Not Found", "reason": "Not Found"}
            return 204, None
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "bad_request", "reason": "body is not JSON"}
        password = data.get("password") if isinstance(data, dict) else None
        if not isinstance(password, str):
            return 400, {"error": "bad_request", "reason": "password is required"}
        from ..users import check_rabbit_user

        problem = check_rabbit_user(name, password)
        if problem:
            return 400, {"error": "bad_request", "reason": problem}
        tags = data.get("tags", "")
        tags = tags.split(",") if isinstance(tags, str) else list(tags)
        created = name not in broker.users
        broker.users[name] = {"password": password, "tags": [t for t in tags if t]}
        return (201 if created else 204), None
