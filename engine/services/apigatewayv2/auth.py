"""HTTP and WebSocket API authorization: JWT authorizers and Lambda (REQUEST) authorizers.

JWTs are checked against the lab's key set (`apigateway`'s `LabUserPools`, which signs the tokens
`user_pools.issue()` mints): signature, `iss` equal to the authorizer's issuer, `aud` or `client_id`
in its audience, `exp`/`nbf` on the engine clock, and the route's scopes against `scope`/`scp`.
Lambda authorizers answer with a simple response (`isAuthorized`) or an IAM policy, evaluated by the
REST service's `evaluate_policy`; results are cached per identity for the authorizer's TTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.service import Envelope

from ..apigateway.authorizers import evaluate_policy
from .models import Authorizer

if TYPE_CHECKING:
    from .service import ApiGatewayV2Service


class Denied(Exception):
    """The request may not pass: 401 Unauthorized, 403 Forbidden or 500 (a broken authorizer)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or {}


@dataclass(slots=True)
class _Cached:
    expires: float
    allowed: bool
    context: dict[str, Any]


class AuthCache:
    """Lambda authorizer answers by (api, authorizer, identity), kept for the authorizer's TTL."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], _Cached] = {}

    def get(self, key: tuple[str, str, str], now: float) -> _Cached | None:
        """A cached answer still within its TTL."""
        entry = self._entries.get(key)
        return entry if entry is not None and entry.expires > now else None

    def put(self, key: tuple[str, str, str], entry: _Cached) -> None:
        """Remember an answer."""
        self._entries[key] = entry

    def flush(self, api_id: str) -> None:
        """Forget every cached answer of an API."""
        for key in [k for k in self._entries if k[0] == api_id]:
            del self._entries[key]


def identity_value(source: str, request_view: dict[str, Any]) -> str | None:
    """One identity source's value (`$request.header.X`, `route.request.querystring.q` …)."""
    for prefix, group in (
        ("$request.header.", "header"),
        ("route.request.header.", "header"),
        ("$request.querystring.", "querystring"),
        ("route.request.querystring.", "querystring"),
        ("$stageVariables.", "stage"),
        ("$context.", "context"),
    ):
        if source.startswith(prefix):
            name = source[len(prefix) :]
            if group == "header":
                name = name.lower()
            value = request_view[group].get(name)
            return str(value) if value not in (None, "") else None
    return None


def check_jwt(
    service: ApiGatewayV2Service,
    authorizer: Authorizer,
    scopes: list[str],
    request_view: dict[str, Any],
) -> dict[str, Any]:
    """Verify the bearer token; returns `{"jwt": {"claims", "scopes"}}` or raises Denied."""
    raw = (
        identity_value(authorizer.identity_source[0], request_view)
        if authorizer.identity_source
        else None
    )
    if not raw:
        raise Denied(401, "missing token")
    token = raw[7:].strip() if raw.lower().startswith("bearer ") else raw.strip()
    pools = service.engine.service("apigateway").user_pools
    claims = pools.decode(token)

    def invalid(description: str) -> Denied:
        header = f'Bearer scope="" error="invalid_token" error_description="{description}"'
        return Denied(401, description, {"www-authenticate": header})

    if claims is None:
        raise invalid("the token is not signed by a trusted key")
    now = service.clock.now()
    if "exp" in claims and float(claims["exp"]) <= now:
        raise invalid("the token has expired")
    if "nbf" in claims and float(claims["nbf"]) > now:
        raise invalid("the token is not valid yet")
    if claims.get("iss") != authorizer.issuer:
        raise invalid("the token has an invalid issuer")
    audiences = claims.get("aud", claims.get("client_id"))
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    if not set(audiences) & set(authorizer.audience):
        raise invalid("the token has an invalid audience")
    granted_text = claims.get("scope", claims.get("scp", ""))
    granted = granted_text.split() if isinstance(granted_text, str) else list(granted_text)
    if scopes and not set(granted) & set(scopes):
        raise Denied(403, "the token lacks the route's scopes")
    return {"jwt": {"claims": _claim_strings(claims), "scopes": granted or None}}


def _claim_strings(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims as API Gateway passes them: numbers and lists rendered as strings."""
    out: dict[str, Any] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            out[key] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            out[key] = str(value) if not isinstance(value, str) else value
    return out


async def check_lambda(
    service: ApiGatewayV2Service,
    cache: AuthCache,
    api_id: str,
    authorizer: Authorizer,
    route_arn: str,
    request_view: dict[str, Any],
    build_event: Any,
) -> dict[str, Any]:
    """Run a Lambda authorizer (or use its cached answer); returns the `lambda` context or raises Denied."""
    from .http_pipeline import lambda_target

    identities = [identity_value(s, request_view) for s in authorizer.identity_source]
    if authorizer.identity_source and any(v is None for v in identities):
        raise Denied(401, "an identity source is missing")
    key = (api_id, authorizer.id, "\x00".join(v or "" for v in identities))
    now = service.clock.now()
    cached = cache.get(key, now) if authorizer.ttl > 0 else None
    if cached is None:
        function = lambda_target(authorizer.uri or "")
        if function is None:
            raise Denied(500, "the authorizer URI names no function")
        event = build_event(authorizer, route_arn, [v for v in identities if v is not None])
        try:
            result = await service.engine.fabric.deliver(
                function,
                Envelope(
                    body=event,
                    source_arn=service.arn_of(api_id),
                    options={"invocation_type": "RequestResponse"},
                ),
            )
        except ServiceError as error:
            if error.message == "Unauthorized":
                raise Denied(401, "the authorizer answered Unauthorized") from None
            raise Denied(500, f"the authorizer failed: {error.code}") from None
        cached = _Cached(now + authorizer.ttl, *_decision(authorizer, result, route_arn))
        if authorizer.ttl > 0:
            cache.put(key, cached)
    if not cached.allowed:
        raise Denied(403, "the authorizer denied the request")
    return cached.context


def _decision(authorizer: Authorizer, result: Any, route_arn: str) -> tuple[bool, dict[str, Any]]:
    """(allowed, context) from a simple response or an IAM policy answer."""
    if not isinstance(result, dict):
        raise Denied(500, "the authorizer's answer is not an object")
    context = result.get("context") or {}
    if not isinstance(context, dict):
        raise Denied(500, "the authorizer's context is not an object")
    if authorizer.simple_responses:
        allowed = result.get("isAuthorized")
        if not isinstance(allowed, bool):
            raise Denied(500, "a simple response needs a boolean isAuthorized")
        return allowed, dict(context)
    policy = result.get("policyDocument")
    if not isinstance(policy, dict):
        raise Denied(500, "the authorizer's answer has no policyDocument")
    allowed = evaluate_policy(policy, route_arn) == "Allow"
    out = dict(context)
    if result.get("principalId") is not None:
        out["principalId"] = str(result["principalId"])
    return allowed, out
