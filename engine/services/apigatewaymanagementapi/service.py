"""`@connections`: PostToConnection, GetConnection and DeleteConnection on WebSocket connections.

Connection ids are unique across the lab, so the in-process client needs no endpoint: the
connection is found by id among every WebSocket API's open connections (kept by `apigatewayv2`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.service import Service

if TYPE_CHECKING:
    from engine.services.apigatewayv2.websocket import Connections


class ApiGatewayManagementService(Service):
    """Talks back to WebSocket clients through `apigatewayv2`'s connections."""

    name = "apigatewaymanagementapi"
    validation_error_code = "BadRequestException"

    @property
    def _connections(self) -> Connections:
        """The open WebSocket connections, kept by the apigatewayv2 service."""
        return self.engine.service("apigatewayv2").connections  # type: ignore[attr-defined]

    async def post_to_connection(self, params: dict) -> dict:
        data = params["Data"]
        await self._connections.post(params["ConnectionId"], data)
        return {}

    def get_connection(self, params: dict) -> dict:
        return self._connections.get(params["ConnectionId"]).describe()

    async def delete_connection(self, params: dict) -> dict:
        await self._connections.delete(params["ConnectionId"])
        return {}
