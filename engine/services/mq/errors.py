"""Amazon MQ's API errors (rest-json: BadRequestException 400, NotFoundException 404 …)."""

from __future__ import annotations

from engine.errors import ServiceError


def bad_request(message: str, attribute: str | None = None) -> ServiceError:
    """BadRequestException (400), naming the offending attribute as AWS's errorAttribute."""
    extra = {"ErrorAttribute": attribute} if attribute else None
    return ServiceError("BadRequestException", message, status_code=400, extra=extra)


def not_found(message: str, attribute: str | None = None) -> ServiceError:
    """NotFoundException (404)."""
    extra = {"ErrorAttribute": attribute} if attribute else None
    return ServiceError("NotFoundException", message, status_code=404, extra=extra)


def conflict(message: str, attribute: str | None = None) -> ServiceError:
    """ConflictException (409)."""
    extra = {"ErrorAttribute": attribute} if attribute else None
    return ServiceError("ConflictException", message, status_code=409, extra=extra)


def page(items: list, params: dict, limit_default: int = 100) -> tuple[list, str | None]:
    """One page of `items` by MaxResults/NextToken (the token is the next index)."""
    token = params.get("NextToken")
    start = 0
    if token:
        if not token.isdigit():
            raise bad_request("The specified NextToken is invalid.", "nextToken")
        start = int(token)
    limit = params.get("MaxResults") or limit_default
    chunk = items[start : start + limit]
    return chunk, (str(start + limit) if start + limit < len(items) else None)
