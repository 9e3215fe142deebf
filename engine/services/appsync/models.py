"""AppSync's resources as small typed objects, and their boto3 shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.listeners import Listener

    from .schema import Schema


def not_found(what: str) -> Exception:
    """NotFoundException with AppSync's wording."""
    from engine.errors import ServiceError

    return ServiceError("NotFoundException", what, status_code=404)


def bad_request(message: str) -> Exception:
    """BadRequestException (AppSync's code for invalid input)."""
    from engine.errors import ServiceError

    return ServiceError("BadRequestException", message)


@dataclass(slots=True)
class DataSource:
    """One data source of an API: where resolvers send their requests."""

    arn: str
    name: str
    type: str
    description: str | None = None
    service_role_arn: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # e.g. {"dynamodbConfig": {...}}
    metrics_config: str | None = None

    def describe(self) -> dict[str, Any]:
        """The boto3 DataSource shape."""
        out: dict[str, Any] = {"dataSourceArn": self.arn, "name": self.name, "type": self.type}
        if self.description is not None:
            out["description"] = self.description
        if self.service_role_arn is not None:
            out["serviceRoleArn"] = self.service_role_arn
        out.update({k: dict(v) for k, v in self.config.items()})
        if self.metrics_config is not None:
            out["metricsConfig"] = self.metrics_config
        return out


@dataclass(slots=True)
class Code:
    """What runs a resolver or function: VTL templates or APPSYNC_JS code."""

    request_template: str | None = None
    response_template: str | None = None
    runtime: dict[str, str] | None = None
    code: str | None = None

    def describe(self) -> dict[str, Any]:
        """The template/runtime members of the boto3 shapes."""
        out: dict[str, Any] = {}
        if self.request_template is not None:
            out["requestMappingTemplate"] = self.request_template
        if self.response_template is not None:
            out["responseMappingTemplate"] = self.response_template
        if self.runtime is not None:
            out["runtime"] = dict(self.runtime)
        if self.code is not None:
            out["code"] = self.code
        return out


@dataclass(slots=True)
class Resolver:
    """A resolver attached to one field: UNIT (one data source) or PIPELINE (functions)."""

    arn: str
    type_name: str
    field_name: str
    kind: str
    code: Code
    data_source: str | None = None
    functions: list[str] = field(default_factory=list)
    caching: dict[str, Any] | None = None
    max_batch_size: int | None = None
    sync_config: dict[str, Any] | None = None
    metrics_config: str | None = None

    def describe(self) -> dict[str, Any]:
        """The boto3 Resolver shape."""
        out: dict[str, Any] = {
            "typeName": self.type_name,
            "fieldName": self.field_name,
            "resolverArn": self.arn,
            "kind": self.kind,
            **self.code.describe(),
        }
        if self.data_source is not None:
            out["dataSourceName"] = self.data_source
        if self.kind == "PIPELINE":
            out["pipelineConfig"] = {"functions": list(self.functions)}
        if self.caching is not None:
            out["cachingConfig"] = {
                "ttl": self.caching["ttl"],
                **(
                    {"cachingKeys": list(self.caching["cachingKeys"])}
                    if self.caching.get("cachingKeys")
                    else {}
                ),
            }
        if self.max_batch_size is not None:
            out["maxBatchSize"] = self.max_batch_size
        if self.sync_config is not None:
            out["syncConfig"] = dict(self.sync_config)
        if self.metrics_config is not None:
            out["metricsConfig"] = self.metrics_config
        return out


@dataclass(slots=True)
class Function:
    """A pipeline function: one step of a PIPELINE resolver."""

    id: str
    arn: str
    name: str
    data_source: str
    code: Code
    description: str | None = None
    function_version: str | None = None
    max_batch_size: int | None = None

    def describe(self) -> dict[str, Any]:
        """The boto3 FunctionConfiguration shape."""
        out: dict[str, Any] = {
            "functionId": self.id,
            "functionArn": self.arn,
            "name": self.name,
            "dataSourceName": self.data_source,
            **self.code.describe(),
        }
        if self.description is not None:
            out["description"] = self.description
        if self.function_version is not None:
            out["functionVersion"] = self.function_version
        if self.max_batch_size is not None:
            out["maxBatchSize"] = self.max_batch_size
        return out


@dataclass(slots=True)
class ApiKey:
    """An API key: valid until `expires` (epoch seconds), deleted 60 days later."""

    id: str
    expires: int
    description: str | None = None

    def describe(self) -> dict[str, Any]:
        """The boto3 ApiKey shape."""
        out: dict[str, Any] = {"id": self.id, "expires": self.expires, "deletes": self.deletes}
        if self.description is not None:
            out["description"] = self.description
        return out

    @property
    def deletes(self) -> int:
        """When AppSync deletes an expired key: 60 days after it expires."""
        return self.expires + 60 * 86400


@dataclass(slots=True)
class GraphqlApi:
    """A GraphQL API: its settings, schema, data sources, resolvers, functions, keys and cache."""

    id: str
    arn: str
    name: str
    settings: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    sdl: str = ""
    schema: Schema | None = None
    schema_status: str = "NOT_APPLICABLE"
    schema_details: str = ""
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    resolvers: dict[tuple[str, str], Resolver] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    cache: dict[str, Any] | None = None
    environment: dict[str, str] = field(default_factory=dict)
    listener: Listener | None = None

    @property
    def uris(self) -> dict[str, str]:
        """Where the API answers: GraphQL over HTTP and the real-time WebSocket endpoint."""
        address = self.listener.address if self.listener is not None else "127.0.0.1:0"
        return {"GRAPHQL": f"http://{address}/graphql", "REALTIME": f"ws://{address}/graphql"}

    def describe(self) -> dict[str, Any]:
        """The boto3 GraphqlApi shape."""
        address = self.listener.address if self.listener is not None else "127.0.0.1:0"
        return {
            "name": self.name,
            "apiId": self.id,
            "arn": self.arn,
            **_copy(self.settings),
            "uris": self.uris,
            "dns": {"GRAPHQL": address, "REALTIME": address},
            "tags": dict(self.tags),
        }


@dataclass(slots=True)
class ChannelNamespace:
    """A channel namespace of an Event API: channels under `/name/...` and their auth and handlers."""

    arn: str
    api_id: str
    name: str
    settings: dict[str, Any]
    created: float
    modified: float
    tags: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The boto3 ChannelNamespace shape."""
        return {
            "apiId": self.api_id,
            "name": self.name,
            **_copy(self.settings),
            "tags": dict(self.tags),
            "channelNamespaceArn": self.arn,
            "created": datetime.fromtimestamp(self.created, UTC),
            "lastModified": datetime.fromtimestamp(self.modified, UTC),
        }


@dataclass(slots=True)
class EventApi:
    """An Event API (CreateApi): channel namespaces, publish over HTTP, subscribe over WebSocket."""

    id: str
    arn: str
    name: str
    created: float
    event_config: dict[str, Any]
    owner_contact: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, ChannelNamespace] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    listener: Listener | None = None

    def describe(self) -> dict[str, Any]:
        """The boto3 Api shape."""
        address = self.listener.address if self.listener is not None else "127.0.0.1:0"
        out: dict[str, Any] = {
            "apiId": self.id,
            "name": self.name,
            "tags": dict(self.tags),
            "dns": {"HTTP": address, "REALTIME": address},
            "apiArn": self.arn,
            "created": datetime.fromtimestamp(self.created, UTC),
            "xrayEnabled": False,
            "eventConfig": _copy(self.event_config),
        }
        if self.owner_contact is not None:
            out["ownerContact"] = self.owner_contact
        return out


def _copy(value: Any) -> Any:
    """A deep copy of plain JSON-like data (copy out: never hand out internal state)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


copy_data = _copy
