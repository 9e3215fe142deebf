"""API keys and usage plans: keys, plan throttles and daily/weekly/monthly quotas on the clock."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .models import ApiKey, UsagePlan
from .patch import apply_patch

if TYPE_CHECKING:
    from .service import ApiGatewayService


def _not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status_code=404)


def quota_window(now: dt.datetime, period: str, offset: int = 0) -> str:
    """The name of the quota window `now` falls in (a day, an ISO week or a month, UTC)."""
    if period == "DAY":
        return now.strftime("%Y-%m-%d")
    if period == "WEEK":
        year, week, _ = (now - dt.timedelta(days=offset)).isocalendar()
        return f"{year}-W{week:02d}"
    return now.strftime("%Y-%m")


class KeysAndPlans:
    """The account's API keys and usage plans, and what each key has used."""

    def __init__(self, service: ApiGatewayService) -> None:
        self._service = service
        self.keys: dict[str, ApiKey] = {}
        self.plans: dict[str, UsagePlan] = {}
        self.usage: dict[tuple[str, str, str], int] = {}  # (plan, key, window) → requests
        self._by_value: dict[str, ApiKey] = {}  # secret value → key (looked up per request)

    # -- keys ----------------------------------------------------------------------------------
    def create_api_key(self, params: dict) -> dict:
        service = self._service
        value = params.get("value") or service.ids.token(40)
        if len(value) < 20:
            raise ServiceError(
                "BadRequestException", "API Key value should be at least 20 characters"
            )
        if value in self._by_value:
            raise ServiceError("ConflictException", "API Key already exists", status_code=409)
        key = ApiKey(
            service.ids.hex(10),
            params.get("name") or "",
            value,
            service.clock.datetime(),
            params.get("enabled", False),
            params.get("description", ""),
            params.get("customerId"),
            dict(params.get("tags", {})),
        )
        self.keys[key.id] = key
        self._by_value[value] = key
        return key.describe(include_value=True)

    def key(self, key_id: str) -> ApiKey:
        """The API key with this id."""
        key = self.keys.get(key_id)
        if key is None:
            raise _not_found("Invalid API Key identifier specified")
        return key

    def get_api_key(self, params: dict) -> dict:
        return self.key(params["apiKey"]).describe(include_value=params.get("includeValue", False))

    def get_api_keys(self, params: dict) -> dict:
        items = [
            k.describe(include_value=params.get("includeValues", False))
            for k in self.keys.values()
            if not params.get("nameQuery") or k.name.startswith(params["nameQuery"])
        ]
        return {"items": items}

    def delete_api_key(self, params: dict) -> dict:
        key = self.key(params["apiKey"])
        del self.keys[key.id]
        self._by_value.pop(key.value, None)
        for plan in self.plans.values():
            if key.id in plan.key_ids:
                plan.key_ids.remove(key.id)
        return {}

    def update_api_key(self, params: dict) -> dict:
        key = self.key(params["apiKey"])
        apply_patch(
            key,
            params.get("patchOperations", []),
            {
                "/enabled": "enabled",
                "/name": "name",
                "/description": "description",
                "/customerId": "customer_id",
            },
        )
        return key.describe()

    def reindex(self) -> None:
        """Rebuild the by-value index after the keys were replaced (open)."""
        self._by_value = {key.value: key for key in self.keys.values()}

    def key_for_value(self, value: str) -> ApiKey | None:
        """The key whose secret value this is."""
        return self._by_value.get(value)

    # -- usage plans ------------------------------------------------------------------------------
    def create_usage_plan(self, params: dict) -> dict:
        service = self._service
        stages = []
        for entry in params.get("apiStages", []):
            api = service.api(entry["apiId"])
            if entry["stage"] not in api.stages:
                raise ServiceError(
                    "BadRequestException",
                    f"API Stage not found: {entry['apiId']}:{entry['stage']}",
                )
            stages.append((entry["apiId"], entry["stage"]))
        throttle = params.get("throttle", {})
        quota = params.get("quota", {})
        if quota and quota.get("period") not in ("DAY", "WEEK", "MONTH"):
            raise ServiceError(
                "BadRequestException", "Invalid quota period. Must be DAY, WEEK or MONTH"
            )
        plan = UsagePlan(
            service.ids.hex(6),
            params["name"],
            stages,
            throttle.get("rateLimit"),
            throttle.get("burstLimit"),
            quota.get("limit"),
            quota.get("period"),
            quota.get("offset", 0),
            params.get("description", ""),
            tags=dict(params.get("tags", {})),
        )
        self.plans[plan.id] = plan
        return plan.describe()

    def plan(self, plan_id: str) -> UsagePlan:
        """The usage plan with this id."""
        plan = self.plans.get(plan_id)
        if plan is None:
            raise _not_found("Invalid Usage Plan ID specified")
        return plan

    def get_usage_plan(self, params: dict) -> dict:
        return self.plan(params["usagePlanId"]).describe()

    def get_usage_plans(self, params: dict) -> dict:
        plans = self.plans.values()
        if params.get("keyId"):
            plans = [p for p in plans if params["keyId"] in p.key_ids]
        return {"items": [p.describe() for p in plans]}

    def delete_usage_plan(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        del self.plans[plan.id]
        return {}

    def update_usage_plan(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        operations = []
        for operation in params.get("patchOperations", []):
            path = operation.get("path", "")
            if path == "/apiStages":
                api_id, _, stage = str(operation.get("value", "")).partition(":")
                if operation.get("op") == "remove":
                    plan.api_stages = [s for s in plan.api_stages if s != (api_id, stage)]
                else:
                    api = self._service.api(api_id)
                    if stage not in api.stages:
                        raise ServiceError(
                            "BadRequestException", f"API Stage not found: {api_id}:{stage}"
                        )
                    plan.api_stages.append((api_id, stage))
            else:
                operations.append(operation)
        apply_patch(
            plan,
            operations,
            {
                "/name": "name",
                "/description": "description",
                "/throttle/rateLimit": "throttle_rate",
                "/throttle/burstLimit": "throttle_burst",
                "/quota/limit": "quota_limit",
                "/quota/period": "quota_period",
                "/quota/offset": "quota_offset",
            },
        )
        return plan.describe()

    def create_usage_plan_key(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        if params["keyType"] != "API_KEY":
            raise ServiceError("BadRequestException", "Invalid key type specified. Must be API_KEY")
        key = self.key(params["keyId"])
        if key.id in plan.key_ids:
            raise ServiceError(
                "ConflictException", "Usage Plan Key already exists", status_code=409
            )
        plan.key_ids.append(key.id)
        return {"id": key.id, "type": "API_KEY", "value": key.value, "name": key.name}

    def get_usage_plan_keys(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        items = [
            {"id": k, "type": "API_KEY", "value": self.keys[k].value, "name": self.keys[k].name}
            for k in plan.key_ids
            if k in self.keys
        ]
        return {"items": items}

    def delete_usage_plan_key(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        if params["keyId"] not in plan.key_ids:
            raise _not_found("Invalid Usage Plan Key identifier specified")
        plan.key_ids.remove(params["keyId"])
        return {}

    def get_usage(self, params: dict) -> dict:
        plan = self.plan(params["usagePlanId"])
        items: dict[str, list[list[int]]] = {}
        for (plan_id, key_id, _window), count in sorted(self.usage.items()):
            if plan_id != plan.id or (params.get("keyId") and key_id != params["keyId"]):
                continue
            remaining = (plan.quota_limit - count) if plan.quota_limit is not None else 0
            items.setdefault(key_id, []).append([count, remaining])
        return {
            "usagePlanId": plan.id,
            "startDate": params["startDate"],
            "endDate": params["endDate"],
            "items": items,
        }

    def taggable(self, kind: str, ident: str) -> Any:
        """An API key or usage plan, for tagging."""
        return self.key(ident) if kind == "apikeys" else self.plan(ident)

    def api_deleted(self, api_id: str) -> None:
        """Drop a deleted API's stages from every plan."""
        for plan in self.plans.values():
            plan.api_stages = [s for s in plan.api_stages if s[0] != api_id]

    # -- metering ------------------------------------------------------------------------------------
    def plan_for(self, api_id: str, stage: str, key: ApiKey) -> UsagePlan | None:
        """The usage plan that covers this key on this stage."""
        for plan in self.plans.values():
            if (api_id, stage) in plan.api_stages and key.id in plan.key_ids:
                return plan
        return None

    def count(self, plan: UsagePlan, key: ApiKey) -> bool:
        """Count one request against the plan's quota; False when the quota is used up."""
        if plan.quota_limit is None:
            return True
        window = quota_window(
            self._service.clock.datetime(), plan.quota_period or "DAY", plan.quota_offset
        )
        slot = (plan.id, key.id, window)
        used = self.usage.get(slot, 0)
        if used >= plan.quota_limit:
            return False
        self.usage[slot] = used + 1
        return True
