"""AppSync data sources beyond DynamoDB (HTTP, EventBridge), OIDC JWTs, topology and fan-out trace."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from engine.services.appsync.auth import JWKS_SETTING

pytestmark = pytest.mark.timeout(60)

SCHEMA = """
type Query @aws_oidc @aws_api_key { whoami: String @aws_oidc  fetch(path: String): String  emit(kind: String): String }
"""
ISSUER = "https://issuer.example"


async def build(eng, **auth) -> tuple[str, str, str]:
    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="misc", authenticationType="API_KEY", **auth))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    await appsync.start_schema_creation(apiId=api_id, definition=SCHEMA.encode())
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    return api_id, api["uris"]["GRAPHQL"], key


async def post(url: str, query: str, headers: dict[str, str]) -> dict:
    async with httpx.AsyncClient() as client:
        answer = await client.post(url, json={"query": query}, headers=headers)
    return answer.json()


async def test_oidc_tokens_checked_against_the_configured_jwks(eng, clock) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    eng.settings[JWKS_SETTING] = {
        ISSUER: {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
    }
    api_id, url, _ = await build(
        eng,
        additionalAuthenticationProviders=[
            {
                "authenticationType": "OPENID_CONNECT",
                "openIDConnectConfig": {"issuer": ISSUER, "clientId": "web"},
            }
        ],
    )
    appsync = eng.client("appsync")
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="whoami",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.identity.sub)}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    claims = {"sub": "ada", "iss": ISSUER, "aud": "web", "exp": int(clock.now()) + 3600}
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k1"})
    assert await post(url, "{ whoami }", {"authorization": token}) == {"data": {"whoami": "ada"}}
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
    assert (await post(url, "{ whoami }", {"authorization": forged}))["errors"][0][
        "errorType"
    ] == "UnauthorizedException"
    await clock.advance(3601)  # expiry is judged on the lab clock
    assert (await post(url, "{ whoami }", {"authorization": token}))["errors"][0][
        "errorType"
    ] == "UnauthorizedException"


async def test_http_data_source_calls_a_loopback_endpoint(eng) -> None:
    api_id, url, key = await build(eng)
    appsync = eng.client("appsync")
    # The backend is another lab GraphQL API's own endpoint (loopback HTTP).
    _, other_url, other_key = await build(eng)
    base = other_url.rsplit("/", 1)[0]
    await appsync.create_data_source(
        apiId=api_id, name="web", type="HTTP", httpConfig={"endpoint": base}
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="fetch",
        dataSourceName="web",
        requestMappingTemplate='{"version": "2018-05-29", "method": "POST", "resourcePath": "/graphql", "params": {"headers": {"x-api-key": "'
        + other_key
        + '", "content-type": "application/json"}, "body": {"query": "{ __typename }"}}}',
        responseMappingTemplate="$util.toJson($ctx.result.statusCode)",
    )
    body = await post(url, "{ fetch }", {"x-api-key": key})
    assert body == {"data": {"fetch": "200"}}


async def test_eventbridge_data_source_puts_events(eng) -> None:
    api_id, url, key = await build(eng)
    appsync = eng.client("appsync")
    events = eng.client("events")
    await events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop"]}))
    recorder = eng.trace.record()
    await appsync.create_data_source(
        apiId=api_id,
        name="bus",
        type="AMAZON_EVENTBRIDGE",
        serviceRoleArn="arn:aws:iam::123456789012:role/r",
        eventBridgeConfig={
            "eventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"
        },
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="emit",
        dataSourceName="bus",
        requestMappingTemplate='{"version": "2018-05-29", "operation": "PutEvents", "events": [{"source": "shop", "detailType": $util.toJson($ctx.args.kind), "detail": {"n": 1}}]}',
        responseMappingTemplate="$util.toJson($ctx.result.FailedEntryCount)",
    )
    body = await post(url, '{ emit(kind: "order") }', {"x-api-key": key})
    assert body == {"data": {"emit": "0"}}
    assert any(e.kind == "matched" for e in recorder.events)


async def test_topology_links_the_api_to_its_sources(eng) -> None:
    api_id, _, _ = await build(eng)
    appsync = eng.client("appsync")
    await appsync.create_data_source(
        apiId=api_id,
        name="t",
        type="AMAZON_DYNAMODB",
        serviceRoleArn="arn:aws:iam::123456789012:role/r",
        dynamodbConfig={"tableName": "items", "awsRegion": "us-east-1"},
    )
    topology = eng.topology()
    (api,) = [n for n in topology.nodes if n.kind == "api" and n.name == "misc"]
    edges = [(e.target, e.kind, e.label) for e in topology.edges if e.source == api.id]
    assert edges == [("arn:aws:dynamodb:us-east-1:123456789012:table/items", "integration", "t")]


async def test_aws_iam_requests_are_verified_against_the_labs_keys() -> None:
    import time

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from engine import Engine, VirtualClock

    # botocore signs with the machine's time: start the lab clock there.
    async with Engine(clock=VirtualClock(start=time.time())) as eng:
        appsync = eng.client("appsync")
        api = (await appsync.create_graphql_api(name="iam", authenticationType="AWS_IAM"))[
            "graphqlApi"
        ]
        await appsync.start_schema_creation(
            apiId=api["apiId"], definition=b"type Query { hi: String }"
        )
        iam = eng.client("iam")
        await iam.create_user(UserName="dev")
        key = (await iam.create_access_key(UserName="dev"))["AccessKey"]
        url = api["uris"]["GRAPHQL"]
        body = json.dumps({"query": "{ __typename }"})

        def signed(secret: str) -> dict[str, str]:
            request = AWSRequest(
                "POST", url, data=body, headers={"content-type": "application/json"}
            )
            SigV4Auth(Credentials(key["AccessKeyId"], secret), "appsync", "us-east-1").add_auth(
                request
            )
            return dict(request.headers.items())

        async with httpx.AsyncClient() as client:
            good = await client.post(url, content=body, headers=signed(key["SecretAccessKey"]))
            assert good.json() == {"data": {"__typename": "Query"}}
            bad = await client.post(url, content=body, headers=signed("wrong-secret"))
            assert bad.status_code == 401


async def test_lambda_batch_invoke_groups_sibling_fields(eng) -> None:
    calls: list[list] = []

    def authors(event, context):
        calls.append(event)
        return [{"name": f"author of {item['source']['id']}"} for item in event]

    eng.register_function("authors", authors)
    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="batch", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    schema = "type Author { name: String } type Post { id: ID! author: Author } type Query { posts: [Post] }"
    await appsync.start_schema_creation(apiId=api_id, definition=schema.encode())
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    await appsync.create_data_source(
        apiId=api_id,
        name="fn",
        type="AWS_LAMBDA",
        serviceRoleArn="arn:aws:iam::123456789012:role/r",
        lambdaConfig={
            "lambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:authors"
        },
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Query",
        fieldName="posts",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": [{"id": "1"}, {"id": "2"}, {"id": "3"}, {"id": "4"}, {"id": "5"}]}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    await appsync.create_resolver(
        apiId=api_id, typeName="Post", fieldName="author", dataSourceName="fn", maxBatchSize=2
    )
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    body = await post(
        api["uris"]["GRAPHQL"], "{ posts { id author { name } } }", {"x-api-key": key}
    )
    assert [p["author"]["name"] for p in body["data"]["posts"]] == [
        f"author of {i}" for i in "12345"
    ]
    assert [len(batch) for batch in calls] == [2, 2, 1]


async def test_cognito_user_pool_tokens_and_group_directives(eng, clock) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_lab"
    eng.settings[JWKS_SETTING] = {issuer: {"keys": [{**public, "kid": "c1", "alg": "RS256"}]}}
    appsync = eng.client("appsync")
    api = (
        await appsync.create_graphql_api(
            name="pool",
            authenticationType="AMAZON_COGNITO_USER_POOLS",
            userPoolConfig={
                "userPoolId": "us-east-1_lab",
                "awsRegion": "us-east-1",
                "defaultAction": "ALLOW",
            },
        )
    )["graphqlApi"]
    schema = 'type Query { me: String  admin: String @aws_cognito_user_pools(cognito_groups: ["admins"]) }'
    await appsync.start_schema_creation(apiId=api["apiId"], definition=schema.encode())
    await appsync.create_data_source(apiId=api["apiId"], name="none", type="NONE")
    for field in ("me", "admin"):
        await appsync.create_resolver(
            apiId=api["apiId"],
            typeName="Query",
            fieldName=field,
            dataSourceName="none",
            requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.identity.username)}',
            responseMappingTemplate="$util.toJson($ctx.result)",
        )

    def token(groups: list[str]) -> str:
        claims = {
            "sub": "u1",
            "iss": issuer,
            "cognito:username": "ada",
            "cognito:groups": groups,
            "exp": int(clock.now()) + 600,
        }
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "c1"})

    url = api["uris"]["GRAPHQL"]
    admin = await post(url, "{ me admin }", {"authorization": token(["admins"])})
    assert admin == {"data": {"me": "ada", "admin": "ada"}}
    reader = await post(url, "{ me admin }", {"authorization": token(["readers"])})
    assert reader["data"] == {"me": "ada", "admin": None}
    assert reader["errors"][0]["errorType"] == "Unauthorized"
