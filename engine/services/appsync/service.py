"""AWS AppSync: GraphQL APIs and Event APIs, each served on its own loopback listener.

The control plane lives here and in its delegates (`Catalog` for data sources, resolvers and
functions; `EventApis` for CreateApi and channel namespaces). The data plane is `Endpoint`
(HTTP and WebSocket on the API's listener), `Executor` (graphql-core with the API's resolvers),
`Realtime` (subscriptions) and `DataSources` (DynamoDB, Lambda, HTTP, EventBridge, NONE).

Internal API for the console and lessons: `graphql_api_named(name_or_id)`, `await
execute(api, query, variables, headers)` → the GraphQL response dict, `realtime.subscribe(...)`.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.http import HttpRequest
from engine.service import Service
from engine.topology import Edge, Node

from .catalog import Catalog
from .domains import DomainNames
from .event_apis import EventApis
from .models import ApiKey, GraphqlApi, bad_request, copy_data, not_found

if TYPE_CHECKING:
    from .auth import Authorizer
    from .executor import Executor
    from .javascript import JavaScript
    from .realtime import Realtime
    from .templates import AppSyncTemplates

_SETTINGS = (
    "authenticationType",
    "logConfig",
    "userPoolConfig",
    "openIDConnectConfig",
    "additionalAuthenticationProviders",
    "xrayEnabled",
    "lambdaAuthorizerConfig",
    "apiType",
    "mergedApiExecutionRoleArn",
    "visibility",
    "ownerContact",
    "introspectionConfig",
    "queryDepthLimit",
    "resolverCountLimit",
    "enhancedMetricsConfig",
)
_DEFAULTS = {
    "xrayEnabled": False,
    "visibility": "GLOBAL",
    "apiType": "GRAPHQL",
    "introspectionConfig": "ENABLED",
    "queryDepthLimit": 0,
    "resolverCountLimit": 0,
}
DAY = 86400
MAX_API_KEYS = 50


class AppSyncService(Service):
    """GraphQL APIs (schemas, data sources, resolvers, keys, caches) and Event APIs."""

    name = "appsync"
    validation_error_code = "BadRequestException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.apis: dict[str, GraphqlApi] = {}
        self.catalog = Catalog(self)
        self.event_apis = EventApis(self)
        self.domains = DomainNames(self)
        self._templates: AppSyncTemplates | None = None
        self._javascript: JavaScript | None = None
        self._executor: Executor | None = None
        self._realtime: Realtime | None = None
        self._authorizer: Authorizer | None = None

    # -- lazily made parts (graphql-core, airspeed and the JS engine load on first use) ------
    @property
    def templates(self) -> AppSyncTemplates:
        """VTL mapping templates with AppSync's `$util` and `$context`."""
        if self._templates is None:
            from .templates import AppSyncTemplates

            self._templates = AppSyncTemplates(self)
        return self._templates

    @property
    def javascript(self) -> JavaScript:
        """The APPSYNC_JS runtime (an embedded QuickJS)."""
        if self._javascript is None:
            from .javascript import JavaScript

            self._javascript = JavaScript(self)
        return self._javascript

    @property
    def authorizer(self) -> Authorizer:
        """Decides who calls an API (keys, Lambda authorizers, JWTs, SigV4)."""
        if self._authorizer is None:
            from .auth import Authorizer

            self._authorizer = Authorizer(self)
        return self._authorizer

    @property
    def executor(self) -> Executor:
        """Runs GraphQL operations against an API's schema and resolvers."""
        if self._executor is None:
            from .executor import Executor

            self._executor = Executor(self)
        return self._executor

    @property
    def realtime(self) -> Realtime:
        """Subscriptions over WebSocket and their fan-out."""
        if self._realtime is None:
            from .realtime import Realtime

            self._realtime = Realtime(self)
        return self._realtime

    # -- delegated operations -----------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        for delegate in ("catalog", "event_apis", "domains"):
            target = self.__dict__.get(delegate)
            if target is not None and not name.startswith("_"):
                method = getattr(type(target), name, None)
                if method is not None:
                    return getattr(target, name)
        raise AttributeError(name)

    # -- helpers ---------------------------------------------------------------------------
    def graphql_api(self, api_id: str) -> GraphqlApi:
        """An API by id, or NotFoundException."""
        api = self.apis.get(api_id)
        if api is None:
            raise not_found(f"GraphQL API {api_id} not found.")
        return api

    def graphql_api_named(self, name: str) -> GraphqlApi:
        """An API by id or name (the console's way to name one)."""
        api = self.apis.get(name)
        if api is not None:
            return api
        for api in self.apis.values():
            if api.name == name:
                return api
        raise not_found(f"GraphQL API {name} not found.")

    def page(self, items: list[dict], params: dict[str, Any], key: str) -> dict[str, Any]:
        """One page of a list result, AppSync style (nextToken is an opaque offset)."""
        limit = params.get("maxResults") or 25
        start = 0
        token = params.get("nextToken")
        if token:
            try:
                start = int(base64.b64decode(token).decode())
            except ValueError:
                raise bad_request("Invalid pagination token.") from None
        out: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            out["nextToken"] = base64.b64encode(str(start + limit).encode()).decode()
        return out

    def resolver_changed(self, api: GraphqlApi) -> None:
        """Forget cached resolver plans and results of an API."""
        if self._executor is not None:
            self._executor.forget(api.id)

    # -- the data plane ------------------------------------------------------------------------
    async def graphql_call(
        self,
        api: GraphqlApi,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        headers: dict[str, str],
        http: HttpRequest | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """One GraphQL request over HTTP: (status, body). Mutations fan out to subscribers."""
        from .auth import AuthFailed

        traced = self.trace.enabled
        started = self.clock.now()
        trace_id = request_id = None
        if traced:
            trace_id = self.ids.trace_id(started)
            request_id = self.ids.uuid()
            self.emit(
                "request",
                api.arn,
                message_id=request_id,
                trace_id=trace_id,
                method="POST",
                path=_summary(query),
                query=query[:256],
            )
        request_info = {"query": query, "variables": variables, "operationName": operation_name}
        try:
            caller = await self.authorizer.authorize(api, headers, request_info, http)
        except AuthFailed as failed:
            body = {"errors": [{"errorType": "UnauthorizedException", "message": failed.message}]}
            if traced:
                self.emit("unauthorized", api.arn, trace_id=trace_id, reason=failed.message)
                self._respond_traced(api, request_id, trace_id, started, 401, "authorizer")
            return 401, body
        full_key = None
        if api.cache is not None and api.cache["apiCachingBehavior"] == "FULL_REQUEST_CACHING":
            full_key = self.executor.full_request_key(api, query, variables, operation_name, caller)
            hit = self.executor.cached_response(api, full_key) if full_key is not None else None
            if hit is not None:
                if traced:
                    self._respond_traced(api, request_id, trace_id, started, 200, "cache", hit)
                return 200, hit
        result, request, document = await self.executor.execute(
            api, query, variables, operation_name, caller, headers, trace_id=trace_id
        )
        if full_key is not None and request is not None and not result.get("errors"):
            self.executor.keep_response(api, full_key, result)
        if document is not None and result.get("data"):
            operation = _operation(document, operation_name)
            if operation is not None and operation.operation.value == "mutation":
                await self._fan_out(api, operation, result["data"], trace_id)
        if (
            request is not None
            and request.subscription
            and request.subscription.get("invalidation")
        ):
            self.realtime.invalidate(api, request.subscription["invalidation"])
        if traced:
            decided = "validation" if request is None else "resolvers"
            self._respond_traced(api, request_id, trace_id, started, 200, decided, result)
        return 200, result

    def _respond_traced(
        self,
        api: GraphqlApi,
        request_id: str | None,
        trace_id: str | None,
        started: float,
        status: int,
        decided_by: str,
        result: dict[str, Any] | None = None,
    ) -> None:
        self.emit(
            "response",
            api.arn,
            message_id=request_id,
            trace_id=trace_id,
            status=status,
            decided_by=decided_by,
            errors=len((result or {}).get("errors") or []),
            latency_ms=round((self.clock.now() - started) * 1000, 3),
        )

    async def _fan_out(
        self, api: GraphqlApi, operation: Any, data: dict[str, Any], trace_id: str | None
    ) -> None:
        assert api.schema is not None
        if not api.schema.subscriptions or self._realtime is None:
            return
        for selection in operation.selection_set.selections:
            name = getattr(selection, "name", None)
            if name is None or name.value not in api.schema.subscriptions:
                continue
            alias = selection.alias.value if selection.alias else name.value
            value = data.get(alias)
            if value is not None:
                await self._realtime.publish(api, name.value, value, trace_id)

    async def execute(
        self,
        api: GraphqlApi,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run an operation as a client would (the console's `graphql` command)."""
        if headers is None:
            headers = self.default_headers(api)
        return await self.graphql_call(api, query, variables, None, headers)

    def default_headers(self, api: GraphqlApi) -> dict[str, str]:
        """Headers that authorize with the API's newest valid key (empty if it has none)."""
        now = self.clock.now()
        keys = [k for k in api.api_keys.values() if k.expires > now]
        return {"x-api-key": keys[-1].id} if keys else {}

    # -- GraphQL APIs ----------------------------------------------------------------------
    async def create_graphql_api(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_auth(params)
        api_id = self.ids.token(26).lower()
        settings = {**_DEFAULTS, **{k: copy_data(params[k]) for k in _SETTINGS if k in params}}
        settings["owner"] = self.account_id
        api = GraphqlApi(api_id, self.arn(f"apis/{api_id}"), params["name"], settings)
        api.tags = dict(params.get("tags", {}))
        from .endpoint import Endpoint

        api.listener = await self.engine.listeners.open(api.arn, Endpoint(self, api).serve)
        self.apis[api_id] = api
        self.emit("created", api.arn, name=api.name, port=api.listener.port)
        return {"graphqlApi": api.describe()}

    def _check_auth(self, params: dict[str, Any]) -> None:
        providers = [params, *params.get("additionalAuthenticationProviders", [])]
        for provider in providers:
            kind = provider.get("authenticationType")
            if kind == "AMAZON_COGNITO_USER_POOLS" and "userPoolConfig" not in provider:
                raise bad_request("userPoolConfig is required for AMAZON_COGNITO_USER_POOLS.")
            if kind == "OPENID_CONNECT" and "openIDConnectConfig" not in provider:
                raise bad_request("openIDConnectConfig is required for OPENID_CONNECT.")
            if kind == "AWS_LAMBDA" and "lambdaAuthorizerConfig" not in provider:
                raise bad_request("lambdaAuthorizerConfig is required for AWS_LAMBDA.")
        kinds = [p.get("authenticationType") for p in providers]
        if len(kinds) != len(set(kinds)):
            raise bad_request("Authentication types must be unique.")

    def get_graphql_api(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"graphqlApi": self.graphql_api(params["apiId"]).describe()}

    def list_graphql_apis(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [
            a.describe()
            for a in self.apis.values()
            if params.get("apiType") in (None, a.settings.get("apiType"))
            and params.get("owner") != "OTHER_ACCOUNTS"
        ]
        return self.page(items, params, "graphqlApis")

    def update_graphql_api(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        merged = {**api.settings, **{k: copy_data(params[k]) for k in _SETTINGS if k in params}}
        self._check_auth(merged)
        api.settings = merged
        api.name = params["name"]
        if self._executor is not None:
            self._executor.forget(api.id)
        return {"graphqlApi": api.describe()}

    async def delete_graphql_api(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        del self.apis[api.id]
        if self._realtime is not None:
            await self._realtime.api_deleted(api.id)
        if self._executor is not None:
            self._executor.forget(api.id)
        if self._authorizer is not None:
            self._authorizer.forget(api.id)
        self.domains.api_deleted(api.id)
        if api.listener is not None:
            await api.listener.close()
        self.emit("deleted", api.arn)
        return {}

    def put_graphql_api_environment_variables(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        api.environment = dict(params["environmentVariables"])
        return {"environmentVariables": dict(api.environment)}

    def get_graphql_api_environment_variables(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        return {"environmentVariables": dict(api.environment)}

    # -- schema and types ------------------------------------------------------------------
    def start_schema_creation(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        definition = params["definition"]
        text = definition.decode("utf-8") if isinstance(definition, bytes) else str(definition)
        from .schema import Schema, SchemaError

        try:
            schema = Schema(text)
        except SchemaError as error:
            api.schema_status, api.schema_details = "FAILED", str(error)
            return {"status": "PROCESSING"}
        api.sdl, api.schema = text, schema
        api.schema_status = "SUCCESS"
        api.schema_details = f"Successfully created schema with {schema.type_count} types."
        self.resolver_changed(api)
        self.emit("schema-created", api.arn, types=schema.type_count)
        return {"status": "PROCESSING"}

    def get_schema_creation_status(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        return {"status": api.schema_status, "details": api.schema_details}

    def _schema(self, api: GraphqlApi) -> Any:
        if api.schema is None:
            raise not_found("No schema found for this API.")
        return api.schema

    def get_introspection_schema(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        schema = api.schema
        if schema is None:
            raise ServiceError("GraphQLSchemaException", "Schema not found.")
        if params["format"] == "SDL":
            text = schema.sdl(params.get("includeDirectives", True))
        else:
            text = json.dumps(schema.introspection())
        return {"schema": text.encode("utf-8")}

    def _type(self, api: GraphqlApi, name: str, fmt: str) -> dict[str, Any]:
        schema = self._schema(api)
        if schema.definition(name) is None:
            raise not_found(f"Type {name} not found.")
        definition = schema.type_sdl(name) if fmt == "SDL" else schema.type_json(name)
        return {
            "name": name,
            "arn": self.arn(f"apis/{api.id}/types/{name}"),
            "definition": definition,
            "format": fmt,
        }

    def _rebuild(self, api: GraphqlApi, definitions: list[Any]) -> None:
        from .schema import Schema, SchemaError, sdl_with

        text = sdl_with(definitions)
        try:
            schema = Schema(text)
        except SchemaError as error:
            raise bad_request(f"Failed to parse schema document - {error}") from None
        api.sdl, api.schema = text, schema
        api.schema_status, api.schema_details = "SUCCESS", ""
        self.resolver_changed(api)

    def create_type(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        from .schema import SchemaError, definition_name, parse_definition

        try:
            node = parse_definition(self._sdl_of(params["definition"], params["format"]))
        except SchemaError as error:
            raise bad_request(f"Failed to parse schema document - {error}") from None
        name = definition_name(node)
        existing = api.schema.definitions if api.schema is not None else []
        if any(definition_name(d) == name for d in existing):
            raise bad_request(f"Type {name} already exists.")
        self._rebuild(api, [*existing, node])
        return {"type": self._type(api, name, params["format"])}

    def _sdl_of(self, definition: str, fmt: str) -> str:
        if fmt == "SDL":
            return definition
        raise bad_request("Pipework's AppSync takes type definitions in SDL format.")

    def update_type(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        schema = self._schema(api)
        name = params["typeName"]
        if schema.definition(name) is None:
            raise not_found(f"Type {name} not found.")
        if "definition" in params:
            from .schema import SchemaError, definition_name, parse_definition

            try:
                node = parse_definition(self._sdl_of(params["definition"], params["format"]))
            except SchemaError as error:
                raise bad_request(f"Failed to parse schema document - {error}") from None
            self._rebuild(
                api, [node if definition_name(d) == name else d for d in schema.definitions]
            )
        return {"type": self._type(api, name, params["format"])}

    def get_type(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        return {"type": self._type(api, params["typeName"], params["format"])}

    def delete_type(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        schema = self._schema(api)
        name = params["typeName"]
        if schema.definition(name) is None:
            raise not_found(f"Type {name} not found.")
        from .schema import definition_name

        self._rebuild(api, [d for d in schema.definitions if definition_name(d) != name])
        return {}

    def list_types(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        schema = self._schema(api)
        items = [self._type(api, n, params["format"]) for n in schema.type_names()]
        return self.page(items, params, "types")

    # -- API keys ----------------------------------------------------------------------------
    def _expiry(self, expires: int | None) -> int:
        now = int(self.clock.now())
        if expires is None:
            expires = now + 7 * DAY
        expires -= expires % 3600  # AppSync rounds down to the hour
        if expires < now + DAY:
            raise ServiceError(
                "ApiKeyValidityOutOfBoundsException",
                "API key must be valid for a minimum of 1 days.",
            )
        if expires > now + 365 * DAY:
            raise ServiceError(
                "ApiKeyValidityOutOfBoundsException",
                "API key must be valid for a maximum of 365 days.",
            )
        return expires

    def _keyed(self, api_id: str) -> Any:
        """A GraphQL or Event API by id (both hold API keys)."""
        api = self.apis.get(api_id) or self.event_apis.apis.get(api_id)
        if api is None:
            raise not_found(f"GraphQL API {api_id} not found.")
        return api

    def create_api_key(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self._keyed(params["apiId"])
        if len(api.api_keys) >= MAX_API_KEYS:
            raise ServiceError(
                "ApiKeyLimitExceededException",
                "The API key exceeded a limit. Try your request again.",
            )
        key = ApiKey(
            "da2-" + self.ids.token(26).lower(),
            self._expiry(params.get("expires")),
            params.get("description"),
        )
        api.api_keys[key.id] = key
        return {"apiKey": key.describe()}

    def _api_key(self, api: Any, key_id: str) -> ApiKey:
        key = api.api_keys.get(key_id)
        if key is None:
            raise not_found(f"API key {key_id} not found.")
        return key

    def update_api_key(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self._keyed(params["apiId"])
        key = self._api_key(api, params["id"])
        expires = self._expiry(params["expires"]) if "expires" in params else key.expires
        key.expires = expires
        if "description" in params:
            key.description = params["description"]
        return {"apiKey": key.describe()}

    def delete_api_key(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self._keyed(params["apiId"])
        del api.api_keys[self._api_key(api, params["id"]).id]
        return {}

    def list_api_keys(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self._keyed(params["apiId"])
        now = self.clock.now()
        items = [k.describe() for k in api.api_keys.values() if k.deletes > now]
        return self.page(items, params, "apiKeys")

    # -- caches ------------------------------------------------------------------------------
    def _cache_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        if not 1 <= params["ttl"] <= 3600:
            raise bad_request("Caching TTL must be between 1 and 3600 seconds.")
        return {
            "ttl": params["ttl"],
            "apiCachingBehavior": params["apiCachingBehavior"],
            "transitEncryptionEnabled": params.get("transitEncryptionEnabled", False),
            "atRestEncryptionEnabled": params.get("atRestEncryptionEnabled", False),
            "type": params["type"],
            "status": "AVAILABLE",
            "healthMetricsConfig": params.get("healthMetricsConfig", "DISABLED"),
        }

    def create_api_cache(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        if api.cache is not None:
            raise bad_request("Cache already exists for this API.")
        api.cache = self._cache_settings(params)
        return {"apiCache": dict(api.cache)}

    def update_api_cache(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the cache for this API.")
        api.cache = self._cache_settings(params)
        self.resolver_changed(api)
        return {"apiCache": dict(api.cache)}

    def get_api_cache(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the cache for this API.")
        return {"apiCache": dict(api.cache)}

    def delete_api_cache(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the cache for this API.")
        api.cache = None
        self.resolver_changed(api)
        return {}

    def flush_api_cache(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.graphql_api(params["apiId"])
        if api.cache is None:
            raise not_found("Unable to find the cache for this API.")
        self.resolver_changed(api)
        return {}

    # -- the resolver playground ---------------------------------------------------------------
    def evaluate_mapping_template(self, params: dict[str, Any]) -> dict[str, Any]:
        context = _context_argument(params["context"])
        return self.templates.evaluate(params["template"], context)

    async def evaluate_code(self, params: dict[str, Any]) -> dict[str, Any]:
        context = _context_argument(params["context"])
        return await self.javascript.evaluate(
            params["code"], context, params.get("function", "request")
        )

    # -- tags ----------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        for api in self.apis.values():
            if api.arn == arn:
                return api.tags
        found = self.event_apis.tagged(arn)
        if found is None:
            raise not_found(f"Resource {arn} not found.")
        return found

    def tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(params["resourceArn"])
        if len(set(tags) | set(params["tags"])) > 50:
            raise bad_request("Too many tags: a resource can have at most 50 tags.")
        tags.update(params["tags"])
        return {}

    def untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": dict(self._tagged(params["resourceArn"]))}

    # -- save and open -------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """GraphQL APIs and Event APIs with everything configured on them."""
        if not self.apis and not self.event_apis.apis and not self.domains.domains:
            return None
        from .persistence import dump_appsync

        return dump_appsync(self)

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` produced; each API listens again (on a new port)."""
        from .persistence import load_appsync

        load_appsync(self, data)

    # -- lifecycle and views -------------------------------------------------------------------
    async def close(self) -> None:
        if self._realtime is not None:
            await self._realtime.close()

    def owns(self, arn: str) -> bool:
        return any(api.arn == arn for api in self.apis.values()) or self.event_apis.owns(arn)

    def holdings(self) -> dict[str, int]:
        out = {
            "graphql apis": len(self.apis),
            "appsync resolvers": sum(len(a.resolvers) for a in self.apis.values()),
            "appsync data sources": sum(len(a.data_sources) for a in self.apis.values()),
            "event apis": len(self.event_apis.apis),
        }
        if self._realtime is not None:
            out["appsync subscriptions"] = self._realtime.count()
        if self._executor is not None:
            out["appsync cached results"] = self._executor.cached()
        return out

    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes: list[Node] = []
        edges: list[Edge] = []
        for api in self.apis.values():
            counters = {"resolvers": len(api.resolvers)}
            if self._realtime is not None:
                counters["subscriptions"] = self._realtime.count(api.id)
            nodes.append(Node(api.arn, "api", api.name, self.name, counters))
            for source in api.data_sources.values():
                target = _source_target(self, source.type, source.config)
                if target is not None:
                    edges.append(Edge(api.arn, target, "integration", source.name))
        event_nodes, event_edges = self.event_apis.topology()
        return nodes + event_nodes, edges + event_edges


def _source_target(service: AppSyncService, kind: str, config: dict[str, Any]) -> str | None:
    """The ARN (or URL) a data source sends to: a table, a function, a bus or an endpoint."""
    if kind == "AMAZON_DYNAMODB":
        table = config["dynamodbConfig"]
        region = table.get("awsRegion", service.region)
        return f"arn:aws:dynamodb:{region}:{service.account_id}:table/{table['tableName']}"
    if kind == "AWS_LAMBDA":
        return config["lambdaConfig"]["lambdaFunctionArn"]
    if kind == "AMAZON_EVENTBRIDGE":
        return config["eventBridgeConfig"]["eventBusArn"]
    if kind == "HTTP":
        return config["httpConfig"]["endpoint"]
    return None


def _summary(query: str) -> str:
    """A request's one-line label for the panel: `query { getPost … }`."""
    text = " ".join(query.split())
    return text if len(text) <= 40 else text[:39] + "…"


def _operation(document: Any, name: str | None) -> Any:
    operations = [d for d in document.definitions if getattr(d, "operation", None) is not None]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _context_argument(text: str) -> dict[str, Any]:
    try:
        context = json.loads(text)
    except ValueError as error:
        raise bad_request(f"Unable to parse the context JSON: {error}") from None
    if not isinstance(context, dict):
        raise bad_request("The context must be a JSON object.")
    return context
