"""The `@connections` management API of WebSocket APIs (boto3 `apigatewaymanagementapi`)."""

from .service import ApiGatewayManagementService as SERVICE

__all__ = ["SERVICE"]
