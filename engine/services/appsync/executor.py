"""GraphQL operations on graphql-core: parse (cached), validate, resolve fields with the API's resolvers.

Each field with a resolver runs its code (VTL or APPSYNC_JS) against its data source, or its
pipeline of functions; results may be cached per resolver (the API's cache). Errors come back in
AppSync's shape (`errorType`, `errorInfo`, `data`, `path`, `locations`) beside partial data.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import graphql
from graphql import GraphQLError

from .auth import Caller
from .datasources import DataSources
from .schema import AUTH_DIRECTIVES
from .templates import ResolverError, Unauthorized

if TYPE_CHECKING:
    from .models import Code, DataSource, GraphqlApi, Resolver
    from .service import AppSyncService

_DOCUMENTS = 512  # parsed-and-validated documents kept per API


class Request:
    """One GraphQL request as resolvers see it."""

    __slots__ = ("api", "caller", "headers", "variables", "errors", "trace_id", "subscription")

    def __init__(
        self,
        api: GraphqlApi,
        caller: Caller,
        headers: dict[str, str],
        variables: dict[str, Any],
        trace_id: str | None,
    ) -> None:
        self.api = api
        self.caller = caller
        self.headers = headers
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.trace_id = trace_id
        self.subscription: dict[str, Any] | None = None  # extensions a subscription resolver set


def _location_list(error: GraphQLError) -> list[dict[str, Any]]:
    return [
        {"line": loc.line, "column": loc.column, "sourceName": None}
        for loc in error.locations or []
    ]


def format_error(error: GraphQLError) -> dict[str, Any]:
    """A graphql-core error in AppSync's shape."""
    original = error.original_error
    out: dict[str, Any] = {"path": error.path, "data": None, "errorType": None, "errorInfo": None}
    out["locations"] = _location_list(error)
    if isinstance(original, ResolverError):
        out.update(original.as_graphql())
    else:
        out["message"] = error.message
    return out


#: graphql-core's validation messages in graphql-java's words (AppSync runs graphql-java).
_JAVA_MESSAGES = [
    (
        re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\..*"),
        "Validation error of type FieldUndefined: Field '{0}' in type '{1}' is undefined @ '{0}'",
    ),
    (
        re.compile(r"^Unknown argument '([^']+)' on field '[^.']+\.([^']+)'\..*"),
        "Validation error of type UnknownArgument: Unknown field argument {0} @ '{1}'",
    ),
    (
        re.compile(r"^Field '([^']+)' argument '([^']+)' of type '[^']+' is required.*"),
        "Validation error of type MissingFieldArgument: Missing field argument {1} @ '{0}'",
    ),
    (
        re.compile(r"^Variable '\$([^']+)' of required type '([^']+)' was not provided\..*"),
        "Variable '{0}' has coerced Null value for NonNull type '{1}'",
    ),
    (re.compile(r"^Syntax Error: (.*)"), "Invalid Syntax : {0}"),
]


def validation_error(error: GraphQLError) -> dict[str, Any]:
    """A document that does not parse or validate, as AppSync reports it (no errorType)."""
    message = error.message
    for pattern, java in _JAVA_MESSAGES:
        match = pattern.match(message)
        if match is not None:
            message = java.format(*match.groups())
            break
    else:
        message = f"Validation error: {message}"
    return {"path": None, "locations": _location_list(error), "message": message}


class Executor:
    """Runs operations for every API of the service; keeps parsed documents and cached results."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self.sources = DataSources(service)
        self._documents: dict[str, OrderedDict[str, Any]] = {}
        self._results: dict[str, dict[Any, tuple[float, Any]]] = {}

    # -- caches ------------------------------------------------------------------------------
    def forget(self, api_id: str) -> None:
        """Drop an API's parsed documents and cached results (its schema or resolvers changed)."""
        self._documents.pop(api_id, None)
        self._results.pop(api_id, None)

    def cached(self) -> int:
        """How many resolver results are cached."""
        return sum(len(r) for r in self._results.values())

    def full_request_key(
        self,
        api: GraphqlApi,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        caller: Caller,
    ) -> Any:
        """FULL_REQUEST_CACHING's key: the query, its variables and who asks (None: a mutation)."""
        document, errors = self.document(api, query)
        if errors or any(
            getattr(d, "operation", None) is not None and d.operation.value != "query"
            for d in document.definitions
        ):
            return None
        who = json.dumps(caller.identity, sort_keys=True, default=str)
        return ("full", query, json.dumps(variables, sort_keys=True), operation_name, who)

    def cached_response(self, api: GraphqlApi, key: Any) -> dict[str, Any] | None:
        """A live cached response (a copy), or None."""
        hit = self._results.get(api.id, {}).get(key)
        if hit is None or hit[0] <= self.service.clock.now():
            return None
        return json.loads(hit[1])

    def keep_response(self, api: GraphqlApi, key: Any, result: dict[str, Any]) -> None:
        """Cache a whole response for the API cache's TTL."""
        assert api.cache is not None
        expires = self.service.clock.now() + api.cache["ttl"]
        self._results.setdefault(api.id, {})[key] = (expires, json.dumps(result, default=str))

    def document(self, api: GraphqlApi, query: str) -> tuple[Any, list[dict[str, Any]]]:
        """The parsed, validated document (cached per API), or the errors that stop it."""
        documents = self._documents.setdefault(api.id, OrderedDict())
        found = documents.get(query)
        if found is not None:
            documents.move_to_end(query)
            return found
        assert api.schema is not None
        try:
            document = graphql.parse(query)
        except GraphQLError as error:
            found = (None, [validation_error(error)])
        else:
            errors = graphql.validate(api.schema.graphql, document)
            depth = api.settings.get("queryDepthLimit") or 0
            if not errors and depth:
                errors = _depth_errors(document, depth)
            found = (document, [validation_error(e) for e in errors])
        documents[query] = found
        if len(documents) > _DOCUMENTS:
            documents.popitem(last=False)
        return found

    # -- operations ----------------------------------------------------------------------------
    async def execute(
        self,
        api: GraphqlApi,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        caller: Caller,
        headers: dict[str, str],
        *,
        trace_id: str | None = None,
        root: Any = None,
    ) -> tuple[dict[str, Any], Request | None, Any]:
        """Run one operation: (the response, the request, the parsed document)."""
        if api.schema is None:
            return {"data": None, "errors": [{"message": "Schema is not configured."}]}, None, None
        document, errors = self.document(api, query)
        if errors:
            return {"data": None, "errors": errors}, None, None
        request = Request(api, caller, headers, variables or {}, trace_id)
        result = graphql.execute(
            api.schema.graphql,
            document,
            root_value=root,
            context_value=request,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=self.resolve_field,
        )
        if graphql.pyutils.is_awaitable(result):
            result = await result
        out: dict[str, Any] = {"data": result.data}
        found = [format_error(e) for e in result.errors or []] + request.errors
        if found:
            out["errors"] = found
        return out, request, document

    # -- fields --------------------------------------------------------------------------------
    def resolve_field(self, source: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
        """The field resolver graphql-core calls for every field."""
        request: Request = info.context
        api = request.api
        parent = info.parent_type
        name = info.field_name
        self._check_access(request, parent, name)
        resolver = api.resolvers.get((parent.name, name))
        # A subscription field being published reads the mutation's result from the root.
        publishing = source is not None and parent is info.schema.subscription_type
        if resolver is None or publishing:
            if isinstance(source, dict):
                return source.get(name)
            return getattr(source, name, None)
        return self._resolve(request, resolver, source, info, args)

    def _check_access(self, request: Request, parent: Any, name: str) -> None:
        caller = request.caller
        if f"{parent.name}.{name}" in caller.denied_fields:
            raise Unauthorized(name, parent.name)
        if parent.name.startswith("__"):
            return
        field = parent.fields[name]
        allowed = _modes(field.ast_node) or _modes(parent.ast_node)
        default = request.api.settings["authenticationType"]
        if allowed is None:
            allowed = {default}
        if caller.mode not in allowed:
            raise Unauthorized(name, parent.name)
        if caller.mode == "AMAZON_COGNITO_USER_POOLS":
            groups = _cognito_groups(field.ast_node) or _cognito_groups(parent.ast_node)
            if groups is not None:
                member_of = set((caller.identity or {}).get("groups") or [])
                if not member_of & groups:
                    raise Unauthorized(name, parent.name)

    async def _resolve(
        self,
        request: Request,
        resolver: Resolver,
        source: Any,
        info: graphql.GraphQLResolveInfo,
        args: dict[str, Any],
    ) -> Any:
        clock = self.service.clock
        started = clock.now()
        context = self._context(request, source, info, args)
        key = self._cache_key(request.api, resolver, context)
        if key is not None:
            hit = self._results.get(request.api.id, {}).get(key)
            if hit is not None and hit[0] > started:
                self._traced(request, resolver, started, True)
                return hit[1]
        try:
            if resolver.kind == "PIPELINE":
                value = await self._pipeline(request, resolver, context)
            else:
                source_obj = request.api.data_sources.get(resolver.data_source or "")
                if source_obj is None:
                    raise ResolverError(
                        f"Data source {resolver.data_source} not found", "DataSourceNotFound"
                    )
                if resolver.max_batch_size and source_obj.type == "AWS_LAMBDA":
                    context["_batch"] = ((request.api.id, resolver.arn), resolver.max_batch_size)
                value = await self._unit(resolver.code, source_obj, context)
        finally:
            if context.get("_extensions") is not None:
                request.subscription = context["_extensions"]
        request.errors.extend(context.pop("_errors", []))
        if key is not None:
            ttl = resolver.caching["ttl"] if resolver.caching else request.api.cache["ttl"]  # type: ignore[index]
            self._results.setdefault(request.api.id, {})[key] = (clock.now() + ttl, value)
        self._traced(request, resolver, started, False)
        return value

    def _traced(self, request: Request, resolver: Resolver, started: float, hit: bool) -> None:
        if self.service.trace.enabled:
            self.service.emit(
                "resolved",
                request.api.arn,
                trace_id=request.trace_id,
                resolver=resolver.arn,
                field=f"{resolver.type_name}.{resolver.field_name}",
                data_source=resolver.data_source or "PIPELINE",
                duration_ms=round((self.service.clock.now() - started) * 1000, 3),
                cache_hit=hit,
            )

    def _cache_key(self, api: GraphqlApi, resolver: Resolver, context: dict[str, Any]) -> Any:
        cache = api.cache
        if cache is None or cache["apiCachingBehavior"] != "PER_RESOLVER_CACHING":
            return None
        if resolver.caching is None:
            return None
        keys = resolver.caching.get("cachingKeys") or []
        if keys:
            values = [_path_value(context, k) for k in keys]
        else:
            values = [context.get("arguments"), context.get("source"), context.get("identity")]
        return (
            resolver.type_name,
            resolver.field_name,
            json.dumps(values, sort_keys=True, default=str),
        )

    def _context(
        self, request: Request, source: Any, info: graphql.GraphQLResolveInfo, args: dict[str, Any]
    ) -> dict[str, Any]:
        arguments = _plain(args)
        return {
            "arguments": arguments,
            "args": arguments,
            "source": source,
            "identity": request.caller.identity,
            "stash": {},
            "prev": {"result": None},
            "result": None,
            "error": None,
            "info": {
                "fieldName": info.field_name,
                "parentTypeName": info.parent_type.name,
                "variables": request.variables,
                "selectionSetList": _selection_list(info),
                "selectionSetGraphQL": "",
            },
            "request": {"headers": request.headers, "domainName": None},
            "env": request.api.environment,
            "_trace_id": request.trace_id,
        }

    async def _unit(self, code: Code, source: DataSource, context: dict[str, Any]) -> Any:
        """Request → data source → response, in VTL or APPSYNC_JS."""
        if code.runtime is not None:
            return await self.service.javascript.run_unit(
                code.code or "", source, context, self.sources
            )
        templates = self.service.templates
        if code.request_template is not None:
            rendered = templates.render(code.request_template, context)
            self._collect(context, rendered)
            if rendered.has_return:
                return rendered.returned
            outgoing = rendered.value()
        else:
            operation = "BatchInvoke" if context.get("_batch") else "Invoke"
            outgoing = {"operation": operation, "payload": _lambda_payload(context)}
        try:
            context["result"] = await self.sources.invoke(source, outgoing, context)
            context["error"] = None
        except ResolverError as error:
            context["result"] = None
            context["error"] = {"message": error.message, "type": error.error_type}
            if code.response_template is None:
                raise
        if code.response_template is None:
            return context["result"]
        rendered = templates.render(code.response_template, context)
        self._collect(context, rendered)
        return rendered.value()

    async def _pipeline(self, request: Request, resolver: Resolver, context: dict[str, Any]) -> Any:
        api = request.api
        code = resolver.code
        if code.runtime is not None:
            return await self.service.javascript.run_pipeline(
                code.code or "",
                [api.functions[f] for f in resolver.functions],
                api,
                context,
                self.sources,
            )
        templates = self.service.templates
        if code.request_template is not None:
            rendered = templates.render(code.request_template, context)
            self._collect(context, rendered)
            if rendered.has_return:
                return rendered.returned
            context["prev"] = {"result": rendered.value()}
        for function_id in resolver.functions:
            function = api.functions[function_id]
            source = api.data_sources[function.data_source]
            if function.code.runtime is not None:
                value = await self.service.javascript.run_unit(
                    function.code.code or "", source, context, self.sources
                )
            else:
                value = await self._unit(function.code, source, context)
            context["prev"] = {"result": value}
            if context.pop("_early", False):
                break
        if code.response_template is None:
            return context["prev"]["result"]
        context["result"] = context["prev"]["result"]
        rendered = templates.render(code.response_template, context)
        self._collect(context, rendered)
        return rendered.value()

    @staticmethod
    def _collect(context: dict[str, Any], rendered: Any) -> None:
        if rendered.errors:
            context.setdefault("_errors", []).extend(rendered.errors)
        extensions = rendered.extensions
        if (
            extensions.filter is not None
            or extensions.invalidation is not None
            or extensions.invalidation_filter is not None
        ):
            context["_extensions"] = {
                "filter": extensions.filter,
                "invalidation": extensions.invalidation,
                "invalidationFilter": extensions.invalidation_filter,
            }


def _modes(node: Any) -> set[str] | None:
    found = {
        AUTH_DIRECTIVES[d.name.value]
        for d in getattr(node, "directives", None) or ()
        if d.name.value in AUTH_DIRECTIVES
    }
    return found or None


def _cognito_groups(node: Any) -> set[str] | None:
    """The groups `@aws_cognito_user_pools(cognito_groups: […])` or `@aws_auth` allows (None: any)."""
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value not in ("aws_cognito_user_pools", "aws_auth"):
            continue
        for argument in directive.arguments:
            if argument.name.value == "cognito_groups":
                return {getattr(v, "value", "") for v in getattr(argument.value, "values", ())}
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _path_value(context: dict[str, Any], path: str) -> Any:
    parts = path.lstrip("$").split(".")
    if parts and parts[0] in ("context", "ctx"):
        parts = parts[1:]
    current: Any = context
    for part in parts:
        current = current.get(part) if isinstance(current, dict) else None
    return current


def _selection_list(info: graphql.GraphQLResolveInfo) -> list[str]:
    out: list[str] = []
    for node in info.field_nodes:
        for selection in getattr(node.selection_set, "selections", None) or ():
            name = getattr(selection, "name", None)
            if name is not None:
                out.append(name.value)
    return out


def _lambda_payload(context: dict[str, Any]) -> dict[str, Any]:
    """What a direct Lambda resolver receives: the whole context."""
    return {
        "arguments": context["arguments"],
        "identity": context["identity"],
        "source": context["source"],
        "request": context["request"],
        "prev": context["prev"],
        "info": context["info"],
        "stash": context["stash"],
    }


def _depth_errors(document: Any, limit: int) -> list[GraphQLError]:
    def depth(selection_set: Any) -> int:
        if selection_set is None:
            return 0
        return 1 + max(
            (depth(getattr(s, "selection_set", None)) for s in selection_set.selections), default=0
        )

    for definition in document.definitions:
        if depth(getattr(definition, "selection_set", None)) > limit:
            return [GraphQLError(f"The query exceeds the maximum depth of {limit}.")]
    return []
