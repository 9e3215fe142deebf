"""API Gateway benchmark: HTTP API → Lambda proxy (payload 2.0) → the echo demo function.

Prints one JSON object:
- in-process requests/s through `apigatewayv2.invoke` (route, throttle, event, Lambda, response),
  beside its floor measured in the same run: the same echo function invoked directly through the
  fabric (what any Lambda-backed route must at least do);
- requests/s over real HTTP on loopback with keep-alive (a few concurrent raw keep-alive clients) through the
  lab's wire server (uvicorn), beside a bare hello-world ASGI app on the same server and client;
- the issue's targets (in-process ≥ 5,000 req/s, over HTTP ≥ 1,500 req/s).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import uvicorn  # noqa: E402

from engine import Engine, RealClock  # noqa: E402
from engine.http import HttpRequest  # noqa: E402
from engine.service import Envelope  # noqa: E402
from engine.wire import WireServer  # noqa: E402

IN_PROCESS_REQUESTS = 10_000
ROUNDS = 3
HTTP_REQUESTS = 4_000
CLIENTS = 8
TARGET_IN_PROCESS = 5_000
TARGET_HTTP = 1_500


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The bare ASGI app: answers every request with a fixed JSON body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await receive()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"hello":"world"}'})


async def _serve_hello() -> tuple[uvicorn.Server, asyncio.Task, int]:
    config = uvicorn.Config(_hello, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, port


async def _keep_alive_worker(port: int, host: str, path: str, count: int) -> None:
    """One keep-alive HTTP/1.1 connection sending `count` GETs, one after another.

    A minimal client (asyncio streams) so the client's own cost stays small beside the server's.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode()
    try:
        for _ in range(count):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"unexpected status {status}")
    finally:
        writer.close()


async def _http_rate(port: int, host: str, path: str) -> float:
    """Requests/s of CLIENTS keep-alive connections sharing HTTP_REQUESTS GETs."""
    await _keep_alive_worker(port, host, path, 10)  # warm up
    start = time.perf_counter()
    await asyncio.gather(
        *(_keep_alive_worker(port, host, path, HTTP_REQUESTS // CLIENTS) for _ in range(CLIENTS))
    )
    return HTTP_REQUESTS / (time.perf_counter() - start)


async def _best_rate(call: Any) -> float:
    """The best of ROUNDS rates (calls/s) of `call`, each over IN_PROCESS_REQUESTS calls."""
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(IN_PROCESS_REQUESTS):
            await call()
        best = max(best, IN_PROCESS_REQUESTS / (time.perf_counter() - start))
    return best


async def main() -> dict[str, Any]:
    async with Engine(clock=RealClock()) as engine:
        function_arn = engine.service("lambda").create_demo("echo", "echo")
        v2 = engine.client("apigatewayv2")
        api = await v2.create_api(
            Name="bench", ProtocolType="HTTP", Target=function_arn, RouteKey="GET /items/{id}"
        )
        api_id = api["ApiId"]
        service = engine.service("apigatewayv2")
        request = HttpRequest.build("GET", "/items/42", headers={"user-agent": "bench"})
        first = await service.invoke(api_id, "$default", request)
        assert first.status == 200 and json.loads(first.body)["pathParameters"] == {"id": "42"}

        fabric = engine.fabric
        event = {"version": "2.0", "rawPath": "/items/42", "pathParameters": {"id": "42"}}

        async def direct() -> None:
            await fabric.deliver(
                function_arn, Envelope(body=event, options={"invocation_type": "RequestResponse"})
            )

        async def through_gateway() -> None:
            await service.invoke(api_id, "$default", request)

        floor_rate = await _best_rate(direct)
        in_process_rate = await _best_rate(through_gateway)

        server = WireServer(engine, "127.0.0.1", 0)
        await server.start()
        hello, hello_task, hello_port = await _serve_hello()
        try:
            lab_rate = await _http_rate(server.port, f"{api_id}.execute-api.localhost", "/items/42")
            hello_rate = await _http_rate(hello_port, "127.0.0.1", "/")
        finally:
            hello.should_exit = True
            await hello_task
            await server.stop()
    return {
        "benchmark": "apigateway",
        "in_process_requests_per_s": round(in_process_rate),
        "in_process_floor_direct_lambda_per_s": round(floor_rate),
        "in_process_fraction_of_floor": round(in_process_rate / floor_rate, 3),
        "http_requests_per_s": round(lab_rate),
        "http_floor_hello_asgi_per_s": round(hello_rate),
        "http_fraction_of_floor": round(lab_rate / hello_rate, 3),
        "http_clients": CLIENTS,
        "in_process_rounds": ROUNDS,
        "targets": {
            "in_process_requests_per_s": TARGET_IN_PROCESS,
            "http_requests_per_s": TARGET_HTTP,
        },
        "meets_targets": in_process_rate >= TARGET_IN_PROCESS and lab_rate >= TARGET_HTTP,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
