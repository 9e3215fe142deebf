"""Resource types of services the lab emulates that stacks could not make before: bucket policies,
log streams and filters, composite alarms, secret policies, state machine versions and aliases,
EventBridge schema registries, schemas and discoverers."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError

pytestmark = pytest.mark.timeout(60)

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
}
MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
TEMPLATE = {
    "Resources": {
        "Site": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "site"}},
        "SitePolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Site"}, "PolicyDocument": POLICY},
        },
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "app"}},
        "Stream": {
            "Type": "AWS::Logs::LogStream",
            "Properties": {"LogGroupName": {"Ref": "Logs"}, "LogStreamName": "main"},
        },
        "Errors": {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "LogGroupName": {"Ref": "Logs"},
                "FilterPattern": "ERROR",
                "MetricTransformations": [
                    {"MetricName": "Errors", "MetricNamespace": "App", "MetricValue": "1"}
                ],
            },
        },
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "errors",
                "MetricName": "Errors",
                "Namespace": "App",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            },
        },
        "Composite": {
            "Type": "AWS::CloudWatch::CompositeAlarm",
            "Properties": {"AlarmRule": {"Fn::Sub": "ALARM(${Alarm})"}},
        },
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "x"}},
        "SecretPolicy": {
            "Type": "AWS::SecretsManager::ResourcePolicy",
            "Properties": {
                "SecretId": {"Ref": "Secret"},
                "ResourcePolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                            "Action": "secretsmanager:DeleteSecret",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "Definition": MACHINE,
                "RoleArn": "arn:aws:iam::123456789012:role/sfn",
            },
        },
        "Version": {
            "Type": "AWS::StepFunctions::StateMachineVersion",
            "Properties": {"StateMachineArn": {"Ref": "Machine"}},
        },
        "Live": {
            "Type": "AWS::StepFunctions::StateMachineAlias",
            "Properties": {
                "Name": "live",
                "RoutingConfiguration": [
                    {"StateMachineVersionArn": {"Ref": "Version"}, "Weight": 100}
                ],
            },
        },
        "Registry": {
            "Type": "AWS::EventSchemas::Registry",
            "Properties": {"RegistryName": "orders"},
        },
        "Schema": {
            "Type": "AWS::EventSchemas::Schema",
            "Properties": {
                "RegistryName": {"Fn::GetAtt": ["Registry", "RegistryName"]},
                "SchemaName": "OrderPlaced",
                "Type": "JSONSchemaDraft4",
                "Content": {"type": "object", "properties": {"id": {"type": "string"}}},
            },
        },
    },
    "Outputs": {
        "Alias": {"Value": {"Ref": "Live"}},
        "SchemaVersion": {"Value": {"Fn::GetAtt": ["Schema", "SchemaVersion"]}},
        "Composite": {"Value": {"Fn::GetAtt": ["Composite", "Arn"]}},
    },
}


@pytest.fixture(autouse=True)
def _no_lint(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"


async def test_new_types_are_made_read_back_and_deleted_with_the_stack(eng: Engine) -> None:
    cfn = eng.service("cloudformation")
    stack = await cfn.deploy_template(json.dumps(TEMPLATE), "more", {})  # type: ignore[attr-defined]
    assert stack.status == "CREATE_COMPLETE", stack.status_reason
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.outputs}
    policy = await eng.client("s3").get_bucket_policy(Bucket="site")
    assert json.loads(policy["Policy"]) == POLICY
    streams = await eng.client("logs").describe_log_streams(logGroupName="app")
    assert [s["logStreamName"] for s in streams["logStreams"]] == ["main"]
    filters = await eng.client("logs").describe_metric_filters(logGroupName="app")
    assert filters["metricFilters"][0]["metricTransformations"][0]["metricName"] == "Errors"
    alarms = await eng.client("cloudwatch").describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert alarms["CompositeAlarms"][0]["AlarmRule"] == "ALARM(errors)"
    assert alarms["CompositeAlarms"][0]["AlarmArn"] == outputs["Composite"]
    secret_arn = stack.resources["Secret"].physical_id
    held = await eng.client("secretsmanager").get_resource_policy(SecretId=secret_arn)
    assert "secretsmanager:DeleteSecret" in held["ResourcePolicy"]
    alias = await eng.client("stepfunctions").describe_state_machine_alias(
        stateMachineAliasArn=outputs["Alias"]
    )
    assert alias["name"] == "live"
    assert alias["routingConfiguration"][0]["stateMachineVersionArn"].endswith(":1")
    assert outputs["SchemaVersion"] == "1"
    schema = await eng.client("schemas").describe_schema(
        RegistryName="orders", SchemaName="OrderPlaced"
    )
    assert json.loads(schema["Content"])["properties"] == {"id": {"type": "string"}}

    await eng.client("cloudformation").delete_stack(StackName="more")
    await cfn.wait(stack.stack_id)  # type: ignore[attr-defined]
    with pytest.raises(ServiceError):
        await eng.client("s3").get_bucket_policy(Bucket="site")
    with pytest.raises(ServiceError):
        await eng.client("schemas").describe_registry(RegistryName="orders")
    with pytest.raises(ServiceError):
        await eng.client("stepfunctions").describe_state_machine_alias(
            stateMachineAliasArn=outputs["Alias"]
        )
    assert (await eng.client("cloudwatch").describe_alarms())["CompositeAlarms"] == []


async def test_a_policy_for_a_missing_bucket_rolls_the_stack_back(eng: Engine) -> None:
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": "nowhere", "PolicyDocument": POLICY},
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "kept"}},
        }
    }
    cfn = eng.service("cloudformation")
    stack = await cfn.deploy_template(json.dumps(template), "bad", {})  # type: ignore[attr-defined]
    assert stack.status == "ROLLBACK_COMPLETE"
    groups = await eng.client("logs").describe_log_groups()
    assert groups["logGroups"] == []


BROKERS = {
    "Resources": {
        "Config": {
            "Type": "AWS::AmazonMQ::Configuration",
            "Properties": {
                "Name": "rabbit-settings",
                "EngineType": "RABBITMQ",
                "EngineVersion": "3.13",
                "Data": "consumer_timeout = 60000\n",
            },
        },
        "Broker": {
            "Type": "AWS::AmazonMQ::Broker",
            "Properties": {
                "BrokerName": "orders",
                "EngineType": "RABBITMQ",
                "EngineVersion": "3.13",
                "HostInstanceType": "mq.m5.large",
                "DeploymentMode": "SINGLE_INSTANCE",
                "PubliclyAccessible": False,
                "Users": [{"Username": "admin", "Password": "admin-password-1"}],
                "Configuration": {
                    "Id": {"Ref": "Config"},
                    "Revision": {"Fn::GetAtt": ["Config", "Revision"]},
                },
            },
        },
        "Kafka": {
            "Type": "AWS::MSK::Cluster",
            "Properties": {
                "ClusterName": "events",
                "KafkaVersion": "3.6.0",
                "NumberOfBrokerNodes": 3,
                "BrokerNodeGroupInfo": {
                    "InstanceType": "kafka.m5.large",
                    "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"],
                },
            },
        },
        "Serverless": {
            "Type": "AWS::MSK::ServerlessCluster",
            "Properties": {
                "ClusterName": "quick",
                "VpcConfigs": [{"SubnetIds": ["subnet-a", "subnet-b"]}],
                "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
            },
        },
    },
    "Outputs": {
        "Amqp": {"Value": {"Fn::Select": [0, {"Fn::GetAtt": ["Broker", "AmqpEndpoints"]}]}},
        "Cluster": {"Value": {"Ref": "Kafka"}},
    },
}


async def test_brokers_and_clusters_are_made_once_they_run(eng: Engine) -> None:
    cfn = eng.service("cloudformation")
    stack = await eng.clock.run(
        cfn.deploy_template(json.dumps(BROKERS), "messaging", {})  # type: ignore[attr-defined]
    )
    assert stack.status == "CREATE_COMPLETE", stack.status_reason
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.outputs}
    broker = await eng.client("mq").describe_broker(BrokerId=stack.resources["Broker"].physical_id)
    assert broker["BrokerState"] == "RUNNING"
    assert outputs["Amqp"] in broker["BrokerInstances"][0]["Endpoints"]
    assert broker["Configurations"]["Current"]["Revision"] == 2
    kafka = eng.client("kafka")
    cluster = (await kafka.describe_cluster_v2(ClusterArn=outputs["Cluster"]))["ClusterInfo"]
    assert (cluster["ClusterName"], cluster["State"]) == ("events", "ACTIVE")
    kinds = {n.kind for n in eng.topology().nodes if n.stack == "messaging"}
    assert len(kinds) >= 2  # the broker and the clusters are on the flow map, in their stack

    await eng.client("cloudformation").delete_stack(StackName="messaging")
    await eng.clock.run(cfn.wait(stack.stack_id))  # type: ignore[attr-defined]
    assert stack.status == "DELETE_COMPLETE"
    assert (await eng.client("mq").list_brokers())["BrokerSummaries"] == []
    assert (await kafka.list_clusters_v2())["ClusterInfoList"] == []
