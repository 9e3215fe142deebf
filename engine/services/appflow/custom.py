"""Custom connectors: a Lambda function that speaks the AppFlow Custom Connector SDK contract.

AppFlow invokes the function with one request per call — `{"type":
"DescribeConnectorConfigurationRequest"}`, `ValidateCredentialsRequest`, `ListEntitiesRequest`,
`DescribeEntityRequest`, `QueryDataRequest` (paged with `nextToken`) and `WriteDataRequest` — each
carrying a `connectorContext` (API version, the profile's runtime settings and its credentials'
secret ARN); the function answers with `isSuccess`, `errorDetails` and the payload (records as
JSON strings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import FunctionError, ServiceError
from ...service import Envelope

if TYPE_CHECKING:
    from .models import Profile
    from .service import AppFlowService

#: Records asked for per QueryData page, and pages read per run at most.
PAGE = 1000
MAX_PAGES = 10_000
#: The SDK's field data types → AppFlow's field types.
_FIELD_TYPES = {
    "String": "string",
    "Integer": "integer",
    "Float": "float",
    "Double": "double",
    "Long": "long",
    "Short": "short",
    "BigInteger": "biginteger",
    "BigDecimal": "bigdecimal",
    "Boolean": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "ByteArray": "bytearray",
    "Struct": "struct",
    "Map": "map",
    "List": "list",
}


@dataclass(slots=True)
class Registration:
    """A registered custom connector and what its Lambda said about itself."""

    label: str
    arn: str
    lambda_arn: str
    description: str
    config: dict[str, Any]
    registered: float
    profiles: set[str] = field(default_factory=set)


class CustomConnectors:
    """The custom connectors of one AppFlow service and the calls into their Lambdas."""

    def __init__(self, service: AppFlowService) -> None:
        self.service = service
        self.registered: dict[str, Registration] = {}

    def get(self, label: str | None) -> Registration:
        """The registration called `label` (ResourceNotFoundException otherwise)."""
        registration = self.registered.get(label or "")
        if registration is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Connector {label} is not registered",
                status_code=404,
            )
        return registration

    async def invoke(
        self, lambda_arn: str, request: dict[str, Any], *, partial: bool = False
    ) -> dict[str, Any]:
        """One SDK request to the connector's Lambda; ConnectorServerException when it fails.

        With `partial`, a PartialWriteFailure answer is returned (its per-record results count).
        """
        try:
            response = await self.service.engine.fabric.deliver(
                lambda_arn, Envelope(body=request, options={"invocation_type": "RequestResponse"})
            )
        except FunctionError as error:
            raise ServiceError(
                "ConnectorServerException",
                f"The connector's Lambda failed on {request['type']}: {error}",
            ) from None
        if isinstance(response, str):
            try:
                response = json.loads(response)
            except ValueError:
                response = None
        if not isinstance(response, dict):
            raise ServiceError(
                "ConnectorServerException",
                f"The connector's Lambda answered {request['type']} with no JSON object",
            )
        if response.get("isSuccess") is False:
            details = response.get("errorDetails") or {}
            code = details.get("errorCode", "UnknownError")
            if partial and code == "PartialWriteFailure":
                return response
            kind = (
                "ConnectorAuthenticationException"
                if code in ("InvalidCredentials", "AccessDenied")
                else "ConnectorServerException"
            )
            raise ServiceError(kind, f"{code}: {details.get('errorMessage', '')}".strip(": "))
        return response

    # -- registration -------------------------------------------------------------------------
    async def register(self, params: dict) -> dict:
        label = params.get("connectorLabel")
        if not label:
            raise ServiceError("ValidationException", "connectorLabel is required")
        if label in self.registered:
            raise ServiceError(
                "ConflictException", f"Connector {label} is already registered", status_code=409
            )
        lambda_arn = self._lambda_arn(params)
        config = await self.invoke(lambda_arn, {"type": "DescribeConnectorConfigurationRequest"})
        registration = Registration(
            label,
            self.service.arn(f"connector/{label}"),
            lambda_arn,
            params.get("description", ""),
            config,
            self.service.clock.now(),
        )
        self.registered[label] = registration
        self.service.emit("registered", registration.arn, function=lambda_arn)
        return {"connectorArn": registration.arn}

    async def update(self, params: dict) -> dict:
        registration = self.get(params["connectorLabel"])
        lambda_arn = (
            self._lambda_arn(params)
            if params.get("connectorProvisioningConfig")
            else registration.lambda_arn
        )
        config = await self.invoke(lambda_arn, {"type": "DescribeConnectorConfigurationRequest"})
        registration.lambda_arn, registration.config = lambda_arn, config
        if "description" in params:
            registration.description = params["description"]
        return {"connectorArn": registration.arn}

    def unregister(self, params: dict) -> dict:
        registration = self.get(params["connectorLabel"])
        if registration.profiles and not params.get("forceDelete"):
            raise ServiceError(
                "ConflictException",
                f"Connector {registration.label} is in use by connector profile(s) "
                f"{', '.join(sorted(registration.profiles))}",
                status_code=409,
            )
        del self.registered[registration.label]
        self.service.emit("unregistered", registration.arn)
        return {}

    def _lambda_arn(self, params: dict) -> str:
        if params.get("connectorProvisioningType", "LAMBDA") != "LAMBDA":
            raise ServiceError("ValidationException", "connectorProvisioningType must be LAMBDA")
        arn = ((params.get("connectorProvisioningConfig") or {}).get("lambda") or {}).get(
            "lambdaArn"
        )
        if not arn:
            raise ServiceError(
                "ValidationException", "connectorProvisioningConfig.lambda.lambdaArn is required"
            )
        return arn

    # -- views ----------------------------------------------------------------------------------
    def configuration(self, registration: Registration) -> dict[str, Any]:
        """DescribeConnector's ConnectorConfiguration for a custom connector."""
        config = registration.config
        modes = list(config.get("connectorModes") or [])
        return {
            "canUseAsSource": "SOURCE" in modes,
            "canUseAsDestination": "DESTINATION" in modes,
            "supportedDestinationConnectors": ["S3", "EventBridge", "Salesforce"],
            "supportedTriggerTypes": [
                t
                for t in (config.get("supportedTriggerTypes") or ["OnDemand", "Scheduled"])
                if t in ("OnDemand", "Scheduled")
            ],
            "supportedSchedulingFrequencies": list(config.get("triggerFrequenciesSupported") or []),
            "isPrivateLinkEnabled": False,
            "isPrivateLinkEndpointUrlRequired": False,
            "connectorType": "CustomConnector",
            "connectorLabel": registration.label,
            "connectorDescription": registration.description,
            "connectorOwner": config.get("connectorOwner", ""),
            "connectorName": config.get("connectorName", registration.label),
            "connectorVersion": config.get("connectorVersion", ""),
            "connectorArn": registration.arn,
            "connectorModes": modes,
            "supportedApiVersions": list(config.get("supportedApiVersions") or []),
            "supportedOperators": list(config.get("operatorsSupported") or []),
            "supportedWriteOperations": list(config.get("supportedWriteOperations") or []),
            "connectorProvisioningType": "LAMBDA",
            "connectorProvisioningConfig": {"lambda": {"lambdaArn": registration.lambda_arn}},
            "registeredAt": datetime.fromtimestamp(registration.registered, UTC),
            "registeredBy": f"arn:aws:iam::{self.service.account_id}:root",
        }

    def detail(self, registration: Registration) -> dict[str, Any]:
        """ListConnectors' ConnectorDetail for a custom connector."""
        config = registration.config
        return {
            "connectorDescription": registration.description,
            "connectorName": config.get("connectorName", registration.label),
            "connectorOwner": config.get("connectorOwner", ""),
            "connectorVersion": config.get("connectorVersion", ""),
            "applicationType": config.get("connectorName", registration.label),
            "connectorType": "CustomConnector",
            "connectorLabel": registration.label,
            "registeredAt": datetime.fromtimestamp(registration.registered, UTC),
            "registeredBy": f"arn:aws:iam::{self.service.account_id}:root",
            "connectorProvisioningType": "LAMBDA",
            "connectorModes": list(config.get("connectorModes") or []),
            "supportedDataTransferTypes": ["RECORD"],
        }

    # -- calls with a profile's context ----------------------------------------------------------
    def context(self, profile: Profile) -> dict[str, Any]:
        """The connectorContext AppFlow sends with a profile's requests."""
        registration = self.get(profile.label)
        versions = registration.config.get("supportedApiVersions") or ["v1"]
        return {
            "apiVersion": versions[0],
            "connectorRuntimeSettings": dict(profile.properties.get("profileProperties") or {}),
            "credentials": {
                "secretArn": profile.credentials_arn,
                "authenticationType": profile.auth_type or "CUSTOM",
            },
        }

    async def validate_credentials(self, registration: Registration, profile: Profile) -> None:
        """ValidateCredentials with the new profile (ConnectorAuthenticationException if refused)."""
        context = self.context(profile)
        await self.invoke(
            registration.lambda_arn,
            {
                "type": "ValidateCredentialsRequest",
                "credentials": context["credentials"],
                "connectorRuntimeSettings": context["connectorRuntimeSettings"],
            },
        )

    async def list_entities(self, profile: Profile) -> list[dict[str, Any]]:
        registration = self.get(profile.label)
        answer = await self.invoke(
            registration.lambda_arn,
            {
                "type": "ListEntitiesRequest",
                "connectorContext": self.context(profile),
                "maxResult": PAGE,
            },
        )
        return [
            {
                "name": e.get("entityIdentifier", ""),
                "label": e.get("label") or e.get("entityIdentifier", ""),
                "hasNestedEntities": bool(e.get("hasNestedEntities")),
            }
            for e in answer.get("entities") or []
        ]

    async def describe_entity(self, profile: Profile, entity: str) -> list[dict[str, Any]]:
        registration = self.get(profile.label)
        answer = await self.invoke(
            registration.lambda_arn,
            {
                "type": "DescribeEntityRequest",
                "entityIdentifier": entity,
                "connectorContext": self.context(profile),
            },
        )
        fields = []
        for f in (answer.get("entityDefinition") or {}).get("fields") or []:
            read = f.get("readProperties") or {}
            write = f.get("writeProperties") or {}
            fields.append(
                {
                    "identifier": f.get("fieldName", ""),
                    "label": f.get("label") or f.get("fieldName", ""),
                    "isPrimaryKey": bool(f.get("isPrimaryKey")),
                    "isDeprecated": bool(f.get("isDeprecated")),
                    "supportedFieldTypeDetails": {
                        "v1": {
                            "fieldType": _FIELD_TYPES.get(f.get("dataType", ""), "string"),
                            "filterOperators": list(f.get("filterOperators") or []),
                        }
                    },
                    "sourceProperties": {
                        "isRetrievable": bool(read.get("isRetrievable", True)),
                        "isQueryable": bool(read.get("isQueryable", True)),
                        "isTimestampFieldForIncrementalQueries": bool(
                            read.get("isTimestampFieldForIncrementalQueries")
                        ),
                    },
                    "destinationProperties": {
                        "isCreatable": bool(write.get("isCreatable")),
                        "isNullable": bool(write.get("isNullable", True)),
                        "isUpsertable": bool(write.get("isUpsertable")),
                        "isUpdatable": bool(write.get("isUpdatable")),
                        "isDefaultedOnCreate": bool(write.get("isDefaultedOnCreate")),
                        "supportedWriteOperations": list(
                            write.get("supportedWriteOperations") or []
                        ),
                    },
                }
            )
        return fields

    async def query(
        self, profile: Profile, entity: str, fields: list[str] | None, filter_expression: str | None
    ) -> list[dict[str, Any]]:
        """Every record QueryData returns, page after page."""
        registration = self.get(profile.label)
        records: list[dict[str, Any]] = []
        token = None
        for _ in range(MAX_PAGES):
            request: dict[str, Any] = {
                "type": "QueryDataRequest",
                "entityIdentifier": entity,
                "connectorContext": self.context(profile),
                "maxResults": PAGE,
            }
            if fields:
                request["selectedFieldNames"] = fields
            if filter_expression:
                request["filterExpression"] = filter_expression
            if token:
                request["nextToken"] = token
            answer = await self.invoke(registration.lambda_arn, request)
            for text in answer.get("records") or []:
                try:
                    record = json.loads(text) if isinstance(text, str) else text
                except ValueError:
                    raise ServiceError(
                        "ConnectorServerException",
                        f"QueryData returned a record that is not JSON: {text[:80]}",
                    ) from None
                if isinstance(record, dict):
                    records.append(record)
            token = answer.get("nextToken")
            if not token:
                break
        return records

    async def write(
        self,
        profile: Profile,
        entity: str,
        operation: str,
        id_fields: list[str],
        records: list[dict[str, Any]],
    ) -> list[tuple[dict[str, Any], str | None]]:
        """WriteData: each record with its error (None when written)."""
        registration = self.get(profile.label)
        request = {
            "type": "WriteDataRequest",
            "entityIdentifier": entity,
            "connectorContext": self.context(profile),
            "operation": operation,
            "idFieldNames": id_fields,
            "records": [json.dumps(r, default=str) for r in records],
        }
        answer = await self.invoke(registration.lambda_arn, request, partial=True)
        results = answer.get("writeRecordResults") or []
        outcome = []
        for i, record in enumerate(records):
            result = results[i] if i < len(results) else {"errorMessage": "no write result"}
            ok = bool(result.get("isSuccess"))
            outcome.append((record, None if ok else str(result.get("errorMessage") or "failed")))
        return outcome
