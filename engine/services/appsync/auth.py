"""Who is calling a GraphQL or Event API: API keys, Lambda authorizers, OIDC/Cognito JWTs, SigV4.

A request's credentials pick the first of the API's providers (default, then additional) that they
fit; per-field `@aws_*` directives then decide which fields that mode may read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.errors import FunctionError, ServiceError
from engine.http import HttpRequest
from engine.service import Envelope

if TYPE_CHECKING:
    from .models import GraphqlApi
    from .service import AppSyncService

#: Lab setting: issuer URL → JWKS dict, the keys OIDC and Cognito tokens are checked against.
JWKS_SETTING = "appsync.jwks"


class AuthFailed(Exception):
    """The request is not authorized (HTTP 401 with AppSync's UnauthorizedException)."""

    def __init__(self, message: str = "You are not authorized to make this call.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Caller:
    """The authorized caller: the auth mode used and `$ctx.identity`."""

    mode: str
    identity: dict[str, Any] | None = None
    denied_fields: set[str] = field(default_factory=set)


def providers(api: GraphqlApi) -> list[dict[str, Any]]:
    """The API's auth providers: the default one, then the additional ones."""
    default = {
        "authenticationType": api.settings["authenticationType"],
        **{
            k: api.settings[k]
            for k in ("userPoolConfig", "openIDConnectConfig", "lambdaAuthorizerConfig")
            if k in api.settings
        },
    }
    return [default, *api.settings.get("additionalAuthenticationProviders", [])]


class Authorizer:
    """Decides who a request is, with a TTL cache of Lambda authorizer answers."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self._lambda_cache: dict[tuple[str, str], tuple[float, Caller]] = {}

    def forget(self, api_id: str) -> None:
        """Drop an API's cached authorizer answers."""
        for key in [k for k in self._lambda_cache if k[0] == api_id]:
            del self._lambda_cache[key]

    async def authorize(
        self,
        api: GraphqlApi,
        headers: dict[str, str],
        request: dict[str, Any] | None = None,
        http: HttpRequest | None = None,
    ) -> Caller:
        """The caller, or AuthFailed. `http` (the raw request) lets SigV4 signatures be verified."""
        api_key = headers.get("x-api-key")
        token = headers.get("authorization")
        if api_key is None and token is None:
            raise AuthFailed("Valid authorization header not provided.")
        last: AuthFailed | None = None
        for provider in providers(api):
            kind = provider["authenticationType"]
            try:
                if kind == "API_KEY" and api_key is not None:
                    return self._api_key(api, api_key)
                if token is None:
                    continue
                if kind == "AWS_IAM" and token.startswith("AWS4-HMAC-SHA256"):
                    return self._sigv4(token, http)
                if (
                    kind in ("OPENID_CONNECT", "AMAZON_COGNITO_USER_POOLS")
                    and token.count(".") == 2
                ):
                    return self._jwt(kind, provider, token)
                if kind == "AWS_LAMBDA":
                    return await self._lambda(api, provider, token, headers, request or {})
            except AuthFailed as failed:
                last = failed
        raise last or AuthFailed()

    def _api_key(self, api: GraphqlApi, key_id: str) -> Caller:
        key = api.api_keys.get(key_id)
        if key is None or key.expires <= self.service.clock.now():
            raise AuthFailed()
        return Caller("API_KEY", None)

    def _sigv4(self, token: str, http: HttpRequest | None) -> Caller:
        """A SigV4-signed caller: over HTTP the signature is verified against the lab's IAM keys."""
        credential = token.split("Credential=", 1)[-1].split("/", 1)[0]
        account = self.service.account_id
        found = None
        iam: Any = self.service.engine.service("iam")
        if http is not None:
            from engine.wire.signing import SignatureVerifier

            verifier = SignatureVerifier(
                iam.identity_for_access_key,
                now=self.service.clock.now,
                session_tokens=iam.session_token_for,
            )
            problem = verifier.problem(http)
            if problem is not None:
                raise AuthFailed(problem[1])
        found = iam.identity_for_access_key(credential)
        principal = found[0] if found else f"arn:aws:iam::{account}:root"
        return Caller(
            "AWS_IAM",
            {
                "accountId": account,
                "userArn": principal,
                "username": principal.rsplit("/", 1)[-1],
                "sourceIp": ["127.0.0.1"],
                "accessKey": credential,
            },
        )

    def _jwt(self, kind: str, provider: dict[str, Any], token: str) -> Caller:
        import jwt

        if kind == "OPENID_CONNECT":
            config = provider["openIDConnectConfig"]
            issuer = config["issuer"]
            audience = config.get("clientId")
        else:
            pool = provider["userPoolConfig"]
            region = pool.get("awsRegion", self.service.region)
            issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool['userPoolId']}"
            audience = None
        keys = (self.service.engine.settings.get(JWKS_SETTING) or {}).get(issuer)
        if keys is None:
            raise AuthFailed()
        try:
            header = jwt.get_unverified_header(token)
            key_set = jwt.PyJWKSet.from_dict(keys)
            key = next(k for k in key_set.keys if k.key_id == header.get("kid"))
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[header.get("alg", "RS256")],
                audience=audience,
                issuer=issuer,
                options={
                    "verify_exp": False,
                    "verify_aud": audience is not None,
                    "verify_iat": False,
                },
            )
        except (jwt.PyJWTError, StopIteration, ValueError, KeyError):
            raise AuthFailed() from None
        # Expiry is checked on the lab clock (PyJWT would read the machine's clock).
        if "exp" in claims and claims["exp"] <= self.service.clock.now():
            raise AuthFailed()
        if kind == "AMAZON_COGNITO_USER_POOLS":
            regex = provider["userPoolConfig"].get("appIdClientRegex")
            if regex:
                import re

                client = claims.get("client_id") or claims.get("aud") or ""
                if not re.fullmatch(regex, str(client)):
                    raise AuthFailed()
        identity = {
            "sub": claims.get("sub"),
            "issuer": issuer,
            "username": claims.get("cognito:username")
            or claims.get("username")
            or claims.get("sub"),
            "claims": claims,
            "sourceIp": ["127.0.0.1"],
            "defaultAuthStrategy": "ALLOW",
            "groups": claims.get("cognito:groups"),
        }
        return Caller(kind, identity)

    async def _lambda(
        self,
        api: GraphqlApi,
        provider: dict[str, Any],
        token: str,
        headers: dict[str, str],
        request: dict[str, Any],
    ) -> Caller:
        config = provider["lambdaAuthorizerConfig"]
        pattern = config.get("identityValidationExpression")
        if pattern:
            import re

            if not re.fullmatch(pattern, token):
                raise AuthFailed()
        now = self.service.clock.now()
        cached = self._lambda_cache.get((api.id, token))
        if cached is not None and cached[0] > now:
            return cached[1]
        event = {
            "authorizationToken": token,
            "requestContext": {
                "apiId": api.id,
                "accountId": self.service.account_id,
                "requestId": self.service.ids.uuid(),
                "queryString": request.get("query", ""),
                "operationName": request.get("operationName"),
                "variables": request.get("variables") or {},
            },
            "requestHeaders": dict(headers),
        }
        try:
            answer = await self.service.engine.fabric.deliver(
                config["authorizerUri"], Envelope(event, source_arn=api.arn)
            )
        except (FunctionError, ServiceError):
            raise AuthFailed() from None
        if isinstance(answer, str):
            try:
                answer = json.loads(answer)
            except ValueError:
                answer = {}
        if not isinstance(answer, dict) or answer.get("isAuthorized") is not True:
            raise AuthFailed()
        caller = Caller(
            "AWS_LAMBDA",
            {"resolverContext": answer.get("resolverContext") or {}},
            set(answer.get("deniedFields") or []),
        )
        ttl = answer.get("ttlOverride", config.get("authorizerResultTtlInSeconds", 300))
        if ttl:
            self._lambda_cache[(api.id, token)] = (now + float(ttl), caller)
        return caller
