"""HTTP API authorization: JWT authorizers on the lab key set, Lambda authorizers, IAM."""

from __future__ import annotations

from .test_apigateway_kit import body_json, lambda_uri
from .test_apigatewayv2_http import HttpKit

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_lab"


async def _jwt_api(eng, scopes=None) -> HttpKit:
    eng.register_function(
        "me", lambda event, ctx: event["requestContext"]["authorizer"]["jwt"]["claims"]
    )
    kit = await HttpKit(eng).create()
    authorizer = await kit.v2.create_authorizer(
        ApiId=kit.api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": ISSUER, "Audience": ["lab-app"]},
    )
    await kit.route(
        "GET /me",
        "me",
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
        **({"AuthorizationScopes": scopes} if scopes else {}),
    )
    await kit.stage()
    return kit


def _token(eng, lifetime: int = 3600, **claims) -> str:
    pools = eng.service("apigateway").user_pools
    return pools.issue(
        "us-east-1_lab", {"sub": "u1", "aud": "lab-app", **claims}, lifetime=lifetime
    )


async def test_valid_jwt_passes_claims(eng):
    kit = await _jwt_api(eng)
    response = await kit.call("GET", "/me", headers={"Authorization": f"Bearer {_token(eng)}"})
    assert response.status == 200
    assert body_json(response)["sub"] == "u1"


async def test_missing_jwt_is_401(eng):
    kit = await _jwt_api(eng)
    response = await kit.call("GET", "/me")
    assert response.status == 401
    assert body_json(response) == {"message": "Unauthorized"}


async def test_expired_jwt_is_401_with_reason(eng, clock):
    kit = await _jwt_api(eng)
    token = _token(eng, lifetime=10)
    await clock.advance(11)
    response = await kit.call("GET", "/me", headers={"Authorization": token})
    assert response.status == 401
    assert "the token has expired" in response.headers["www-authenticate"]


async def test_wrong_audience_is_401(eng):
    kit = await _jwt_api(eng)
    token = _token(eng, aud="someone-else")
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 401


async def test_wrong_issuer_is_401(eng):
    kit = await _jwt_api(eng)
    token = eng.service("apigateway").user_pools.issue("us-east-1_other", {"aud": "lab-app"})
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 401


async def test_missing_scope_is_403(eng):
    kit = await _jwt_api(eng, scopes=["orders/write"])
    token = _token(eng, scope="orders/read")
    response = await kit.call("GET", "/me", headers={"Authorization": token})
    assert response.status == 403
    assert body_json(response) == {"message": "Forbidden"}


async def test_granted_scope_passes(eng):
    kit = await _jwt_api(eng, scopes=["orders/write"])
    token = _token(eng, scope="orders/read orders/write")
    assert (await kit.call("GET", "/me", headers={"Authorization": token})).status == 200


async def _lambda_api(eng, *, simple: bool = True, ttl: int = 0) -> tuple[HttpKit, list]:
    calls: list = []

    def authorizer(event, ctx):
        calls.append(event)
        allowed = event["headers"].get("x-pass") == "yes"
        if simple:
            return {"isAuthorized": allowed, "context": {"user": "ada"}}
        return {
            "principalId": "ada",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if allowed else "Deny",
                        "Resource": event["routeArn"],
                    }
                ],
            },
            "context": {"user": "ada"},
        }

    eng.register_function("authz", authorizer)
    eng.register_function(
        "hello", lambda event, ctx: event["requestContext"]["authorizer"]["lambda"]
    )
    kit = await HttpKit(eng).create()
    made = await kit.v2.create_authorizer(
        ApiId=kit.api_id,
        Name="lambda",
        AuthorizerType="REQUEST",
        AuthorizerUri=lambda_uri("authz"),
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=simple,
        IdentitySource=["$request.header.x-pass"],
        AuthorizerResultTtlInSeconds=ttl,
    )
    await kit.route(
        "GET /hi", "hello", AuthorizationType="CUSTOM", AuthorizerId=made["AuthorizerId"]
    )
    await kit.stage()
    return kit, calls


async def test_simple_response_allows_with_context(eng):
    kit, calls = await _lambda_api(eng)
    response = await kit.call("GET", "/hi", headers={"x-pass": "yes"})
    assert response.status == 200
    assert body_json(response) == {"user": "ada"}
    assert calls[0]["type"] == "REQUEST"
    assert calls[0]["identitySource"] == ["yes"]


async def test_simple_response_denies_with_403(eng):
    kit, _ = await _lambda_api(eng)
    response = await kit.call("GET", "/hi", headers={"x-pass": "no"})
    assert response.status == 403
    assert body_json(response) == {"message": "Forbidden"}


async def test_missing_identity_source_is_401_without_calling(eng):
    kit, calls = await _lambda_api(eng)
    assert (await kit.call("GET", "/hi")).status == 401
    assert calls == []


async def test_policy_response_is_evaluated(eng):
    kit, _ = await _lambda_api(eng, simple=False)
    assert (await kit.call("GET", "/hi", headers={"x-pass": "yes"})).status == 200
    assert (await kit.call("GET", "/hi", headers={"x-pass": "no"})).status == 403


async def test_lambda_answer_cached_for_ttl(eng, clock):
    kit, calls = await _lambda_api(eng, ttl=30)
    for _ in range(3):
        await kit.call("GET", "/hi", headers={"x-pass": "yes"})
    assert len(calls) == 1
    await clock.advance(31)
    await kit.call("GET", "/hi", headers={"x-pass": "yes"})
    assert len(calls) == 2


async def test_iam_route_needs_signed_request(eng):
    eng.register_function("iam", lambda event, ctx: {"statusCode": 200, "body": "in"})
    kit = await HttpKit(eng).create()
    await kit.route("GET /i", "iam", AuthorizationType="AWS_IAM")
    await kit.stage()
    assert (await kit.call("GET", "/i")).status == 403
    signed = await kit.call("GET", "/i", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert signed.status == 200
