"""CloudFormation answers as AWS gives them: event order, error messages, change-set values, tags."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_lint(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"


def _template(**resources: dict) -> str:
    return json.dumps({"Resources": resources})


async def _create(eng: Engine, name: str, body: str, **extra: object) -> dict:
    cfn = eng.client("cloudformation")
    await cfn.create_stack(StackName=name, TemplateBody=body, **extra)
    await eng.service("cloudformation").wait(name)
    return (await cfn.describe_stacks(StackName=name))["Stacks"][0]


async def test_events_of_one_instant_still_sort_by_timestamp(eng: Engine) -> None:
    # The virtual clock does not move during the deploy: sorting by Timestamp (as clients do)
    # must still give the order the events happened in.
    await _create(eng, "q", _template(Q={"Type": "AWS::SQS::Queue"}))
    events = (await eng.client("cloudformation").describe_stack_events(StackName="q"))[
        "StackEvents"
    ]
    oldest_first = list(reversed(events))
    stamps = [e["Timestamp"] for e in oldest_first]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert [(e["LogicalResourceId"], e["ResourceStatus"]) for e in oldest_first][-2:] == [
        ("Q", "CREATE_COMPLETE"),
        ("q", "CREATE_COMPLETE"),
    ]
    assert all(s.microsecond % 1000 == 0 for s in stamps)


async def test_template_summary_lists_identifiers_and_prints_metadata_as_aws_does(
    eng: Engine,
) -> None:
    body = json.dumps(
        {
            "Metadata": {"TopicName": "t"},
            "Resources": {
                "Topic": {"Type": "AWS::SNS::Topic"},
                "Bucket": {"Type": "AWS::S3::Bucket"},
                "Other": {"Type": "AWS::S3::Bucket"},
            },
        }
    )
    summary = await eng.client("cloudformation").get_template_summary(TemplateBody=body)
    assert summary["Metadata"] == "{'TopicName': 't'}"
    assert summary["ResourceIdentifierSummaries"] == [
        {"ResourceType": "AWS::SNS::Topic", "LogicalResourceIds": ["Topic"]},
        {
            "ResourceType": "AWS::S3::Bucket",
            "LogicalResourceIds": ["Bucket", "Other"],
            "ResourceIdentifiers": ["BucketName"],
        },
    ]


async def test_validation_messages_match_aws(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    with pytest.raises(ServiceError) as error:
        await cfn.get_template(ChangeSetName="does-not-exist")
    assert error.value.message == "StackName is a required parameter."
    bad_ref = _template(T={"Type": "AWS::SNS::Topic", "Properties": {"Name": {"Ref": "Nope"}}})
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="s", TemplateBody=bad_ref)
    assert error.value.message == (
        "Template format error: Unresolved resource dependencies [Nope] in the Resources block "
        "of the template"
    )
    by_reference = json.dumps(
        {
            "Parameters": {"Macro": {"Type": "String"}},
            "Transform": [{"Name": {"Ref": "Macro"}}],
            "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
        }
    )
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(
            StackName="s",
            TemplateBody=by_reference,
            Parameters=[{"ParameterKey": "Macro", "ParameterValue": "M"}],
            Capabilities=["CAPABILITY_AUTO_EXPAND"],
        )
    assert error.value.message == "Key Name of transform definition must be a string."


async def test_change_set_shows_a_join_with_an_unknown_part_as_unknown(eng: Engine) -> None:
    body = _template(
        Topic1={"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "a"}},
        Topic2={
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "DisplayName": {
                    "Fn::Join": ["-", ["prefix", {"Fn::GetAtt": ["Topic1", "DisplayName"]}]]
                },
                "TopicName": {"Fn::Sub": "t-${Topic1.DisplayName}"},
            },
        },
    )
    cfn = eng.client("cloudformation")
    await cfn.create_change_set(
        StackName="join", ChangeSetName="c", TemplateBody=body, ChangeSetType="CREATE"
    )
    described = await cfn.describe_change_set(
        StackName="join", ChangeSetName="c", IncludePropertyValues=True
    )
    after = {
        c["ResourceChange"]["LogicalResourceId"]: json.loads(c["ResourceChange"]["AfterContext"])[
            "Properties"
        ]
        for c in described["Changes"]
    }
    assert after["Topic2"] == {
        "DisplayName": "{{changeSet:KNOWN_AFTER_APPLY}}",
        "TopicName": "t-{{changeSet:KNOWN_AFTER_APPLY}}",
    }


async def test_created_resources_carry_cloudformations_tags(eng: Engine) -> None:
    body = json.dumps(
        {
            "Resources": {
                "Api": {
                    "Type": "AWS::ApiGateway::RestApi",
                    "Properties": {
                        "Body": {"swagger": "2.0", "info": {"title": "t", "version": "1.2.3"}},
                        "EndpointConfiguration": {"Types": ["REGIONAL"]},
                    },
                },
            },
            "Outputs": {"Id": {"Value": {"Ref": "Api"}}},
        }
    )
    stack = await _create(eng, "apis", body, Tags=[{"Key": "team", "Value": "blue"}])
    api_id = stack["Outputs"][0]["OutputValue"]
    api = await eng.client("apigateway").get_rest_api(restApiId=api_id)
    assert api["tags"] == {
        "aws:cloudformation:stack-name": "apis",
        "aws:cloudformation:logical-id": "Api",
        "aws:cloudformation:stack-id": stack["StackId"],
        "team": "blue",
    }
    assert api["version"] == "1.2.3"
    assert api["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}


async def test_tables_report_their_warm_throughput(eng: Engine) -> None:
    ddb = eng.client("dynamodb")
    key = {
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
    }
    created = await ddb.create_table(TableName="od", BillingMode="PAY_PER_REQUEST", **key)
    assert "WarmThroughput" not in created["TableDescription"]  # only DescribeTable shows it
    warm = {"ReadUnitsPerSecond": 1000, "WriteUnitsPerSecond": 1200}
    created = await ddb.create_table(
        TableName="warm", BillingMode="PAY_PER_REQUEST", WarmThroughput=warm, **key
    )
    assert created["TableDescription"]["WarmThroughput"] == {**warm, "Status": "UPDATING"}
    described = (await ddb.describe_table(TableName="warm"))["Table"]["WarmThroughput"]
    assert described == {**warm, "Status": "ACTIVE"}
    await ddb.create_table(
        TableName="pr",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
        **key,
    )
    od = (await ddb.describe_table(TableName="od"))["Table"]["WarmThroughput"]
    pr = (await ddb.describe_table(TableName="pr"))["Table"]["WarmThroughput"]
    assert od == {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    deleted = await ddb.delete_table(TableName="od")
    assert "WarmThroughput" not in deleted["TableDescription"]
    assert pr == {"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 3, "Status": "ACTIVE"}


async def test_every_node_a_stack_makes_names_the_stack(eng: Engine) -> None:
    body = json.dumps(
        {
            "Resources": {
                "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 2}},
                "Rest": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "rest"}},
                "Http": {
                    "Type": "AWS::ApiGatewayV2::Api",
                    "Properties": {"Name": "http", "ProtocolType": "HTTP"},
                },
                "Queue": {"Type": "AWS::SQS::Queue"},
            }
        }
    )
    await _create(eng, "grouped", body)
    nodes = [n for n in eng.topology().nodes if not n.id.endswith(":event-bus/default")]
    assert {n.kind for n in nodes} >= {"stream", "shard", "api", "queue"}
    assert {(n.kind, n.name): n.stack for n in nodes} == {
        (n.kind, n.name): "grouped" for n in nodes
    }


async def test_aws_include_reads_snippets_from_the_labs_s3(eng: Engine) -> None:
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="specs")
    spec = 'swagger: "2.0"\ninfo: {title: orders, version: "1.2.3"}\npaths: {}\n'
    await s3.put_object(Bucket="specs", Key="api.yaml", Body=spec.encode())
    extra = {"Resources": {"Extra": {"Type": "AWS::SQS::Queue"}}}
    await s3.put_object(Bucket="specs", Key="extra.json", Body=json.dumps(extra).encode())
    body = json.dumps(
        {
            "Parameters": {"Bucket": {"Type": "String"}},
            "Transform": {
                "Name": "AWS::Include",
                "Parameters": {"Location": "s3://specs/extra.json"},
            },
            "Resources": {
                "Api": {
                    "Type": "AWS::ApiGateway::RestApi",
                    "Properties": {
                        "Body": {
                            "Fn::Transform": {
                                "Name": "AWS::Include",
                                "Parameters": {"Location": {"Fn::Sub": "s3://${Bucket}/api.yaml"}},
                            }
                        }
                    },
                }
            },
            "Outputs": {"Id": {"Value": {"Ref": "Api"}}},
        }
    )
    parameters = [{"ParameterKey": "Bucket", "ParameterValue": "specs"}]
    expand = ["CAPABILITY_AUTO_EXPAND"]  # AWS::Include is a macro CloudFormation hosts
    stack = await _create(eng, "inc", body, Parameters=parameters, Capabilities=expand)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    api = await eng.client("apigateway").get_rest_api(restApiId=stack["Outputs"][0]["OutputValue"])
    assert (api["name"], api["version"]) == ("orders", "1.2.3")
    resources = await eng.client("cloudformation").list_stack_resources(StackName="inc")
    assert {r["LogicalResourceId"] for r in resources["StackResourceSummaries"]} == {"Api", "Extra"}
    missing = body.replace("extra.json", "gone.json")
    with pytest.raises(ServiceError) as error:
        await eng.client("cloudformation").create_stack(
            StackName="gone",
            TemplateBody=missing,
            Parameters=parameters,
            Capabilities=expand,
        )
    assert error.value.message == "Transform AWS::Include failed with: S3 object does not exist"


async def test_a_rolled_back_create_reports_its_deletion_time_and_no_change_set(
    eng: Engine,
) -> None:
    cfn = eng.client("cloudformation")
    body = _template(
        Fifo={
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": "no-suffix", "FifoTopic": True},
        }
    )
    await cfn.create_change_set(
        StackName="fifo", ChangeSetName="c", TemplateBody=body, ChangeSetType="CREATE"
    )
    await cfn.execute_change_set(StackName="fifo", ChangeSetName="c")
    await eng.service("cloudformation").wait("fifo")  # type: ignore[attr-defined]
    stack = (await cfn.describe_stacks(StackName="fifo"))["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "DeletionTime" in stack and "ChangeSetId" not in stack


async def test_updating_a_topics_tags_retags_it_in_place(eng: Engine) -> None:
    def template(tags: dict[str, str]) -> str:
        topic = {"TopicName": "news", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        return _template(T={"Type": "AWS::SNS::Topic", "Properties": topic})

    await _create(eng, "tags", template({"env": "test", "team": "a"}))
    cfn = eng.client("cloudformation")
    await cfn.update_stack(StackName="tags", TemplateBody=template({"env": "production"}))
    stack = await eng.service("cloudformation").wait("tags")  # type: ignore[attr-defined]
    assert stack.status == "UPDATE_COMPLETE"
    arn = stack.resources["T"].physical_id
    tags = (await eng.client("sns").list_tags_for_resource(ResourceArn=arn))["Tags"]
    assert tags == [{"Key": "env", "Value": "production"}]
