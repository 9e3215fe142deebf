"""Export covers every node the flow map draws: schedules, delivery streams, log groups, alarms,
secrets — exported, linted and deployed into a fresh lab to the same topology."""

from __future__ import annotations

import pytest

from engine import Engine, VirtualClock
from engine.services.cloudformation.export import export_template
from engine.services.cloudformation.lint import lint_template
from engine.services.cloudformation.template import dump_yaml

pytestmark = pytest.mark.timeout(60)

ROLE_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":["scheduler.amazonaws.com","firehose.amazonaws.com"]},"Action":"sts:AssumeRole"}]}'
)


def _shape(engine: Engine) -> tuple[list, list]:
    topology = engine.topology()
    names = {n.id: (n.kind, n.name) for n in topology.nodes}
    edges = sorted(
        (e.kind, names.get(e.source, ("", ""))[1], names.get(e.target, ("", ""))[1])
        for e in topology.edges
    )
    return sorted(names.values()), edges


@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
async def test_hand_made_nodes_round_trip_through_export(eng: Engine, fmt: str, tmp_path) -> None:
    role = (
        await eng.client("iam").create_role(RoleName="mover", AssumeRolePolicyDocument=ROLE_POLICY)
    )["Role"]["Arn"]
    url = (await eng.client("sqs").create_queue(QueueName="ticks"))["QueueUrl"]
    queue_arn = (
        await eng.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    )["Attributes"]["QueueArn"]
    await eng.client("scheduler").create_schedule(
        Name="every-five",
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": queue_arn, "RoleArn": role, "Input": '{"tick": true}'},
    )
    await eng.client("s3").create_bucket(Bucket="landing")
    await eng.client("firehose").create_delivery_stream(
        DeliveryStreamName="to-landing",
        ExtendedS3DestinationConfiguration={
            "BucketARN": "arn:aws:s3:::landing",
            "RoleARN": role,
            "Prefix": "raw/",
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
        },
    )
    await eng.client("logs").create_log_group(logGroupName="/app/orders")
    await eng.client("logs").put_retention_policy(logGroupName="/app/orders", retentionInDays=7)
    await eng.client("cloudwatch").put_metric_alarm(
        AlarmName="backlog",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "ticks"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    await eng.client("secretsmanager").create_secret(Name="db-password", SecretString="s3cret")

    template = await export_template(eng, fmt, code_dir=tmp_path / "code")
    assert lint_template(template, "us-east-1").errors == []
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.settings["cloudformation.lint"] = "off"
        stack = await fresh.service("cloudformation").deploy_template(  # type: ignore[attr-defined]
            dump_yaml(template), "copy", base=tmp_path
        )
        assert stack.status == "CREATE_COMPLETE", [
            e.reason for e in stack.events if "FAILED" in e.status
        ]
        assert _shape(fresh) == _shape(eng)
        schedule = await fresh.client("scheduler").get_schedule(Name="every-five")
        assert schedule["Target"]["Input"] == '{"tick": true}'
        hose = await fresh.client("firehose").describe_delivery_stream(
            DeliveryStreamName="to-landing"
        )
        s3 = hose["DeliveryStreamDescription"]["Destinations"][0][
            "ExtendedS3DestinationDescription"
        ]
        assert s3["Prefix"] == "raw/" and s3["BucketARN"] == "arn:aws:s3:::landing"
        groups = await fresh.client("logs").describe_log_groups(logGroupNamePrefix="/app")
        assert groups["logGroups"][0]["retentionInDays"] == 7
        alarm = (await fresh.client("cloudwatch").describe_alarms(AlarmNames=["backlog"]))[
            "MetricAlarms"
        ][0]
        assert alarm["Threshold"] == 10 and alarm["Dimensions"][0]["Value"] == "ticks"
        secret = await fresh.client("secretsmanager").describe_secret(SecretId="db-password")
        assert secret["Name"] == "db-password"


async def test_brokers_and_clusters_round_trip_with_generated_passwords(eng: Engine) -> None:
    # A broker user's password cannot be read back: export gives each user a secret with a
    # generated password and the broker a dynamic reference to it.
    mq = eng.client("mq")
    common = {
        "HostInstanceType": "mq.m5.large",
        "DeploymentMode": "SINGLE_INSTANCE",
        "PubliclyAccessible": False,
        "AutoMinorVersionUpgrade": True,
    }
    await mq.create_broker(
        BrokerName="orders-rabbit",
        EngineType="RABBITMQ",
        EngineVersion="3.13",
        Users=[{"Username": "app", "Password": "correct-horse-battery"}],
        **common,
    )
    await mq.create_broker(
        BrokerName="legacy-amq",
        EngineType="ACTIVEMQ",
        EngineVersion="5.18",
        Users=[{"Username": "admin", "Password": "correct-horse-battery", "ConsoleAccess": True}],
        **common,
    )
    await eng.client("kafka").create_cluster(
        ClusterName="clicks",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=3,
        BrokerNodeGroupInfo={
            "InstanceType": "kafka.m5.large",
            "ClientSubnets": ["subnet-1", "subnet-2", "subnet-3"],
        },
    )
    await eng.clock.advance(3600)
    template = await export_template(eng, "cloudformation")
    assert lint_template(template, "us-east-1").errors == []
    assert "correct-horse-battery" not in dump_yaml(template)
    broker = template["Resources"]["LegacyAmqBroker"]
    assert broker["Properties"]["Users"][0]["Password"].startswith("{{resolve:secretsmanager:")
    assert broker["DependsOn"] == ["LegacyAmqAdminMqSecret"]
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.settings["cloudformation.lint"] = "off"
        deploy = fresh.service("cloudformation").deploy_template(  # type: ignore[attr-defined]
            dump_yaml(template), "copy"
        )
        stack = await fresh.clock.run(deploy)
        assert stack.status == "CREATE_COMPLETE", [
            e.reason for e in stack.events if "FAILED" in e.status
        ]
        # The copy has the same brokers and cluster, plus a secret per broker user.
        nodes, edges = _shape(fresh)
        assert [n for n in nodes if n[0] != "secret"] == _shape(eng)[0]
        assert ("secret", "legacy-amq-admin-mq") in nodes and edges == _shape(eng)[1]


async def test_archives_connections_destinations_and_registries_round_trip(eng: Engine) -> None:
    events = eng.client("events")
    await events.create_event_bus(Name="orders")
    bus_arn = "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    await events.create_archive(
        ArchiveName="orders-archive",
        EventSourceArn=bus_arn,
        RetentionDays=7,
        EventPattern='{"source": ["shop"]}',
    )
    connection = await events.create_connection(
        Name="crm",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k3y"}},
    )
    await events.create_api_destination(
        Name="crm-hook",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint="https://example.com/hook",
        HttpMethod="POST",
    )
    await eng.client("schemas").create_registry(RegistryName="shop-events")
    template = await export_template(eng, "cloudformation")
    assert lint_template(template, "us-east-1").errors == []
    text = dump_yaml(template)
    # The credential never leaves the lab, nor does the connection's own managed secret.
    assert "k3y" not in text and "events!connection" not in text
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.settings["cloudformation.lint"] = "off"
        deploy = fresh.service("cloudformation").deploy_template(  # type: ignore[attr-defined]
            text, "copy"
        )
        stack = await fresh.clock.run(deploy)
        assert stack.status == "CREATE_COMPLETE", [
            e.reason for e in stack.events if "FAILED" in e.status
        ]
        archive = await fresh.client("events").describe_archive(ArchiveName="orders-archive")
        assert archive["EventSourceArn"] == bus_arn and archive["RetentionDays"] == 7
        copied = await fresh.client("events").describe_connection(Name="crm")
        assert copied["AuthorizationType"] == "API_KEY"
        hook = await fresh.client("events").describe_api_destination(Name="crm-hook")
        assert hook["ConnectionArn"] == copied["ConnectionArn"]
        await fresh.client("schemas").describe_registry(RegistryName="shop-events")


async def test_usage_plans_and_api_keys_round_trip_without_key_values(eng: Engine) -> None:
    apigw = eng.client("apigateway")
    api = await apigw.create_rest_api(name="shop")
    root = (await apigw.get_resources(restApiId=api["id"]))["items"][0]["id"]
    await apigw.put_method(
        restApiId=api["id"],
        resourceId=root,
        httpMethod="GET",
        authorizationType="NONE",
        apiKeyRequired=True,
    )
    await apigw.put_integration(
        restApiId=api["id"],
        resourceId=root,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    await apigw.create_deployment(restApiId=api["id"], stageName="prod")
    key = await apigw.create_api_key(name="partner", enabled=True)
    plan = await apigw.create_usage_plan(
        name="gold",
        apiStages=[{"apiId": api["id"], "stage": "prod"}],
        throttle={"burstLimit": 10, "rateLimit": 5.0},
        quota={"limit": 1000, "period": "DAY"},
    )
    await apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    template = await export_template(eng, "cloudformation")
    assert lint_template(template, "us-east-1").errors == []
    assert "Value" not in template["Resources"]["PartnerApiKey"]["Properties"]
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.settings["cloudformation.lint"] = "off"
        deploy = fresh.service("cloudformation").deploy_template(  # type: ignore[attr-defined]
            dump_yaml(template), "copy"
        )
        stack = await fresh.clock.run(deploy)
        assert stack.status == "CREATE_COMPLETE", [
            e.reason for e in stack.events if "FAILED" in e.status
        ]
        (copied,) = (await fresh.client("apigateway").get_usage_plans())["items"]
        assert copied["name"] == "gold" and copied["apiStages"][0]["stage"] == "prod"
        assert copied["throttle"]["burstLimit"] == 10 and copied["quota"]["limit"] == 1000
        plan_keys = await fresh.client("apigateway").get_usage_plan_keys(usagePlanId=copied["id"])
        assert len(plan_keys["items"]) == 1
