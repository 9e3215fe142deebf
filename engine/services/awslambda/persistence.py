"""Saving and restoring Lambda's resources (zip code and demo functions; not Python callables)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .code import CodeBundle
from .demos import demo_named
from .esm import EventSourceMapping, poller_for
from .logs import FunctionLogs
from .models import Alias, EventInvokeConfig, Function, FunctionVersion

if TYPE_CHECKING:
    from .service import LambdaService

_VERSION_FIELDS = (
    "version",
    "arn",
    "handler",
    "runtime",
    "role",
    "code_sha256",
    "code_size",
    "description",
    "timeout",
    "memory",
    "environment",
    "dead_letter_arn",
    "last_modified",
    "revision_id",
    "ephemeral_storage",
    "tracing_mode",
    "log_format",
)
#: Fields later saves carry; older files leave them out and take the defaults.
_OPTIONAL_VERSION_FIELDS = (
    "app_log_level",
    "system_log_level",
    "environment_set",
    "source_revision",
)


def _saveable(version: FunctionVersion) -> bool:
    return version.bundle is not None or demo_named(version.handler) is not None


def _dump_version(version: FunctionVersion) -> dict[str, Any]:
    data = {name: getattr(version, name) for name in (*_VERSION_FIELDS, *_OPTIONAL_VERSION_FIELDS)}
    data["architectures"] = list(version.architectures)
    if version.bundle is not None:
        data["zip"] = base64.b64encode(version.bundle.zip_bytes).decode()
    return data


def dump(service: LambdaService) -> dict[str, Any] | None:
    """Functions (zip code or demos), versions, aliases, settings and event source mappings."""
    functions = []
    skipped = []
    for function in service.functions.values():
        if not _saveable(function.latest):
            skipped.append(function.name)
            continue
        functions.append(
            {
                "name": function.name,
                "latest": _dump_version(function.latest),
                "versions": [_dump_version(v) for v in function.versions.values() if _saveable(v)],
                "next_version": function.next_version,
                "aliases": [asdict(a) for a in function.aliases.values()],
                "tags": dict(function.tags),
                "reserved": function.reserved,
                "invoke_configs": {q: asdict(c) for q, c in function.invoke_configs.items()},
                "policy": dict(function.policy),
            }
        )
    mappings = [
        {
            "uuid": m.uuid,
            "source_arn": m.source_arn,
            "function_name": m.function_name,
            "function_arn": m.function_arn,
            "batch_size": m.batch_size,
            "batching_window": m.batching_window,
            "enabled": m.enabled,
            "filter_texts": list(m.filter_texts),
            "filters": list(m.filters),
            "response_types": list(m.response_types),
            "maximum_concurrency": m.maximum_concurrency,
            "last_modified": m.last_modified,
            "params": m.params,
            "checkpoints": _checkpoints(m.poller),
        }
        for m in service.mappings.values()
        if m.function_name not in skipped
    ]
    if not functions and not mappings:
        return None
    return {"functions": functions, "mappings": mappings, "skipped_callables": skipped}


def _checkpoints(poller: Any) -> dict[str, Any] | None:
    """Where a stream mapping has read to (Kinesis shards, DynamoDB stream lanes), as text.

    Sequence numbers exceed 64 bits, so they are saved as decimal text.
    """
    if poller is None:
        return None
    if hasattr(poller, "positions") and hasattr(poller, "placed"):  # Kinesis
        return {
            "placed": poller.placed,
            "shards": {str(index): str(position) for index, position in poller.positions.items()},
        }
    if hasattr(poller, "lanes") and hasattr(poller, "started"):  # DynamoDB streams
        return {
            "placed": poller.started,
            "lanes": [
                {shard: str(position) for shard, position in lane.positions.items()}
                for lane in poller.lanes
            ],
        }
    return None


def _restore_checkpoints(poller: Any, saved: dict[str, Any] | None) -> None:
    if not saved:
        return
    if "shards" in saved and hasattr(poller, "positions"):
        poller.positions = {int(index): int(value) for index, value in saved["shards"].items()}
        poller.placed = bool(saved.get("placed"))
    elif "lanes" in saved and hasattr(poller, "lanes"):
        for lane, positions in zip(poller.lanes, saved["lanes"], strict=False):
            lane.positions = {shard: int(value) for shard, value in positions.items()}
        poller.started = bool(saved.get("placed"))


def _load_version(service: LambdaService, data: dict[str, Any]) -> FunctionVersion:
    fields = {name: data[name] for name in _VERSION_FIELDS}
    fields.update({name: data[name] for name in _OPTIONAL_VERSION_FIELDS if name in data})
    bundle = CodeBundle(base64.b64decode(data["zip"])) if "zip" in data else None
    demo = demo_named(data["handler"]) if bundle is None else None
    return FunctionVersion(
        bundle=bundle,
        callable=demo.factory(service.engine) if demo is not None else None,
        architectures=tuple(data.get("architectures", ("x86_64",))),
        **fields,
    )


def load(service: LambdaService, data: dict[str, Any]) -> None:
    """Restore what dump() produced; enabled mappings start polling when a loop is running."""
    for saved in data.get("functions", []):
        latest = _load_version(service, saved["latest"])
        function = Function(
            saved["name"],
            service.function_arn(saved["name"]),
            latest,
            FunctionLogs(f"/aws/lambda/{saved['name']}"),
            tags=dict(saved["tags"]),
            reserved=saved["reserved"],
            next_version=saved["next_version"],
            policy=dict(saved["policy"]),
        )
        function.is_demo = latest.handler if latest.callable is not None else None
        for version in saved["versions"]:
            function.versions[version["version"]] = _load_version(service, version)
        for alias in saved["aliases"]:
            function.aliases[alias["name"]] = Alias(**alias)
        for qualifier, config in saved["invoke_configs"].items():
            function.invoke_configs[qualifier] = EventInvokeConfig(**config)
        if function.reserved is not None:
            service.runtime.reserved_total += function.reserved
        service.functions[function.name] = function
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    for saved in data.get("mappings", []):
        mapping = EventSourceMapping(
            uuid=saved["uuid"],
            arn=service.arn(f"event-source-mapping:{saved['uuid']}"),
            source_arn=saved["source_arn"],
            function_name=saved["function_name"],
            function_arn=saved["function_arn"],
            qualifier=None,
            batch_size=saved["batch_size"],
            batching_window=saved["batching_window"],
            enabled=saved["enabled"],
            filters=list(saved["filters"]),
            filter_texts=list(saved["filter_texts"]),
            response_types=list(saved["response_types"]),
            maximum_concurrency=saved["maximum_concurrency"],
            last_modified=saved["last_modified"],
            params=dict(saved["params"]),
            state="Enabled" if saved["enabled"] else "Disabled",
        )
        poller = poller_for(mapping.source_arn)
        if poller is not None:
            mapping.poller = poller(service, mapping)
            _restore_checkpoints(mapping.poller, saved.get("checkpoints"))
            if mapping.enabled and running:
                mapping.poller.start()
        service.mappings[mapping.uuid] = mapping
