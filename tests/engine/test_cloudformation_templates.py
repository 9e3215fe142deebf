"""CloudFormation templates: YAML short forms, intrinsic functions, parameters, structure checks."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError
from engine.services.cloudformation.graph import dependencies
from engine.services.cloudformation.intrinsics import Resolver, Scope
from engine.services.cloudformation.language import expand_for_each
from engine.services.cloudformation.template import parse_template

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_lint(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"


def _scope(**parameters: object) -> Scope:
    return Scope(
        "eu-west-1",
        "123456789012",
        "shop",
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/abc",
        parameters=dict(parameters),
        mappings={"Sizes": {"dev": {"Memory": 128, "Zones": ["a", "b"]}}},
        condition_definitions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        resource_ids=frozenset({"Queue"}),
        ref=lambda logical_id: f"https://sqs/{logical_id}",
        get_att=lambda logical_id, name: f"arn:{logical_id}:{name}",
    )


def test_yaml_short_forms_become_long_forms_and_dates_stay_strings() -> None:
    template = parse_template(
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Resources:\n"
        "  Q:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      QueueName: !Sub '${AWS::StackName}-q'\n"
        "      Arn: !GetAtt Other.Arn\n"
        "      Zones: !GetAZs ''\n"
        "      Pick: !Select [0, !Split [',', 'a,b']]\n"
    )
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    props = template["Resources"]["Q"]["Properties"]
    assert props["QueueName"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["Arn"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert props["Pick"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}


def test_malformed_templates_give_aws_messages() -> None:
    with pytest.raises(ServiceError) as error:
        parse_template('{"Resources": ')
    assert error.value.message.startswith("Template format error: JSON not well-formed.")
    with pytest.raises(ServiceError) as error:
        parse_template("Resources: [unclosed")
    assert error.value.message == "Template format error: YAML not well-formed."


def test_every_intrinsic_function_and_pseudo_parameter() -> None:
    resolver = Resolver(_scope(Env="prod", Names=["x", "y", "z"]))
    resolve = resolver.resolve
    assert (
        resolve({"Fn::Sub": "${AWS::StackName}-${AWS::Region}-${AWS::AccountId}"})
        == "shop-eu-west-1-123456789012"
    )
    assert (
        resolve({"Fn::Sub": ["${A}-${Queue.Arn}-${!Literal}", {"A": "x"}]})
        == "x-arn:Queue:Arn-${Literal}"
    )
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}) == "a-prod"
    assert resolve({"Fn::Select": [1, {"Ref": "Names"}]}) == "y"
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}) == "big"
    assert resolve({"Fn::FindInMap": ["Sizes", "dev", "Memory"]}) == 128
    assert resolve({"Fn::FindInMap": ["Sizes", "qa", "Memory", {"DefaultValue": 64}]}) == 64
    assert resolve({"Fn::GetAZs": ""}) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert resolve({"Fn::Base64": "hi"}) == "aGk="
    assert resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}) == ["10.0.0.0/24", "10.0.1.0/24"]
    assert resolve({"Fn::Length": {"Ref": "Names"}}) == 3
    assert resolve({"Fn::ToJsonString": {"a": [1, {"Ref": "Env"}]}}) == '{"a":[1,"prod"]}'
    assert resolve({"Ref": "Queue"}) == "https://sqs/Queue"
    assert resolve({"Ref": "AWS::Partition"}) == "aws"
    assert resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert resolve({"Ref": "AWS::StackId"}).endswith("stack/shop/abc")
    assert resolve({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}) == {"B": [1]}
    assert resolve(
        {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}]}
    )
    assert resolve({"Fn::Or": [False, {"Fn::Equals": [{"Ref": "Env"}, "dev"]}]}) is False


def test_intrinsic_errors_say_what_aws_says() -> None:
    resolver = Resolver(_scope(Env="dev"))
    with pytest.raises(ServiceError) as error:
        resolver.resolve({"Fn::Select": ["x"]})
    assert "Fn::Select requires a list argument with two elements" in error.value.message
    with pytest.raises(ServiceError) as error:
        resolver.resolve({"Fn::FindInMap": ["Sizes", "qa", "Memory"]})
    assert error.value.message == "Template error: Unable to get mapping for Sizes::qa::Memory"
    with pytest.raises(ServiceError) as error:
        resolver.resolve({"Fn::If": ["Missing", 1, 2]})
    assert "unresolved condition dependency Missing in Fn::If" in error.value.message


def test_for_each_expands_resources_outputs_and_identifiers() -> None:
    template = {
        "Transform": "AWS::LanguageExtensions",
        "Resources": {
            "Fn::ForEach::Queues": [
                "Name",
                {"Ref": "Names"},
                {
                    "Queue${Name}": {
                        "Type": "AWS::SQS::Queue",
                        "Properties": {
                            "QueueName": {"Fn::Sub": "${Name}-q"},
                            "Tag": {"Ref": "Name"},
                        },
                    }
                },
            ]
        },
    }
    expanded = expand_for_each(template, {"Names": ["a", "b"]})
    assert set(expanded["Resources"]) == {"Queuea", "Queueb"}
    assert expanded["Resources"]["Queueb"]["Properties"] == {
        "QueueName": {"Fn::Sub": "b-q"},
        "Tag": "b",
    }


def test_dependency_order_and_cycles() -> None:
    resources = {
        "A": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["B", "Arn"]}}},
        "B": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${C}"}}},
        "C": {"Type": "T", "DependsOn": "D"},
        "D": {"Type": "T"},
    }
    assert dependencies(resources) == {"A": {"B"}, "B": {"C"}, "C": {"D"}, "D": set()}
    resources["D"]["Properties"] = {"X": {"Ref": "A"}}
    with pytest.raises(ServiceError) as error:
        dependencies(resources)
    assert error.value.message.startswith("Circular dependency between resources: [")
    with pytest.raises(ServiceError) as error:
        dependencies({"A": {"Type": "T", "DependsOn": ["Nope"]}})
    assert "Unresolved resource dependencies [Nope]" in error.value.message


async def test_parameters_are_checked_and_no_echo_is_masked(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    body = json.dumps(
        {
            "Parameters": {
                "Env": {"Type": "String", "AllowedValues": ["dev", "prod"]},
                "Size": {"Type": "Number", "MinValue": 1, "MaxValue": 5, "Default": 2},
                "Secret": {"Type": "String", "NoEcho": True, "AllowedPattern": "[a-z]+"},
            },
            "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        }
    )

    def params(**values: str) -> list[dict]:
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]

    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="p", TemplateBody=body, Parameters=params(Secret="abc"))
    assert error.value.message == "Parameters: [Env] must have values"
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(
            StackName="p", TemplateBody=body, Parameters=params(Env="qa", Secret="abc")
        )
    assert error.value.message == "Parameter 'Env' must be one of AllowedValues"
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(
            StackName="p", TemplateBody=body, Parameters=params(Env="dev", Secret="ABC")
        )
    assert error.value.message == "Parameter 'Secret' must match pattern [a-z]+"
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(
            StackName="p", TemplateBody=body, Parameters=params(Env="dev", Secret="a", Size="9")
        )
    assert error.value.message == "Parameter 'Size' must be a number not greater than 5"
    await cfn.create_stack(
        StackName="p", TemplateBody=body, Parameters=params(Env="dev", Secret="abc")
    )
    stack = (await cfn.describe_stacks(StackName="p"))["Stacks"][0]
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert shown == {"Env": "dev", "Size": "2", "Secret": "****"}


async def test_ssm_parameter_types_are_refused_without_ssm(eng: Engine) -> None:
    body = json.dumps(
        {
            "Parameters": {
                "Ami": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/ami"}
            },
            "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        }
    )
    with pytest.raises(ServiceError) as error:
        await eng.client("cloudformation").create_stack(StackName="s", TemplateBody=body)
    assert error.value.code == "ValidationError"
    assert "/app/ami" in error.value.message


async def test_unsupported_types_and_structure_errors_create_nothing(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    body = json.dumps(
        {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}, "V": {"Type": "AWS::EC2::VPC"}}}
    )
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="s", TemplateBody=body)
    assert (
        error.value.message == "Template format error: Unrecognized resource types: [AWS::EC2::VPC]"
    )
    assert (await cfn.list_stacks())["StackSummaries"] == []
    assert "QueueUrls" not in await eng.client("sqs").list_queues()
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="s", TemplateBody='{"Resources": {}}')
    assert (
        error.value.message
        == "Template format error: At least one Resources member must be defined."
    )
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="s", TemplateBody='{"Resources": {"A": {}}}')
    assert "Every Resources object must contain a Type member" in error.value.message


async def test_validate_template_and_summary(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    body = "Description: d\nParameters:\n  N: {Type: String, Default: x, NoEcho: true}\nResources:\n  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}\n"
    result = await cfn.validate_template(TemplateBody=body)
    assert result["Description"] == "d"
    assert result["Parameters"] == [{"ParameterKey": "N", "NoEcho": True, "DefaultValue": "x"}]
    assert result["Capabilities"] == ["CAPABILITY_IAM"]
    summary = await cfn.get_template_summary(TemplateBody=body)
    assert summary["ResourceTypes"] == ["AWS::IAM::Role"]


async def test_yaml_booleans_are_strings_to_parameters_and_urls_are_checked(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    body = (
        "Parameters:\n  Create: {Type: String, Default: true, AllowedValues: [true, false]}\n"
        "Resources:\n  Q: {Type: AWS::SQS::Queue}\n"
    )
    await cfn.create_stack(
        StackName="b",
        TemplateBody=body,
        Parameters=[{"ParameterKey": "Create", "ParameterValue": "false"}],
    )
    stack = await eng.service("cloudformation").wait("b")
    assert stack.resolved_parameters == {"Create": "false"}
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="u", TemplateURL="s3://bucket/t.yaml")
    assert (
        error.value.message == "S3 error: Domain name specified in bucket is not a valid S3 domain"
    )
    with pytest.raises(ServiceError) as error:
        await cfn.create_stack(StackName="u", TemplateURL="https://example.com/t.yaml")
    assert error.value.message == "TemplateURL must be a supported URL."


async def test_for_each_templates_pass_the_structure_check(eng: Engine) -> None:
    body = json.dumps(
        {
            "Transform": "AWS::LanguageExtensions",
            "Resources": {
                "Fn::ForEach::Topics": [
                    "Name",
                    ["A", "B"],
                    {"Topic${Name}": {"Type": "AWS::SNS::Topic"}},
                ]
            },
        }
    )
    cfn = eng.client("cloudformation")
    await cfn.create_stack(
        StackName="each", TemplateBody=body, Capabilities=["CAPABILITY_AUTO_EXPAND"]
    )
    stack = await eng.service("cloudformation").wait("each")
    assert sorted(stack.resources) == ["TopicA", "TopicB"]


async def test_secrets_manager_dynamic_references(eng: Engine) -> None:
    await eng.client("secretsmanager").create_secret(Name="db", SecretString='{"user": "ana"}')
    body = "Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: '{{resolve:secretsmanager:db:SecretString:user}}'}}\n"
    stack = await eng.service("cloudformation").deploy_template(body, "dyn")
    assert stack.status == "CREATE_COMPLETE"
    attributes = await eng.client("sns").get_topic_attributes(
        TopicArn=stack.resources["T"].physical_id
    )
    assert attributes["Attributes"]["DisplayName"] == "ana"
