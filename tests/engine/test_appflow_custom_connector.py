"""A custom connector: a Lambda speaking the AppFlow Custom Connector SDK contract, registered,
given a profile, listed and described, read by a flow (incremental on its timestamp field) and
written to as a destination."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

from .test_appflow_flows import create_flow, lake, objects, read_lines, salesforce_profile, source

pytestmark = pytest.mark.timeout(60)


class Inventory:
    """A tiny inventory system behind a connector Lambda (what a learner would deploy)."""

    def __init__(self) -> None:
        self.items = [
            {"sku": f"SKU-{i}", "stock": i * 10, "updated": f"2025-12-0{i}T00:00:00.000Z"}
            for i in range(1, 6)
        ]
        self.written: list[dict] = []
        self.requests: list[str] = []

    def handler(self, event: dict, context: object) -> dict:
        kind = event["type"]
        self.requests.append(kind)
        if kind == "DescribeConnectorConfigurationRequest":
            return {
                "isSuccess": True,
                "connectorOwner": "Lab",
                "connectorName": "Inventory",
                "connectorVersion": "1.0",
                "connectorModes": ["SOURCE", "DESTINATION"],
                "supportedApiVersions": ["v1"],
                "authenticationConfig": {"isCustomAuthSupported": True},
                "operatorsSupported": ["PROJECTION", "GREATER_THAN", "NO_OP"],
                "supportedWriteOperations": ["INSERT"],
                "supportedTriggerTypes": ["OnDemand", "Scheduled"],
            }
        if kind == "ValidateCredentialsRequest":
            ok = event["credentials"]["authenticationType"] == "CUSTOM"
            return {
                "isSuccess": ok,
                "errorDetails": None
                if ok
                else {"errorCode": "InvalidCredentials", "errorMessage": "bad key"},
            }
        context_ = event.get("connectorContext", {})
        assert context_.get("apiVersion") == "v1" and context_["credentials"]["secretArn"]
        if kind == "ListEntitiesRequest":
            return {
                "isSuccess": True,
                "entities": [
                    {"entityIdentifier": "items", "hasNestedEntities": False, "label": "Items"}
                ],
            }
        if kind == "DescribeEntityRequest":
            return {
                "isSuccess": True,
                "entityDefinition": {
                    "entity": {"entityIdentifier": "items", "hasNestedEntities": False},
                    "fields": [
                        {"fieldName": "sku", "dataType": "String", "isPrimaryKey": True},
                        {"fieldName": "stock", "dataType": "Integer"},
                        {
                            "fieldName": "updated",
                            "dataType": "DateTime",
                            "readProperties": {"isTimestampFieldForIncrementalQueries": True},
                        },
                    ],
                },
            }
        if kind == "QueryDataRequest":
            rows = self.items
            expression = event.get("filterExpression")
            if expression:
                since = expression.split(" > ")[1]
                rows = [r for r in rows if r["updated"] > since]
            start = int(event.get("nextToken") or 0)
            page = rows[start : start + 2]  # two per page: AppFlow must follow nextToken
            more = start + 2 < len(rows)
            return {
                "isSuccess": True,
                "records": [json.dumps(r) for r in page],
                "nextToken": str(start + 2) if more else None,
            }
        if kind == "WriteDataRequest":
            results = []
            for text in event["records"]:
                record = json.loads(text)
                ok = bool(record.get("Name"))
                if ok:
                    self.written.append(record)
                results.append(
                    {
                        "isSuccess": ok,
                        "recordId": record.get("Name"),
                        "errorMessage": None if ok else "Name is required",
                    }
                )
            failed = not all(r["isSuccess"] for r in results)
            return {
                "isSuccess": not failed,
                "errorDetails": {"errorCode": "PartialWriteFailure", "errorMessage": "some failed"}
                if failed
                else None,
                "writeRecordResults": results,
            }
        raise ValueError(kind)


async def register(eng: Engine) -> Inventory:
    inventory = Inventory()
    arn = eng.register_function("inventory-connector", inventory.handler)
    appflow = eng.client("appflow")
    registered = await appflow.register_connector(
        connectorLabel="inventory",
        connectorProvisioningType="LAMBDA",
        connectorProvisioningConfig={"lambda": {"lambdaArn": arn}},
    )
    assert registered["connectorArn"].endswith(":connector/inventory")
    await appflow.create_connector_profile(
        connectorProfileName="stock",
        connectorType="CustomConnector",
        connectorLabel="inventory",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {
                "CustomConnector": {"profileProperties": {"warehouse": "north"}}
            },
            "connectorProfileCredentials": {
                "CustomConnector": {
                    "authenticationType": "CUSTOM",
                    "custom": {"customAuthenticationType": "key", "credentialsMap": {"key": "k"}},
                }
            },
        },
    )
    return inventory


def custom_source(**extra) -> dict:
    return {
        "connectorType": "CustomConnector",
        "connectorProfileName": "stock",
        "sourceConnectorProperties": {"CustomConnector": {"entityName": "items"}},
        **extra,
    }


async def test_register_describe_and_list_entities(eng: Engine):
    inventory = await register(eng)
    appflow = eng.client("appflow")
    config = (
        await appflow.describe_connector(
            connectorType="CustomConnector", connectorLabel="inventory"
        )
    )["connectorConfiguration"]
    assert config["connectorModes"] == ["SOURCE", "DESTINATION"] and config["canUseAsSource"]
    listed = (await appflow.list_connectors())["connectors"]
    assert any(c.get("connectorLabel") == "inventory" for c in listed)
    entities = await appflow.list_connector_entities(connectorProfileName="stock")
    assert entities["connectorEntityMap"]["Objects"][0]["name"] == "items"
    fields = (
        await appflow.describe_connector_entity(
            connectorProfileName="stock", connectorEntityName="items"
        )
    )["connectorEntityFields"]
    types = {f["identifier"]: f["supportedFieldTypeDetails"]["v1"]["fieldType"] for f in fields}
    assert types == {"sku": "string", "stock": "integer", "updated": "datetime"}
    assert inventory.requests[:2] == [
        "DescribeConnectorConfigurationRequest",
        "ValidateCredentialsRequest",
    ]
    with pytest.raises(ServiceError) as in_use:
        await appflow.unregister_connector(connectorLabel="inventory")
    assert in_use.value.code == "ConflictException"
    await appflow.delete_connector_profile(connectorProfileName="stock")
    await appflow.unregister_connector(connectorLabel="inventory")
    with pytest.raises(ServiceError) as gone:
        await appflow.describe_connector(
            connectorType="CustomConnector", connectorLabel="inventory"
        )
    assert gone.value.code == "ResourceNotFoundException"


async def test_refused_credentials_leave_no_profile(eng: Engine):
    inventory = Inventory()
    arn = eng.register_function("inventory-connector", inventory.handler)
    appflow = eng.client("appflow")
    await appflow.register_connector(
        connectorLabel="inventory",
        connectorProvisioningType="LAMBDA",
        connectorProvisioningConfig={"lambda": {"lambdaArn": arn}},
    )
    with pytest.raises(ServiceError) as refused:
        await appflow.create_connector_profile(
            connectorProfileName="stock",
            connectorType="CustomConnector",
            connectorLabel="inventory",
            connectionMode="Public",
            connectorProfileConfig={
                "connectorProfileProperties": {"CustomConnector": {}},
                "connectorProfileCredentials": {
                    "CustomConnector": {"authenticationType": "APIKEY", "apiKey": {"apiKey": "x"}}
                },
            },
        )
    assert refused.value.code == "ConnectorAuthenticationException"
    assert (await appflow.describe_connector_profiles())["connectorProfileDetails"] == []
    assert (await eng.client("secretsmanager").list_secrets())["SecretList"] == []


async def test_flow_reads_every_page_then_only_what_changed(eng: Engine, clock: VirtualClock):
    inventory = await register(eng)
    await lake(eng)
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {"scheduleExpression": "rate(1hours)", "dataPullMode": "Incremental"}
        },
    }
    await create_flow(
        eng,
        "stock-sync",
        trigger,
        tasks=[
            {
                "taskType": "Map_all",
                "sourceFields": [],
                "connectorOperator": {"CustomConnector": "NO_OP"},
            }
        ],
        src=custom_source(incrementalPullConfig={"datetimeTypeFieldName": "updated"}),
    )
    await eng.client("appflow").start_flow(flowName="stock-sync")
    await clock.advance(3600)
    runs = (await eng.client("appflow").describe_flow_execution_records(flowName="stock-sync"))[
        "flowExecutions"
    ]
    assert runs[0]["executionResult"]["recordsProcessed"] == 5  # three pages of two
    lines = await read_lines(eng, (await objects(eng, "crm/stock-sync/"))[0])
    assert [r["sku"] for r in lines] == [f"SKU-{i}" for i in range(1, 6)]
    inventory.items[1]["updated"] = "2099-01-01T00:00:00.000Z"
    await clock.advance(3600)
    runs = (await eng.client("appflow").describe_flow_execution_records(flowName="stock-sync"))[
        "flowExecutions"
    ]
    assert runs[0]["executionResult"]["recordsProcessed"] == 1
    queries = [r for r in inventory.requests if r == "QueryDataRequest"]
    assert len(queries) == 4


async def test_custom_connector_as_a_destination_with_failed_records(
    eng: Engine, clock: VirtualClock
):
    inventory = await register(eng)
    await lake(eng)
    await salesforce_profile(eng)
    tasks = [
        {
            "taskType": "Filter",
            "sourceFields": ["Name", "Industry"],
            "connectorOperator": {"Salesforce": "PROJECTION"},
        },
        {"taskType": "Map", "sourceFields": ["Name"], "destinationField": "Name"},
        {"taskType": "Map", "sourceFields": ["Industry"], "destinationField": "Industry"},
    ]
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    account = next(iter(sf.table("Account").records))
    sf.table("Account").records[account]["Name"] = ""  # one record the connector refuses
    await create_flow(
        eng,
        "accounts-out",
        {"triggerType": "OnDemand"},
        tasks=tasks,
        src=source("Account"),
        destination=[
            {
                "connectorType": "CustomConnector",
                "connectorProfileName": "stock",
                "destinationConnectorProperties": {
                    "CustomConnector": {
                        "entityName": "items",
                        "writeOperationType": "INSERT",
                        "errorHandlingConfig": {"bucketName": "lake", "bucketPrefix": "failed"},
                    }
                },
            }
        ],
    )
    await eng.client("appflow").start_flow(flowName="accounts-out")
    await clock.advance(1)
    [run] = (await eng.client("appflow").describe_flow_execution_records(flowName="accounts-out"))[
        "flowExecutions"
    ]
    assert run["executionStatus"] == "Successful"
    assert run["executionResult"]["errorInfo"]["putFailuresCount"] == 1
    assert len(inventory.written) == 39
    assert await objects(eng, "failed/accounts-out/")
