"""An API's loopback listener: GraphQL over HTTP (`/graphql`) and the real-time WebSocket endpoint.

Event APIs answer `POST /event` (publish) and the `aws-appsync-event-ws` WebSocket (subscribe).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any

from engine.http import HttpRequest

from .auth import AuthFailed
from .wsconn import HttpCall, Refused, serve

if TYPE_CHECKING:
    from .models import EventApi, GraphqlApi
    from .service import AppSyncService

JSON = {"content-type": "application/json; charset=UTF-8"}


def _answer(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, dict(JSON), json.dumps(body, separators=(",", ":"), default=str).encode()


def unauthorized(message: str) -> dict[str, Any]:
    """AppSync's body for a request it does not authorize."""
    return {"errors": [{"errorType": "UnauthorizedException", "message": message}]}


def decode_header_param(call: HttpCall, offered: list[str]) -> dict[str, str] | None:
    """The auth headers a real-time client sends (the `header` query parameter or a `header-` subprotocol)."""
    encoded = call.query.get("header")
    if encoded is None:
        for protocol in offered:
            if protocol.startswith("header-"):
                encoded = protocol[len("header-") :]
    if encoded is None:
        return None
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_")))
    except ValueError:
        return None
    if not isinstance(decoded, dict):
        return None
    return {str(k).lower(): str(v) for k, v in decoded.items()}


class Endpoint:
    """GraphQL over HTTP and the real-time endpoint of one GraphQL API."""

    def __init__(self, service: AppSyncService, api: GraphqlApi) -> None:
        self.service = service
        self.api = api

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection."""
        await serve(reader, writer, self.http, self.websocket)

    async def http(self, call: HttpCall) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request."""
        if call.path != "/graphql":
            return _answer(404, {"errors": [{"errorType": "NotFound", "message": "Not Found"}]})
        if call.method != "POST":
            return _answer(
                405,
                {
                    "errors": [
                        {"errorType": "MethodNotAllowed", "message": "Only POST is supported."}
                    ]
                },
            )
        try:
            request = json.loads(call.body or b"null")
        except ValueError:
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return _answer(
                400,
                {
                    "errors": [
                        {
                            "errorType": "MalformedHttpRequestException",
                            "message": "Unable to parse GraphQL query.",
                        }
                    ]
                },
            )
        variables = request.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _answer(
                400,
                {
                    "errors": [
                        {
                            "errorType": "MalformedHttpRequestException",
                            "message": "Variables must be a JSON object.",
                        }
                    ]
                },
            )
        http = HttpRequest(
            call.method, call.path, list(call.query.items()), call.headers, call.body
        )
        status, body = await self.service.graphql_call(
            self.api, request["query"], variables, request.get("operationName"), call.headers, http
        )
        return _answer(status, body)

    async def websocket(self, call: HttpCall, offered: list[str]) -> Any:
        """Accept a real-time connection (graphql-ws) whose `header` authorizes it."""
        if "graphql-ws" not in offered:
            raise Refused(
                400,
                {
                    "errors": [
                        {
                            "errorType": "UnsupportedProtocol",
                            "message": "graphql-ws subprotocol required",
                        }
                    ]
                },
            )
        headers = decode_header_param(call, offered)
        if headers is None:
            raise Refused(400, unauthorized("Valid authorization header not provided."))
        try:
            await self.service.authorizer.authorize(self.api, headers)
        except AuthFailed as failed:
            raise Refused(401, unauthorized(failed.message)) from None
        realtime = self.service.realtime
        session = realtime.open_graphql(self.api)
        return "graphql-ws", session.on_message, session.on_close


class EventEndpoint:
    """Publish over HTTP (`POST /event`) and subscribe over WebSocket for one Event API."""

    def __init__(self, service: AppSyncService, api: EventApi) -> None:
        self.service = service
        self.api = api

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection."""
        await serve(reader, writer, self.http, self.websocket)

    async def http(self, call: HttpCall) -> tuple[int, dict[str, str], bytes]:
        """Answer a publish."""
        if call.path != "/event" or call.method != "POST":
            return _answer(404, {"errors": [{"errorType": "NotFound", "message": "Not Found"}]})
        events = self.service.event_apis
        try:
            events.authorize(self.api, call.headers, "publish")
        except AuthFailed as failed:
            return _answer(401, unauthorized(failed.message))
        try:
            body = json.loads(call.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _answer(
                400,
                {"errors": [{"errorType": "BadRequestException", "message": "Invalid JSON body."}]},
            )
        status, answer = self.service.realtime.publish_events(
            self.api, body.get("channel"), body.get("events")
        )
        return _answer(status, answer)

    async def websocket(self, call: HttpCall, offered: list[str]) -> Any:
        """Accept an `aws-appsync-event-ws` connection."""
        if "aws-appsync-event-ws" not in offered:
            raise Refused(
                400,
                {
                    "errors": [
                        {
                            "errorType": "UnsupportedProtocol",
                            "message": "aws-appsync-event-ws subprotocol required",
                        }
                    ]
                },
            )
        headers = decode_header_param(call, offered) or {}
        try:
            self.service.event_apis.authorize(self.api, headers, "connect")
        except AuthFailed as failed:
            raise Refused(401, unauthorized(failed.message)) from None
        session = self.service.realtime.open_events(self.api)
        return "aws-appsync-event-ws", session.on_message, session.on_close
