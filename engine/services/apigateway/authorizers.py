"""REST API authorization: Lambda TOKEN/REQUEST authorizers, Cognito user-pool JWTs, and AWS_IAM.

Lambda authorizers return an IAM policy that is evaluated here (Allow/Deny on execute-api ARNs
with wildcards), with results cached by identity for the authorizer's TTL on the engine clock.
Cognito tokens are verified with PyJWT against the lab's own key set (`LabUserPools`).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import FunctionError, ServiceError
from engine.service import Envelope

if TYPE_CHECKING:
    from .models import Authorizer
    from .pipeline import Pipeline, RequestContext

_LAMBDA_URI = re.compile(
    r"^arn:aws:apigateway:[^:]*:lambda:path/[^/]+/functions/(.+?)/invocations$"
)


@dataclass(slots=True)
class AuthResult:
    """Who the request is, and what the authorizer added to its context."""

    principal_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] | None = None
    usage_identifier_key: str | None = None
    cached: bool = False

    def context_for_event(self) -> dict[str, Any]:
        """`requestContext.authorizer` of the Lambda proxy event."""
        if self.claims is not None:
            return {"claims": dict(self.claims)}
        out: dict[str, Any] = dict(self.context)
        if self.principal_id is not None:
            out["principalId"] = self.principal_id
        out.setdefault("integrationLatency", 0)
        return out

    def context_for_template(self) -> dict[str, Any]:
        """`$context.authorizer` in mapping templates."""
        out = self.context_for_event()
        if self.claims is not None:
            out["claims"] = dict(self.claims)
        return out


@dataclass(slots=True)
class _Cached:
    expires: float
    policy: dict[str, Any]
    principal_id: str | None
    context: dict[str, Any]
    usage_identifier_key: str | None


class AuthorizerCache:
    """Lambda authorizer results by (authorizer, identity), kept for the authorizer's TTL."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], _Cached] = {}

    def get(self, api_id: str, authorizer_id: str, identity: str, now: float) -> _Cached | None:
        """A cached result still within its TTL."""
        entry = self._entries.get((api_id, authorizer_id, identity))
        return entry if entry is not None and entry.expires > now else None

    def put(self, api_id: str, authorizer_id: str, identity: str, entry: _Cached) -> None:
        """Remember a result."""
        self._entries[(api_id, authorizer_id, identity)] = entry

    def flush(self, api_id: str) -> None:
        """Forget every cached result of an API."""
        for key in [k for k in self._entries if k[0] == api_id]:
            del self._entries[key]


def method_arn(pipeline: Pipeline, context: RequestContext) -> str:
    """The execute-api ARN of the method being called."""
    route = context.route
    assert route is not None
    service = pipeline.service
    path = context.request.path.lstrip("/")
    return (
        f"arn:aws:execute-api:{service.region}:{service.account_id}:{context.api.id}/"
        f"{context.stage.name}/{context.request.method}/{path}"
    )


async def authorize(pipeline: Pipeline, context: RequestContext) -> AuthResult:
    """Run the method's authorization; raises GatewayAnswer when the request may not pass."""
    from .pipeline import GatewayAnswer

    route = context.route
    assert route is not None
    method = route.method
    kind = method.authorization_type
    if kind == "AWS_IAM":
        # The lab has no IAM: any SigV4-signed request stands for an allowed caller.
        if "authorization" not in context.request.headers:
            context.decided_by = "auth"
            raise GatewayAnswer("MISSING_AUTHENTICATION_TOKEN")
        return AuthResult(principal_id=None)
    authorizer = context.api.authorizers.get(method.authorizer_id or "")
    if authorizer is None:
        context.decided_by = "auth"
        raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR")
    if authorizer.type == "COGNITO_USER_POOLS":
        return _cognito(pipeline, context, authorizer)
    return await _lambda(pipeline, context, authorizer)


def _identity_values(context: RequestContext, authorizer: Authorizer) -> list[str] | None:
    """The identity source values, or None when one is missing (→ 401)."""
    sources = [s.strip() for s in (authorizer.identity_source or "").split(",") if s.strip()]
    request = context.request
    values = []
    for source in sources:
        value: str | None = None
        if source.startswith("method.request.header."):
            value = request.headers.get(source.rsplit(".", 1)[1].lower())
        elif source.startswith("method.request.querystring."):
            name = source.rsplit(".", 1)[1]
            found = [v for k, v in request.query if k == name]
            value = found[-1] if found else None
        elif source.startswith("stageVariables."):
            value = context.stage.variables.get(source.split(".", 1)[1])
        elif source.startswith("context."):
            value = str(getattr(context, source.split(".", 1)[1], "") or "") or None
        if not value:
            return None
        values.append(value)
    return values


async def _lambda(
    pipeline: Pipeline, context: RequestContext, authorizer: Authorizer
) -> AuthResult:
    from .pipeline import GatewayAnswer

    service = pipeline.service
    identities = _identity_values(context, authorizer)
    if authorizer.type == "TOKEN":
        if not identities:
            context.decided_by = "auth"
            raise GatewayAnswer("UNAUTHORIZED")
        token = identities[0]
        pattern = authorizer.identity_validation_expression
        if pattern and not re.fullmatch(pattern, token):
            context.decided_by = "auth"
            raise GatewayAnswer("UNAUTHORIZED")
    elif identities is None:
        context.decided_by = "auth"
        raise GatewayAnswer("UNAUTHORIZED")
    arn = method_arn(pipeline, context)
    identity_key = "\x00".join(identities or [])
    now = service.clock.now()
    cacheable = authorizer.result_ttl > 0 and bool(identities)
    cached = (
        pipeline.authorizers.get(context.api.id, authorizer.id, identity_key, now)
        if cacheable
        else None
    )
    if cached is None:
        match = _LAMBDA_URI.match(authorizer.authorizer_uri or "")
        if match is None:
            context.decided_by = "auth"
            raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR")
        if authorizer.type == "TOKEN":
            event: dict[str, Any] = {
                "type": "TOKEN",
                "authorizationToken": identities[0],
                "methodArn": arn,
            }
        else:
            event = pipeline.proxy_event(context)
            event = {
                "type": "REQUEST",
                "methodArn": arn,
                **{
                    k: event[k]
                    for k in (
                        "resource",
                        "path",
                        "httpMethod",
                        "headers",
                        "multiValueHeaders",
                        "queryStringParameters",
                        "multiValueQueryStringParameters",
                        "pathParameters",
                        "stageVariables",
                        "requestContext",
                    )
                },
            }
        try:
            result = await service.engine.fabric.deliver(
                match.group(1),
                Envelope(
                    body=event,
                    source_arn=service.arn_of(context.api.id),
                    options={"invocation_type": "RequestResponse"},
                ),
            )
        except FunctionError as error:
            context.decided_by = "auth"
            if error.payload.get("errorMessage") == "Unauthorized":
                raise GatewayAnswer("UNAUTHORIZED") from None
            raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR") from None
        except ServiceError:
            context.decided_by = "auth"
            raise GatewayAnswer("AUTHORIZER_FAILURE") from None
        if not isinstance(result, dict) or not isinstance(result.get("policyDocument"), dict):
            context.decided_by = "auth"
            raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR")
        raw_context = result.get("context") or {}
        if not isinstance(raw_context, dict) or any(
            isinstance(v, (dict, list)) for v in raw_context.values()
        ):
            context.decided_by = "auth"
            raise GatewayAnswer("AUTHORIZER_CONFIGURATION_ERROR")
        cached = _Cached(
            now + authorizer.result_ttl,
            result["policyDocument"],
            None if result.get("principalId") is None else str(result.get("principalId")),
            {k: v for k, v in raw_context.items()},
            result.get("usageIdentifierKey"),
        )
        if cacheable:
            pipeline.authorizers.put(context.api.id, authorizer.id, identity_key, cached)
        from_cache = False
    else:
        from_cache = True
    decision = evaluate_policy(cached.policy, arn)
    if decision != "Allow":
        context.decided_by = "auth"
        message = (
            "User is not authorized to access this resource with an explicit deny"
            if decision == "Deny"
            else "User is not authorized to access this resource"
        )
        raise GatewayAnswer("ACCESS_DENIED", message)
    return AuthResult(
        cached.principal_id, cached.context, None, cached.usage_identifier_key, from_cache
    )


def evaluate_policy(policy: dict[str, Any], arn: str) -> str:
    """IAM evaluation for execute-api:Invoke: an explicit Deny wins, then any Allow; else implicit deny."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) or a == "*" for a in actions):
            continue
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if not any(_arn_matches(pattern, arn) for pattern in resources):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return "Deny"
        if effect == "Allow":
            allowed = True
    return "Allow" if allowed else "None"


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = "^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$"
    return re.match(regex, arn) is not None


def _cognito(pipeline: Pipeline, context: RequestContext, authorizer: Authorizer) -> AuthResult:
    from .pipeline import GatewayAnswer

    source = authorizer.identity_source or "method.request.header.Authorization"
    header = source.rsplit(".", 1)[1].lower()
    token = context.request.headers.get(header, "")
    if token.lower().startswith("bearer "):
        token = token[7:]
    if not token:
        context.decided_by = "auth"
        raise GatewayAnswer("UNAUTHORIZED")
    pools = pipeline.service.user_pools
    claims = pools.verify(token, authorizer.provider_arns)
    if claims is None:
        context.decided_by = "auth"
        raise GatewayAnswer("UNAUTHORIZED")
    scopes = context.route.method.authorization_scopes if context.route else []
    if scopes:
        granted = set(str(claims.get("scope", "")).split())
        if not granted & set(scopes):
            context.decided_by = "auth"
            raise GatewayAnswer("UNAUTHORIZED")
    return AuthResult(principal_id=str(claims.get("sub", "")), claims=claims)


class LabUserPools:
    """A stand-in for Cognito user pools: one RSA key pair whose JWKS verifies lab-issued tokens."""

    def __init__(self, region: str, clock: Any) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._region = region
        self._clock = clock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = "pipework-lab-key"

    def issuer(self, pool_arn_or_id: str) -> str:
        """The `iss` claim Cognito puts in tokens of a user pool."""
        pool_id = pool_arn_or_id.rsplit("/", 1)[-1]
        return f"https://cognito-idp.{self._region}.amazonaws.com/{pool_id}"

    def jwks(self) -> dict[str, Any]:
        """The public key set, as a user pool publishes at /.well-known/jwks.json."""
        import jwt

        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.key_id, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def issue(self, pool: str, claims: dict[str, Any], *, lifetime: int = 3600) -> str:
        """A signed ID token for a lab user of `pool` (ARN or id), valid for `lifetime` seconds."""
        import jwt

        now = int(self._clock.now())
        payload = {
            "iss": self.issuer(pool),
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def decode(self, token: str) -> dict[str, Any] | None:
        """The claims of a token signed with the lab key (no time, issuer or audience checks)."""
        import jwt

        try:
            return jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            return None

    def verify(self, token: str, pool_arns: list[str]) -> dict[str, Any] | None:
        """The token's claims if it is signed by the lab, unexpired, and from one of `pool_arns`."""
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            return None
        if int(claims.get("exp", 0)) <= self._clock.now():
            return None
        if claims.get("iss") not in {self.issuer(arn) for arn in pool_arns}:
            return None
        return claims
