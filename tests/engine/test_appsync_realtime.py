"""AppSync real-time: a mutation seen by three gql subscribers with different filters; Event API channels."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
import websockets
from gql import Client, gql
from gql.transport.appsync_auth import AppSyncApiKeyAuthentication
from gql.transport.appsync_websockets import AppSyncWebsocketsTransport

pytestmark = pytest.mark.timeout(60)

SCHEMA = """
type Message @aws_api_key { room: String! priority: Int text: String }
type Query @aws_api_key { hello: String }
type Mutation @aws_api_key { send(room: String!, priority: Int, text: String): Message }
type Subscription @aws_api_key {
  onSend(room: String): Message @aws_subscribe(mutations: ["send"])
  urgent(min: Int!): Message @aws_subscribe(mutations: ["send"])
}
"""
FILTER = """{"version": "2018-05-29", "payload": {}}"""
SET_FILTER = (
    '$extensions.setSubscriptionFilter($util.transform.toSubscriptionFilter({"priority": {"ge": $ctx.args.min}}))'
    "$util.toJson(null)"
)


async def build(eng) -> tuple[str, str, str]:
    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="chat", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    await appsync.start_schema_creation(apiId=api_id, definition=SCHEMA.encode())
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="send",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": $util.toJson($ctx.args)}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Subscription",
        fieldName="urgent",
        dataSourceName="none",
        requestMappingTemplate=FILTER,
        responseMappingTemplate=SET_FILTER,
    )
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    return api["uris"]["GRAPHQL"], api["uris"]["REALTIME"], key


async def collect(realtime: str, key: str, query: str, got: list, ready: asyncio.Event) -> None:
    host = realtime.split("//", 1)[1].split("/", 1)[0]
    transport = AppSyncWebsocketsTransport(
        url=realtime, auth=AppSyncApiKeyAuthentication(host=host, api_key=key), close_timeout=0.5
    )
    async with Client(transport=transport) as session:
        stream = session.subscribe(gql(query))
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.3)  # let start_ack arrive (real sockets)
        ready.set()
        got.append(await first)


async def test_one_mutation_three_subscribers_with_different_filters(eng) -> None:
    url, realtime, key = await build(eng)
    everyone: list = []
    lobby: list = []
    urgent: list = []
    ready = [asyncio.Event() for _ in range(3)]
    tasks = [
        asyncio.ensure_future(
            collect(realtime, key, "subscription { onSend { room text } }", everyone, ready[0])
        ),
        asyncio.ensure_future(
            collect(
                realtime,
                key,
                'subscription { onSend(room: "lobby") { text priority } }',
                lobby,
                ready[1],
            )
        ),
        asyncio.ensure_future(
            collect(realtime, key, "subscription { urgent(min: 5) { text } }", urgent, ready[2])
        ),
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 20)
    service = eng.service("appsync")
    assert service.realtime.count() == 3
    async with httpx.AsyncClient() as client:

        async def send(room: str, priority: int, text: str) -> None:
            query = "mutation($r: String!, $p: Int, $t: String) { send(room: $r, priority: $p, text: $t) { room priority text } }"
            answer = await client.post(
                url,
                json={"query": query, "variables": {"r": room, "p": priority, "t": text}},
                headers={"x-api-key": key},
            )
            assert answer.json()["data"]["send"]["text"] == text

        await send("kitchen", 1, "first")  # everyone only
        await send("lobby", 9, "second")  # all three
    for _ in range(100):  # real sockets: wait (at most 10 s) until all three have an event
        if everyone and lobby and urgent:
            break
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert everyone == [{"onSend": {"room": "kitchen", "text": "first"}}]
    assert lobby == [{"onSend": {"text": "second", "priority": 9}}]
    assert urgent == [{"urgent": {"text": "second"}}]


async def test_protocol_errors_and_unauthorized_handshake(eng) -> None:
    _, realtime, key = await build(eng)
    bad_header = base64.b64encode(
        json.dumps({"host": "x", "x-api-key": "da2-nope"}).encode()
    ).decode()
    with pytest.raises(websockets.exceptions.InvalidStatus) as caught:
        async with websockets.connect(
            f"{realtime}?header={bad_header}&payload=e30=", subprotocols=["graphql-ws"]
        ):
            pass
    assert caught.value.response.status_code == 401
    header = base64.b64encode(json.dumps({"host": "x", "x-api-key": key}).encode()).decode()
    async with websockets.connect(
        f"{realtime}?header={header}&payload=e30=", subprotocols=["graphql-ws"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(await socket.recv())
        assert ack == {"type": "connection_ack", "payload": {"connectionTimeoutMs": 300000}}
        assert json.loads(await socket.recv()) == {"type": "ka"}
        await socket.send(
            json.dumps(
                {
                    "type": "start",
                    "id": "1",
                    "payload": {
                        "data": json.dumps({"query": "{ hello }"}),
                        "extensions": {"authorization": {"x-api-key": key}},
                    },
                }
            )
        )
        error = json.loads(await socket.recv())
        assert error["type"] == "error" and error["id"] == "1"
        await socket.send("not json")
        assert json.loads(await socket.recv())["type"] == "error"
        await socket.send(
            json.dumps(
                {
                    "type": "start",
                    "id": "2",
                    "payload": {
                        "data": json.dumps({"query": "subscription { onSend { text } }"}),
                        "extensions": {"authorization": {"x-api-key": key}},
                    },
                }
            )
        )
        assert json.loads(await socket.recv()) == {"type": "start_ack", "id": "2"}
        await socket.send(json.dumps({"type": "stop", "id": "2"}))
        assert json.loads(await socket.recv()) == {"type": "complete", "id": "2"}
    assert eng.service("appsync").realtime.count() == 0


async def test_event_api_publish_over_http_subscribe_over_websocket(eng) -> None:
    appsync = eng.client("appsync")
    modes = [{"authType": "API_KEY"}]
    api = (
        await appsync.create_api(
            name="events",
            eventConfig={
                "authProviders": modes,
                "connectionAuthModes": modes,
                "defaultPublishAuthModes": modes,
                "defaultSubscribeAuthModes": modes,
            },
        )
    )["api"]
    await appsync.create_channel_namespace(apiId=api["apiId"], name="default")
    key = (await appsync.create_api_key(apiId=api["apiId"]))["apiKey"]["id"]
    address = api["dns"]["REALTIME"]
    auth = {"host": address, "x-api-key": key}
    header = base64.urlsafe_b64encode(json.dumps(auth).encode()).decode().rstrip("=")
    async with websockets.connect(
        f"ws://{address}/event/realtime", subprotocols=["aws-appsync-event-ws", f"header-{header}"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        assert json.loads(await socket.recv()) == {"type": "ka"}
        await socket.send(
            json.dumps(
                {
                    "type": "subscribe",
                    "id": "s1",
                    "channel": "/default/rooms/*",
                    "authorization": auth,
                }
            )
        )
        assert json.loads(await socket.recv()) == {"type": "subscribe_success", "id": "s1"}
        async with httpx.AsyncClient() as client:
            published = await client.post(
                f"http://{address}/event",
                json={"channel": "/default/rooms/1", "events": ['{"hi": 1}']},
                headers={"x-api-key": key},
            )
            assert published.status_code == 200
            assert published.json()["successful"][0]["index"] == 0
            other = await client.post(
                f"http://{address}/event",
                json={"channel": "/default/other", "events": ['{"no": 1}']},
                headers={"x-api-key": key},
            )
            assert other.status_code == 200
            refused = await client.post(
                f"http://{address}/event", json={"channel": "/default/rooms/1", "events": ["{}"]}
            )
            assert refused.status_code == 401
        data = json.loads(await socket.recv())
        assert data == {"type": "data", "id": "s1", "event": '{"hi": 1}'}


HANDLERS = """
import { util } from '@aws-appsync/utils';
export function onPublish(ctx) {
  return ctx.events.filter((e) => e.payload.level !== 'debug').map((e) => ({ id: e.id, payload: { ...e.payload, seen: true } }));
}
export function onSubscribe(ctx) {
  if (ctx.info.channel.segments.includes('secret')) { util.unauthorized(); }
}
"""


async def test_event_api_namespace_handlers_filter_and_refuse(eng) -> None:
    appsync = eng.client("appsync")
    modes = [{"authType": "API_KEY"}]
    config = {
        "authProviders": modes,
        "connectionAuthModes": modes,
        "defaultPublishAuthModes": modes,
        "defaultSubscribeAuthModes": modes,
    }
    api = (await appsync.create_api(name="handled", eventConfig=config))["api"]
    await appsync.create_channel_namespace(apiId=api["apiId"], name="logs", codeHandlers=HANDLERS)
    key = (await appsync.create_api_key(apiId=api["apiId"]))["apiKey"]["id"]
    address = api["dns"]["REALTIME"]
    auth = {"host": address, "x-api-key": key}
    header = base64.urlsafe_b64encode(json.dumps(auth).encode()).decode().rstrip("=")
    async with websockets.connect(
        f"ws://{address}/event/realtime", subprotocols=["aws-appsync-event-ws", f"header-{header}"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        await socket.recv()
        await socket.recv()
        await socket.send(
            json.dumps(
                {"type": "subscribe", "id": "no", "channel": "/logs/secret", "authorization": auth}
            )
        )
        assert json.loads(await socket.recv())["type"] == "subscribe_error"
        await socket.send(
            json.dumps(
                {"type": "subscribe", "id": "s", "channel": "/logs/*", "authorization": auth}
            )
        )
        assert json.loads(await socket.recv()) == {"type": "subscribe_success", "id": "s"}
        async with httpx.AsyncClient() as client:
            events = [json.dumps({"level": "debug"}), json.dumps({"level": "error"})]
            answer = await client.post(
                f"http://{address}/event",
                json={"channel": "/logs/app", "events": events},
                headers={"x-api-key": key},
            )
            assert answer.status_code == 200
        data = json.loads(await socket.recv())
        assert json.loads(data["event"]) == {"level": "error", "seen": True}


ROOM_SCHEMA = """
type Message @aws_api_key { room: String! priority: Int text: String }
type Query @aws_api_key { hello: String }
type Mutation @aws_api_key { send(room: String!, priority: Int, text: String): Message  close(room: String!): String }
type Subscription @aws_api_key { inRoom(room: String!, min: Int): Message @aws_subscribe(mutations: ["send"]) }
"""
ROOM_SUBSCRIPTION = """
import { util, extensions } from '@aws-appsync/utils';
export function request(ctx) { return { payload: null }; }
export function response(ctx) {
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter({ room: { eq: ctx.args.room }, priority: { ge: ctx.args.min || 0 } }));
  extensions.setSubscriptionInvalidationFilter(util.transform.toSubscriptionFilter({ room: { eq: ctx.args.room } }));
  return null;
}
"""
CLOSE_ROOM = """
import { extensions } from '@aws-appsync/utils';
export function request(ctx) { return { payload: ctx.args.room }; }
export function response(ctx) {
  extensions.invalidateSubscriptions({ subscriptionField: 'inRoom', payload: { room: ctx.args.room } });
  return ctx.result;
}
"""


async def test_js_enhanced_filters_and_invalidation(eng) -> None:
    appsync = eng.client("appsync")
    api = (await appsync.create_graphql_api(name="rooms", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    await appsync.start_schema_creation(apiId=api_id, definition=ROOM_SCHEMA.encode())
    await appsync.create_data_source(apiId=api_id, name="none", type="NONE")
    runtime = {"name": "APPSYNC_JS", "runtimeVersion": "1.0.0"}
    relay = "export function request(ctx) { return { payload: ctx.args }; }\nexport function response(ctx) { return ctx.result; }"
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="send",
        dataSourceName="none",
        runtime=runtime,
        code=relay,
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Mutation",
        fieldName="close",
        dataSourceName="none",
        runtime=runtime,
        code=CLOSE_ROOM,
    )
    await appsync.create_resolver(
        apiId=api_id,
        typeName="Subscription",
        fieldName="inRoom",
        dataSourceName="none",
        runtime=runtime,
        code=ROOM_SUBSCRIPTION,
    )
    key = (await appsync.create_api_key(apiId=api_id))["apiKey"]["id"]
    header = base64.b64encode(json.dumps({"host": "x", "x-api-key": key}).encode()).decode()
    url = api["uris"]["GRAPHQL"]
    async with websockets.connect(
        f"{api['uris']['REALTIME']}?header={header}&payload=e30=", subprotocols=["graphql-ws"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        await socket.recv()
        await socket.recv()
        query = 'subscription { inRoom(room: "a", min: 5) { text } }'
        await socket.send(
            json.dumps(
                {
                    "type": "start",
                    "id": "1",
                    "payload": {
                        "data": json.dumps({"query": query}),
                        "extensions": {"authorization": {"x-api-key": key}},
                    },
                }
            )
        )
        assert json.loads(await socket.recv()) == {"type": "start_ack", "id": "1"}
        async with httpx.AsyncClient() as client:
            for room, priority, text in [
                ("a", 1, "low"),
                ("b", 9, "other room"),
                ("a", 7, "wanted"),
            ]:
                mutation = f'mutation {{ send(room: "{room}", priority: {priority}, text: "{text}") {{ room priority text }} }}'
                await client.post(url, json={"query": mutation}, headers={"x-api-key": key})
            assert json.loads(await socket.recv()) == {
                "type": "data",
                "id": "1",
                "payload": {"data": {"inRoom": {"text": "wanted"}}},
            }
            await client.post(
                url, json={"query": 'mutation { close(room: "a") }'}, headers={"x-api-key": key}
            )
        assert json.loads(await socket.recv()) == {"type": "complete", "id": "1"}
    assert eng.service("appsync").realtime.count() == 0


async def test_malformed_http_and_frames_get_one_clear_answer(eng) -> None:
    import asyncio as aio

    url, realtime, key = await build(eng)
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    reader, writer = await aio.open_connection(host, int(port))
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    await writer.drain()
    answer = await aio.wait_for(reader.read(4096), 10)
    assert answer.startswith(b"HTTP/1.1 400") and b"MalformedHttpRequestException" in answer
    writer.close()
    async with httpx.AsyncClient() as client:
        bad_json = await client.post(url, content=b"{nope", headers={"x-api-key": key})
        assert bad_json.status_code == 400
        bad_vars = await client.post(
            url, json={"query": "{ hello }", "variables": [1]}, headers={"x-api-key": key}
        )
        assert bad_vars.status_code == 400
        wrong_method = await client.get(url, headers={"x-api-key": key})
        assert wrong_method.status_code == 405
    header = base64.b64encode(json.dumps({"host": "x", "x-api-key": key}).encode()).decode()
    async with websockets.connect(
        f"{realtime}?header={header}&payload=e30=", subprotocols=["graphql-ws"]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        await socket.recv()
        await socket.recv()
        for bad in (
            [1, 2],
            {"type": "start"},
            {"type": "start", "id": "x", "payload": {"data": "{"}},
            {"type": "what"},
        ):
            await socket.send(json.dumps(bad))
            assert json.loads(await socket.recv())["type"] == "error"
        await socket.send(b"\x00\x01binary")  # binary frames are ignored, the connection stays
        await socket.send(json.dumps({"type": "stop", "id": "nothing"}))
        assert json.loads(await socket.recv()) == {"type": "complete", "id": "nothing"}
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(realtime, subprotocols=["graphql-ws"]):
            pass
