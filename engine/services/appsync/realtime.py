"""Real-time: GraphQL subscriptions (graphql-ws, AppSync's flavour) and Event API channels.

A mutation named in a subscription field's `@aws_subscribe` publishes its result to that field's
subscribers: argument filters (each non-null subscription argument must equal the result's field)
and enhanced filters (`extensions.setFilter`) choose who gets it; each subscriber receives the
result shaped by its own selection set (rendered once per distinct document, not per subscriber).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .auth import AuthFailed
from .filters import check_subscription_filter, filter_matches

if TYPE_CHECKING:
    from engine.clock import Timer

    from .auth import Caller
    from .models import EventApi, GraphqlApi
    from .service import AppSyncService
    from .wsconn import WebSocket

CONNECTION_TIMEOUT_MS = 300_000
KEEP_ALIVE = 60.0
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100


@dataclass(slots=True, eq=False)
class Subscription:
    """One `start`ed subscription on one connection."""

    id: str
    session: GraphqlSession
    field: str
    query: str
    variables: dict[str, Any]
    arguments: dict[str, Any]
    caller: Caller
    filter: dict[str, Any] | None = None
    invalidation: dict[str, Any] | None = None


@dataclass(slots=True, eq=False)
class ChannelSubscription:
    """One Event API channel subscription (`/namespace/a/*` style)."""

    id: str
    session: EventSession
    channel: str


class LabSocket:
    """A subscriber inside the lab (the console's `graphql subscribe`): keeps what it receives."""

    def __init__(self, service: AppSyncService, label: str) -> None:
        self.service = service
        self.label = label
        self.received: list[dict[str, Any]] = []
        self.closed = False

    def send_json(self, message: dict[str, Any]) -> None:
        """Keep a `data` message (and trace it, so a watching console prints it)."""
        if message.get("type") != "data":
            return
        payload = message.get("payload")
        self.received.append(payload if isinstance(payload, dict) else {})
        del self.received[:-100]  # the last hundred are enough to show
        self.service.emit(
            "subscription-data",
            self.label,
            message_id=str(message.get("id")),
            data=json.dumps(payload, default=str)[:256],
        )

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Stop receiving."""
        self.closed = True


class Session:
    """One WebSocket connection: a keep-alive timer and its subscriptions."""

    def __init__(self, realtime: Realtime, api_id: str) -> None:
        self.realtime = realtime
        self.api_id = api_id
        self.socket: WebSocket | None = None
        self.timer: Timer | None = None
        self.closed = False

    def _keep_alive(self) -> None:
        if self.socket is None or self.socket.closed:
            return
        self.socket.send_json({"type": "ka"})
        self.timer = self.realtime.service.clock.call_later(KEEP_ALIVE, self._keep_alive)

    def end(self) -> None:
        """Stop the timer and forget the session."""
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.realtime.sessions.discard(self)


class GraphqlSession(Session):
    """A graphql-ws connection to a GraphQL API."""

    def __init__(self, realtime: Realtime, api: GraphqlApi) -> None:
        super().__init__(realtime, api.id)
        self.api = api
        self.subscriptions: dict[str, Subscription] = {}

    async def on_message(self, socket: WebSocket, text: str) -> None:
        """Handle one client message."""
        self.socket = socket
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            socket.send_json(
                {
                    "type": "error",
                    "payload": {
                        "errors": [
                            {
                                "errorType": "UnsupportedOperation",
                                "message": "Invalid message: not a JSON object",
                            }
                        ]
                    },
                }
            )
            return
        kind = message.get("type")
        if kind == "connection_init":
            socket.send_json(
                {
                    "type": "connection_ack",
                    "payload": {"connectionTimeoutMs": CONNECTION_TIMEOUT_MS},
                }
            )
            self._keep_alive()
        elif kind == "start":
            await self.realtime.start(self, socket, message)
        elif kind == "stop":
            sub = self.subscriptions.pop(str(message.get("id")), None)
            if sub is not None:
                self.realtime.remove(sub)
            socket.send_json({"type": "complete", "id": message.get("id")})
        else:
            socket.send_json(
                {
                    "type": "error",
                    "payload": {
                        "errors": [
                            {
                                "errorType": "UnsupportedOperation",
                                "message": f"Unsupported message type: {kind}",
                            }
                        ]
                    },
                }
            )

    async def on_close(self, socket: WebSocket) -> None:
        """The socket closed: drop its subscriptions."""
        for sub in list(self.subscriptions.values()):
            self.realtime.remove(sub)
        self.subscriptions.clear()
        self.end()


class EventSession(Session):
    """An aws-appsync-event-ws connection to an Event API."""

    def __init__(self, realtime: Realtime, api: EventApi) -> None:
        super().__init__(realtime, api.id)
        self.api = api
        self.subscriptions: dict[str, ChannelSubscription] = {}

    async def on_message(self, socket: WebSocket, text: str) -> None:
        """Handle one client message."""
        self.socket = socket
        try:
            message = json.loads(text)
        except ValueError:
            message = {}
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "connection_init":
            socket.send_json(
                {"type": "connection_ack", "connectionTimeoutMs": CONNECTION_TIMEOUT_MS}
            )
            self._keep_alive()
        elif kind == "subscribe":
            self.realtime.subscribe_channel(self, socket, message)
        elif kind == "unsubscribe":
            sub = self.subscriptions.pop(str(message.get("id")), None)
            if sub is None:
                socket.send_json(
                    {
                        "type": "unsubscribe_error",
                        "id": message.get("id"),
                        "errors": [
                            {
                                "errorType": "UnknownOperationError",
                                "message": "Unknown subscription id",
                            }
                        ],
                    }
                )
                return
            self.realtime.channel_subs.get(self.api_id, {}).pop(sub.id + "@" + str(id(self)), None)
            socket.send_json({"type": "unsubscribe_success", "id": sub.id})
        elif kind == "publish":
            try:
                self.realtime.service.event_apis.authorize(
                    self.api, _lower(message.get("authorization")), "publish"
                )
            except AuthFailed as failed:
                socket.send_json(
                    {
                        "type": "publish_error",
                        "id": message.get("id"),
                        "errors": [
                            {"errorType": "UnauthorizedException", "message": failed.message}
                        ],
                    }
                )
                return
            status, answer = self.realtime.publish_events(
                self.api, message.get("channel"), message.get("events")
            )
            if status == 200:
                socket.send_json({"type": "publish_success", "id": message.get("id"), **answer})
            else:
                socket.send_json(
                    {"type": "publish_error", "id": message.get("id"), "errors": answer["errors"]}
                )
        else:
            socket.send_json(
                {
                    "type": "error",
                    "errors": [
                        {
                            "errorType": "UnsupportedOperation",
                            "message": f"Unsupported message type: {kind}",
                        }
                    ],
                }
            )

    async def on_close(self, socket: WebSocket) -> None:
        """The socket closed: drop its channel subscriptions."""
        subs = self.realtime.channel_subs.get(self.api_id, {})
        for sub in self.subscriptions.values():
            subs.pop(sub.id + "@" + str(id(self)), None)
        self.subscriptions.clear()
        self.end()


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


def _error(sub_id: Any, error_type: str, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "id": sub_id,
        "payload": {"errors": [{"errorType": error_type, "message": message}]},
    }


def _payload(event: str) -> Any:
    try:
        return json.loads(event)
    except ValueError:
        return event


def channel_matches(pattern: str, channel: str) -> bool:
    """Whether a subscription's channel (`/ns/a`, `/ns/*`, `/ns/a/*`) covers a publish channel."""
    if pattern.endswith("/*"):
        prefix = pattern[:-1]
        return channel.startswith(prefix) and len(channel) > len(prefix)
    return pattern == channel


class Realtime:
    """Every live connection and subscription of the service, indexed by API and field."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self.sessions: set[Session] = set()
        # (api id, subscription field) → subscriptions (insertion order: fan-out order)
        self.index: dict[tuple[str, str], dict[Subscription, None]] = {}
        self.channel_subs: dict[str, dict[str, ChannelSubscription]] = {}

    def count(self, api_id: str | None = None) -> int:
        """Live subscriptions (of one API, or all)."""
        graphql = sum(len(s) for (a, _), s in self.index.items() if api_id in (None, a))
        channels = sum(len(s) for a, s in self.channel_subs.items() if api_id in (None, a))
        return graphql + channels

    def open_graphql(self, api: GraphqlApi) -> GraphqlSession:
        """A session for a new graphql-ws connection."""
        session = GraphqlSession(self, api)
        self.sessions.add(session)
        return session

    def open_events(self, api: EventApi) -> EventSession:
        """A session for a new Event API connection."""
        session = EventSession(self, api)
        self.sessions.add(session)
        return session

    async def lab_subscribe(
        self, api: GraphqlApi, query: str, headers: dict[str, str]
    ) -> tuple[LabSocket, str | None]:
        """Subscribe from inside the lab; (the socket that collects data, the error if refused)."""
        session = self.open_graphql(api)
        socket = LabSocket(self.service, api.arn)
        errors: list[str] = []
        original = socket.send_json

        def catching(message: dict[str, Any]) -> None:
            if message.get("type") == "error":
                found = (message.get("payload") or {}).get("errors") or [{}]
                errors.append(str(found[0].get("message", "refused")))
            original(message)

        socket.send_json = catching  # type: ignore[method-assign]
        await session.on_message(socket, json.dumps({"type": "connection_init"}))  # type: ignore[arg-type]
        sub_id = f"lab-{len(self.sessions)}-{self.service.ids.hex(6)}"
        start = {
            "type": "start",
            "id": sub_id,
            "payload": {
                "data": json.dumps({"query": query}),
                "extensions": {"authorization": headers},
            },
        }
        await session.on_message(socket, json.dumps(start))  # type: ignore[arg-type]
        if session.timer is not None:  # a lab subscriber needs no keep-alive
            session.timer.cancel()
            session.timer = None
        if errors:
            session.end()
            return socket, errors[0]
        return socket, None

    # -- GraphQL subscriptions -------------------------------------------------------------
    async def start(
        self, session: GraphqlSession, socket: WebSocket, message: dict[str, Any]
    ) -> None:
        """Register a subscription from a `start` message (or answer `error`)."""
        sub_id = message.get("id")
        payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
        try:
            data = json.loads(payload.get("data") or "")
        except (ValueError, TypeError):
            data = None
        if (
            not isinstance(sub_id, str)
            or not isinstance(data, dict)
            or not isinstance(data.get("query"), str)
        ):
            socket.send_json(
                _error(
                    sub_id,
                    "MalformedRequest",
                    "The start message needs an id and payload.data with a query.",
                )
            )
            return
        if sub_id in session.subscriptions:
            socket.send_json(
                _error(sub_id, "DuplicatedOperationError", "Duplicated operation with id " + sub_id)
            )
            return
        if len(session.subscriptions) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            socket.send_json(
                _error(sub_id, "LimitExceededError", "Too many subscriptions on this connection.")
            )
            return
        api = session.api
        headers = _lower((payload.get("extensions") or {}).get("authorization"))
        try:
            caller = await self.service.authorizer.authorize(api, headers)
        except AuthFailed as failed:
            socket.send_json(_error(sub_id, "UnauthorizedException", failed.message))
            return
        variables = data.get("variables") if isinstance(data.get("variables"), dict) else {}
        executor = self.service.executor
        if api.schema is None or api.schema.graphql.subscription_type is None:
            socket.send_json(_error(sub_id, "ValidationError", "The schema has no subscriptions."))
            return
        document, errors = executor.document(api, data["query"])
        if errors:
            socket.send_json({"type": "error", "id": sub_id, "payload": {"errors": errors}})
            return
        operation = next(
            (d for d in document.definitions if getattr(d, "operation", None) is not None), None
        )
        if operation is None or operation.operation.value != "subscription":
            socket.send_json(
                _error(
                    sub_id,
                    "UnsupportedOperation",
                    "Only subscriptions are supported over the real-time endpoint.",
                )
            )
            return
        selections = operation.selection_set.selections
        if len(selections) != 1:
            socket.send_json(
                _error(sub_id, "ValidationError", "A subscription must select exactly one field.")
            )
            return
        field_name = selections[0].name.value
        # The subscription's own resolver (if any) runs now: it may set an enhanced filter.
        result, request, _ = await executor.execute(
            api, data["query"], variables, data.get("operationName"), caller, headers
        )
        if result.get("errors"):
            socket.send_json(
                {"type": "error", "id": sub_id, "payload": {"errors": result["errors"]}}
            )
            return
        from graphql import get_argument_values

        field_def = api.schema.graphql.subscription_type.fields[field_name]
        arguments = {
            k: v
            for k, v in get_argument_values(field_def, selections[0], variables).items()
            if v is not None
        }
        extensions = (request.subscription if request is not None else None) or {}
        spec = extensions.get("filter")
        if spec is not None:
            problem = check_subscription_filter(spec)
            if problem is not None:
                socket.send_json(_error(sub_id, "FilterValidationError", problem))
                return
        sub = Subscription(
            sub_id,
            session,
            field_name,
            data["query"],
            variables,
            arguments,
            caller,
            spec,
            extensions.get("invalidationFilter"),
        )
        session.subscriptions[sub_id] = sub
        self.index.setdefault((api.id, field_name), {})[sub] = None
        socket.send_json({"type": "start_ack", "id": sub_id})
        self.service.emit(
            "subscribed", api.arn, message_id=sub_id, field=field_name, filtered=spec is not None
        )

    def remove(self, sub: Subscription) -> None:
        """Forget one subscription."""
        subs = self.index.get((sub.session.api_id, sub.field))
        if subs is not None:
            subs.pop(sub, None)
            if not subs:
                del self.index[(sub.session.api_id, sub.field)]

    async def publish(
        self, api: GraphqlApi, mutation_field: str, data: Any, trace_id: str | None
    ) -> int:
        """Fan a mutation field's result out to its subscribers; returns how many got it."""
        assert api.schema is not None
        delivered = 0
        for field_name in api.schema.subscriptions.get(mutation_field, ()):
            subs = self.index.get((api.id, field_name))
            if not subs:
                continue
            rendered: dict[tuple[str, str], dict[str, Any]] = {}
            for sub in list(subs):
                if not self._wanted(sub, data):
                    if self.service.trace.enabled:
                        self.service.emit(
                            "filtered-out",
                            api.arn,
                            message_id=sub.id,
                            trace_id=trace_id,
                            field=field_name,
                        )
                    continue
                key = (sub.query, json.dumps(sub.variables, sort_keys=True))
                payload = rendered.get(key)
                if payload is None:
                    payload, _, _ = await self.service.executor.execute(
                        api, sub.query, sub.variables, None, sub.caller, {}, root={field_name: data}
                    )
                    rendered[key] = payload
                socket = sub.session.socket
                if socket is not None and not socket.closed:
                    socket.send_json({"type": "data", "id": sub.id, "payload": payload})
                    delivered += 1
            if self.service.trace.enabled:
                self.service.emit(
                    "published",
                    api.arn,
                    trace_id=trace_id,
                    mutation=mutation_field,
                    field=field_name,
                    subscribers=len(subs),
                    delivered=delivered,
                )
        return delivered

    @staticmethod
    def _wanted(sub: Subscription, data: Any) -> bool:
        """An enhanced filter, when the resolver set one, replaces argument filtering."""
        if sub.filter is not None:
            return isinstance(data, dict) and filter_matches(sub.filter, data)
        if not isinstance(data, dict):
            return not sub.arguments
        return all(data.get(name) == value for name, value in sub.arguments.items())

    def invalidate(self, api: GraphqlApi, spec: dict[str, Any]) -> int:
        """`extensions.invalidateSubscriptions`: end the subscriptions whose invalidation filter matches."""
        field_name = spec.get("subscriptionField")
        payload = spec.get("payload") or {}
        ended = 0
        for sub in list(self.index.get((api.id, str(field_name)), {})):
            if sub.invalidation is not None and filter_matches(sub.invalidation, payload):
                self.remove(sub)
                sub.session.subscriptions.pop(sub.id, None)
                if sub.session.socket is not None:
                    sub.session.socket.send_json({"type": "complete", "id": sub.id})
                ended += 1
        return ended

    # -- Event API channels ----------------------------------------------------------------
    def subscribe_channel(
        self, session: EventSession, socket: WebSocket, message: dict[str, Any]
    ) -> None:
        """Register a channel subscription (`subscribe` message)."""
        sub_id, channel = message.get("id"), message.get("channel")
        if (
            not isinstance(sub_id, str)
            or not isinstance(channel, str)
            or not channel.startswith("/")
        ):
            socket.send_json(
                {
                    "type": "subscribe_error",
                    "id": sub_id,
                    "errors": [
                        {
                            "errorType": "BadRequestException",
                            "message": "A subscribe message needs an id and a channel starting with /",
                        }
                    ],
                }
            )
            return
        namespace = channel.split("/")[1]
        if namespace not in session.api.namespaces:
            socket.send_json(
                {
                    "type": "subscribe_error",
                    "id": sub_id,
                    "errors": [
                        {
                            "errorType": "BadRequestException",
                            "message": f"Channel namespace {namespace} not found.",
                        }
                    ],
                }
            )
            return
        try:
            self.service.event_apis.authorize(
                session.api, _lower(message.get("authorization")), "subscribe", namespace
            )
        except AuthFailed as failed:
            socket.send_json(
                {
                    "type": "subscribe_error",
                    "id": sub_id,
                    "errors": [{"errorType": "UnauthorizedException", "message": failed.message}],
                }
            )
            return
        refusal = self._run_handler(
            session.api, namespace, "onSubscribe", {"events": None}, channel
        )
        if refusal is not None:
            socket.send_json(
                {
                    "type": "subscribe_error",
                    "id": sub_id,
                    "errors": [{"errorType": refusal[0], "message": refusal[1]}],
                }
            )
            return
        sub = ChannelSubscription(sub_id, session, channel)
        session.subscriptions[sub_id] = sub
        self.channel_subs.setdefault(session.api_id, {})[sub_id + "@" + str(id(session))] = sub
        socket.send_json({"type": "subscribe_success", "id": sub_id})

    def publish_events(
        self, api: EventApi, channel: Any, events: Any
    ) -> tuple[int, dict[str, Any]]:
        """Publish up to 5 events to a channel; (status, body) as AppSync answers."""

        def bad(message: str) -> tuple[int, dict[str, Any]]:
            return 400, {"errors": [{"errorType": "BadRequestException", "message": message}]}

        if not isinstance(channel, str) or not channel.startswith("/") or "*" in channel:
            return bad("channel must be a path such as /namespace/segment (no wildcards).")
        if (
            not isinstance(events, list)
            or not 1 <= len(events) <= 5
            or not all(isinstance(e, str) for e in events)
        ):
            return bad("events must be a list of 1 to 5 JSON strings.")
        namespace = channel.split("/")[1]
        if namespace not in api.namespaces:
            return bad(f"Channel namespace {namespace} not found.")
        successful = []
        subs = self.channel_subs.get(api.id, {})
        delivered = 0
        incoming = []
        for index, event in enumerate(events):
            identifier = self.service.ids.uuid()
            successful.append({"identifier": identifier, "index": index})
            incoming.append({"id": identifier, "payload": _payload(event)})
        handled = self._publish_handler(api, namespace, incoming, channel)
        if handled is None:  # no handler: events go out exactly as published
            handled = list(events)
        elif isinstance(handled, tuple):
            return 400, {"errors": [{"errorType": handled[0], "message": handled[1]}]}
        for event in handled:
            for sub in list(subs.values()):
                if channel_matches(sub.channel, channel) and sub.session.socket is not None:
                    sub.session.socket.send_json({"type": "data", "id": sub.id, "event": event})
                    delivered += 1
        self.service.emit(
            "published", api.arn, channel=channel, events=len(events), delivered=delivered
        )
        return 200, {"failed": [], "successful": successful}

    def _run_handler(
        self, api: EventApi, namespace: str, phase: str, extra: dict[str, Any], channel: str
    ) -> tuple[str, str] | None:
        """Run a namespace's onSubscribe handler; (errorType, message) when it refuses."""
        code = api.namespaces[namespace].settings.get("codeHandlers")
        if not code:
            return None
        from .templates import ResolverError

        context = self._handler_context(namespace, channel, extra)
        try:
            self.service.javascript.handler(code, phase, context)
        except ResolverError as error:
            return (error.error_type or "Unauthorized", error.message)
        return None

    def _publish_handler(
        self, api: EventApi, namespace: str, events: list[dict[str, Any]], channel: str
    ) -> list[str] | tuple[str, str] | None:
        """The events to broadcast (JSON texts) after the namespace's onPublish handler (None: none)."""
        code = api.namespaces[namespace].settings.get("codeHandlers")
        if not code:
            return None
        from .templates import ResolverError

        context = self._handler_context(namespace, channel, {"events": events})
        try:
            kept = self.service.javascript.handler(code, "onPublish", context)
        except ResolverError as error:
            return (error.error_type or "HandlerError", error.message)
        if not isinstance(kept, list):
            return []
        return [json.dumps(e.get("payload") if isinstance(e, dict) else e) for e in kept]

    @staticmethod
    def _handler_context(namespace: str, channel: str, extra: dict[str, Any]) -> dict[str, Any]:
        segments = [s for s in channel.split("/") if s]
        return {
            **extra,
            "channel": channel,
            "channelNamespace": {"name": namespace},
            "info": {
                "channel": {"path": channel, "segments": segments},
                "channelNamespace": {"name": namespace},
            },
            "identity": None,
            "stash": {},
            "request": {"headers": {}},
        }

    # -- lifecycle ---------------------------------------------------------------------------
    async def api_deleted(self, api_id: str) -> None:
        """Drop an API's subscriptions (its listener closes their sockets)."""
        for key in [k for k in self.index if k[0] == api_id]:
            del self.index[key]
        self.channel_subs.pop(api_id, None)
        for session in [s for s in self.sessions if s.api_id == api_id]:
            if session.socket is not None:
                session.socket.close(1001, "Going away")
            session.subscriptions.clear()  # type: ignore[attr-defined]
            session.end()

    async def close(self) -> None:
        """Stop every session's timer (the listeners close the sockets)."""
        for session in list(self.sessions):
            session.end()
        self.index.clear()
        self.channel_subs.clear()
