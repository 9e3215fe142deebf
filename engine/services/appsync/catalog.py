"""Data sources, resolvers and pipeline functions of GraphQL APIs (the control plane's middle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import Code, DataSource, Function, GraphqlApi, Resolver, bad_request, not_found

if TYPE_CHECKING:
    from .service import AppSyncService

#: Data source types the lab runs, and the config member each one needs.
SUPPORTED_SOURCES = {
    "NONE": None,
    "AWS_LAMBDA": "lambdaConfig",
    "AMAZON_DYNAMODB": "dynamodbConfig",
    "HTTP": "httpConfig",
    "AMAZON_EVENTBRIDGE": "eventBridgeConfig",
}
_CONFIGS = (
    "dynamodbConfig",
    "lambdaConfig",
    "elasticsearchConfig",
    "openSearchServiceConfig",
    "httpConfig",
    "relationalDatabaseConfig",
    "eventBridgeConfig",
)


def code_of(params: dict[str, Any]) -> Code:
    """The templates or APPSYNC_JS code a create/update call gives (checked for consistency)."""
    runtime = params.get("runtime")
    code = params.get("code")
    if runtime is not None and code is None:
        raise bad_request("Code is required when runtime is specified.")
    if code is not None and runtime is None:
        raise bad_request("Runtime is required when code is specified.")
    if runtime is not None and runtime.get("runtimeVersion") != "1.0.0":
        raise bad_request(f"Invalid runtime version: {runtime.get('runtimeVersion')}")
    if runtime is not None and (
        "requestMappingTemplate" in params or "responseMappingTemplate" in params
    ):
        raise bad_request("Mapping templates cannot be used with the APPSYNC_JS runtime.")
    return Code(
        params.get("requestMappingTemplate"),
        params.get("responseMappingTemplate"),
        dict(runtime) if runtime is not None else None,
        code,
    )


class Catalog:
    """CreateDataSource … ListResolversByFunction: the resolvable parts of an API."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service

    # -- data sources --------------------------------------------------------------------
    def _source_from(self, api: GraphqlApi, params: dict[str, Any]) -> DataSource:
        kind = params["type"]
        if kind not in SUPPORTED_SOURCES:
            raise bad_request(
                f"Data source type {kind} is not supported by Pipework's AppSync "
                "(NONE, AWS_LAMBDA, AMAZON_DYNAMODB, HTTP and AMAZON_EVENTBRIDGE are)."
            )
        needed = SUPPORTED_SOURCES[kind]
        config = {k: dict(params[k]) for k in _CONFIGS if k in params}
        if needed is not None and needed not in config:
            raise bad_request(f"{needed} is required for data source type {kind}.")
        if kind in {"AWS_LAMBDA", "AMAZON_DYNAMODB", "AMAZON_EVENTBRIDGE"} and not params.get(
            "serviceRoleArn"
        ):
            raise bad_request(f"serviceRoleArn is required for data source type {kind}.")
        extra = set(config) - ({needed} if needed else set())
        if extra:
            raise bad_request(f"{sorted(extra)[0]} is not valid for data source type {kind}.")
        if kind == "HTTP":
            endpoint = config["httpConfig"].get("endpoint", "")
            if not endpoint.startswith(("http://", "https://")):
                raise bad_request("Http endpoint must be a valid URL.")
        return DataSource(
            self.service.arn(f"apis/{api.id}/datasources/{params['name']}"),
            params["name"],
            kind,
            params.get("description"),
            params.get("serviceRoleArn"),
            config,
            params.get("metricsConfig"),
        )

    def create_data_source(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        if params["name"] in api.data_sources:
            raise bad_request(f"Data source with name {params['name']} already exists.")
        source = self._source_from(api, params)
        api.data_sources[source.name] = source
        self.service.emit("created", source.arn, source_type=source.type)
        return {"dataSource": source.describe()}

    def update_data_source(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        self.data_source(api, params["name"])
        source = api.data_sources[params["name"]] = self._source_from(api, params)
        return {"dataSource": source.describe()}

    def data_source(self, api: GraphqlApi, name: str) -> DataSource:
        """A data source of the API, or NotFoundException."""
        source = api.data_sources.get(name)
        if source is None:
            raise not_found(f"Data source {name} not found.")
        return source

    def get_data_source(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        return {"dataSource": self.data_source(api, params["name"]).describe()}

    def delete_data_source(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        source = self.data_source(api, params["name"])
        del api.data_sources[source.name]
        self.service.emit("deleted", source.arn)
        return {}

    def list_data_sources(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        items = [s.describe() for s in api.data_sources.values()]
        return self.service.page(items, params, "dataSources")

    # -- functions -----------------------------------------------------------------------
    def create_function(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        self.data_source(api, params["dataSourceName"])
        code = code_of(params)
        self._check_code(code, params.get("functionVersion"))
        function_id = self.service.ids.token(26).lower()
        function = Function(
            function_id,
            self.service.arn(f"apis/{api.id}/functions/{function_id}"),
            params["name"],
            params["dataSourceName"],
            code,
            params.get("description"),
            params.get("functionVersion"),
            params.get("maxBatchSize"),
        )
        api.functions[function_id] = function
        return {"functionConfiguration": function.describe()}

    def update_function(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        function = self.function(api, params["functionId"])
        self.data_source(api, params["dataSourceName"])
        code = code_of(params)
        self._check_code(code, params.get("functionVersion"))
        function.name = params["name"]
        function.data_source = params["dataSourceName"]
        function.code = code
        function.description = params.get("description")
        function.function_version = params.get("functionVersion")
        function.max_batch_size = params.get("maxBatchSize")
        return {"functionConfiguration": function.describe()}

    def function(self, api: GraphqlApi, function_id: str) -> Function:
        """A function of the API, or NotFoundException."""
        function = api.functions.get(function_id)
        if function is None:
            raise not_found(f"Function {function_id} not found.")
        return function

    def get_function(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        return {"functionConfiguration": self.function(api, params["functionId"]).describe()}

    def delete_function(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        function = self.function(api, params["functionId"])
        for resolver in api.resolvers.values():
            if function.id in resolver.functions:
                raise bad_request(
                    f"Cannot delete a function which is currently used by a resolver. "
                    f"Resolver type: {resolver.type_name}, field: {resolver.field_name}"
                )
        del api.functions[function.id]
        return {}

    def list_functions(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        items = [f.describe() for f in api.functions.values()]
        return self.service.page(items, params, "functions")

    # -- resolvers -----------------------------------------------------------------------
    def _resolver_from(self, api: GraphqlApi, params: dict[str, Any]) -> Resolver:
        kind = params.get("kind", "UNIT")
        code = code_of(params)
        self._check_code(code, "2018-05-29")
        functions: list[str] = []
        source = params.get("dataSourceName")
        if kind == "PIPELINE":
            functions = list(params.get("pipelineConfig", {}).get("functions", []))
            for function_id in functions:
                self.function(api, function_id)
            if source is not None:
                raise bad_request("Pipeline resolvers cannot have a data source.")
        else:
            if source is None:
                raise bad_request("dataSourceName is required for UNIT resolvers.")
            self.data_source(api, source)
            direct = code.runtime is None and code.request_template is None
            if direct and api.data_sources[source].type != "AWS_LAMBDA":
                raise bad_request(
                    "Request mapping template is required for data sources other than AWS Lambda."
                )
        if api.schema is not None:
            self._check_field(api, params["typeName"], params["fieldName"])
        caching = params.get("cachingConfig")
        return Resolver(
            self.service.arn(
                f"apis/{api.id}/types/{params['typeName']}/resolvers/{params['fieldName']}"
            ),
            params["typeName"],
            params["fieldName"],
            kind,
            code,
            source,
            functions,
            dict(caching) if caching is not None else None,
            params.get("maxBatchSize"),
            dict(params["syncConfig"]) if "syncConfig" in params else None,
            params.get("metricsConfig"),
        )

    def _check_code(self, code: Code, version: str | None) -> None:
        """Templates must parse; APPSYNC_JS code must define request and response."""
        templates = self.service.templates
        for text in (code.request_template, code.response_template):
            if text is not None:
                templates.check(text)
        if code.code is not None:
            self.service.javascript.check(code.code)

    def _check_field(self, api: GraphqlApi, type_name: str, field_name: str) -> None:
        assert api.schema is not None
        graphql_type = api.schema.graphql.type_map.get(type_name)
        if graphql_type is None:
            raise not_found(f"Type {type_name} not found.")
        fields = getattr(graphql_type, "fields", None)
        if fields is None or field_name not in fields:
            raise not_found(f"No field named {field_name} found on type {type_name}")

    def create_resolver(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        key = (params["typeName"], params["fieldName"])
        if key in api.resolvers:
            raise bad_request(
                f"Only one resolver is allowed per field. Field {params['fieldName']} of type "
                f"{params['typeName']} already has a resolver."
            )
        resolver = self._resolver_from(api, params)
        api.resolvers[key] = resolver
        self.service.resolver_changed(api)
        return {"resolver": resolver.describe()}

    def update_resolver(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        self.resolver(api, params["typeName"], params["fieldName"])
        resolver = self._resolver_from(api, params)
        api.resolvers[(resolver.type_name, resolver.field_name)] = resolver
        self.service.resolver_changed(api)
        return {"resolver": resolver.describe()}

    def resolver(self, api: GraphqlApi, type_name: str, field_name: str) -> Resolver:
        """A resolver of the API, or NotFoundException."""
        resolver = api.resolvers.get((type_name, field_name))
        if resolver is None:
            raise not_found(f"Resolver {type_name}.{field_name} not found.")
        return resolver

    def get_resolver(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        return {"resolver": self.resolver(api, params["typeName"], params["fieldName"]).describe()}

    def delete_resolver(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        resolver = self.resolver(api, params["typeName"], params["fieldName"])
        del api.resolvers[(resolver.type_name, resolver.field_name)]
        self.service.resolver_changed(api)
        return {}

    def list_resolvers(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        items = [r.describe() for r in api.resolvers.values() if r.type_name == params["typeName"]]
        return self.service.page(items, params, "resolvers")

    def list_resolvers_by_function(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.service.graphql_api(params["apiId"])
        function = self.function(api, params["functionId"])
        items = [r.describe() for r in api.resolvers.values() if function.id in r.functions]
        return self.service.page(items, params, "resolvers")
