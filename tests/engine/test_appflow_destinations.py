"""AppFlow's Event trigger (Salesforce change events) to EventBridge, the Salesforce destination
with its error handling, connector profiles in Secrets Manager, and the connector catalog."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

from .test_appflow_flows import MAP_ALL, create_flow, lake, salesforce_profile, source

pytestmark = pytest.mark.timeout(60)

PARTNER = "aws.partner/appflow/salesforce.com/123456789012/closed-deals"


def eventbridge_destination() -> list[dict]:
    return [
        {
            "connectorType": "EventBridge",
            "destinationConnectorProperties": {"EventBridge": {"object": PARTNER}},
        }
    ]


async def capture(eng: Engine, bus: str, pattern: dict) -> list[dict]:
    """Route the bus's matching events into an SQS queue; returns a list the test reads later."""
    events = eng.client("events")
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="seen"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    await events.put_rule(Name="watch", EventBusName=bus, EventPattern=json.dumps(pattern))
    await events.put_targets(Rule="watch", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return [url]


async def drain(eng: Engine, url: str) -> list[dict]:
    got = await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


async def test_event_flow_sends_salesforce_change_events_to_the_partner_bus(
    eng: Engine, clock: VirtualClock
):
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    await create_flow(
        eng,
        "closed-deals",
        {"triggerType": "Event"},
        src=source("OpportunityChangeEvent"),
        destination=eventbridge_destination(),
    )
    with pytest.raises(ServiceError) as unassociated:
        await appflow.start_flow(flowName="closed-deals")
    assert (
        unassociated.value.code == "ValidationException" and PARTNER in unassociated.value.message
    )
    await eng.client("events").create_event_bus(Name=PARTNER, EventSourceName=PARTNER)
    [url] = await capture(eng, PARTNER, {"detail": {"StageName": ["Closed Won"]}})
    assert (await appflow.start_flow(flowName="closed-deals"))["flowStatus"] == "Active"

    sf = eng.service("appflow").saas.app("salesforce")
    opportunity = next(iter(sf.table("Opportunity").records))
    sf.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    sf.update("Account", next(iter(sf.table("Account").records)), {"Phone": "555"})  # not watched
    await clock.advance(1)
    [event] = await drain(eng, url)
    assert event["source"] == PARTNER
    assert event["detail-type"] == "OpportunityChangeEvent"
    header = event["detail"]["ChangeEventHeader"]
    assert header["recordIds"] == [opportunity] and header["changeType"] == "UPDATE"
    assert "StageName" in header["changedFields"]
    runs = (await appflow.describe_flow_execution_records(flowName="closed-deals"))[
        "flowExecutions"
    ]
    assert [r["executionResult"]["recordsProcessed"] for r in runs] == [1]

    await appflow.stop_flow(flowName="closed-deals")
    sf.update("Opportunity", opportunity, {"StageName": "Closed Lost"})
    await clock.advance(1)
    assert (
        len(
            (await appflow.describe_flow_execution_records(flowName="closed-deals"))[
                "flowExecutions"
            ]
        )
        == 1
    )


async def test_end_of_run_reports_go_to_the_default_bus(eng: Engine, clock: VirtualClock):
    await lake(eng)
    await salesforce_profile(eng)
    [url] = await capture(eng, "default", {"source": ["aws.appflow"]})
    await create_flow(eng, "opps", {"triggerType": "OnDemand"})
    await eng.client("appflow").start_flow(flowName="opps")
    await clock.advance(1)
    [report] = await drain(eng, url)
    assert report["detail-type"] == "AppFlow End Flow Run Report"
    assert report["detail"]["num-of-records-processed"] == "60"
    assert report["detail"]["status"] == "Execution Successful"


def salesforce_destination(operation: str, fail_fast: bool = False, ids=None) -> list[dict]:
    props = {
        "object": "Lead",
        "writeOperationType": operation,
        "errorHandlingConfig": {
            "failOnFirstDestinationError": fail_fast,
            "bucketName": "lake",
            "bucketPrefix": "errors",
        },
    }
    if ids:
        props["idFieldNames"] = ids
    return [
        {
            "connectorType": "Salesforce",
            "connectorProfileName": "crm",
            "destinationConnectorProperties": {"Salesforce": props},
        }
    ]


async def zendesk_profile(eng: Engine) -> None:
    await eng.client("appflow").create_connector_profile(
        connectorProfileName="desk",
        connectorType="Zendesk",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"Zendesk": {"instanceUrl": "https://lab.zendesk.com"}},
            "connectorProfileCredentials": {
                "Zendesk": {"clientId": "id", "clientSecret": "s", "accessToken": "t"}
            },
        },
    )


async def test_salesforce_destination_inserts_and_puts_failures_in_the_error_bucket(
    eng: Engine, clock: VirtualClock
):
    await lake(eng)
    await salesforce_profile(eng)
    await zendesk_profile(eng)
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    zendesk = eng.service("appflow").saas.app("zendesk")
    zendesk.ensure_seeded()
    users = list(zendesk.table("users").records.values())
    nameless = zendesk.create("users", {"name": "x", "email": "odd@example.com"})
    tasks = [
        {
            "taskType": "Filter",
            "sourceFields": ["name", "email"],
            "connectorOperator": {"Zendesk": "PROJECTION"},
        },
        {"taskType": "Map", "sourceFields": ["email"], "destinationField": "Email"},
        {"taskType": "Map", "sourceFields": ["name"], "destinationField": "LastName"},
        {"taskType": "Map", "sourceFields": ["name"], "destinationField": "Company"},
        {
            "taskType": "Filter",
            "sourceFields": ["email"],
            "connectorOperator": {"Zendesk": "GREATER_THAN"},
            "taskProperties": {"VALUE": "0", "DATA_TYPE": "string"},
        },
    ]
    # The GREATER_THAN filter on text keeps everything; one record then breaks a picklist rule.
    tasks.append({"taskType": "Map", "sourceFields": ["name"], "destinationField": "Rating"})
    await eng.client("appflow").create_flow(
        flowName="desk-to-crm",
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={
            "connectorType": "Zendesk",
            "connectorProfileName": "desk",
            "sourceConnectorProperties": {"Zendesk": {"object": "users"}},
        },
        destinationFlowConfigList=salesforce_destination("INSERT"),
        tasks=tasks,
    )
    leads_before = len(sf.table("Lead").records)
    await eng.client("appflow").start_flow(flowName="desk-to-crm")
    await clock.advance(1)
    [run] = (await eng.client("appflow").describe_flow_execution_records(flowName="desk-to-crm"))[
        "flowExecutions"
    ]
    # Every user's name is not a Rating picklist value, so every insert fails …
    assert run["executionStatus"] == "Successful"
    assert run["executionResult"]["errorInfo"]["putFailuresCount"] == len(users) + 1
    assert len(sf.table("Lead").records) == leads_before
    listed = await eng.client("s3").list_objects_v2(Bucket="lake", Prefix="errors/desk-to-crm/")
    [key] = [o["Key"] for o in listed["Contents"]]
    body = (await eng.client("s3").get_object(Bucket="lake", Key=key))["Body"].read().decode()
    first = json.loads(body.splitlines()[0])
    assert "Rating" in first["error"] and first["record"]["Email"]
    assert nameless["id"]


async def test_salesforce_destination_upsert_and_fail_fast(eng: Engine, clock: VirtualClock):
    await lake(eng)
    await salesforce_profile(eng)
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    # Copy leads back onto themselves by email: an upsert updates each existing lead.
    tasks = [
        {
            "taskType": "Filter",
            "sourceFields": ["Email", "Rating"],
            "connectorOperator": {"Salesforce": "PROJECTION"},
        },
        {"taskType": "Map", "sourceFields": ["Email"], "destinationField": "Email"},
        {"taskType": "Map", "sourceFields": ["Rating"], "destinationField": "Rating"},
    ]
    await create_flow(
        eng,
        "upsert",
        {"triggerType": "OnDemand"},
        tasks=tasks,
        src=source("Lead"),
        destination=salesforce_destination("UPSERT", ids=["Email"]),
    )
    before = len(sf.table("Lead").records)
    await eng.client("appflow").start_flow(flowName="upsert")
    await clock.advance(1)
    [run] = (await eng.client("appflow").describe_flow_execution_records(flowName="upsert"))[
        "flowExecutions"
    ]
    assert (
        run["executionStatus"] == "Successful"
        and run["executionResult"]["recordsProcessed"] == before
    )
    assert len(sf.table("Lead").records) == before

    await create_flow(
        eng,
        "update",
        {"triggerType": "OnDemand"},
        tasks=tasks,
        src=source("Lead"),
        destination=salesforce_destination("UPDATE", fail_fast=True, ids=["Id"]),
    )
    await eng.client("appflow").start_flow(flowName="update")
    await clock.advance(1)
    [run] = (await eng.client("appflow").describe_flow_execution_records(flowName="update"))[
        "flowExecutions"
    ]
    assert run["executionStatus"] == "Error"  # no Id mapped: the first update fails the run
    assert run["executionResult"]["errorInfo"]["putFailuresCount"] >= 1


async def test_connector_profiles_keep_credentials_in_secrets_manager(eng: Engine):
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    [profile] = (await appflow.describe_connector_profiles())["connectorProfileDetails"]
    assert profile["connectorType"] == "Salesforce"
    secret = await eng.client("secretsmanager").get_secret_value(SecretId=profile["credentialsArn"])
    assert json.loads(secret["SecretString"]) == {"accessToken": "00Dlab!token"}
    assert profile["connectorProfileProperties"]["Salesforce"]["instanceUrl"]
    with pytest.raises(ServiceError) as dup:
        await salesforce_profile(eng)
    assert dup.value.code == "ConflictException"
    await appflow.delete_connector_profile(connectorProfileName="crm")
    with pytest.raises(ServiceError):
        await eng.client("secretsmanager").get_secret_value(SecretId=profile["credentialsArn"])


async def test_connector_catalog_and_entities_with_appflow_field_types(eng: Engine):
    appflow = eng.client("appflow")
    types = {c["connectorType"] for c in (await appflow.list_connectors())["connectors"]}
    assert {
        "Salesforce",
        "Slack",
        "Zendesk",
        "Servicenow",
        "Googleanalytics",
        "Marketo",
        "S3",
        "EventBridge",
    } <= types
    config = (await appflow.describe_connectors(connectorTypes=["Salesforce"]))[
        "connectorConfigurations"
    ]["Salesforce"]
    assert "Event" in config["supportedTriggerTypes"] and "MASK_ALL" in config["supportedOperators"]
    await salesforce_profile(eng)
    entities = (await appflow.list_connector_entities(connectorProfileName="crm"))[
        "connectorEntityMap"
    ]
    assert {e["name"] for e in entities["Objects"]} == {
        "Account",
        "Contact",
        "Opportunity",
        "Lead",
        "Case",
    }
    assert "OpportunityChangeEvent" in {e["name"] for e in entities["Events"]}
    fields = (
        await appflow.describe_connector_entity(
            connectorProfileName="crm", connectorEntityName="Opportunity"
        )
    )["connectorEntityFields"]
    by_name = {f["identifier"]: f for f in fields}
    assert by_name["Amount"]["supportedFieldTypeDetails"]["v1"]["fieldType"] == "currency"
    assert (
        "Closed Won" in by_name["StageName"]["supportedFieldTypeDetails"]["v1"]["supportedValues"]
    )
    assert by_name["LastModifiedDate"]["sourceProperties"]["isTimestampFieldForIncrementalQueries"]
    assert by_name["Id"]["isPrimaryKey"]
    for kind, entity in (
        ("Zendesk", "tickets"),
        ("Servicenow", "incident"),
        ("Slack", "messages"),
        ("Googleanalytics", "daily"),
        ("Marketo", "leads"),
    ):
        described = await appflow.describe_connector_entity(
            connectorType=kind, connectorEntityName=entity
        )
        assert described["connectorEntityFields"]
    with pytest.raises(ServiceError) as missing:
        await appflow.describe_connector_entity(
            connectorProfileName="crm", connectorEntityName="Widget"
        )
    assert missing.value.code == "ResourceNotFoundException"


async def test_flow_tags_and_update(eng: Engine, clock: VirtualClock):
    await lake(eng)
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    arn = (await create_flow(eng, "opps", {"triggerType": "OnDemand"}))["flowArn"]
    await appflow.tag_resource(resourceArn=arn, tags={"team": "sales"})
    assert (await appflow.list_tags_for_resource(resourceArn=arn))["tags"] == {"team": "sales"}
    await appflow.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert (await appflow.list_tags_for_resource(resourceArn=arn))["tags"] == {}
    await appflow.update_flow(
        flowName="opps",
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig=source("Lead"),
        destinationFlowConfigList=(await appflow.describe_flow(flowName="opps"))[
            "destinationFlowConfigList"
        ],
        tasks=MAP_ALL,
    )
    assert (await appflow.describe_flow(flowName="opps"))["sourceFlowConfig"][
        "sourceConnectorProperties"
    ]["Salesforce"]["object"] == "Lead"
    [flow] = (await appflow.list_flows())["flows"]
    assert flow["sourceConnectorType"] == "Salesforce" and flow["triggerType"] == "OnDemand"
