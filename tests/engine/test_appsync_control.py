"""AppSync's control plane: APIs, schemas, types, data sources, resolvers, functions, keys, caches, Event APIs."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

SCHEMA = """
type Post @aws_api_key { id: ID! title: String author: String at: AWSDateTime }
type Query { getPost(id: ID!): Post @aws_api_key }
type Mutation { addPost(id: ID!, title: String, author: String): Post @aws_api_key }
type Subscription { onAddPost(author: String): Post @aws_subscribe(mutations: ["addPost"]) @aws_api_key }
"""


async def make_api(eng, schema: str = SCHEMA) -> str:
    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="blog", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    await appsync.start_schema_creation(apiId=api["apiId"], definition=schema.encode())
    return api["apiId"]


async def test_api_lifecycle_and_uris(eng) -> None:
    appsync = eng.client("appsync")
    api = (
        await appsync.create_graphql_api(name="blog", authenticationType="API_KEY", tags={"a": "b"})
    )["graphqlApi"]
    assert api["uris"]["GRAPHQL"].startswith("http://127.0.0.1:")
    assert api["uris"]["REALTIME"].startswith("ws://127.0.0.1:")
    assert (await appsync.get_graphql_api(apiId=api["apiId"]))["graphqlApi"]["name"] == "blog"
    assert len((await appsync.list_graphql_apis())["graphqlApis"]) == 1
    assert (await appsync.list_tags_for_resource(resourceArn=api["arn"]))["tags"] == {"a": "b"}
    await appsync.delete_graphql_api(apiId=api["apiId"])
    with pytest.raises(ServiceError) as caught:
        await appsync.get_graphql_api(apiId=api["apiId"])
    assert caught.value.code == "NotFoundException"
    assert eng.listeners.all() == []


async def test_schema_status_introspection_and_types(eng) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng)
    status = await appsync.get_schema_creation_status(apiId=api_id)
    assert status["status"] == "SUCCESS"
    sdl = (await appsync.get_introspection_schema(apiId=api_id, format="SDL"))["schema"].decode()
    assert "@aws_subscribe" in sdl and "scalar AWSDateTime" not in sdl
    plain = (
        await appsync.get_introspection_schema(apiId=api_id, format="SDL", includeDirectives=False)
    )["schema"].decode()
    assert "@aws_subscribe" not in plain
    document = json.loads(
        (await appsync.get_introspection_schema(apiId=api_id, format="JSON"))["schema"]
    )
    assert document["data"]["__schema"]["queryType"]["name"] == "Query"
    names = [t["name"] for t in (await appsync.list_types(apiId=api_id, format="SDL"))["types"]]
    assert names == ["Post", "Query", "Mutation", "Subscription"]
    await appsync.create_type(apiId=api_id, definition="type Comment { id: ID! }", format="SDL")
    got = (await appsync.get_type(apiId=api_id, typeName="Comment", format="SDL"))["type"]
    assert "Comment" in got["definition"]
    await appsync.delete_type(apiId=api_id, typeName="Comment")
    with pytest.raises(ServiceError):
        await appsync.get_type(apiId=api_id, typeName="Comment", format="SDL")


async def test_bad_schema_fails_creation(eng) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng, "type Query { broken: Nope }")
    status = await appsync.get_schema_creation_status(apiId=api_id)
    assert status["status"] == "FAILED" and "Nope" in status["details"]


async def test_data_sources_resolvers_functions(eng) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng)
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    with pytest.raises(ServiceError) as caught:
        await appsync.create_data_source(apiId=api_id, name="es", type="AMAZON_ELASTICSEARCH")
    assert caught.value.code == "BadRequestException"
    with pytest.raises(ServiceError):
        await appsync.create_data_source(apiId=api_id, name="t", type="AMAZON_DYNAMODB")
    function = (
        await appsync.create_function(
            apiId=api_id,
            name="f",
            dataSourceName="none",
            functionVersion="2018-05-29",
            requestMappingTemplate='{"version": "2018-05-29", "payload": {}}',
            responseMappingTemplate="$util.toJson($ctx.result)",
        )
    )["functionConfiguration"]
    resolver = (
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Query",
            fieldName="getPost",
            kind="PIPELINE",
            pipelineConfig={"functions": [function["functionId"]]},
            requestMappingTemplate="{}",
            responseMappingTemplate="$util.toJson($ctx.prev.result)",
        )
    )["resolver"]
    assert resolver["kind"] == "PIPELINE"
    listed = await appsync.list_resolvers_by_function(
        apiId=api_id, functionId=function["functionId"]
    )
    assert len(listed["resolvers"]) == 1
    with pytest.raises(ServiceError) as caught:
        await appsync.delete_function(apiId=api_id, functionId=function["functionId"])
    assert caught.value.code == "BadRequestException"
    with pytest.raises(ServiceError) as caught:
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Query",
            fieldName="nope",
            dataSourceName="none",
            requestMappingTemplate="{}",
        )
    assert caught.value.code == "NotFoundException"
    with pytest.raises(ServiceError) as caught:
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Mutation",
            fieldName="addPost",
            dataSourceName="none",
            requestMappingTemplate="#if($ctx.args.id) x",
        )
    assert caught.value.code == "BadRequestException"
    await appsync.delete_resolver(apiId=api_id, typeName="Query", fieldName="getPost")
    await appsync.delete_function(apiId=api_id, functionId=function["functionId"])


async def test_api_keys_and_expiry_bounds(eng, clock) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng)
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]
    assert key["id"].startswith("da2-") and key["deletes"] - key["expires"] == 60 * 86400
    with pytest.raises(ServiceError) as caught:
        await appsync.create_api_key(apiId=api_id, expires=int(clock.now()) + 3600)
    assert caught.value.code == "ApiKeyValidityOutOfBoundsException"
    updated = (await appsync.update_api_key(apiId=api_id, id=key["id"], description="d"))["apiKey"]
    assert updated["description"] == "d"
    await appsync.delete_api_key(apiId=api_id, id=key["id"])
    assert (await appsync.list_api_keys(apiId=api_id))["apiKeys"] == []


async def test_cache_settings(eng) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng)
    cache = (
        await appsync.create_api_cache(
            apiId=api_id, ttl=60, apiCachingBehavior="PER_RESOLVER_CACHING", type="SMALL"
        )
    )["apiCache"]
    assert cache["status"] == "AVAILABLE"
    with pytest.raises(ServiceError):
        await appsync.update_api_cache(
            apiId=api_id, ttl=0, apiCachingBehavior="PER_RESOLVER_CACHING", type="SMALL"
        )
    await appsync.flush_api_cache(apiId=api_id)
    await appsync.delete_api_cache(apiId=api_id)
    with pytest.raises(ServiceError) as caught:
        await appsync.get_api_cache(apiId=api_id)
    assert caught.value.code == "NotFoundException"


async def test_evaluate_mapping_template_and_code(eng) -> None:
    appsync = eng.client("appsync")
    context = json.dumps({"arguments": {"id": "7", "n": 2}})
    out = await appsync.evaluate_mapping_template(
        template='$util.qr($ctx.stash.put("k", 1)){"key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}, "n": $ctx.args.n}',
        context=context,
    )
    assert json.loads(out["evaluationResult"]) == {"key": {"id": {"S": "7"}}, "n": 2}
    assert json.loads(out["stash"]) == {"k": 1}
    failed = await appsync.evaluate_mapping_template(
        template='$util.error("nope", "Custom")', context=context
    )
    assert failed["error"]["message"] == "nope"
    code = (
        "import { util } from '@aws-appsync/utils';\n"
        "export function request(ctx) { ctx.stash.seen = true; return { key: util.dynamodb.toMapValues({ id: ctx.args.id }) }; }\n"
        "export function response(ctx) { return ctx.result; }\n"
    )
    out = await appsync.evaluate_code(
        runtime={"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"},
        code=code,
        context=context,
        function="request",
    )
    assert json.loads(out["evaluationResult"]) == {"key": {"id": {"S": "7"}}}
    assert json.loads(out["stash"]) == {"seen": True}
    linted = await appsync.evaluate_code(
        runtime={"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"},
        code="class A {}",
        context=context,
    )
    assert linted["error"]["codeErrors"][0]["errorType"] == "LINT_ERROR"


async def test_event_api_and_namespaces(eng) -> None:
    appsync = eng.client("appsync")
    config = {
        "authProviders": [{"authType": "API_KEY"}],
        "connectionAuthModes": [{"authType": "API_KEY"}],
        "defaultPublishAuthModes": [{"authType": "API_KEY"}],
        "defaultSubscribeAuthModes": [{"authType": "API_KEY"}],
    }
    api = (await appsync.create_api(name="events", eventConfig=config))["api"]
    assert api["dns"]["HTTP"].startswith("127.0.0.1:")
    await appsync.create_channel_namespace(apiId=api["apiId"], name="default")
    names = [
        n["name"]
        for n in (await appsync.list_channel_namespaces(apiId=api["apiId"]))["channelNamespaces"]
    ]
    assert names == ["default"]
    with pytest.raises(ServiceError) as caught:
        await appsync.create_channel_namespace(apiId=api["apiId"], name="default")
    assert caught.value.code == "BadRequestException"
    await appsync.delete_channel_namespace(apiId=api["apiId"], name="default")
    await appsync.delete_api(apiId=api["apiId"])
    assert (await appsync.list_apis())["apis"] == []


async def test_domain_names_and_associations(eng) -> None:
    appsync = eng.client("appsync")
    api_id = await make_api(eng)
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    domain = (await appsync.create_domain_name(domainName="api.example.com", certificateArn=cert))[
        "domainNameConfig"
    ]
    assert domain["appsyncDomainName"].endswith(".cloudfront.net")
    association = (await appsync.associate_api(domainName="api.example.com", apiId=api_id))[
        "apiAssociation"
    ]
    assert association["associationStatus"] == "SUCCESS"
    with pytest.raises(ServiceError) as caught:
        await appsync.delete_domain_name(domainName="api.example.com")
    assert caught.value.code == "BadRequestException"
    await appsync.disassociate_api(domainName="api.example.com")
    await appsync.delete_domain_name(domainName="api.example.com")
    assert (await appsync.list_domain_names())["domainNameConfigs"] == []
