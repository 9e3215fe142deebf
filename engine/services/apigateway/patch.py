"""API Gateway's patchOperations (op, path, value) applied to the lab's objects, all or nothing."""

from __future__ import annotations

import copy
from typing import Any

from engine.errors import ServiceError


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _convert(current: Any, value: Any, path: str) -> Any:
    if isinstance(current, bool):
        if str(value).lower() not in ("true", "false"):
            raise _bad(f"Invalid value for {path}: {value}")
        return str(value).lower() == "true"
    if isinstance(current, int) and not isinstance(current, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"Invalid value for {path}: {value}") from None
    if isinstance(current, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"Invalid value for {path}: {value}") from None
    return value


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def apply_patch(
    target: Any,
    operations: list[dict],
    fields: dict[str, str],
    *,
    maps: dict[str, str] | None = None,
    lists: dict[str, str] | None = None,
    ops: frozenset[str] | None = None,
) -> None:
    """Apply `operations` to `target`; a bad operation raises before anything changes.

    `ops` limits the operations the resource accepts (AWS: "Please choose supported operations").
    """
    maps = maps or {}
    lists = lists or {}
    staged = copy.deepcopy(
        {
            name: getattr(target, name)
            for name in (*fields.values(), *maps.values(), *lists.values())
        }
    )
    for operation in operations:
        op = operation.get("op")
        path = operation.get("path", "")
        value = operation.get("value")
        if op not in ("add", "remove", "replace", "copy", "move", "test"):
            raise _bad(
                "Invalid patch operation specified. Must be one of: [add, remove, replace, move, copy, test]"
            )
        if ops is not None and op not in ops:
            raise _bad(
                f"Invalid patch path  '{path}' specified for op '{op}'. "
                "Please choose supported operations"
            )
        if path in fields:
            name = fields[path]
            if op == "remove":
                staged[name] = None
            elif op in ("replace", "add"):
                staged[name] = _convert(staged[name], value, path)
            else:
                raise _bad(
                    f"Invalid patch operation specified. Must be 'add'|'remove'|'replace' for {path}"
                )
            continue
        for prefix, name in maps.items():
            if path.startswith(prefix + "/"):
                key = _unescape(path[len(prefix) + 1 :])
                if op == "remove":
                    staged[name].pop(key, None)
                else:
                    staged[name][key] = value
                break
        else:
            for prefix, name in lists.items():
                if path.startswith(prefix):
                    item = _unescape(path[len(prefix) + 1 :]) if path != prefix else value
                    if op == "remove":
                        if item in staged[name]:
                            staged[name].remove(item)
                    elif item not in staged[name]:
                        staged[name].append(item)
                    break
            else:
                # AWS's text, with its double space, lists the paths the op may change.
                known = ", ".join(sorted(fields))
                raise _bad(
                    f"Invalid patch path  '{path}' specified for op '{op}'. Must be one of: [{known}]"
                )
    for name, value in staged.items():
        setattr(target, name, value)


def apply_stage_patch(stage: Any, operations: list[dict], api: Any) -> None:
    """Stage patches: variables, deployment, description, caching, throttling, access logs, canary."""
    work = copy.deepcopy(stage)
    for operation in operations:
        op = operation.get("op")
        path = operation.get("path", "")
        value = operation.get("value")
        if path.startswith("/variables/"):
            name = _unescape(path[len("/variables/") :])
            if op == "remove":
                work.variables.pop(name, None)
            else:
                work.variables[name] = value
        elif path == "/deploymentId":
            if value not in api.deployments:
                raise ServiceError(
                    "NotFoundException", "Invalid Deployment identifier specified", status_code=404
                )
            work.deployment_id = value
        elif path == "/description":
            work.description = value or ""
        elif path == "/cacheClusterEnabled":
            work.cache_enabled = str(value).lower() == "true"
        elif path == "/cacheClusterSize":
            work.cache_size = value
        elif path == "/tracingEnabled":
            work.tracing_enabled = str(value).lower() == "true"
        elif path.startswith("/accessLogSettings"):
            if op == "remove":
                work.access_log_destination = work.access_log_format = None
            elif path.endswith("/destinationArn"):
                work.access_log_destination = value
            elif path.endswith("/format"):
                work.access_log_format = value
            else:
                raise _bad(f"Invalid patch path {path}")
        elif path.startswith("/canarySettings"):
            if op == "remove" and path == "/canarySettings":
                work.canary = None
            else:
                key = path[len("/canarySettings/") :]
                work.canary = work.canary or {}
                if key == "percentTraffic":
                    work.canary[key] = float(value)
                elif key.startswith("stageVariableOverrides/"):
                    work.canary.setdefault("stageVariableOverrides", {})[key.split("/", 1)[1]] = (
                        value
                    )
                elif key in ("deploymentId", "useStageCache"):
                    work.canary[key] = (
                        value if key == "deploymentId" else str(value).lower() == "true"
                    )
                else:
                    raise _bad(f"Invalid patch path {path}")
        elif path.count("/") >= 4:
            _method_setting(work, path, op, value)
        else:
            raise _bad(f"Invalid patch path {path}")
    for name in work.__slots__:
        setattr(stage, name, getattr(work, name))


def _method_setting(stage: Any, path: str, op: str, value: Any) -> None:
    """`/{resourcePath}/{METHOD}/{caching|throttling}/{setting}` (resource path ~1-escaped, or */*)."""
    parts = path.lstrip("/").split("/")
    if len(parts) != 4:
        raise _bad(f"Invalid method setting path: {path}")
    resource_path, method, group, setting = parts
    key = f"{_unescape(resource_path)}/{method}"
    if group == "caching" and setting == "enabled":
        if str(value).lower() == "true" and op != "remove":
            stage.caching_enabled_methods.add(key)
        else:
            stage.caching_enabled_methods.discard(key)
    elif group == "caching" and setting == "ttlInSeconds":
        ttl = int(value)
        if not 0 <= ttl <= 3600:
            raise _bad("Cache TTL must be between 0 and 3600 seconds")
        stage.cache_ttl = ttl
    elif group == "caching" and setting == "requireAuthorizationForCacheControl":
        stage.require_authorization_for_cache_control = str(value).lower() == "true"
    elif group == "throttling" and setting in ("rateLimit", "burstLimit"):
        rate, burst = stage.method_throttles.get(key, (10_000.0, 5_000))
        if setting == "rateLimit":
            rate = float(value)
        else:
            burst = int(value)
        if key == "*/*":
            stage.throttle_rate, stage.throttle_burst = rate, burst
        stage.method_throttles[key] = (rate, burst)
    else:
        raise _bad(f"Invalid method setting path: {path}")
