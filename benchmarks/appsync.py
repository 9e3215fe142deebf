"""AppSync over loopback with httpx: VTL and APPSYNC_JS queries from DynamoDB, and a 1,000-subscriber fan-out.

Prints one JSON object: requests/s per runtime, the fan-out time, a floor (a bare h11 echo on the
same listener machinery, same client) and the issue's targets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import websockets  # noqa: E402

from engine import Engine, RealClock  # noqa: E402

REQUESTS = 1500
CONCURRENCY = 16
SUBSCRIBERS = 1000
SCHEMA = """
type Post @aws_api_key { id: ID! title: String }
type Query @aws_api_key { vtl(id: ID!): Post js(id: ID!): Post }
type Mutation @aws_api_key { add(id: ID!, title: String): Post }
type Subscription @aws_api_key { onAdd: Post @aws_subscribe(mutations: ["add"]) }
"""
GET = '{"version": "2018-05-29", "operation": "GetItem", "key": {"id": $util.dynamodb.toDynamoDBJson($ctx.args.id)}}'
JS = """import { util } from '@aws-appsync/utils';
export function request(ctx) { return { operation: 'GetItem', key: util.dynamodb.toMapValues({ id: ctx.args.id }) }; }
export function response(ctx) { return ctx.result; }"""


async def client_loop(url: str, key: str, query: str, total: int, concurrency: int) -> float:
    """httpx keep-alive clients posting `query`; requests per second."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def worker(count: int) -> None:
            for _ in range(count):
                answer = await client.post(url, json={"query": query}, headers={"x-api-key": key})
                assert answer.status_code == 200, answer.text

        await worker(20)  # warm up (parse cache, connections)
        started = time.perf_counter()
        await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
        return (total // concurrency) * concurrency / (time.perf_counter() - started)


async def rate(url: str, key: str, query: str) -> float:
    """Requests/s from an httpx client in its own process (the lab's loop serves only)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        url,
        key,
        query,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return float(json.loads(out)["rps"])


async def raw_floor() -> float:
    """The same client against a bare asyncio server that answers a fixed GraphQL body."""
    body = b'{"data":{"__typename":"Query"}}'
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                writer.write(answer % (len(body), body))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await rate(f"http://127.0.0.1:{port}/graphql", "k", "{ __typename }")
    finally:
        server.close()


async def main() -> None:
    async with Engine(clock=RealClock()) as eng:
        ddb = eng.client("dynamodb")
        await ddb.create_table(
            TableName="posts",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        await ddb.put_item(TableName="posts", Item={"id": {"S": "1"}, "title": {"S": "hello"}})
        appsync = eng.client("appsync")
        api = (await appsync.create_graphql_api(name="bench", authenticationType="API_KEY"))[
            "graphqlApi"
        ]
        api_id = api["apiId"]
        await appsync.start_schema_creation(apiId=api_id, definition=SCHEMA.encode())
        await appsync.create_data_source(
            apiId=api_id,
            name="posts",
            type="AMAZON_DYNAMODB",
            serviceRoleArn="arn:aws:iam::123456789012:role/r",
            dynamodbConfig={"tableName": "posts", "awsRegion": "us-east-1"},
        )
        await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Query",
            fieldName="vtl",
            dataSourceName="posts",
            requestMappingTemplate=GET,
            responseMappingTemplate="$util.toJson($ctx.result)",
        )
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Query",
            fieldName="js",
            dataSourceName="posts",
            runtime={"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"},
            code=JS,
        )
        await appsync.create_resolver(
            apiId=api_id,
            typeName="Mutation",
            fieldName="add",
            dataSourceName="none",
            requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.args)}',
            responseMappingTemplate="$util.toJson($ctx.result)",
        )
        key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
        url, realtime = api["uris"]["GRAPHQL"], api["uris"]["REALTIME"]
        headers = {"x-api-key": key}
        service = eng.service("appsync")
        api_obj = service.apis[api_id]

        async def in_process(query: str, count: int = 1000) -> float:
            """The same request without HTTP: what the engine itself sustains."""
            await service.graphql_call(api_obj, query, None, None, headers)
            started = time.perf_counter()
            for _ in range(count):
                await service.graphql_call(api_obj, query, None, None, headers)
            return count / (time.perf_counter() - started)

        engine_vtl = await in_process('{ vtl(id: "1") { id title } }')
        engine_js = await in_process('{ js(id: "1") { id title } }')
        bare = await raw_floor()
        floor = await rate(url, key, "{ __typename }")
        vtl = await rate(url, key, '{ vtl(id: "1") { id title } }')
        js = await rate(url, key, '{ js(id: "1") { id title } }')

        header = base64.b64encode(json.dumps({"host": "x", "x-api-key": key}).encode()).decode()
        sockets = []
        start = json.dumps(
            {
                "type": "start",
                "id": "1",
                "payload": {
                    "data": json.dumps({"query": "subscription { onAdd { id title } }"}),
                    "extensions": {"authorization": headers},
                },
            }
        )
        for _ in range(SUBSCRIBERS):
            socket = await websockets.connect(
                f"{realtime}?header={header}&payload=e30=",
                subprotocols=["graphql-ws"],
                max_queue=None,
            )
            await socket.send(json.dumps({"type": "connection_init"}))
            await socket.recv()
            await socket.recv()
            await socket.send(start)
            await socket.recv()
            sockets.append(socket)

        async def first_data(socket: websockets.ClientConnection) -> None:
            while json.loads(await socket.recv())["type"] != "data":
                pass

        waiting = [asyncio.ensure_future(first_data(s)) for s in sockets]
        async with httpx.AsyncClient() as client:
            started = time.perf_counter()
            await client.post(
                url,
                json={"query": 'mutation { add(id: "9", title: "t") { id title } }'},
                headers=headers,
            )
            await asyncio.gather(*waiting)
            fan_out = time.perf_counter() - started
        for socket in sockets:
            await socket.close()
    print(
        json.dumps(
            {
                "bare_asyncio_http_floor_rps": round(bare),
                "graphql_floor_typename_rps": round(floor),
                "vtl_dynamodb_query_rps": round(vtl),
                "appsync_js_dynamodb_query_rps": round(js),
                "engine_only_vtl_rps": round(engine_vtl),
                "engine_only_js_rps": round(engine_js),
                "fan_out_1000_subscribers_s": round(fan_out, 3),
                "targets": {"vtl_rps": 1500, "js_rps": 1000, "fan_out_s": 1.0},
                "note": "bare floor: a fixed answer from a bare asyncio server; graphql floor: a query that touches no data source; engine_only: the same resolvers without HTTP; the httpx client runs in its own process",
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--client":
        rps = asyncio.run(client_loop(sys.argv[2], sys.argv[3], sys.argv[4], REQUESTS, CONCURRENCY))
        print(json.dumps({"rps": rps}))
    else:
        asyncio.run(main())
