"""Amazon API Gateway (REST APIs)."""

from .service import ApiGatewayService as SERVICE

__all__ = ["SERVICE"]
