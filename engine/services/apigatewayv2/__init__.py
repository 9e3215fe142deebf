"""Amazon API Gateway v2: HTTP APIs and WebSocket APIs."""

from .service import ApiGatewayV2Service as SERVICE

__all__ = ["SERVICE"]
