"""AppSync's GraphQL endpoint over loopback with httpx: VTL and APPSYNC_JS resolvers, auth, errors, caching."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.timeout(60)

SCHEMA = """
type Post @aws_api_key @aws_lambda { id: ID! title: String author: String votes: Int }
type Page @aws_api_key { items: [Post] nextToken: String }
type Query @aws_api_key {
  getPost(id: ID!): Post
  jsPost(id: ID!): Post
  byAuthor(author: String!, limit: Int, nextToken: String): Page
  scanPosts: Page
  echo(text: String): String
  shout(text: String): String
  secret: String @aws_lambda
  fails: String
  at(when: AWSDateTime): AWSDateTime
}
type Mutation @aws_api_key {
  addPost(id: ID!, title: String, author: String): Post
  vote(id: ID!): Post
  addOnce(id: ID!, title: String): Post
  removePost(id: ID!): Post
  batch(ids: [ID!]!): [Post]
}
"""
GET = '{"version": "2018-05-29", "operation": "GetItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}}'
PUT = (
    '{"version": "2018-05-29", "operation": "PutItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)},'
    ' "attributeValues": $util.dynamodb.toMapValuesJson({"title": $ctx.args.title, "author": $ctx.args.author, "votes": 0})}'
)
PUT_ONCE = (
    '{"version": "2018-05-29", "operation": "PutItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)},'
    ' "attributeValues": $util.dynamodb.toMapValuesJson({"title": $ctx.args.title}),'
    ' "condition": {"expression": "attribute_not_exists(id)"}}'
)
VOTE = (
    '{"version": "2018-05-29", "operation": "UpdateItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)},'
    ' "update": {"expression": "ADD votes :one", "expressionValues": {":one": {"N": "1"}}}}'
)
QUERY = (
    '{"version": "2018-05-29", "operation": "Query", "index": "byAuthor",'
    ' "query": {"expression": "author = :a", "expressionValues": {":a": $util.dynamodb.toDynamoDBJson($ctx.args.author)}},'
    ' "limit": $util.defaultIfNull($ctx.args.limit, 10), "nextToken": $util.toJson($ctx.args.nextToken)}'
)
RESULT = (
    "#if($ctx.error)$util.error($ctx.error.message, $ctx.error.type)#end$util.toJson($ctx.result)"
)
JS = """
import { util } from '@aws-appsync/utils';
export function request(ctx) {
  return { operation: 'GetItem', key: util.dynamodb.toMapValues({ id: ctx.args.id }) };
}
export function response(ctx) {
  if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }
  return { ...ctx.result, title: ctx.result.title.toUpperCase() };
}
"""
JS_RUNTIME = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}


async def build(eng, *, cache: bool = False) -> tuple[str, str, str]:
    """A blog API over a DynamoDB table; returns (api id, GraphQL URL, API key)."""
    ddb = eng.client("dynamodb")
    await ddb.create_table(
        TableName="posts",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "author", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byAuthor",
                "KeySchema": [{"AttributeName": "author", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def authorizer(event, context):
        return {
            "isAuthorized": event["authorizationToken"] == "letmein",
            "resolverContext": {"who": "ada"},
            "ttlOverride": 60,
        }

    eng.register_function("authz", authorizer)
    eng.register_function(
        "secret", lambda event, context: f"secret for {event['identity']['resolverContext']['who']}"
    )
    appsync = eng.client("appsync")
    api = (
        await appsync.create_graphql_api(
            name="blog",
            authenticationType="API_KEY",
            additionalAuthenticationProviders=[
                {
                    "authenticationType": "AWS_LAMBDA",
                    "lambdaAuthorizerConfig": {
                        "authorizerUri": "arn:aws:lambda:us-east-1:123456789012:function:authz"
                    },
                }
            ],
        )
    )["graphqlApi"]
    api_id = api["apiId"]
    await appsync.start_schema_creation(apiId=api_id, definition=SCHEMA.encode())
    role = "arn:aws:iam::123456789012:role/appsync"
    await appsync.create_data_source(
        apiId=api_id,
        name="posts",
        type="AMAZON_DYNAMODB",
        serviceRoleArn=role,
        dynamodbConfig={"tableName": "posts", "awsRegion": "us-east-1"},
    )
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    await appsync.create_data_source(
        apiId=api_id,
        name="fn",
        type="AWS_LAMBDA",
        serviceRoleArn=role,
        lambdaConfig={"lambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:secret"},
    )
    caching = (
        {"cachingConfig": {"ttl": 30, "cachingKeys": ["$context.arguments.id"]}} if cache else {}
    )
    for field, request, source in [
        ("getPost", GET, "posts"),
        ("byAuthor", QUERY, "posts"),
        ("scanPosts", '{"version": "2018-05-29", "operation": "Scan"}', "posts"),
    ]:
        extra = caching if field == "getPost" else {}
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Query",
            fieldName=field,
            dataSourceName=source,
            requestMappingTemplate=request,
            responseMappingTemplate=RESULT,
            **extra,
        )
    for field, request in [("addPost", PUT), ("vote", VOTE), ("addOnce", PUT_ONCE)]:
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Mutation",
            fieldName=field,
            dataSourceName="posts",
            requestMappingTemplate=request,
            responseMappingTemplate=RESULT,
        )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="removePost",
        dataSourceName="posts",
        requestMappingTemplate='{"version": "2018-05-29", "operation": "DeleteItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}}',
        responseMappingTemplate=RESULT,
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="batch",
        dataSourceName="posts",
        requestMappingTemplate='#set($keys = [])#foreach($id in $ctx.args.ids)$util.qr($keys.add({"id": $util.dynamodb.toDynamoDB($id)}))#end{"version": "2018-05-29", "operation": "BatchGetItem", "tables": {"posts": {"keys": $util.toJson($keys)}}}',
        responseMappingTemplate="$util.toJson($ctx.result.data.posts)",
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="jsPost",
        dataSourceName="posts",
        runtime=JS_RUNTIME,
        code=JS,
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="echo",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.args.text)}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="fails",
        dataSourceName="none",
        requestMappingTemplate='$util.error("no luck", "Custom", {"a": 1}, {"b": 2})',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    await appsync.create_resolver(
        apiId=api_id, typeName="Query", fieldName="secret", dataSourceName="fn"
    )
    # A pipeline: the before template stashes, one function upper-cases through NONE.
    function = (
        await appsync.create_function(
            apiId=api_id,
            name="upper",
            dataSourceName="none",
            functionVersion="2018-05-29",
            requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($util.str.toUpper($ctx.stash.text))}',
            responseMappingTemplate="$util.toJson($ctx.result)",
        )
    )["functionConfiguration"]
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="shout",
        kind="PIPELINE",
        pipelineConfig={"functions": [function["functionId"]]},
        requestMappingTemplate='$util.qr($ctx.stash.put("text", $ctx.args.text)){}',
        responseMappingTemplate='$util.toJson("${ctx.prev.result}!")',
    )
    if cache:
        await appsync.create_api_cache(
            apiId=api_id, ttl=60, apiCachingBehavior="PER_RESOLVER_CACHING", type="SMALL"
        )
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    return api_id, api["uris"]["GRAPHQL"], key


async def post(
    url: str, key: str | None, query: str, variables: dict | None = None, **headers: str
) -> httpx.Response:
    if key is not None:
        headers["x-api-key"] = key
    async with httpx.AsyncClient() as client:
        return await client.post(
            url, json={"query": query, "variables": variables or {}}, headers=headers
        )


async def test_dynamodb_unit_resolvers_round_trip(eng) -> None:
    _, url, key = await build(eng)
    added = await post(
        url, key, 'mutation { addPost(id: "1", title: "Hello", author: "ada") { id title votes } }'
    )
    assert added.status_code == 200
    assert added.json() == {"data": {"addPost": {"id": "1", "title": "Hello", "votes": 0}}}
    await post(url, key, 'mutation { addPost(id: "2", title: "Two", author: "ada") { id } }')
    voted = await post(url, key, 'mutation { vote(id: "1") { votes } }')
    assert voted.json()["data"]["vote"]["votes"] == 1
    got = await post(
        url, key, "query Q($id: ID!) { getPost(id: $id) { title author votes } }", {"id": "1"}
    )
    assert got.json() == {"data": {"getPost": {"title": "Hello", "author": "ada", "votes": 1}}}
    page = (
        await post(url, key, '{ byAuthor(author: "ada", limit: 1) { items { id } nextToken } }')
    ).json()["data"]["byAuthor"]
    assert len(page["items"]) == 1 and page["nextToken"]
    rest = await post(
        url,
        key,
        'query($t: String) { byAuthor(author: "ada", nextToken: $t) { items { id } nextToken } }',
        {"t": page["nextToken"]},
    )
    assert len(rest.json()["data"]["byAuthor"]["items"]) == 1
    scanned = await post(url, key, "{ scanPosts { items { id } } }")
    assert sorted(i["id"] for i in scanned.json()["data"]["scanPosts"]["items"]) == ["1", "2"]
    batch = await post(url, key, 'mutation { batch(ids: ["2", "9", "1"]) { id } }')
    assert batch.json()["data"]["batch"] == [{"id": "2"}, None, {"id": "1"}]
    removed = await post(url, key, 'mutation { removePost(id: "2") { title } }')
    assert removed.json()["data"]["removePost"] == {"title": "Two"}


async def test_condition_failure_comes_back_as_appsync_error(eng) -> None:
    _, url, key = await build(eng)
    await post(url, key, 'mutation { addOnce(id: "1", title: "a") { id } }')
    again = (await post(url, key, 'mutation { addOnce(id: "1", title: "b") { id } }')).json()
    assert again["data"] == {"addOnce": None}
    error = again["errors"][0]
    assert error["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert error["path"] == ["addOnce"] and error["locations"][0]["line"] == 1


async def test_util_error_none_and_pipeline(eng) -> None:
    _, url, key = await build(eng)
    body = (await post(url, key, '{ echo(text: "hi") shout(text: "hey") fails }')).json()
    assert body["data"] == {"echo": "hi", "shout": "HEY!", "fails": None}
    (error,) = body["errors"]
    assert error["message"] == "no luck" and error["errorType"] == "Custom"
    assert error["data"] == {"a": 1} and error["errorInfo"] == {"b": 2}


async def test_appsync_js_resolver(eng) -> None:
    _, url, key = await build(eng)
    await post(url, key, 'mutation { addPost(id: "1", title: "quiet", author: "ada") { id } }')
    body = (await post(url, key, '{ jsPost(id: "1") { id title } }')).json()
    assert body == {"data": {"jsPost": {"id": "1", "title": "QUIET"}}}


async def test_validation_errors_and_scalars(eng) -> None:
    _, url, key = await build(eng)
    body = (await post(url, key, "{ nope }")).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "Validation error of type FieldUndefined: Field 'nope' in type 'Query' is undefined @ 'nope'"
    )
    bad = (await post(url, key, 'query { at(when: "yesterday") }')).json()
    assert bad["errors"]
    malformed = await post(url, key, "")
    assert malformed.status_code == 200 or malformed.status_code == 400


async def test_api_key_auth_and_expiry(eng, clock) -> None:
    _, url, key = await build(eng)
    missing = await post(url, None, '{ echo(text: "x") }')
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["errorType"] == "UnauthorizedException"
    wrong = await post(url, "da2-wrong", '{ echo(text: "x") }')
    assert wrong.status_code == 401
    await clock.advance(8 * 86400)  # past the key's 7-day default validity
    expired = await post(url, key, '{ echo(text: "x") }')
    assert expired.status_code == 401


async def test_lambda_authorizer_and_field_directives(eng) -> None:
    _, url, key = await build(eng)
    denied = await post(url, None, "{ secret }", authorization="nope")
    assert denied.status_code == 401
    recorder = eng.trace.record()
    allowed = (await post(url, None, "{ secret }", authorization="letmein")).json()
    assert allowed == {"data": {"secret": "secret for ada"}}
    again = (await post(url, None, "{ secret }", authorization="letmein")).json()
    assert again == allowed
    # ttlOverride 60: the second request used the cached answer, not the authorizer.
    asked = [e for e in recorder.events if e.kind == "invoked" and e.resource.endswith(":authz")]
    assert len(asked) == 1
    # The API key may not read a field marked only @aws_lambda.
    body = (await post(url, key, "{ secret }")).json()
    assert body["data"] == {"secret": None}
    assert body["errors"][0]["errorType"] == "Unauthorized"
    # The Lambda mode may not read echo (Query allows only the API key for fields without directives).
    echo = (await post(url, None, '{ echo(text: "x") }', authorization="letmein")).json()
    assert echo["errors"][0]["message"] == "Not Authorized to access echo on type Query"


async def test_per_resolver_cache_hits_are_traced(eng) -> None:
    api_id, url, key = await build(eng, cache=True)
    await post(url, key, 'mutation { addPost(id: "1", title: "v1", author: "ada") { id } }')
    recorder = eng.trace.record()
    first = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    await eng.client("dynamodb").put_item(
        TableName="posts", Item={"id": {"S": "1"}, "title": {"S": "v2"}}
    )
    cached = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    assert first == cached == {"data": {"getPost": {"title": "v1"}}}
    resolved = [
        e
        for e in list(recorder.events)
        if e.kind == "resolved" and e.detail["field"] == "Query.getPost"
    ]
    assert [e.detail["cache_hit"] for e in resolved] == [False, True]
    assert resolved[0].detail["data_source"] == "posts"
    kinds = {e.kind for e in list(recorder.events)}
    assert "request" in kinds
    await eng.client("appsync").flush_api_cache(apiId=api_id)
    fresh = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    assert fresh == {"data": {"getPost": {"title": "v2"}}}


async def test_save_and_open_keeps_apis_and_answers_on_a_new_port(eng) -> None:
    import json

    from engine import Engine, VirtualClock

    api_id, _, key = await build(eng)
    await post(
        (await eng.client("appsync").get_graphql_api(apiId=api_id))["graphqlApi"]["uris"][
            "GRAPHQL"
        ],
        key,
        'mutation { addPost(id: "1", title: "kept", author: "ada") { id } }',
    )
    saved_table = eng.service("dynamodb").dump()
    data = json.loads(json.dumps(eng.service("appsync").dump()))
    async with Engine(clock=VirtualClock()) as other:
        other.service("dynamodb").load(json.loads(json.dumps(saved_table)))
        other.service("appsync").load(data)
        await other.clock.settle()
        url = (await other.client("appsync").get_graphql_api(apiId=api_id))["graphqlApi"]["uris"][
            "GRAPHQL"
        ]
        body = (
            await post(url, key, '{ getPost(id: "1") { title } jsPost(id: "1") { title } }')
        ).json()
        assert body == {"data": {"getPost": {"title": "kept"}, "jsPost": {"title": "KEPT"}}}


async def test_full_request_caching_answers_repeated_queries_until_the_ttl(eng, clock) -> None:
    api_id, url, key = await build(eng)
    appsync = eng.client("appsync")
    await appsync.create_api_cache(
        apiId=api_id, ttl=30, apiCachingBehavior="FULL_REQUEST_CACHING", type="SMALL"
    )
    await post(url, key, 'mutation { addPost(id: "1", title: "v1", author: "ada") { id } }')
    recorder = eng.trace.record()
    first = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    await eng.client("dynamodb").put_item(
        TableName="posts", Item={"id": {"S": "1"}, "title": {"S": "v2"}}
    )
    again = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    assert first == again == {"data": {"getPost": {"title": "v1"}}}
    decided = [e.detail["decided_by"] for e in recorder.events if e.kind == "response"]
    assert decided == ["resolvers", "cache"]
    await clock.advance(31)
    key_headers_expired = await appsync.create_api_key(
        apiId=api_id
    )  # the old key still works; a new one too
    assert key_headers_expired["apiKey"]["id"]
    fresh = (await post(url, key, '{ getPost(id: "1") { title } }')).json()
    assert fresh == {"data": {"getPost": {"title": "v2"}}}


DDB_JS = {
    "addPost": """import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) {
  return ddb.put({ key: { id: ctx.args.id }, item: { title: ctx.args.title, author: ctx.args.author, votes: 0 }, condition: { id: { attributeExists: false } } });
}
export function response(ctx) { if (ctx.error) { util.error(ctx.error.message, ctx.error.type); } return ctx.result; }""",
    "vote": """import { update } from '@aws-appsync/utils/dynamodb';
export function request(ctx) { return update({ key: { id: ctx.args.id }, update: { votes: 5 } }); }
export function response(ctx) { return ctx.result; }""",
    "byAuthor": """import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';
export function request(ctx) { return ddb.query({ index: 'byAuthor', query: { author: { eq: ctx.args.author } }, limit: ctx.args.limit }); }
export function response(ctx) { return ctx.result; }""",
}


async def test_appsync_js_dynamodb_module_helpers(eng) -> None:
    api_id, url, key = await build(eng)
    appsync = eng.client("appsync")
    for field, code in DDB_JS.items():
        type_name = "Query" if field == "byAuthor" else "Mutation"
        await appsync.update_resolver(
            apiId=api_id,
            typeName=type_name,
            fieldName=field,
            dataSourceName="posts",
            runtime=JS_RUNTIME,
            code=code,
        )
    added = (
        await post(
            url,
            key,
            'mutation { addPost(id: "7", title: "js", author: "grace") { id title votes } }',
        )
    ).json()
    assert added == {"data": {"addPost": {"id": "7", "title": "js", "votes": 0}}}
    again = (
        await post(url, key, 'mutation { addPost(id: "7", title: "js", author: "grace") { id } }')
    ).json()
    assert again["errors"][0]["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    voted = (await post(url, key, 'mutation { vote(id: "7") { votes } }')).json()
    assert voted == {"data": {"vote": {"votes": 5}}}
    page = (await post(url, key, '{ byAuthor(author: "grace") { items { id } } }')).json()
    assert page == {"data": {"byAuthor": {"items": [{"id": "7"}]}}}
