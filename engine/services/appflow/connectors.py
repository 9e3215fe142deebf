"""The connectors the lab's AppFlow offers (the six sandbox SaaS apps, S3 and EventBridge) and
their entities described with AppFlow's field types and filter operators."""

from __future__ import annotations

from typing import Any

from .saas.base import FieldSpec, ObjectSpec, SaasApp

#: The operators AppFlow lists for each connector (from botocore's ConnectorOperator enums).
_ALL = (
    "PROJECTION", "LESS_THAN", "GREATER_THAN", "CONTAINS", "BETWEEN", "LESS_THAN_OR_EQUAL_TO",
    "GREATER_THAN_OR_EQUAL_TO", "EQUAL_TO", "NOT_EQUAL_TO", "ADDITION", "MULTIPLICATION",
    "DIVISION", "SUBTRACTION", "MASK_ALL", "MASK_FIRST_N", "MASK_LAST_N", "VALIDATE_NON_NULL",
    "VALIDATE_NON_ZERO", "VALIDATE_NON_NEGATIVE", "VALIDATE_NUMERIC", "NO_OP",
)  # fmt: skip
_COMPARISONS = {
    "LESS_THAN", "GREATER_THAN", "BETWEEN", "LESS_THAN_OR_EQUAL_TO", "GREATER_THAN_OR_EQUAL_TO",
    "EQUAL_TO", "NOT_EQUAL_TO",
}  # fmt: skip
_TEXT_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "id", "reference"}
#: Destinations AppFlow can send each source to, in the lab.
LAB_DESTINATIONS = ["S3", "EventBridge", "Salesforce"]


def connector_operators(operator_enum: tuple[str, ...] | list[str]) -> list[str]:
    """The connector's operators in AppFlow's order."""
    return [o for o in _ALL if o in operator_enum]


def field_operators(spec: FieldSpec, allowed: list[str]) -> list[str]:
    """The filter operators AppFlow offers on one field."""
    ops = ["PROJECTION"]
    if spec.type in ("int", "double", "currency", "percent", "date", "datetime"):
        ops += sorted(_COMPARISONS)
    elif spec.type == "boolean":
        ops += ["EQUAL_TO", "NOT_EQUAL_TO"]
    elif spec.type in _TEXT_TYPES:
        ops += ["EQUAL_TO", "NOT_EQUAL_TO", "CONTAINS"]
    return [o for o in ops if o in allowed]


def describe_entity(app: SaasApp, spec: ObjectSpec, allowed: list[str]) -> list[dict[str, Any]]:
    """DescribeConnectorEntity's connectorEntityFields for one object."""
    fields = []
    for f in spec.fields:
        details: dict[str, Any] = {
            "fieldType": f.type,
            "filterOperators": field_operators(f, allowed),
        }
        if f.values:
            details["supportedValues"] = list(f.values)
        if f.type == "datetime":
            details["supportedDateFormat"] = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        write_ops = ["INSERT", "UPSERT", "UPDATE"] if f.writable else []
        fields.append(
            {
                "identifier": f.name,
                "label": f.label,
                "isPrimaryKey": f.primary,
                "isDeprecated": False,
                "supportedFieldTypeDetails": {"v1": details},
                "description": f.label,
                "sourceProperties": {
                    "isRetrievable": True,
                    "isQueryable": True,
                    "isTimestampFieldForIncrementalQueries": f.timestamp,
                },
                "destinationProperties": {
                    "isCreatable": f.writable,
                    "isNullable": f.nullable,
                    "isUpsertable": f.writable or f.primary,
                    "isUpdatable": f.writable,
                    "isDefaultedOnCreate": not f.writable,
                    "supportedWriteOperations": write_ops,
                },
            }
        )
    return fields


def configuration(app: SaasApp | None, connector_type: str, operators: list[str]) -> dict[str, Any]:
    """DescribeConnectors' ConnectorConfiguration for one connector type."""
    source = app is not None
    destination = connector_type in LAB_DESTINATIONS
    triggers = ["Scheduled", "OnDemand"] + (["Event"] if connector_type == "Salesforce" else [])
    config: dict[str, Any] = {
        "canUseAsSource": source,
        "canUseAsDestination": destination,
        "supportedDestinationConnectors": LAB_DESTINATIONS if source else [],
        "supportedSchedulingFrequencies": [
            "BYMINUTE",
            "HOURLY",
            "DAILY",
            "WEEKLY",
            "MONTHLY",
            "ONCE",
        ]
        if source
        else [],
        "isPrivateLinkEnabled": False,
        "isPrivateLinkEndpointUrlRequired": False,
        "supportedTriggerTypes": triggers if source else ["OnDemand"],
        "connectorType": connector_type,
        "connectorName": connector_type,
        "connectorOwner": "AWS",
        "connectorVersion": "1.0",
        "connectorModes": (["SOURCE"] if source else []) + (["DESTINATION"] if destination else []),
        "supportedApiVersions": ["v59.0"] if connector_type == "Salesforce" else [],
        "supportedOperators": operators,
        "supportedWriteOperations": ["INSERT", "UPSERT", "UPDATE", "DELETE"]
        if connector_type == "Salesforce"
        else [],
        "supportedDataTransferTypes": ["RECORD"] if connector_type != "S3" else ["RECORD", "FILE"],
    }
    if connector_type == "Salesforce":
        config["supportedDataTransferApis"] = [
            {"Name": "AUTOMATIC", "Type": "AUTOMATIC"},
            {"Name": "BULKV2", "Type": "BULKV2"},
            {"Name": "REST_SYNC", "Type": "REST_SYNC"},
        ]
    return config


def detail(app: SaasApp | None, connector_type: str) -> dict[str, Any]:
    """ListConnectors' ConnectorDetail for one connector type."""
    label = (
        app.label
        if app is not None
        else {"S3": "Amazon S3", "EventBridge": "Amazon EventBridge"}.get(
            connector_type, connector_type
        )
    )
    modes = (["SOURCE"] if app is not None else []) + (
        ["DESTINATION"] if connector_type in LAB_DESTINATIONS else []
    )
    return {
        "connectorDescription": f"{label} (the lab's sandbox)" if app else label,
        "connectorName": connector_type,
        "connectorOwner": "AWS",
        "connectorVersion": "1.0",
        "applicationType": label,
        "connectorType": connector_type,
        "connectorModes": modes,
        "supportedDataTransferTypes": ["RECORD"],
    }
