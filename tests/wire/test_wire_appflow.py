"""boto3's `appflow` client over the wire: a profile, an on-demand flow to S3 and its run record;
then the profile's instance URL answers Salesforce's REST API over loopback."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

pytestmark = pytest.mark.timeout(60)


async def test_boto3_runs_a_flow_and_the_instance_url_answers(lab) -> None:
    appflow = lab.client("appflow")
    s3 = lab.client("s3")
    await lab.call(s3.create_bucket, Bucket="wired-lake")
    await lab.engine.service("appflow").saas.endpoint()  # the sandboxes' listener is open
    await lab.call(
        appflow.create_connector_profile,
        connectorProfileName="crm",
        connectorType="Salesforce",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"Salesforce": {}},
            "connectorProfileCredentials": {"Salesforce": {"accessToken": "token"}},
        },
    )
    await lab.call(
        appflow.create_flow,
        flowName="wired",
        triggerConfig={"triggerType": "OnDemand"},
        sourceFlowConfig={
            "connectorType": "Salesforce",
            "connectorProfileName": "crm",
            "sourceConnectorProperties": {"Salesforce": {"object": "Account"}},
        },
        destinationFlowConfigList=[
            {
                "connectorType": "S3",
                "destinationConnectorProperties": {"S3": {"bucketName": "wired-lake"}},
            }
        ],
        tasks=[{"sourceFields": [], "taskType": "Map_all", "taskProperties": {}}],
    )
    started = await lab.call(appflow.start_flow, flowName="wired")
    for _ in range(200):
        runs = (await lab.call(appflow.describe_flow_execution_records, flowName="wired"))[
            "flowExecutions"
        ]
        if runs and runs[0]["executionStatus"] != "InProgress":
            break
        await asyncio.sleep(0.01)
    assert runs[0]["executionId"] == started["executionId"]
    assert runs[0]["executionStatus"] == "Successful"
    assert runs[0]["executionResult"]["recordsProcessed"] == 40
    assert runs[0]["startedAt"].year >= 2024

    profile = (await lab.call(appflow.describe_connector_profiles))["connectorProfileDetails"][0]
    url = profile["connectorProfileProperties"]["Salesforce"]["instanceUrl"]
    assert url.startswith("http://127.0.0.1:")

    def query() -> dict:
        request = urllib.request.Request(
            url + "/services/data/v59.0/query?q=SELECT+Id,Name+FROM+Account+LIMIT+1",
            headers={"Authorization": "Bearer token"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    answer = await lab.call(query)
    assert answer["totalSize"] == 1 and answer["records"][0]["Id"].startswith("001")
