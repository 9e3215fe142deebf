"""The REST API's smaller update operations (patchOperations on one object) and account settings.

A delegated object of `ApiGatewayService`: it relies on the service's lookups (`api`,
`find_method`, `find_integration`) and its pipeline (templates, authorizer cache).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .models import GatewayResponse
from .patch import apply_patch
from .responses import RESPONSE_TYPES, default_response

if TYPE_CHECKING:
    from .service import ApiGatewayService

ACCOUNT_THROTTLE = {"burstLimit": 5000, "rateLimit": 10000.0}


def _not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, status_code=404)


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def _patch_values(params: dict, prefix: str) -> list[str]:
    """The values the patch operations set under `prefix` (checked before anything changes)."""
    return [
        str(op.get("value"))
        for op in params.get("patchOperations", [])
        if op.get("path", "").startswith(prefix) and op.get("value") is not None
    ]


class UpdateOperations:
    """UpdateAuthorizer, UpdateDeployment, UpdateModel … and GetAccount/UpdateAccount."""

    def __init__(self, service: ApiGatewayService) -> None:
        self.service = service
        self._cloudwatch_role: str | None = None

    def update_authorizer(self, params: dict) -> dict:
        api = self.service.api(params["restApiId"])
        authorizer = api.authorizers.get(params["authorizerId"])
        if authorizer is None:
            raise _not_found("Invalid Authorizer identifier specified")
        for ttl in _patch_values(params, "/authorizerResultTtlInSeconds"):
            if not ttl.isdigit() or not 0 <= int(ttl) <= 3600:
                raise _bad("Invalid authorizer result TTL. Value must be between 0 and 3600")
        apply_patch(
            authorizer,
            params.get("patchOperations", []),
            {
                "/name": "name",
                "/authorizerUri": "authorizer_uri",
                "/identitySource": "identity_source",
                "/identityValidationExpression": "identity_validation_expression",
                "/authorizerResultTtlInSeconds": "result_ttl",
                "/authType": "auth_type",
            },
            lists={"/providerARNs": "provider_arns"},
        )
        self.service.pipeline.authorizers.flush(api.id)
        return authorizer.describe()

    def update_deployment(self, params: dict) -> dict:
        api = self.service.api(params["restApiId"])
        deployment = api.deployments.get(params["deploymentId"])
        if deployment is None:
            raise _not_found("Invalid Deployment identifier specified")
        apply_patch(deployment, params.get("patchOperations", []), {"/description": "description"})
        return deployment.describe()

    def update_model(self, params: dict) -> dict:
        missing = _not_found("Invalid model name specified: " + params["modelName"])
        api = self.service.api(params["restApiId"], missing)
        model = next((m for m in api.models.values() if m.name == params["modelName"]), None)
        if model is None:
            raise _not_found("Invalid model name specified: " + params["modelName"])
        from jsonschema import Draft4Validator
        from jsonschema.exceptions import SchemaError

        for schema in _patch_values(params, "/schema"):
            try:
                Draft4Validator.check_schema(json.loads(schema))
            except (ValueError, SchemaError):
                raise _bad(
                    "Invalid model specified: Validation Result: warnings : [], "
                    "errors : [Invalid model schema specified]"
                ) from None
        apply_patch(
            model,
            params.get("patchOperations", []),
            {"/schema": "schema", "/description": "description"},
            ops=frozenset({"replace"}),
        )
        return model.describe()

    def update_request_validator(self, params: dict) -> dict:
        api = self.service.api(params["restApiId"])
        validator = api.validators.get(params["requestValidatorId"])
        if validator is None:
            raise _not_found("Invalid Request Validator identifier specified")
        apply_patch(
            validator,
            params.get("patchOperations", []),
            {
                "/name": "name",
                "/validateRequestBody": "validate_body",
                "/validateRequestParameters": "validate_parameters",
            },
        )
        return validator.describe()

    def update_method_response(self, params: dict) -> dict:
        api = self.service.resource_api(params["restApiId"])
        method = self.service.find_method(api, params["resourceId"], params["httpMethod"])
        response = method.responses.get(params["statusCode"])
        if response is None:
            raise _not_found("Invalid Response status code specified")
        apply_patch(
            response,
            params.get("patchOperations", []),
            {},
            maps={
                "/responseParameters": "response_parameters",
                "/responseModels": "response_models",
            },
        )
        response.given = ()  # once patched, AWS shows the maps only while they hold something
        return response.describe()

    def update_integration_response(self, params: dict) -> dict:
        api = self.service.resource_api(params["restApiId"])
        integration = self.service.find_integration(api, params)
        response = integration.responses.get(params["statusCode"])
        if response is None:
            raise _not_found("Invalid Response status code specified")
        for template in _patch_values(params, "/responseTemplates/"):
            self.service.pipeline.templates.check(template)
        for pattern in _patch_values(params, "/selectionPattern"):
            import re

            try:
                re.compile(pattern)
            except re.error as error:
                raise _bad(f"Invalid selection pattern specified: {error}") from None
        apply_patch(
            response,
            params.get("patchOperations", []),
            {"/selectionPattern": "selection_pattern", "/contentHandling": "content_handling"},
            maps={
                "/responseParameters": "response_parameters",
                "/responseTemplates": "response_templates",
            },
        )
        return response.describe()

    def update_gateway_response(self, params: dict) -> dict:
        api = self.service.api(params["restApiId"])
        kind = params["responseType"]
        if kind not in RESPONSE_TYPES:
            raise _bad(f"Invalid response type specified: {kind}")
        for template in _patch_values(params, "/responseTemplates/"):
            self.service.pipeline.templates.check(template)
        current = api.gateway_responses.get(kind) or default_response(kind)
        response = GatewayResponse(
            kind,
            current.status_code,
            dict(current.response_parameters),
            dict(current.response_templates),
        )
        apply_patch(
            response,
            params.get("patchOperations", []),
            {"/statusCode": "status_code"},
            maps={
                "/responseParameters": "response_parameters",
                "/responseTemplates": "response_templates",
            },
        )
        api.gateway_responses[kind] = response
        return response.describe()

    def get_account(self, params: dict) -> dict:
        out: dict[str, Any] = {
            "throttleSettings": dict(ACCOUNT_THROTTLE),
            "features": ["UsagePlans"],
            "apiKeyVersion": "4",
        }
        if self._cloudwatch_role:
            out["cloudwatchRoleArn"] = self._cloudwatch_role
        return out

    def update_account(self, params: dict) -> dict:
        for operation in params.get("patchOperations", []):
            if operation.get("path") != "/cloudwatchRoleArn":
                raise _bad(f"Invalid patch path {operation.get('path')}")
        for operation in params.get("patchOperations", []):
            self._cloudwatch_role = (
                None if operation.get("op") == "remove" else operation.get("value")
            )
        return self.get_account({})

    def get_usage_plan_key(self, params: dict) -> dict:
        keys = self.service.keys
        plan = keys.plan(params["usagePlanId"])
        key_id = params["keyId"]
        if key_id not in plan.key_ids or key_id not in keys.keys:
            raise _not_found("Invalid Usage Plan Key identifier specified")
        key = keys.keys[key_id]
        return {"id": key.id, "type": "API_KEY", "value": key.value, "name": key.name}
