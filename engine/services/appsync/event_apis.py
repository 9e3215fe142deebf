"""Event APIs (CreateApi … ListChannelNamespaces): channels published over HTTP, subscribed over WebSocket."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.topology import Edge, Node

from .models import ChannelNamespace, EventApi, bad_request, copy_data, not_found

if TYPE_CHECKING:
    from .service import AppSyncService

_NAMESPACE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")
_NAMESPACE_SETTINGS = ("subscribeAuthModes", "publishAuthModes", "codeHandlers", "handlerConfigs")


class EventApis:
    """The Event APIs of one lab and their channel namespaces."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self.apis: dict[str, EventApi] = {}

    def api(self, api_id: str) -> EventApi:
        """An Event API by id, or NotFoundException."""
        api = self.apis.get(api_id)
        if api is None:
            raise not_found(f"Api {api_id} not found.")
        return api

    def _check_config(self, config: dict[str, Any]) -> None:
        providers = {p["authType"] for p in config["authProviders"]}
        for key in ("connectionAuthModes", "defaultPublishAuthModes", "defaultSubscribeAuthModes"):
            for mode in config[key]:
                if mode["authType"] not in providers and mode["authType"] != "AWS_IAM":
                    raise bad_request(
                        f"{key} contains {mode['authType']}, which is not an auth provider."
                    )

    async def create_api(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_config(params["eventConfig"])
        api_id = self.service.ids.token(26).lower()
        api = EventApi(
            api_id,
            self.service.arn(f"apis/{api_id}"),
            params["name"],
            self.service.clock.now(),
            copy_data(params["eventConfig"]),
            params.get("ownerContact"),
            dict(params.get("tags", {})),
        )
        from .endpoint import EventEndpoint

        api.listener = await self.service.engine.listeners.open(
            api.arn, EventEndpoint(self.service, api).serve
        )
        self.apis[api_id] = api
        self.service.emit("created", api.arn, name=api.name, port=api.listener.port)
        return {"api": api.describe()}

    def get_api(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"api": self.api(params["apiId"]).describe()}

    def list_apis(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [a.describe() for a in self.apis.values()]
        return self.service.page(items, params, "apis")

    def update_api(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        if "eventConfig" in params:
            self._check_config(params["eventConfig"])
            api.event_config = copy_data(params["eventConfig"])
        api.name = params["name"]
        if "ownerContact" in params:
            api.owner_contact = params["ownerContact"]
        return {"api": api.describe()}

    async def delete_api(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        del self.apis[api.id]
        if self.service._realtime is not None:
            await self.service._realtime.api_deleted(api.id)
        if api.listener is not None:
            await api.listener.close()
        self.service.emit("deleted", api.arn)
        return {}

    # -- channel namespaces ------------------------------------------------------------------
    def namespace(self, api: EventApi, name: str) -> ChannelNamespace:
        """A channel namespace of the API, or NotFoundException."""
        namespace = api.namespaces.get(name)
        if namespace is None:
            raise not_found(f"Channel namespace {name} not found.")
        return namespace

    def create_channel_namespace(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        name = params["name"]
        if not _NAMESPACE.match(name):
            raise bad_request(f"Invalid channel namespace name: {name}")
        if name in api.namespaces:
            raise bad_request(f"Channel namespace {name} already exists.")
        if params.get("codeHandlers") is not None:
            self.service.javascript.check(params["codeHandlers"])
        now = self.service.clock.now()
        namespace = ChannelNamespace(
            self.service.arn(f"apis/{api.id}/channelNamespace/{name}"),
            api.id,
            name,
            {k: copy_data(params[k]) for k in _NAMESPACE_SETTINGS if k in params},
            now,
            now,
            dict(params.get("tags", {})),
        )
        api.namespaces[name] = namespace
        return {"channelNamespace": namespace.describe()}

    def update_channel_namespace(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        namespace = self.namespace(api, params["name"])
        if params.get("codeHandlers") is not None:
            self.service.javascript.check(params["codeHandlers"])
        namespace.settings = {k: copy_data(params[k]) for k in _NAMESPACE_SETTINGS if k in params}
        namespace.modified = self.service.clock.now()
        return {"channelNamespace": namespace.describe()}

    def get_channel_namespace(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        return {"channelNamespace": self.namespace(api, params["name"]).describe()}

    def delete_channel_namespace(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        del api.namespaces[self.namespace(api, params["name"]).name]
        return {}

    def list_channel_namespaces(self, params: dict[str, Any]) -> dict[str, Any]:
        api = self.api(params["apiId"])
        items = [n.describe() for n in api.namespaces.values()]
        return self.service.page(items, params, "channelNamespaces")

    # -- authorization -----------------------------------------------------------------------
    def authorize(
        self, api: EventApi, headers: dict[str, str], action: str, namespace: str | None = None
    ) -> None:
        """Check a connect/publish/subscribe against the API's (or namespace's) auth modes."""
        from .auth import AuthFailed

        config = api.event_config
        key = {
            "connect": "connectionAuthModes",
            "publish": "defaultPublishAuthModes",
            "subscribe": "defaultSubscribeAuthModes",
        }[action]
        modes = [m["authType"] for m in config[key]]
        if namespace is not None and namespace in api.namespaces:
            own = api.namespaces[namespace].settings.get(f"{action}AuthModes")
            if own:
                modes = [m["authType"] for m in own]
        api_key = headers.get("x-api-key")
        if "API_KEY" in modes and api_key is not None:
            stored = api.api_keys.get(api_key)
            if stored is not None and stored.expires > self.service.clock.now():
                return
            raise AuthFailed()
        token = headers.get("authorization", "")
        if "AWS_IAM" in modes and token.startswith("AWS4-HMAC-SHA256"):
            return
        if not api_key and not token:
            raise AuthFailed("Valid authorization header not provided.")
        raise AuthFailed()

    # -- helpers for the service ---------------------------------------------------------------
    def tagged(self, arn: str) -> dict[str, str] | None:
        """The tags of an Event API or namespace with this ARN (None: not one of ours)."""
        for api in self.apis.values():
            if api.arn == arn:
                return api.tags
            for namespace in api.namespaces.values():
                if namespace.arn == arn:
                    return namespace.tags
        return None

    def owns(self, arn: str) -> bool:
        """Whether an Event API or namespace has this ARN."""
        return self.tagged(arn) is not None

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Event APIs and their namespaces."""
        nodes: list[Node] = []
        for api in self.apis.values():
            nodes.append(Node(api.arn, "api", api.name, "appsync", {}))
            for namespace in api.namespaces.values():
                nodes.append(
                    Node(namespace.arn, "topic", namespace.name, "appsync", {}, parent=api.arn)
                )
        return nodes, []
