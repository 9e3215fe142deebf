"""REST API authorization: Lambda TOKEN/REQUEST authorizers with policies and TTL, Cognito JWTs."""

from __future__ import annotations

from .test_apigateway_kit import RestKit, body_json, lambda_uri

POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_lab"


def _policy(effect: str, resource: str = "*") -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def _token_authorizer(eng, calls: list) -> None:
    def handler(event, ctx):
        calls.append(event)
        token = event.get("authorizationToken") or event["headers"].get("X-Token")
        if token == "bad":
            raise Exception("Unauthorized")
        effect = "Allow" if token == "allow" else "Deny"
        return {
            "principalId": "user-1",
            "policyDocument": _policy(effect, event["methodArn"]),
            "context": {"tier": "gold"},
        }

    eng.register_function("authz", handler)
    eng.register_function(
        "whoami",
        lambda event, ctx: {
            "statusCode": 200,
            "body": event["requestContext"]["authorizer"]["tier"],
        },
    )


async def _protected(eng, kind: str = "TOKEN", ttl: int = 300) -> tuple[RestKit, list]:
    calls: list = []
    _token_authorizer(eng, calls)
    kit = await RestKit(eng).create()
    source = (
        "method.request.header.Authorization"
        if kind == "TOKEN"
        else "method.request.header.X-Token"
    )
    authorizer = await kit.gw.create_authorizer(
        restApiId=kit.api_id,
        name="lab",
        type=kind,
        authorizerUri=lambda_uri("authz"),
        identitySource=source,
        authorizerResultTtlInSeconds=ttl,
    )
    await kit.proxy("/me", "whoami", authorization="CUSTOM", authorizerId=authorizer["id"])
    await kit.deploy()
    return kit, calls


async def test_token_authorizer_allows_and_passes_context(eng):
    kit, calls = await _protected(eng)
    response = await kit.call("GET", "/me", headers={"Authorization": "allow"})
    assert (response.status, response.body) == (200, b"gold")
    assert calls[0]["type"] == "TOKEN"
    assert calls[0]["methodArn"].endswith(f"{kit.api_id}/prod/GET/me")


async def test_missing_token_is_401(eng):
    kit, calls = await _protected(eng)
    response = await kit.call("GET", "/me")
    assert response.status == 401
    assert body_json(response) == {"message": "Unauthorized"}
    assert calls == []


async def test_unauthorized_error_from_authorizer_is_401(eng):
    kit, _ = await _protected(eng)
    assert (await kit.call("GET", "/me", headers={"Authorization": "bad"})).status == 401


async def test_deny_policy_is_403_explicit_deny(eng):
    kit, _ = await _protected(eng)
    response = await kit.call("GET", "/me", headers={"Authorization": "deny"})
    assert response.status == 403
    assert body_json(response) == {
        "message": "User is not authorized to access this resource with an explicit deny"
    }


async def test_result_is_cached_for_ttl(eng, clock):
    kit, calls = await _protected(eng, ttl=60)
    headers = {"Authorization": "allow"}
    await kit.call("GET", "/me", headers=headers)
    await kit.call("GET", "/me", headers=headers)
    assert len(calls) == 1
    await clock.advance(61)
    await kit.call("GET", "/me", headers=headers)
    assert len(calls) == 2


async def test_zero_ttl_calls_every_time(eng):
    kit, calls = await _protected(eng, ttl=0)
    for _ in range(2):
        await kit.call("GET", "/me", headers={"Authorization": "allow"})
    assert len(calls) == 2


async def test_request_authorizer_gets_request_event(eng):
    kit, calls = await _protected(eng, kind="REQUEST")
    response = await kit.call("GET", "/me", headers={"X-Token": "allow"})
    assert response.status == 200
    assert calls[0]["type"] == "REQUEST"
    assert calls[0]["path"] == "/me"


async def _cognito(eng, scopes=None) -> RestKit:
    eng.register_function(
        "claims",
        lambda event, ctx: {
            "statusCode": 200,
            "body": event["requestContext"]["authorizer"]["claims"]["email"],
        },
    )
    kit = await RestKit(eng).create()
    authorizer = await kit.gw.create_authorizer(
        restApiId=kit.api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=[POOL],
        identitySource="method.request.header.Authorization",
    )
    await kit.proxy(
        "/me",
        "claims",
        authorization="COGNITO_USER_POOLS",
        authorizerId=authorizer["id"],
        **({"authorizationScopes": scopes} if scopes else {}),
    )
    await kit.deploy()
    return kit


async def test_cognito_token_passes_claims(eng):
    kit = await _cognito(eng)
    token = eng.service("apigateway").user_pools.issue(POOL, {"sub": "u1", "email": "a@b.c"})
    response = await kit.call("GET", "/me", headers={"Authorization": token})
    assert (response.status, response.body) == (200, b"a@b.c")


async def test_expired_cognito_token_is_401(eng, clock):
    kit = await _cognito(eng)
    token = eng.service("apigateway").user_pools.issue(POOL, {"sub": "u1"}, lifetime=60)
    await clock.advance(61)
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 401


async def test_token_from_another_pool_is_401(eng):
    kit = await _cognito(eng)
    other = POOL.replace("us-east-1_lab", "us-east-1_other")
    token = eng.service("apigateway").user_pools.issue(other, {"sub": "u1"})
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 401


async def test_missing_scope_is_401(eng):
    kit = await _cognito(eng, scopes=["orders/write"])
    token = eng.service("apigateway").user_pools.issue(POOL, {"sub": "u1", "scope": "orders/read"})
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 401


async def test_authorizer_answer_without_policy_is_500(eng):
    eng.register_function("broken", lambda event, ctx: {"principalId": "x"})
    eng.register_function("target", lambda event, ctx: {"statusCode": 200, "body": "in"})
    kit = await RestKit(eng).create()
    authorizer = await kit.gw.create_authorizer(
        restApiId=kit.api_id,
        name="broken",
        type="TOKEN",
        authorizerUri=lambda_uri("broken"),
        identitySource="method.request.header.Authorization",
    )
    await kit.proxy("/p", "target", authorization="CUSTOM", authorizerId=authorizer["id"])
    await kit.deploy()
    response = await kit.call("GET", "/p", headers={"Authorization": "t"})
    assert response.status == 500
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
