"""AppSync GraphQL APIs with their schemas, data sources, resolvers and API keys."""

from __future__ import annotations

from typing import Any

from engine.errors import ServiceError

from .base import Outcome, Provider, Request, ignore_missing, tag_map

#: CloudFormation property names whose API member is not simply the lowerCamelCase form.
_RENAMED = {"DynamoDBConfig": "dynamodbConfig"}


def api_members(value: Any) -> Any:
    """CloudFormation's PascalCase properties, at every depth, in AppSync's lowerCamelCase."""
    if isinstance(value, list):
        return [api_members(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {
        _RENAMED.get(key, key[:1].lower() + key[1:]): api_members(item)
        for key, item in value.items()
        if key != "Tags"
    }


class GraphQLApiProvider(Provider):
    """AWS::AppSync::GraphQLApi — Ref: the API's ARN; GetAtt: ApiId, Arn, GraphQLUrl,
    GraphQLDns, RealtimeUrl, RealtimeDns, GraphQLEndpointArn."""

    type_name = "AWS::AppSync::GraphQLApi"
    name_property = "Name"
    requires = "appsync"

    async def create(self, request: Request) -> Outcome:
        props = request.properties
        params = {
            **api_members(props),
            "name": self.name(request),
            "tags": tag_map(props) or None,
        }
        api = (await self.call("appsync", "create_graphql_api", params))["graphqlApi"]
        uris, dns = api.get("uris") or {}, api.get("dns") or {}
        return Outcome(
            api["arn"],
            {
                "ApiId": api["apiId"],
                "Arn": api["arn"],
                "GraphQLUrl": uris.get("GRAPHQL"),
                "GraphQLDns": dns.get("GRAPHQL"),
                "RealtimeUrl": uris.get("REALTIME"),
                "RealtimeDns": dns.get("REALTIME"),
                "GraphQLEndpointArn": api["arn"],
            },
        )

    async def update(self, request: Request) -> Outcome:
        params = {
            **api_members(request.properties),
            "apiId": request.attributes["ApiId"],
            "name": self.name(request),
        }
        await self.call("appsync", "update_graphql_api", params)
        return Outcome(request.physical_id, request.attributes)

    async def delete(self, request: Request) -> None:
        api_id = request.attributes.get("ApiId")
        await ignore_missing(self.client("appsync").delete_graphql_api(apiId=api_id))


class GraphQLSchemaProvider(Provider):
    """AWS::AppSync::GraphQLSchema — Ref and GetAtt Id: the API id with `GraphQLSchema` after it."""

    type_name = "AWS::AppSync::GraphQLSchema"
    requires = "appsync"

    async def create(self, request: Request) -> Outcome:
        api_id = str(request.properties["ApiId"])
        definition = request.properties.get("Definition")
        if not definition:
            raise ServiceError(
                "InvalidRequest",
                "GraphQLSchema needs a Definition (DefinitionS3Location is not supported)",
            )
        appsync = self.client("appsync")
        await appsync.start_schema_creation(apiId=api_id, definition=str(definition).encode())
        status = await appsync.get_schema_creation_status(apiId=api_id)
        if status["status"] != "SUCCESS":
            raise ServiceError("BadRequestException", status.get("details") or "Schema failed")
        return Outcome(f"{api_id}GraphQLSchema", {"Id": f"{api_id}GraphQLSchema"})

    async def update(self, request: Request) -> Outcome:
        return await self.create(request)


class DataSourceProvider(Provider):
    """AWS::AppSync::DataSource — Ref: the data source ARN; GetAtt: DataSourceArn, Name."""

    type_name = "AWS::AppSync::DataSource"
    name_property = "Name"
    requires = "appsync"

    async def create(self, request: Request) -> Outcome:
        return await self._put(request, "create_data_source")

    async def update(self, request: Request) -> Outcome:
        return await self._put(request, "update_data_source")

    async def _put(self, request: Request, operation: str) -> Outcome:
        params = {**api_members(request.properties), "name": self.name(request)}
        source = (await self.call("appsync", operation, params))["dataSource"]
        arn = source["dataSourceArn"]
        return Outcome(arn, {"DataSourceArn": arn, "Name": source["name"]})

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("appsync").delete_data_source(
                apiId=request.properties["ApiId"], name=request.attributes.get("Name")
            )
        )


class ResolverProvider(Provider):
    """AWS::AppSync::Resolver — Ref: the resolver ARN; GetAtt: ResolverArn, TypeName, FieldName."""

    type_name = "AWS::AppSync::Resolver"
    requires = "appsync"

    async def create(self, request: Request) -> Outcome:
        return await self._put(request, "create_resolver")

    async def update(self, request: Request) -> Outcome:
        return await self._put(request, "update_resolver")

    async def _put(self, request: Request, operation: str) -> Outcome:
        resolver = (await self.call("appsync", operation, api_members(request.properties)))[
            "resolver"
        ]
        arn = resolver["resolverArn"]
        return Outcome(
            arn,
            {
                "ResolverArn": arn,
                "TypeName": resolver["typeName"],
                "FieldName": resolver["fieldName"],
            },
        )

    async def delete(self, request: Request) -> None:
        props = request.properties
        await ignore_missing(
            self.client("appsync").delete_resolver(
                apiId=props["ApiId"], typeName=props["TypeName"], fieldName=props["FieldName"]
            )
        )


class ApiKeyProvider(Provider):
    """AWS::AppSync::ApiKey — Ref: the key's ARN; GetAtt: ApiKey, ApiKeyId, Arn."""

    type_name = "AWS::AppSync::ApiKey"
    requires = "appsync"

    async def create(self, request: Request) -> Outcome:
        api_id = str(request.properties["ApiId"])
        key = (await self.call("appsync", "create_api_key", api_members(request.properties)))[
            "apiKey"
        ]
        arn = self.arn("appsync", f"apis/{api_id}/apikey/{key['id']}")
        return Outcome(arn, {"ApiKey": key["id"], "ApiKeyId": key["id"], "Arn": arn})

    async def update(self, request: Request) -> Outcome:
        params = {**api_members(request.properties), "id": request.attributes["ApiKeyId"]}
        await self.call("appsync", "update_api_key", params)
        return Outcome(request.physical_id, request.attributes)

    async def delete(self, request: Request) -> None:
        await ignore_missing(
            self.client("appsync").delete_api_key(
                apiId=request.properties["ApiId"], id=request.attributes.get("ApiKeyId")
            )
        )


PROVIDERS = (
    GraphQLApiProvider,
    GraphQLSchemaProvider,
    DataSourceProvider,
    ResolverProvider,
    ApiKeyProvider,
)
