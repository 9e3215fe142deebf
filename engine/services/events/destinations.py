"""EventBridge connections and API destinations, delivering HTTP requests to lab endpoints.

The lab has no outside network: an API destination's endpoint is answered by a handler
registered with `events.http.register(url_prefix, handler)`; every request is kept in
`events.http.requests`. An endpoint nobody registered does not answer (a retried failure).
2xx is success; 429 and 5xx are retried; other 4xx are not (as AWS documents).
"""

from __future__ import annotations

import base64
import inspect
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ...errors import ServiceError
from ...service import Envelope
from .errors import check_patterns, not_found, validation

if TYPE_CHECKING:
    from .service import EventsService

_CONNECTION_ARN = re.compile(
    r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$"
)
_CONNECTION_ARN_TEXT = (
    r"^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+"
    r"\/[\-A-Za-z0-9]+$"
)
DEFAULT_RATE_LIMIT = 300


@dataclass(slots=True, frozen=True)
class HttpRequest:
    """One request EventBridge made to an API destination's endpoint."""

    time: float
    method: str
    url: str
    headers: dict[str, str]
    body: str


#: A lab endpoint answers with a status, a (status, body) pair, or None (200, no body).
Handler = Callable[[HttpRequest], Any]


class LabHttp:
    """In-process HTTP endpoints for API destinations, by URL prefix (longest prefix wins)."""

    def __init__(self, history: int = 10_000) -> None:
        self._handlers: dict[str, Handler] = {}
        self.requests: deque[HttpRequest] = deque(maxlen=history)

    def register(self, url_prefix: str, handler: Handler) -> None:
        """Answer requests whose URL starts with `url_prefix`: the handler returns the status."""
        self._handlers[url_prefix] = handler

    def unregister(self, url_prefix: str) -> None:
        """Stop answering `url_prefix`."""
        self._handlers.pop(url_prefix, None)

    async def send(self, request: HttpRequest) -> int:
        """The endpoint's status code for `request`, or 0 when nothing answers."""
        return (await self.exchange(request))[0]

    async def exchange(self, request: HttpRequest) -> tuple[int, str]:
        """The endpoint's status and body for `request`; (0, "") when nothing answers."""
        self.requests.append(request)
        matches = [prefix for prefix in self._handlers if request.url.startswith(prefix)]
        if not matches:
            return 0, ""
        result = self._handlers[max(matches, key=len)](request)
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            return 200, ""
        if isinstance(result, tuple):
            status, body = result
            return int(status), body if isinstance(body, str) else json.dumps(body)
        return int(result), ""


@dataclass(slots=True)
class Connection:
    """Authorization for API destinations (the secret part stays inside the lab)."""

    name: str
    arn: str
    authorization_type: str
    auth: dict[str, Any]
    created: float
    modified: float
    secret_arn: str
    description: str | None = None
    state: str = "AUTHORIZED"
    authorized: float = 0.0


@dataclass(slots=True)
class ApiDestination:
    """An HTTP endpoint with a method and a connection."""

    name: str
    arn: str
    connection_arn: str
    endpoint: str
    method: str
    created: float
    modified: float
    description: str | None = None
    rate_limit: int = DEFAULT_RATE_LIMIT
    extra: dict[str, Any] = field(default_factory=dict)


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def connection_secret(kind: str, auth: dict[str, Any]) -> str:
    """The secret AWS keeps for a connection: its credentials in snake_case JSON."""
    secret: dict[str, Any] = {}
    if kind == "BASIC":
        basic = auth.get("BasicAuthParameters", {})
        secret = {"username": basic.get("Username"), "password": basic.get("Password")}
    elif kind == "API_KEY":
        key = auth.get("ApiKeyAuthParameters", {})
        secret = {"api_key_name": key.get("ApiKeyName"), "api_key_value": key.get("ApiKeyValue")}
    elif kind == "OAUTH_CLIENT_CREDENTIALS":
        oauth = auth.get("OAuthParameters", {})
        client = oauth.get("ClientParameters", {})
        secret = {
            "client_id": client.get("ClientID"),
            "client_secret": client.get("ClientSecret"),
            "authorization_endpoint": oauth.get("AuthorizationEndpoint"),
            "http_method": oauth.get("HttpMethod"),
        }
    if "InvocationHttpParameters" in auth:
        secret["invocation_http_parameters"] = auth["InvocationHttpParameters"]
    return json.dumps(secret)


def _public_auth(auth: dict[str, Any]) -> dict[str, Any]:
    """AuthParameters as DescribeConnection shows them: secrets left out."""
    shown: dict[str, Any] = {}
    if "BasicAuthParameters" in auth:
        shown["BasicAuthParameters"] = {"Username": auth["BasicAuthParameters"]["Username"]}
    if "ApiKeyAuthParameters" in auth:
        shown["ApiKeyAuthParameters"] = {"ApiKeyName": auth["ApiKeyAuthParameters"]["ApiKeyName"]}
    if "OAuthParameters" in auth:
        oauth = auth["OAuthParameters"]
        shown["OAuthParameters"] = {
            "ClientParameters": {"ClientID": oauth["ClientParameters"]["ClientID"]},
            "AuthorizationEndpoint": oauth["AuthorizationEndpoint"],
            "HttpMethod": oauth["HttpMethod"],
            **(
                {"OAuthHttpParameters": oauth["OAuthHttpParameters"]}
                if "OAuthHttpParameters" in oauth
                else {}
            ),
        }
    if "InvocationHttpParameters" in auth:
        shown["InvocationHttpParameters"] = auth["InvocationHttpParameters"]
    return shown


_AUTH_KEYS = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


class ApiDestinationOperations:
    """Connections and API destinations for EventsService."""

    def __init__(self, service: EventsService) -> None:
        self.service = service

    # -- connections -----------------------------------------------------------------------
    def _connection(self, name: str) -> Connection:
        connection = self.service.connections.get(name)
        if connection is None:
            raise not_found(
                f"Failed to describe the connection(s). Connection '{name}' does not exist."
            )
        return connection

    @staticmethod
    def _check_auth(kind: str, auth: dict[str, Any]) -> None:
        needed = _AUTH_KEYS[kind]
        if needed not in auth:
            raise validation(f"The AuthParameters of a {kind} connection must include {needed}.")

    def create_connection(self, params: dict) -> dict:
        name = params["Name"]
        check_patterns([(name, "name", "name")])
        self._check_auth(params["AuthorizationType"], params["AuthParameters"])
        if name in self.service.connections:
            raise ServiceError(
                "ResourceAlreadyExistsException", f"Connection {name} already exists."
            )
        now = self.service.clock.now()
        suffix = self.service.ids.uuid()
        connection = Connection(
            name,
            self.service.arn(f"connection/{name}/{suffix}"),
            params["AuthorizationType"],
            _copy(params["AuthParameters"]),
            now,
            now,
            "",
            params.get("Description"),
            authorized=now,
        )
        # As on AWS, the credentials live in a Secrets Manager secret the connection owns.
        connection.secret_arn = self.service.engine.service("secretsmanager").create_internal(
            f"events!connection/{name}/{suffix}",
            connection_secret(connection.authorization_type, connection.auth),
            owning_service="events",
        )
        self.service.connections[name] = connection
        self.service.emit("created", connection.arn)
        return self._connection_summary(connection, authorized=False)

    def _connection_summary(self, connection: Connection, *, authorized: bool = True) -> dict:
        summary: dict[str, Any] = {
            "ConnectionArn": connection.arn,
            "ConnectionState": connection.state,
            "CreationTime": _stamp(connection.created),
            "LastModifiedTime": _stamp(connection.modified),
        }
        if authorized:
            summary["LastAuthorizedTime"] = _stamp(connection.authorized)
        return summary

    def update_connection(self, params: dict) -> dict:
        connection = self._connection(params["Name"])
        kind = params.get("AuthorizationType", connection.authorization_type)
        auth = _copy(connection.auth)
        for key, value in params.get("AuthParameters", {}).items():
            auth[key] = {**auth.get(key, {}), **value} if isinstance(value, dict) else value
        self._check_auth(kind, auth)
        connection.authorization_type = kind
        connection.auth = auth
        if "Description" in params:
            connection.description = params["Description"]
        connection.modified = connection.authorized = self.service.clock.now()
        connection.state = "AUTHORIZED"
        self.service.engine.service("secretsmanager").create_internal(
            connection.secret_arn.split(":secret:", 1)[1][:-7],
            connection_secret(kind, auth),
            owning_service="events",
        )
        return self._connection_summary(connection)

    def describe_connection(self, params: dict) -> dict:
        connection = self._connection(params["Name"])
        result: dict[str, Any] = {"ConnectionArn": connection.arn, "Name": connection.name}
        if connection.description is not None:
            result["Description"] = connection.description
        result.update(
            ConnectionState=connection.state,
            AuthorizationType=connection.authorization_type,
            SecretArn=connection.secret_arn,
            AuthParameters=_public_auth(connection.auth),
            CreationTime=_stamp(connection.created),
            LastModifiedTime=_stamp(connection.modified),
            LastAuthorizedTime=_stamp(connection.authorized),
        )
        return result

    def deauthorize_connection(self, params: dict) -> dict:
        connection = self._connection(params["Name"])
        connection.state = "DEAUTHORIZED"
        connection.modified = self.service.clock.now()
        summary = self._connection_summary(connection)
        summary["ConnectionState"] = "DEAUTHORIZING"
        return summary

    def delete_connection(self, params: dict) -> dict:
        connection = self._connection(params["Name"])
        del self.service.connections[connection.name]
        self.service.engine.service("secretsmanager").delete_internal(connection.secret_arn)
        summary = self._connection_summary(connection)
        summary["ConnectionState"] = "DELETING"
        self.service.emit("deleted", connection.arn)
        return summary

    def list_connections(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        chosen = []
        for name, connection in sorted(self.service.connections.items()):
            if (
                not name.startswith(prefix)
                or params.get("ConnectionState", connection.state) != connection.state
            ):
                continue
            chosen.append(
                {
                    "AuthorizationType": connection.authorization_type,
                    "ConnectionArn": connection.arn,
                    "ConnectionState": connection.state,
                    "CreationTime": _stamp(connection.created),
                    "LastAuthorizedTime": _stamp(connection.authorized),
                    "LastModifiedTime": _stamp(connection.modified),
                    "Name": name,
                }
            )
        page, token = self.service.page(chosen, params)
        result: dict[str, Any] = {"Connections": page}
        if token:
            result["NextToken"] = token
        return result

    # -- API destinations --------------------------------------------------------------------
    def _api_destination(self, name: str) -> ApiDestination:
        destination = self.service.api_destinations.get(name)
        if destination is None:
            raise not_found(
                f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
            )
        return destination

    def _check_connection_arn(self, arn: str) -> None:
        if _CONNECTION_ARN.fullmatch(arn) is None:
            raise validation(
                f"1 validation error detected: Value '{arn}' at 'connectionArn' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {_CONNECTION_ARN_TEXT}"
            )
        if not any(c.arn == arn for c in self.service.connections.values()):
            name = arn.split("/")[1]
            raise not_found(
                f"Failed to describe the connection(s). Connection '{name}' does not exist."
            )

    def create_api_destination(self, params: dict) -> dict:
        name = params["Name"]
        check_patterns([(name, "name", "name")])
        self._check_connection_arn(params["ConnectionArn"])
        if name in self.service.api_destinations:
            raise ServiceError(
                "ResourceAlreadyExistsException", f"An api-destination '{name}' already exists."
            )
        now = self.service.clock.now()
        destination = ApiDestination(
            name,
            self.service.arn(f"api-destination/{name}/{self.service.ids.uuid()}"),
            params["ConnectionArn"],
            params["InvocationEndpoint"],
            params["HttpMethod"],
            now,
            now,
            params.get("Description"),
            params.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT),
        )
        self.service.api_destinations[name] = destination
        self.service.emit("created", destination.arn)
        return self._destination_summary(destination)

    @staticmethod
    def _destination_summary(destination: ApiDestination) -> dict[str, Any]:
        return {
            "ApiDestinationArn": destination.arn,
            "ApiDestinationState": "ACTIVE",
            "CreationTime": _stamp(destination.created),
            "LastModifiedTime": _stamp(destination.modified),
        }

    def update_api_destination(self, params: dict) -> dict:
        destination = self._api_destination(params["Name"])
        if "ConnectionArn" in params:
            self._check_connection_arn(params["ConnectionArn"])
            destination.connection_arn = params["ConnectionArn"]
        for key, attr in (
            ("Description", "description"),
            ("InvocationEndpoint", "endpoint"),
            ("HttpMethod", "method"),
            ("InvocationRateLimitPerSecond", "rate_limit"),
        ):
            if key in params:
                setattr(destination, attr, params[key])
        destination.modified = self.service.clock.now()
        return self._destination_summary(destination)

    def _destination_view(self, destination: ApiDestination, *, full: bool) -> dict[str, Any]:
        view: dict[str, Any] = {"ApiDestinationArn": destination.arn, "Name": destination.name}
        if full and destination.description is not None:
            view["Description"] = destination.description
        view.update(
            ApiDestinationState="ACTIVE",
            ConnectionArn=destination.connection_arn,
            InvocationEndpoint=destination.endpoint,
            HttpMethod=destination.method,
            InvocationRateLimitPerSecond=destination.rate_limit,
            CreationTime=_stamp(destination.created),
            LastModifiedTime=_stamp(destination.modified),
        )
        return view

    def describe_api_destination(self, params: dict) -> dict:
        return self._destination_view(self._api_destination(params["Name"]), full=True)

    def delete_api_destination(self, params: dict) -> dict:
        destination = self._api_destination(params["Name"])
        del self.service.api_destinations[destination.name]
        self.service.emit("deleted", destination.arn)
        return {}

    def list_api_destinations(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        chosen = [
            self._destination_view(d, full=False)
            for name, d in sorted(self.service.api_destinations.items())
            if name.startswith(prefix)
            and params.get("ConnectionArn", d.connection_arn) == d.connection_arn
        ]
        page, token = self.service.page(chosen, params)
        result: dict[str, Any] = {"ApiDestinations": page}
        if token:
            result["NextToken"] = token
        return result

    # -- save / open -------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "connections": [
                {
                    "Name": c.name,
                    "Arn": c.arn,
                    "AuthorizationType": c.authorization_type,
                    "AuthParameters": _copy(c.auth),
                    "SecretArn": c.secret_arn,
                    "Description": c.description,
                    "State": c.state,
                }
                for c in self.service.connections.values()
            ],
            "api_destinations": [
                {
                    "Name": d.name,
                    "Arn": d.arn,
                    "ConnectionArn": d.connection_arn,
                    "InvocationEndpoint": d.endpoint,
                    "HttpMethod": d.method,
                    "Description": d.description,
                    "InvocationRateLimitPerSecond": d.rate_limit,
                }
                for d in self.service.api_destinations.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore connections and API destinations under their saved ARNs (targets name them)."""
        now = self.service.clock.now()
        for c in data.get("connections", []):
            self.service.connections[c["Name"]] = Connection(
                c["Name"],
                c["Arn"],
                c["AuthorizationType"],
                _copy(c["AuthParameters"]),
                now,
                now,
                c["SecretArn"],
                c.get("Description"),
                c.get("State", "AUTHORIZED"),
                now,
            )
        for d in data.get("api_destinations", []):
            self.service.api_destinations[d["Name"]] = ApiDestination(
                d["Name"],
                d["Arn"],
                d["ConnectionArn"],
                d["InvocationEndpoint"],
                d["HttpMethod"],
                now,
                now,
                d.get("Description"),
                d.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT),
            )

    # -- invocation ------------------------------------------------------------------------------
    def owns_api_destination(self, arn: str) -> bool:
        """Whether `arn` names one of this lab's API destinations."""
        return any(d.arn == arn for d in self.service.api_destinations.values())

    async def invoke_api_destination(self, arn: str, envelope: Envelope) -> int:
        """Send one HTTP request for a rule target; returns the status or raises ServiceError."""
        return (await self.call_api_destination(arn, envelope))[0]

    async def call_api_destination(self, arn: str, envelope: Envelope) -> tuple[int, str]:
        """Send one HTTP request to an API destination; its status and body, or ServiceError."""
        destination = next(
            (d for d in self.service.api_destinations.values() if d.arn == arn), None
        )
        if destination is None:
            raise not_found(f"Api destination {arn} does not exist.")
        connection = next(
            (c for c in self.service.connections.values() if c.arn == destination.connection_arn),
            None,
        )
        if connection is None or connection.state != "AUTHORIZED":
            raise ServiceError("ApiDestinationClientError", "The connection is not authorized.")
        parameters = envelope.options.get("http_parameters") or {}
        invocation = connection.auth.get("InvocationHttpParameters", {})
        url = destination.endpoint
        for value in parameters.get("PathParameterValues", []):
            url = url.replace("*", value, 1)
        query = {p["Key"]: p["Value"] for p in invocation.get("QueryStringParameters", [])}
        query.update(parameters.get("QueryStringParameters", {}))
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Amazon/EventBridge/ApiDestinations",
        }
        headers.update({p["Key"]: p["Value"] for p in invocation.get("HeaderParameters", [])})
        headers.update(parameters.get("HeaderParameters", {}))
        headers.update(_auth_headers(connection))
        body = envelope.body if isinstance(envelope.body, str) else str(envelope.body)
        status, answer = await self.service.http.exchange(
            HttpRequest(self.service.clock.now(), destination.method, url, headers, body)
        )
        if 200 <= status < 300:
            return status, answer
        if status == 0:
            raise ServiceError("ApiDestinationUnreachable", f"No lab endpoint answers {url}.")
        if status == 429 or status >= 500:
            raise ServiceError("ApiDestinationServerError", f"The endpoint answered HTTP {status}.")
        raise ServiceError("ApiDestinationClientError", f"The endpoint answered HTTP {status}.")


def _auth_headers(connection: Connection) -> dict[str, str]:
    auth = connection.auth
    if connection.authorization_type == "BASIC":
        basic = auth["BasicAuthParameters"]
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if connection.authorization_type == "API_KEY":
        key = auth["ApiKeyAuthParameters"]
        return {key["ApiKeyName"]: key["ApiKeyValue"]}
    client = auth["OAuthParameters"]["ClientParameters"]["ClientID"]
    return {"Authorization": f"Bearer lab-token-for-{client}"}


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))
