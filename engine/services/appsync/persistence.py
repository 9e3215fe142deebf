"""Save and open: GraphQL APIs (schema, data sources, resolvers, functions, keys, cache) and Event APIs.

A restored API listens again on a new port; live WebSocket subscriptions and cached resolver
results are not saved (clients reconnect, as after a deployment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import (
    ApiKey,
    ChannelNamespace,
    Code,
    DataSource,
    EventApi,
    Function,
    GraphqlApi,
    Resolver,
    copy_data,
)

if TYPE_CHECKING:
    from .service import AppSyncService


def _code(code: Code) -> dict[str, Any]:
    return {
        "request": code.request_template,
        "response": code.response_template,
        "runtime": code.runtime,
        "code": code.code,
    }


def _uncode(data: dict[str, Any]) -> Code:
    return Code(data["request"], data["response"], data["runtime"], data["code"])


def _keys(keys: dict[str, ApiKey]) -> list[dict[str, Any]]:
    return [{"id": k.id, "expires": k.expires, "description": k.description} for k in keys.values()]


def _unkeys(rows: list[dict[str, Any]]) -> dict[str, ApiKey]:
    return {r["id"]: ApiKey(r["id"], r["expires"], r["description"]) for r in rows}


def dump_appsync(service: AppSyncService) -> dict[str, Any]:
    """Everything the service holds, as JSON-able data."""
    apis = []
    for api in service.apis.values():
        apis.append(
            {
                "id": api.id,
                "arn": api.arn,
                "name": api.name,
                "settings": copy_data(api.settings),
                "tags": dict(api.tags),
                "sdl": api.sdl,
                "schema_status": api.schema_status,
                "schema_details": api.schema_details,
                "data_sources": [
                    {
                        "arn": s.arn,
                        "name": s.name,
                        "type": s.type,
                        "description": s.description,
                        "role": s.service_role_arn,
                        "config": copy_data(s.config),
                        "metrics": s.metrics_config,
                    }
                    for s in api.data_sources.values()
                ],
                "functions": [
                    {
                        "id": f.id,
                        "arn": f.arn,
                        "name": f.name,
                        "data_source": f.data_source,
                        "code": _code(f.code),
                        "description": f.description,
                        "version": f.function_version,
                        "max_batch_size": f.max_batch_size,
                    }
                    for f in api.functions.values()
                ],
                "resolvers": [
                    {
                        "arn": r.arn,
                        "type": r.type_name,
                        "field": r.field_name,
                        "kind": r.kind,
                        "code": _code(r.code),
                        "data_source": r.data_source,
                        "functions": list(r.functions),
                        "caching": copy_data(r.caching),
                        "max_batch_size": r.max_batch_size,
                        "sync": copy_data(r.sync_config),
                        "metrics": r.metrics_config,
                    }
                    for r in api.resolvers.values()
                ],
                "api_keys": _keys(api.api_keys),
                "cache": copy_data(api.cache),
                "environment": dict(api.environment),
            }
        )
    event_apis = [
        {
            "id": a.id,
            "arn": a.arn,
            "name": a.name,
            "created": a.created,
            "config": copy_data(a.event_config),
            "owner_contact": a.owner_contact,
            "tags": dict(a.tags),
            "api_keys": _keys(a.api_keys),
            "namespaces": [
                {
                    "arn": n.arn,
                    "name": n.name,
                    "settings": copy_data(n.settings),
                    "created": n.created,
                    "modified": n.modified,
                    "tags": dict(n.tags),
                }
                for n in a.namespaces.values()
            ],
        }
        for a in service.event_apis.apis.values()
    ]
    return {
        "apis": apis,
        "event_apis": event_apis,
        "domains": copy_data(list(service.domains.domains.values())),
        "associations": dict(service.domains.associations),
    }


def load_appsync(service: AppSyncService, data: dict[str, Any]) -> None:
    """Restore what `dump_appsync` produced; each API's listener opens again in the background."""
    from .endpoint import Endpoint, EventEndpoint
    from .schema import Schema

    for row in data.get("apis", []):
        api = GraphqlApi(row["id"], row["arn"], row["name"], copy_data(row["settings"]))
        api.tags = dict(row["tags"])
        api.sdl = row["sdl"]
        api.schema = Schema(api.sdl) if api.sdl and row["schema_status"] == "SUCCESS" else None
        api.schema_status, api.schema_details = row["schema_status"], row["schema_details"]
        for s in row["data_sources"]:
            api.data_sources[s["name"]] = DataSource(
                s["arn"],
                s["name"],
                s["type"],
                s["description"],
                s["role"],
                s["config"],
                s["metrics"],
            )
        for f in row["functions"]:
            api.functions[f["id"]] = Function(
                f["id"],
                f["arn"],
                f["name"],
                f["data_source"],
                _uncode(f["code"]),
                f["description"],
                f["version"],
                f["max_batch_size"],
            )
        for r in row["resolvers"]:
            api.resolvers[(r["type"], r["field"])] = Resolver(
                r["arn"],
                r["type"],
                r["field"],
                r["kind"],
                _uncode(r["code"]),
                r["data_source"],
                list(r["functions"]),
                r["caching"],
                r["max_batch_size"],
                r["sync"],
                r["metrics"],
            )
        api.api_keys = _unkeys(row["api_keys"])
        api.cache = row["cache"]
        api.environment = dict(row["environment"])
        service.apis[api.id] = api
        service.engine.spawn(
            _listen(service, api, Endpoint(service, api).serve), name=f"appsync:open:{api.name}"
        )
    for domain in data.get("domains", []):
        service.domains.domains[domain["domainName"]] = copy_data(domain)
    service.domains.associations.update(data.get("associations", {}))
    for row in data.get("event_apis", []):
        event_api = EventApi(
            row["id"],
            row["arn"],
            row["name"],
            row["created"],
            row["config"],
            row["owner_contact"],
            dict(row["tags"]),
        )
        event_api.api_keys = _unkeys(row["api_keys"])
        for n in row["namespaces"]:
            event_api.namespaces[n["name"]] = ChannelNamespace(
                n["arn"],
                event_api.id,
                n["name"],
                n["settings"],
                n["created"],
                n["modified"],
                dict(n["tags"]),
            )
        service.event_apis.apis[event_api.id] = event_api
        service.engine.spawn(
            _listen(service, event_api, EventEndpoint(service, event_api).serve),
            name=f"appsync:open:{event_api.name}",
        )


async def _listen(service: AppSyncService, api: GraphqlApi | EventApi, handler: Any) -> None:
    api.listener = await service.engine.listeners.open(api.arn, handler)
