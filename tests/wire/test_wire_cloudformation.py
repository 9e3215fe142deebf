"""CloudFormation over the wire: `aws cloudformation deploy` (change sets and waiters), boto3,
a template uploaded to the lab's S3 (TemplateURL), and a CDK-synthesized template."""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest

from tests.wire.test_wire_awscli import _env

pytestmark = pytest.mark.timeout(60)
AWS = shutil.which("aws")

TEMPLATE = """
Parameters:
  Name: {Type: String, Default: wire-orders}
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Ref Name}
  Topic:
    Type: AWS::SNS::Topic
  Sub:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: !GetAtt Orders.Arn}
Outputs:
  Url: {Value: !Ref Orders}
"""


@pytest.fixture(autouse=True)
def _no_lint(lab) -> None:
    lab.engine.settings["cloudformation.lint"] = "off"


async def _aws(lab, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        AWS,
        "--endpoint-url",
        lab.url,
        *args,
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


@pytest.mark.skipif(AWS is None, reason="the awscli package is not installed")
async def test_aws_cloudformation_deploy_creates_then_updates(lab, tmp_path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    rc, out, err = await _aws(
        lab, "cloudformation", "deploy", "--template-file", str(path), "--stack-name", "wire"
    )
    assert rc == 0, err
    assert "Successfully created/updated stack - wire" in out
    sqs = lab.client("sqs")
    assert (await lab.call(sqs.get_queue_url, QueueName="wire-orders"))["QueueUrl"]
    rc, out, err = await _aws(
        lab,
        "cloudformation",
        "deploy",
        "--template-file",
        str(path),
        "--stack-name",
        "wire",
        "--parameter-overrides",
        "Name=wire-renamed",
    )
    assert rc == 0, err
    urls = (await lab.call(sqs.list_queues))["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["wire-renamed"]
    rc, out, err = await _aws(
        lab,
        "cloudformation",
        "deploy",
        "--template-file",
        str(path),
        "--stack-name",
        "wire",
        "--parameter-overrides",
        "Name=wire-renamed",
    )
    # The CLI's --fail-on-empty-changeset (the default) exits 255 after saying so, as on AWS.
    assert rc == 255 and "No changes to deploy. Stack wire is up to date" in out + err
    cfn = lab.client("cloudformation")
    stack = (await lab.call(cfn.describe_stacks, StackName="wire"))["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"].endswith("/wire-renamed")


async def test_boto3_template_url_from_the_labs_s3_and_errors(lab) -> None:
    s3, cfn = lab.client("s3"), lab.client("cloudformation")
    await lab.call(s3.create_bucket, Bucket="templates")
    await lab.call(s3.put_object, Bucket="templates", Key="t.yaml", Body=TEMPLATE.encode())
    url = f"{lab.url}/templates/t.yaml"
    stack_id = (await lab.call(cfn.create_stack, StackName="from-s3", TemplateURL=url))["StackId"]
    waiter = cfn.get_waiter("stack_create_complete")
    await lab.call(waiter.wait, StackName=stack_id, WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    resources = (await lab.call(cfn.list_stack_resources, StackName="from-s3"))[
        "StackResourceSummaries"
    ]
    assert sorted(r["LogicalResourceId"] for r in resources) == ["Orders", "Sub", "Topic"]
    with pytest.raises(cfn.exceptions.AlreadyExistsException):
        await lab.call(cfn.create_stack, StackName="from-s3", TemplateURL=url)
    with pytest.raises(cfn.exceptions.ClientError) as error:
        await lab.call(cfn.describe_stacks, StackName="nope")
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert error.value.response["Error"]["Message"] == "Stack with id nope does not exist"


CDK_TEMPLATE = {
    "Resources": {
        "OrdersQueue1A2B3C4D": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"VisibilityTimeout": 300},
            "UpdateReplacePolicy": "Delete",
            "DeletionPolicy": "Delete",
            "Metadata": {"aws:cdk:path": "Shop/Orders/Resource"},
        },
        "CDKMetadata": {
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/zPSMzQ"},
            "Metadata": {"aws:cdk:path": "Shop/CDKMetadata/Default"},
            "Condition": "CDKMetadataAvailable",
        },
    },
    "Conditions": {
        "CDKMetadataAvailable": {
            "Fn::Or": [
                {
                    "Fn::Or": [
                        {"Fn::Equals": [{"Ref": "AWS::Region"}, "af-south-1"]},
                        {"Fn::Equals": [{"Ref": "AWS::Region"}, "ap-east-1"]},
                    ]
                },
                {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            ]
        }
    },
    "Outputs": {"QueueUrl": {"Value": {"Ref": "OrdersQueue1A2B3C4D"}}},
    "Parameters": {
        "BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
            "Description": "Version of the CDK Bootstrap resources in this environment, automatically retrieved from SSM Parameter Store. [cdk:skip]",
        }
    },
    "Rules": {
        "CheckBootstrapVersion": {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {
                                "Fn::Contains": [
                                    ["1", "2", "3", "4", "5"],
                                    {"Ref": "BootstrapVersion"},
                                ]
                            }
                        ]
                    },
                    "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.",
                }
            ]
        }
    },
}


async def test_cdk_synthesized_template(lab) -> None:
    cfn = lab.client("cloudformation")
    body = json.dumps(CDK_TEMPLATE)
    await lab.call(cfn.create_stack, StackName="Shop", TemplateBody=body)
    waiter = cfn.get_waiter("stack_create_complete")
    await lab.call(waiter.wait, StackName="Shop", WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    resources = (await lab.call(cfn.list_stack_resources, StackName="Shop"))[
        "StackResourceSummaries"
    ]
    assert sorted(r["ResourceType"] for r in resources) == ["AWS::CDK::Metadata", "AWS::SQS::Queue"]
    detail = (
        await lab.call(
            cfn.describe_stack_resource, StackName="Shop", LogicalResourceId="OrdersQueue1A2B3C4D"
        )
    )["StackResourceDetail"]
    assert json.loads(detail["Metadata"]) == {"aws:cdk:path": "Shop/Orders/Resource"}
    assert os.path.basename(detail["PhysicalResourceId"]).startswith("Shop-OrdersQueue1A2B3C4D-")
