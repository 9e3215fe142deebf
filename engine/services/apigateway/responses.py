"""Gateway responses: the answers API Gateway itself gives (missing token, throttled, quota …)."""

from __future__ import annotations

from .models import GatewayResponse

#: response type → (status, x-amzn-ErrorType, default message)
DEFAULTS: dict[str, tuple[str | None, str, str | None]] = {
    "ACCESS_DENIED": (
        "403",
        "AccessDeniedException",
        "User is not authorized to access this resource",
    ),
    "API_CONFIGURATION_ERROR": ("500", "InternalServerErrorException", "Internal server error"),
    "AUTHORIZER_CONFIGURATION_ERROR": ("500", "AuthorizerConfigurationException", None),
    "AUTHORIZER_FAILURE": ("500", "AuthorizerFailureException", None),
    "BAD_REQUEST_PARAMETERS": ("400", "BadRequestException", "Missing required request parameters"),
    "BAD_REQUEST_BODY": ("400", "BadRequestException", "Invalid request body"),
    "DEFAULT_4XX": (None, "", ""),
    "DEFAULT_5XX": (None, "", ""),
    "EXPIRED_TOKEN": (
        "403",
        "ExpiredTokenException",
        "The security token included in the request is expired",
    ),
    "INTEGRATION_FAILURE": ("504", "InternalServerErrorException", "Internal server error"),
    "INTEGRATION_TIMEOUT": ("504", "InternalServerErrorException", "Endpoint request timed out"),
    "INVALID_API_KEY": ("403", "ForbiddenException", "Forbidden"),
    "INVALID_SIGNATURE": (
        "403",
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided.",
    ),
    "MISSING_AUTHENTICATION_TOKEN": (
        "403",
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    ),
    "QUOTA_EXCEEDED": ("429", "LimitExceededException", "Limit Exceeded"),
    "REQUEST_TOO_LARGE": ("413", "RequestTooLongException", "Request Too Long"),
    "RESOURCE_NOT_FOUND": ("404", "NotFoundException", "Not Found"),
    "THROTTLED": ("429", "TooManyRequestsException", "Too Many Requests"),
    "UNAUTHORIZED": ("401", "UnauthorizedException", "Unauthorized"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "UnsupportedMediaTypeException", "Unsupported Media Type"),
    "WAF_FILTERED": ("403", "WAFFilteredException", "Forbidden"),
}
RESPONSE_TYPES = tuple(DEFAULTS)
DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


def default_response(response_type: str) -> GatewayResponse:
    """AWS's built-in gateway response of this type."""
    status = DEFAULTS[response_type][0]
    return GatewayResponse(
        response_type,
        status,
        {},
        {"application/json": DEFAULT_TEMPLATE},
        default=True,
    )


def family_of(response_type: str) -> str:
    """DEFAULT_4XX or DEFAULT_5XX: the catch-all whose customisation a default of this type takes."""
    status = DEFAULTS[response_type][0] or "500"
    return "DEFAULT_5XX" if status.startswith("5") else "DEFAULT_4XX"


def effective_response(
    configured: dict[str, GatewayResponse], response_type: str
) -> GatewayResponse:
    """What GetGatewayResponse shows: the API's own, or the default with its family's settings."""
    own = configured.get(response_type)
    if own is not None:
        return own
    response = default_response(response_type)
    family = configured.get(family_of(response_type))
    if family is not None and response_type not in ("DEFAULT_4XX", "DEFAULT_5XX"):
        response.status_code = family.status_code or response.status_code
        response.response_parameters = dict(family.response_parameters)
        response.response_templates = dict(family.response_templates)
    return response
