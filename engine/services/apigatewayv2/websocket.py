"""WebSocket APIs: connections, `$connect`/`$disconnect`/`$default`/custom routes, lab sockets, ASGI.

A connection is opened by a lab client (`LabSocket`, for the REPL and tests) or a real WebSocket
served by the wire server (`serve_asgi`); either way its messages are routed the same way: the API's
RouteSelectionExpression (e.g. `$request.body.action`) picks a route key, falling back to `$default`.
The backend talks back through `Connections.post()` (the `@connections` management API).
Connections close after 10 minutes idle or 2 hours in all, as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope

from .auth import Denied, check_lambda
from .http_pipeline import lambda_target, request_id_from
from .models import Api, Deployment, Route, Stage

if TYPE_CHECKING:
    from engine.clock import Timer

    from .service import ApiGatewayV2Service

IDLE_TIMEOUT = 600.0
MAX_DURATION = 7200.0
MAX_FRAME = 128 * 1024
_SELECTION = re.compile(r"^\$\{?request\.body\.([A-Za-z0-9_.$-]+?)\}?$")

Sink = Callable[[str | bytes], Awaitable[None]]
Closer = Callable[[int, str], Awaitable[None]]


class Rejected(Exception):
    """`$connect` refused the connection; `status` is the HTTP status the handshake gets."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def gone(connection_id: str) -> ServiceError:
    """GoneException (410): the connection is closed or never existed."""
    return ServiceError("GoneException", f"Connection {connection_id} is gone", status_code=410)


@dataclass(slots=True)
class Connection:
    """One open WebSocket connection to a deployed stage."""

    id: str
    api_id: str
    stage: str
    deployment_id: str
    connected_at: float
    last_active: float
    source_ip: str
    user_agent: str
    headers: dict[str, str]
    query: dict[str, str]
    sink: Sink
    closer: Closer
    authorizer: dict[str, Any] | None = None
    open: bool = True
    timer: Timer | None = None
    closing: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """GetConnection's result."""
        return {
            "ConnectedAt": datetime.fromtimestamp(self.connected_at, UTC),
            "Identity": {"SourceIp": self.source_ip, "UserAgent": self.user_agent},
            "LastActiveAt": datetime.fromtimestamp(self.last_active, UTC),
        }


class Connections:
    """Open connections by id: what the management API posts to, reads and deletes."""

    def __init__(self, service: ApiGatewayV2Service) -> None:
        self.service = service
        self.by_id: dict[str, Connection] = {}
        self._per_api: dict[str, int] = {}

    def add(self, connection: Connection) -> None:
        """Register an accepted connection."""
        self.by_id[connection.id] = connection
        self._per_api[connection.api_id] = self._per_api.get(connection.api_id, 0) + 1

    def remove(self, connection: Connection) -> None:
        """Forget a closed connection."""
        if self.by_id.pop(connection.id, None) is not None:
            self._per_api[connection.api_id] -= 1
        if connection.timer is not None:
            connection.timer.cancel()

    def count(self, api_id: str) -> int:
        """How many connections an API has open."""
        return self._per_api.get(api_id, 0)

    def get(self, connection_id: str) -> Connection:
        """An open connection; GoneException otherwise."""
        connection = self.by_id.get(connection_id)
        if connection is None or not connection.open:
            raise gone(connection_id)
        return connection

    async def post(self, connection_id: str, data: bytes | str) -> None:
        """Send data to a client (PostToConnection)."""
        size = len(data.encode() if isinstance(data, str) else data)
        if size > MAX_FRAME:
            raise ServiceError(
                "PayloadTooLargeException",
                f"Message too long: {size} bytes; the limit is {MAX_FRAME} bytes",
                status_code=413,
            )
        connection = self.get(connection_id)
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        connection.last_active = self.service.clock.now()
        self.service.emit(
            "delivered",
            self.service.arn_of(connection.api_id),
            message_id=connection.id,
            direction="out",
            size=size,
        )
        await connection.sink(data)

    async def delete(self, connection_id: str) -> None:
        """Close a connection from the server side (DeleteConnection)."""
        connection = self.get(connection_id)
        await self.service.websockets.disconnect(connection, 1000, "Connection deleted", close=True)

    def api_deleted(self, api_id: str) -> None:
        """Drop an API's connections (their sockets are closed in the background)."""
        for connection in [c for c in self.by_id.values() if c.api_id == api_id]:
            connection.open = False
            self.remove(connection)
            self.service.engine.spawn(connection.closer(1001, "Going away"), name="ws-close")

    async def close_all(self) -> None:
        """Close every connection (the engine is shutting down)."""
        for connection in list(self.by_id.values()):
            connection.open = False
            self.remove(connection)
            try:
                await connection.closer(1001, "Going away")
            except Exception:  # the peer may already be gone; nothing to tell it
                pass


class LabSocket:
    """A WebSocket client inside the lab: `await send(text)`, `await receive()`, `await close()`."""

    def __init__(self, gateway: WebSocketGateway) -> None:
        self._gateway = gateway
        self._inbox: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.connection: Connection | None = None
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def connection_id(self) -> str:
        """The connection id the backend posts to."""
        assert self.connection is not None
        return self.connection.id

    @property
    def closed(self) -> bool:
        """Whether the connection has closed (either side)."""
        return self.close_code is not None

    async def _deliver(self, data: str | bytes) -> None:
        self._inbox.put_nowait(data)

    async def _closed_by_server(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason

    async def send(self, data: str | bytes) -> None:
        """Send one message to the API (routed by its RouteSelectionExpression)."""
        if self.closed or self.connection is None:
            raise ConnectionError("the lab socket is closed")
        await self._gateway.message(self.connection, data)

    async def receive(self, timeout: float | None = None) -> str | bytes:
        """The next message from the API; waits up to `timeout` seconds of engine time."""
        if not self._inbox.empty() or timeout is None:
            return await self._inbox.get()
        return await self._gateway.service.clock.timeout(timeout, self._inbox.get())

    def pending(self) -> list[str | bytes]:
        """Every message already received and not yet read (drains them)."""
        out = []
        while not self._inbox.empty():
            out.append(self._inbox.get_nowait())
        return out

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from the client side (runs `$disconnect`)."""
        if self.connection is not None and not self.closed:
            self.close_code, self.close_reason = code, reason
            await self._gateway.disconnect(self.connection, code, reason, close=False)


class WebSocketGateway:
    """Runs connect, message and disconnect through a WebSocket API's deployed routes."""

    def __init__(self, service: ApiGatewayV2Service) -> None:
        self.service = service

    # -- lifecycle -------------------------------------------------------------------------------
    def _deployment(self, api_id: str, stage_name: str) -> tuple[Api, Stage, Deployment]:
        api = self.service.apis.get(api_id)
        if api is None or api.protocol != "WEBSOCKET":
            raise Rejected(404, "No such WebSocket API")
        stage = api.stages.get(stage_name)
        deployment = api.deployments.get(stage.deployment_id or "") if stage else None
        if stage is None or deployment is None:
            raise Rejected(403, "No such deployed stage")
        return api, stage, deployment

    async def open(
        self,
        api_id: str,
        stage_name: str,
        headers: dict[str, str],
        query: dict[str, str],
        source_ip: str,
        sink: Sink,
        closer: Closer,
    ) -> Connection:
        """Run `$connect`; returns the accepted connection or raises Rejected."""
        service = self.service
        api, stage, deployment = self._deployment(api_id, stage_name)
        now = service.clock.now()
        connection = Connection(
            request_id_from(service.ids),
            api.id,
            stage.name,
            deployment.id,
            now,
            now,
            source_ip,
            headers.get("user-agent", ""),
            {k.lower(): v for k, v in headers.items()},
            dict(query),
            sink,
            closer,
        )
        route = _route_by_key(deployment, "$connect")
        if route is not None:
            if route.authorization_type == "CUSTOM":
                connection.authorizer = await self._authorize(
                    api, stage, deployment, route, connection
                )
            elif (
                route.authorization_type == "AWS_IAM" and "authorization" not in connection.headers
            ):
                raise Rejected(403, "The request is not signed")
            status, _ = await self._invoke(
                api, stage, deployment, route, connection, "CONNECT", None
            )
            if status >= 300:
                raise Rejected(status, "$connect refused the connection")
        service.connections.add(connection)
        self._watch(connection)
        service.emit(
            "connected", service.arn_of(api.id), message_id=connection.id, stage=stage.name
        )
        return connection

    async def _authorize(
        self, api: Api, stage: Stage, deployment: Deployment, route: Route, connection: Connection
    ) -> dict[str, Any]:
        authorizer = deployment.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            raise Rejected(500, "The $connect route's authorizer is missing")
        service = self.service
        view = {
            "header": connection.headers,
            "querystring": connection.query,
            "stage": stage.variables,
            "context": {"connectionId": connection.id, "stage": stage.name},
        }
        arn = f"arn:aws:execute-api:{service.region}:{service.account_id}:{api.id}/{stage.name}/$connect"

        def build_event(_auth: Any, method_arn: str, _identities: list[str]) -> dict[str, Any]:
            event = self._event(api, stage, route, connection, "CONNECT", None)
            return {"type": "REQUEST", "methodArn": method_arn, **event}

        try:
            return await check_lambda(
                service, service.pipeline.auth_cache, api.id, authorizer, arn, view, build_event
            )
        except Denied as denied:
            raise Rejected(denied.status, denied.reason) from None

    async def message(self, connection: Connection, data: str | bytes) -> None:
        """Route one client message and run its integration (answering two-way routes)."""
        service = self.service
        if not connection.open:
            return
        connection.last_active = service.clock.now()
        api = service.apis.get(connection.api_id)
        deployment = api.deployments.get(connection.deployment_id) if api else None
        stage = api.stages.get(connection.stage) if api else None
        if api is None or deployment is None or stage is None:
            return
        arn = service.arn_of(api.id)
        text = data if isinstance(data, str) else None
        key = select_route_key(api.route_selection_expression, text)
        route = _route_by_key(deployment, key) if key is not None else None
        if route is None:
            route = _route_by_key(deployment, "$default")
        request_id = request_id_from(service.ids)
        if service.trace.enabled:
            service.emit(
                "received",
                arn,
                message_id=connection.id,
                route=route.key if route else None,
                size=len(data),
            )
        if route is None:
            await self._error(connection, "Forbidden", request_id)
            return
        try:
            status, body = await self._invoke(
                api, stage, deployment, route, connection, "MESSAGE", data
            )
        except Rejected:
            await self._error(connection, "Internal server error", request_id)
            return
        if status >= 500:
            await self._error(connection, "Internal server error", request_id)
            return
        two_way = bool(route.route_response_selection_expression and route.route_responses)
        if two_way and body is not None:
            await self._reply(connection, body)

    async def _error(self, connection: Connection, text: str, request_id: str) -> None:
        payload = {"message": text, "connectionId": connection.id, "requestId": request_id}
        await self._reply(connection, json.dumps(payload))

    async def _reply(self, connection: Connection, data: str) -> None:
        """Answer the client if it is still there (a vanished client is not an error here)."""
        if connection.open:
            try:
                await connection.sink(data)
            except ServiceError:
                pass

    async def disconnect(
        self, connection: Connection, code: int, reason: str, *, close: bool
    ) -> None:
        """Close a connection (from either side) and run `$disconnect`."""
        if not connection.open:
            return
        service = self.service
        connection.open = False
        service.connections.remove(connection)
        if close:
            try:
                await connection.closer(code, reason)
            except Exception:  # the peer may already be gone; nothing to tell it
                pass
        connection.closing = {"code": code, "reason": reason}
        service.emit(
            "disconnected", service.arn_of(connection.api_id), message_id=connection.id, code=code
        )
        api = service.apis.get(connection.api_id)
        if api is None:
            return
        deployment = api.deployments.get(connection.deployment_id)
        stage = api.stages.get(connection.stage)
        route = _route_by_key(deployment, "$disconnect") if deployment else None
        if route is not None and stage is not None and deployment is not None:
            try:
                await self._invoke(api, stage, deployment, route, connection, "DISCONNECT", None)
            except Rejected:
                pass  # $disconnect is best effort on AWS too

    def _watch(self, connection: Connection) -> None:
        """Close the connection when it has been idle 10 minutes or open 2 hours."""
        clock = self.service.clock
        deadline = min(
            connection.last_active + IDLE_TIMEOUT, connection.connected_at + MAX_DURATION
        )

        def check() -> None:
            if not connection.open:
                return
            now = clock.now()
            due = min(connection.last_active + IDLE_TIMEOUT, connection.connected_at + MAX_DURATION)
            if now >= due:
                self.service.engine.spawn(
                    self.disconnect(connection, 1001, "Going away", close=True), name="ws-idle"
                )
            else:
                connection.timer = clock.call_at(due, check)

        connection.timer = clock.call_at(deadline, check)

    # -- integrations ------------------------------------------------------------------------------
    def _event(
        self,
        api: Api,
        stage: Stage,
        route: Route,
        connection: Connection,
        event_type: str,
        data: str | bytes | None,
    ) -> dict[str, Any]:
        service = self.service
        now = service.clock.now()
        request_id = request_id_from(service.ids)
        context: dict[str, Any] = {
            "routeKey": route.key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "messageDirection": "IN",
            "stage": stage.name,
            "connectedAt": int(connection.connected_at * 1000),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "requestId": request_id,
            "domainName": f"{api.id}.execute-api.{service.region}.amazonaws.com",
            "connectionId": connection.id,
            "apiId": api.id,
        }
        if connection.authorizer is not None:
            context["authorizer"] = dict(connection.authorizer)
        event: dict[str, Any] = {}
        if event_type == "CONNECT":
            event["headers"] = dict(connection.headers)
            event["multiValueHeaders"] = {k: [v] for k, v in connection.headers.items()}
            if connection.query:
                event["queryStringParameters"] = dict(connection.query)
                event["multiValueQueryStringParameters"] = {
                    k: [v] for k, v in connection.query.items()
                }
        elif event_type == "MESSAGE":
            context["messageId"] = request_id_from(service.ids)
        else:
            context["disconnectStatusCode"] = connection.closing.get("code", 1005)
            context["disconnectReason"] = connection.closing.get("reason", "")
        event["requestContext"] = context
        if event_type == "MESSAGE" and data is not None:
            if isinstance(data, bytes):
                event["body"] = base64.b64encode(data).decode()
                event["isBase64Encoded"] = True
            else:
                event["body"] = data
                event["isBase64Encoded"] = False
        else:
            event["isBase64Encoded"] = False
        if stage.variables:
            event["stageVariables"] = dict(stage.variables)
        return event

    async def _invoke(
        self,
        api: Api,
        stage: Stage,
        deployment: Deployment,
        route: Route,
        connection: Connection,
        event_type: str,
        data: str | bytes | None,
    ) -> tuple[int, str | None]:
        """Run a route's integration: (status, body to send back for two-way routes)."""
        integration = deployment.integrations.get(route.integration_id or "")
        if integration is None:
            return 200, None
        service = self.service
        if service.trace.enabled:
            service.emit(
                "integration",
                service.arn_of(api.id),
                message_id=connection.id,
                route=route.key,
                type=integration.type,
            )
        if integration.type == "MOCK":
            return 200, None
        function = lambda_target(integration.uri or "")
        if integration.type != "AWS_PROXY" or function is None:
            raise Rejected(
                500, f"{integration.type} integrations are not emulated for WebSocket APIs"
            )
        event = self._event(api, stage, route, connection, event_type, data)
        try:
            result = await service.pipeline.deadlines.within(
                integration.timeout_ms / 1000,
                service.engine.fabric.deliver(
                    function,
                    Envelope(
                        body=event,
                        source_arn=service.arn_of(api.id),
                        options={"invocation_type": "RequestResponse"},
                    ),
                ),
            )
        except (ServiceError, TimeoutError):
            return 500, None
        if isinstance(result, dict):
            status = result.get("statusCode", 200)
            status = status if isinstance(status, int) else 200
            body = result.get("body")
            if body is not None and not isinstance(body, str):
                body = json.dumps(body)
            return status, body
        return 200, None if result is None else json.dumps(result)

    # -- front ends ------------------------------------------------------------------------------------
    async def lab_connect(
        self, api_id: str, stage: str, headers: dict[str, str], query: dict[str, str]
    ) -> LabSocket:
        """A lab client connected through `$connect`; ServiceError when the API refuses it."""
        socket = LabSocket(self)
        headers = {
            "user-agent": "pipework-lab-socket",
            **{k.lower(): v for k, v in headers.items()},
        }
        try:
            socket.connection = await self.open(
                api_id,
                stage,
                headers,
                query,
                "127.0.0.1",
                socket._deliver,
                socket._closed_by_server,
            )
        except Rejected as rejected:
            raise ServiceError(
                "WebSocketConnectRejected",
                f"The WebSocket handshake failed with HTTP {rejected.status}: {rejected.reason}",
                status_code=rejected.status,
            ) from None
        return socket

    async def serve_asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve one ASGI WebSocket as a client of the API its URL names."""
        path = scope.get("path", "/")
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        match = re.match(r"^/restapis/([^/]+)/([^/]+)(?:/_user_request_)?/?$", path)
        if match:
            api_id, stage = match.group(1), match.group(2)
        else:
            api_id = headers.get("host", "").split(".", 1)[0]
            stage = path.strip("/").split("/", 1)[0]
        from urllib.parse import parse_qsl

        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        closed = False
        connection_id = ""

        async def sink(data: str | bytes) -> None:
            nonlocal closed
            if closed:
                raise gone(connection_id)
            frame = {"type": "websocket.send"}
            frame["bytes" if isinstance(data, bytes) else "text"] = data
            try:
                await send(frame)
            except Exception:  # the client went away mid-send: it is gone, as on AWS
                closed = True
                raise gone(connection_id) from None

        async def closer(code: int, reason: str) -> None:
            nonlocal closed
            if not closed:
                closed = True
                await send({"type": "websocket.close", "code": code, "reason": reason})

        try:
            connection = await self.open(
                api_id,
                stage,
                headers,
                query,
                (scope.get("client") or ("127.0.0.1", 0))[0],
                sink,
                closer,
            )
        except Rejected as rejected:
            await _refuse(send, scope, rejected.status)
            return
        connection_id = connection.id
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.receive":
                data = event.get("text")
                if data is None:
                    data = event.get("bytes") or b""
                await self.message(connection, data)
            elif event["type"] == "websocket.disconnect":
                closed = True
                await self.disconnect(connection, int(event.get("code", 1005)), "", close=False)
                return


async def _refuse(send: Any, scope: dict[str, Any], status: int) -> None:
    """Refuse a handshake with the HTTP status `$connect` decided (when the server allows it)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        text = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(
            status, "Internal server error"
        )
        body = json.dumps({"message": text}).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": 1008})


def _route_by_key(deployment: Deployment, key: str) -> Route | None:
    return deployment.by_key.get(key)


def select_route_key(expression: str, body: str | None) -> str | None:
    """Evaluate a RouteSelectionExpression such as `$request.body.action` against a message."""
    match = _SELECTION.match(expression.strip())
    if match is None or body is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    for part in match.group(1).split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    if isinstance(document, (dict, list)) or document is None:
        return None
    return document if isinstance(document, str) else json.dumps(document)
