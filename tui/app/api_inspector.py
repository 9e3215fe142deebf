"""The API panel's data: an API Gateway API's routes, stages and recent requests.

REST APIs come from `engine.service("apigateway")`, HTTP and WebSocket APIs from
`engine.service("apigatewayv2")` (docs/services/apigateway.md). Recent requests pair the
pipeline's traced `request` and `response` events: status, latency and the stage that decided
the answer (`decided_by`: authorizer, throttle, cache, validation, integration …).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from engine import Engine
from engine.topology import Node
from engine.trace import TraceRecorder

#: Requests listed in the panel (newest first).
REQUEST_COUNT = 8
#: Recorded events scanned (newest first) for them: bounded so a busy lab stays cheap.
REQUEST_SCAN = 5_000
#: Routes listed before "… and N more".
ROUTE_COUNT = 12


def api_details(engine: Engine, node: Node, recorder: TraceRecorder | None) -> dict[str, Any]:
    """Routes, stages and recent requests of the API `node` (REST, HTTP or WebSocket)."""
    api_id = node.id.rsplit("/", 1)[-1]
    if node.service == "appsync":
        details = _appsync_api(engine, api_id)
    elif node.service == "apigatewayv2":
        details = _v2_api(engine, api_id)
    else:
        details = _rest_api(engine, api_id)
    details["kind"] = "api"
    details["requests"] = recent_requests(recorder, node.id) if recorder is not None else []
    return details


def _short_target(target: str | None, fallback: str) -> str:
    """`function:checkout` for an ARN, else the integration's type (MOCK, HTTP …)."""
    if not target:
        return fallback
    if target.startswith("arn:"):
        parts = target.split(":")
        return ":".join(parts[5:7]) if len(parts) > 6 else parts[-1]
    return target


def _rest_api(engine: Engine, api_id: str) -> dict[str, Any]:
    service: Any = engine.service("apigateway")
    api = service.apis[api_id]
    routes = []
    for resource in sorted(api.resources.values(), key=lambda r: r.path):
        for method in sorted(resource.methods.values(), key=lambda m: m.http_method):
            integration = method.integration
            kind = integration.type if integration else "no integration"
            auth = method.authorization_type
            routes.append(
                {
                    "route": f"{method.http_method} {resource.path}",
                    "target": _short_target(service.pipeline.integration_target(integration), kind),
                    "integration": kind,
                    "auth": auth if auth != "NONE" else "",
                    "api_key": method.api_key_required,
                }
            )
    stages = []
    for stage in sorted(api.stages.values(), key=lambda s: s.name):
        notes = []
        if stage.cache_enabled:
            notes.append(f"cache {stage.cache_ttl}s")
        if stage.throttle_rate is not None:
            notes.append(f"throttle {stage.throttle_rate:g}/s burst {stage.throttle_burst}")
        if stage.canary:
            notes.append("canary")
        stages.append({"name": stage.name, "notes": ", ".join(notes)})
    return {"protocol": "REST", "routes": routes, "stages": stages}


def _v2_api(engine: Engine, api_id: str) -> dict[str, Any]:
    from engine.services.apigatewayv2.http_pipeline import lambda_target

    service: Any = engine.service("apigatewayv2")
    api = service.apis[api_id]
    routes = []
    for route in sorted(api.routes.values(), key=lambda r: r.key):
        integration = api.integrations.get(route.integration_id or "")
        kind = integration.type if integration else "no integration"
        target = lambda_target(integration.uri or "") if integration else None
        if integration is not None and target is None:
            target = integration.subtype or integration.uri
        auth = route.authorization_type
        routes.append(
            {
                "route": route.key,
                "target": _short_target(target, kind),
                "integration": kind,
                "auth": auth if auth != "NONE" else "",
                "api_key": route.api_key_required,
            }
        )
    stages = [
        {"name": stage.name, "notes": "auto-deploy" if stage.auto_deploy else ""}
        for stage in sorted(api.stages.values(), key=lambda s: s.name)
    ]
    return {"protocol": api.protocol, "routes": routes, "stages": stages}


def _appsync_api(engine: Engine, api_id: str) -> dict[str, Any]:
    """An AppSync API: resolvers (GraphQL) or channel namespaces (Event API), and live subscriptions."""
    service: Any = engine.service("appsync")
    live = service.realtime.count(api_id) if service._realtime is not None else 0
    api = service.apis.get(api_id)
    if api is None:
        event_api = service.event_apis.apis[api_id]
        routes = [
            {
                "route": f"/{name}/*",
                "target": "channels",
                "integration": "EVENT",
                "auth": "",
                "api_key": False,
            }
            for name in sorted(event_api.namespaces)
        ]
        return {"protocol": "Event API", "routes": routes, "stages": [], "subscriptions": live}
    routes = []
    for resolver in sorted(api.resolvers.values(), key=lambda r: (r.type_name, r.field_name)):
        if resolver.kind == "PIPELINE":
            names = [api.functions[f].name for f in resolver.functions if f in api.functions]
            target = "pipeline: " + ", ".join(names)
        else:
            target = resolver.data_source or ""
        runtime = "JS" if resolver.code.runtime is not None else "VTL"
        routes.append(
            {
                "route": f"{resolver.type_name}.{resolver.field_name}",
                "target": target,
                "integration": runtime,
                "auth": "",
                "api_key": False,
            }
        )
    return {"protocol": "GraphQL", "routes": routes, "stages": [], "subscriptions": live}


def recent_requests(
    recorder: TraceRecorder, api_arn: str, count: int = REQUEST_COUNT
) -> list[dict[str, Any]]:
    """The newest answered requests to `api_arn`, oldest first, from the recorded trace."""
    responses = []
    requests: dict[str, Any] = {}
    for event in islice(reversed(recorder.events), REQUEST_SCAN):
        if event.resource != api_arn:
            continue
        if event.kind == "response" and len(responses) < count:
            responses.append(event)
        elif event.kind == "request" and event.message_id:
            requests[event.message_id] = event
    rows = []
    for response in reversed(responses):
        request = requests.get(response.message_id or "")
        detail = response.detail
        latency = detail.get("latency_ms")
        if latency is None and request is not None:
            latency = round((response.time - request.time) * 1000)
        if request is not None:
            label = f"{request.detail.get('method', '')} {request.detail.get('path', '')}"
        else:
            label = str(detail.get("route", "?"))
        rows.append(
            {
                "time": response.time,
                "request": label.strip(),
                "stage": request.detail.get("stage", "") if request is not None else "",
                "status": detail.get("status"),
                "decided_by": detail.get("decided_by", "integration"),
                "latency_ms": latency,
            }
        )
    return rows
