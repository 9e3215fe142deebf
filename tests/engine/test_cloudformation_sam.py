"""SAM through AWS's translator, local code folders, and export → deploy round trips."""

from __future__ import annotations

import json

import pytest

from engine import Engine, VirtualClock
from engine.services.cloudformation.export import export_template
from engine.services.cloudformation.lint import lint_template
from engine.services.cloudformation.template import dump_yaml

pytestmark = pytest.mark.timeout(60)

SAM = r"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::Serverless::SimpleTable
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"records": len(event.get("Records", []))})}
      Policies:
        - SQSPollerPolicy: {QueueName: !GetAtt Orders.QueueName}
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
      Events:
        Queue: {Type: SQS, Properties: {Queue: !GetAtt Orders.Arn, BatchSize: 5}}
        Hello: {Type: HttpApi, Properties: {Path: /hello, Method: get}}
        Items: {Type: Api, Properties: {Path: /items, Method: get}}
        Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes)}}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Work
        States:
          Work: {Type: Task, Resource: "${WorkerArn}", End: true}
      DefinitionSubstitutions: {WorkerArn: !GetAtt Worker.Arn}
      Policies: [{LambdaInvokePolicy: {FunctionName: !Ref Worker}}]
"""


async def test_sam_template_means_what_it_means_on_aws(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"
    stack = await eng.service("cloudformation").deploy_template(SAM, "sam")
    assert stack.status == "CREATE_COMPLETE", [
        e.reason for e in stack.events if "FAILED" in e.status
    ]
    types = {r.logical_id: r.type for r in stack.resources.values()}
    assert types["Worker"] == "AWS::Lambda::Function"
    assert types["WorkerRole"] == "AWS::IAM::Role"
    assert types["WorkerQueue"] == "AWS::Lambda::EventSourceMapping"
    assert types["ServerlessHttpApi"] == "AWS::ApiGatewayV2::Api"
    assert types["ServerlessRestApi"] == "AWS::ApiGateway::RestApi"
    assert types["WorkerTick"] == "AWS::Events::Rule"
    assert types["Flow"] == "AWS::StepFunctions::StateMachine"
    assert types["Table"] == "AWS::DynamoDB::Table"
    role = await eng.client("iam").get_role_policy(
        RoleName=stack.resources["WorkerRole"].physical_id, PolicyName="WorkerRolePolicy0"
    )
    assert "sqs:ReceiveMessage" in json.dumps(role["PolicyDocument"])
    mapping = await eng.client("lambda").get_event_source_mapping(
        UUID=stack.resources["WorkerQueue"].physical_id
    )
    assert mapping["BatchSize"] == 5
    routes = (
        await eng.client("apigatewayv2").get_routes(
            ApiId=stack.resources["ServerlessHttpApi"].physical_id
        )
    )["Items"]
    assert [r["RouteKey"] for r in routes] == ["GET /hello"]
    rest = stack.resources["ServerlessRestApi"].physical_id
    paths = sorted(
        r["path"] for r in (await eng.client("apigateway").get_resources(restApiId=rest))["items"]
    )
    assert paths == ["/", "/items"]
    processed = json.loads(
        (
            await eng.client("cloudformation").get_template(
                StackName="sam", TemplateStage="Processed"
            )
        )["TemplateBody"]
    )
    assert "Transform" not in processed and "WorkerRole" in processed["Resources"]
    sfn = eng.client("stepfunctions")
    definition = (
        await sfn.describe_state_machine(stateMachineArn=stack.resources["Flow"].physical_id)
    )["definition"]
    assert stack.resources["Worker"].attributes["Arn"] in definition
    execution = await sfn.start_execution(
        stateMachineArn=stack.resources["Flow"].physical_id, input="{}"
    )
    result = await eng.clock.run(_finished(eng, execution["executionArn"]))
    assert result["status"] == "SUCCEEDED"


async def _finished(eng: Engine, arn: str) -> dict:
    sfn = eng.client("stepfunctions")
    while True:
        described = await sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        await eng.clock.sleep(1)


async def test_local_code_uri_is_zipped_into_the_labs_s3(eng: Engine, tmp_path) -> None:
    eng.settings["cloudformation.lint"] = "off"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "from helper import VALUE\ndef handler(e, c):\n    return VALUE\n"
    )
    (tmp_path / "src" / "helper.py").write_text("VALUE = 42\n")
    template = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {FunctionName: answer, Runtime: python3.12, Handler: app.handler, CodeUri: src/}\n"
    )
    stack = await eng.service("cloudformation").deploy_template(template, "code", base=tmp_path)
    assert stack.status == "CREATE_COMPLETE"
    response = await eng.client("lambda").invoke(FunctionName="answer", Payload=b"{}")
    assert response["Payload"].read() == b"42"
    listed = await eng.client("s3").list_objects_v2(Bucket="pipework-cloudformation-artifacts")
    assert listed["KeyCount"] == 1


async def test_lint_errors_stop_a_deploy_and_warnings_are_kept(eng: Engine) -> None:
    from engine import ServiceError

    body = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {Nonsense: 1}\n"
    with pytest.raises(ServiceError) as error:
        await eng.service("cloudformation").deploy_template(body, "lint")
    assert error.value.code == "ValidationError"
    assert "E3002" in error.value.message and "Nonsense" in error.value.message
    assert eng.service("cloudformation").store.find("lint") is None


@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
async def test_export_deploys_into_a_fresh_lab_to_the_same_topology(
    eng: Engine, fmt: str, tmp_path
) -> None:
    eng.settings["cloudformation.lint"] = "off"
    await eng.service("cloudformation").deploy_template(SAM, "original")
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="by-hand", Attributes={"VisibilityTimeout": "45"}))[
        "QueueUrl"
    ]
    sns = eng.client("sns")
    topic = (await sns.create_topic(Name="alerts"))["TopicArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=(await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"],
        Attributes={"FilterPolicy": json.dumps({"level": ["error"]})},
    )
    template = await export_template(eng, fmt, code_dir=tmp_path / "code")
    assert lint_template(template, "us-east-1").errors == []
    text = dump_yaml(template)
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.settings["cloudformation.lint"] = "off"
        stack = await fresh.service("cloudformation").deploy_template(text, "copy", base=tmp_path)
        assert stack.status == "CREATE_COMPLETE", [
            e.reason for e in stack.events if "FAILED" in e.status
        ]

        def shape(engine: Engine) -> tuple[list, list]:
            topology = engine.topology()
            names = {n.id: (n.kind, n.name) for n in topology.nodes}
            edges = sorted(
                (e.kind, names.get(e.source, ("", ""))[1], names.get(e.target, ("", ""))[1])
                for e in topology.edges
            )
            return sorted(names.values()), edges

        assert shape(fresh) == shape(eng)
        copied = (
            await fresh.client("sqs").get_queue_attributes(
                QueueUrl=url, AttributeNames=["VisibilityTimeout"]
            )
        )["Attributes"]
        assert copied["VisibilityTimeout"] == "45"
        subscriptions = (await fresh.client("sns").list_subscriptions_by_topic(TopicArn=topic))[
            "Subscriptions"
        ]
        attributes = (
            await fresh.client("sns").get_subscription_attributes(
                SubscriptionArn=subscriptions[0]["SubscriptionArn"]
            )
        )["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == {"level": ["error"]}
        nodes = {n.name: n.stack for n in fresh.topology().nodes}
        assert nodes["by-hand"] == "copy"
