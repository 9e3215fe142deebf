"""Resource types of services that landed after the stack engine: Kinesis Video streams and
signaling channels, Kinesis Data Analytics v2 applications and outputs, and AppSync GraphQL
APIs with their schemas, data sources, resolvers and API keys."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError

pytestmark = pytest.mark.timeout(60)

ROLE = "arn:aws:iam::123456789012:role/analytics"
STREAMS = "arn:aws:kinesis:us-east-1:123456789012:stream/"
SQL = (
    'CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE);\n'
    'CREATE OR REPLACE PUMP "P" AS INSERT INTO "DESTINATION_SQL_STREAM"\n'
    'SELECT STREAM ticker, price FROM "SOURCE_SQL_STREAM_001";\n'
)
SCHEMA = {
    "RecordFormat": {
        "RecordFormatType": "JSON",
        "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}},
    },
    "RecordColumns": [
        {"Name": "ticker", "SqlType": "VARCHAR(4)", "Mapping": "$.ticker"},
        {"Name": "price", "SqlType": "DOUBLE", "Mapping": "$.price"},
    ],
}
SDL = "type Query { note(id: ID!): String }"

TEMPLATE = {
    "Resources": {
        "Camera": {
            "Type": "AWS::KinesisVideo::Stream",
            "Properties": {
                "Name": "door",
                "DataRetentionInHours": 24,
                "MediaType": "video/h264",
                "DeviceName": "porch",
                "Tags": [{"Key": "site", "Value": "home"}],
            },
        },
        "Channel": {
            "Type": "AWS::KinesisVideo::SignalingChannel",
            "Properties": {"Name": "call", "Type": "SINGLE_MASTER", "MessageTtlSeconds": 90},
        },
        "Tickers": {
            "Type": "AWS::KinesisAnalyticsV2::Application",
            "Properties": {
                "ApplicationName": "tickers",
                "RuntimeEnvironment": "SQL-1_0",
                "ServiceExecutionRole": ROLE,
                "ApplicationConfiguration": {
                    "ApplicationCodeConfiguration": {
                        "CodeContent": {"TextContent": SQL},
                        "CodeContentType": "PLAINTEXT",
                    },
                    "SqlApplicationConfiguration": {
                        "Inputs": [
                            {
                                "NamePrefix": "SOURCE_SQL_STREAM",
                                "KinesisStreamsInput": {"ResourceARN": STREAMS + "ticks"},
                                "InputSchema": SCHEMA,
                            }
                        ]
                    },
                },
            },
        },
        "Out": {
            "Type": "AWS::KinesisAnalyticsV2::ApplicationOutput",
            "Properties": {
                "ApplicationName": {"Ref": "Tickers"},
                "Output": {
                    "Name": "DESTINATION_SQL_STREAM",
                    "KinesisStreamsOutput": {"ResourceARN": STREAMS + "prices"},
                    "DestinationSchema": {"RecordFormatType": "JSON"},
                },
            },
        },
        "Api": {
            "Type": "AWS::AppSync::GraphQLApi",
            "Properties": {"Name": "notes", "AuthenticationType": "API_KEY"},
        },
        "Schema": {
            "Type": "AWS::AppSync::GraphQLSchema",
            "Properties": {"ApiId": {"Fn::GetAtt": ["Api", "ApiId"]}, "Definition": SDL},
        },
        "Local": {
            "Type": "AWS::AppSync::DataSource",
            "Properties": {
                "ApiId": {"Fn::GetAtt": ["Api", "ApiId"]},
                "Name": "local",
                "Type": "NONE",
            },
        },
        "Note": {
            "Type": "AWS::AppSync::Resolver",
            "DependsOn": "Schema",
            "Properties": {
                "ApiId": {"Fn::GetAtt": ["Api", "ApiId"]},
                "TypeName": "Query",
                "FieldName": "note",
                "DataSourceName": {"Fn::GetAtt": ["Local", "Name"]},
                "RequestMappingTemplate": '{"version": "2017-02-28", "payload": $util.toJson($ctx.args)}',
                "ResponseMappingTemplate": "$util.toJson($ctx.result.id)",
            },
        },
        "Key": {
            "Type": "AWS::AppSync::ApiKey",
            "Properties": {"ApiId": {"Fn::GetAtt": ["Api", "ApiId"]}, "Description": "tests"},
        },
    },
    "Outputs": {
        "Camera": {"Value": {"Ref": "Camera"}},
        "CameraArn": {"Value": {"Fn::GetAtt": ["Camera", "Arn"]}},
        "Channel": {"Value": {"Ref": "Channel"}},
        "ChannelArn": {"Value": {"Fn::GetAtt": ["Channel", "Arn"]}},
        "Tickers": {"Value": {"Ref": "Tickers"}},
        "Out": {"Value": {"Ref": "Out"}},
        "Api": {"Value": {"Ref": "Api"}},
        "ApiId": {"Value": {"Fn::GetAtt": ["Api", "ApiId"]}},
        "Url": {"Value": {"Fn::GetAtt": ["Api", "GraphQLUrl"]}},
        "Source": {"Value": {"Ref": "Local"}},
        "Resolver": {"Value": {"Fn::GetAtt": ["Note", "ResolverArn"]}},
        "Key": {"Value": {"Fn::GetAtt": ["Key", "ApiKey"]}},
        "KeyArn": {"Value": {"Ref": "Key"}},
    },
}


@pytest.fixture(autouse=True)
def _no_lint(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"


async def test_new_service_types_are_made_read_back_and_deleted_with_the_stack(
    eng: Engine,
) -> None:
    cfn = eng.service("cloudformation")
    stack = await eng.clock.run(
        cfn.deploy_template(json.dumps(TEMPLATE), "newer", {})  # type: ignore[attr-defined]
    )
    assert stack.status == "CREATE_COMPLETE", stack.status_reason
    out = {o["OutputKey"]: o["OutputValue"] for o in stack.outputs}

    video = eng.client("kinesisvideo")
    info = (await video.describe_stream(StreamName="door"))["StreamInfo"]
    assert (out["Camera"], out["CameraArn"]) == ("door", info["StreamARN"])
    assert (info["DataRetentionInHours"], info["DeviceName"]) == (24, "porch")
    assert (await video.list_tags_for_stream(StreamName="door"))["Tags"] == {"site": "home"}
    channel = (await video.describe_signaling_channel(ChannelName="call"))["ChannelInfo"]
    assert (out["Channel"], out["ChannelArn"]) == ("call", channel["ChannelARN"])
    assert channel["SingleMasterConfiguration"]["MessageTtlSeconds"] == 90

    kda = eng.client("kinesisanalyticsv2")
    detail = (await kda.describe_application(ApplicationName="tickers"))["ApplicationDetail"]
    assert out["Tickers"] == "tickers"
    sql = detail["ApplicationConfigurationDescription"]["SqlApplicationConfigurationDescription"]
    assert sql["InputDescriptions"][0]["NamePrefix"] == "SOURCE_SQL_STREAM"
    assert [o["OutputId"] for o in sql["OutputDescriptions"]] == [out["Out"]]

    appsync = eng.client("appsync")
    api = (await appsync.get_graphql_api(apiId=out["ApiId"]))["graphqlApi"]
    assert (out["Api"], out["Url"]) == (api["arn"], api["uris"]["GRAPHQL"])
    schema = await appsync.get_introspection_schema(apiId=out["ApiId"], format="SDL")
    assert b"note(id: ID!): String" in schema["schema"]
    source = (await appsync.get_data_source(apiId=out["ApiId"], name="local"))["dataSource"]
    assert out["Source"] == source["dataSourceArn"]
    resolver = await appsync.get_resolver(apiId=out["ApiId"], typeName="Query", fieldName="note")
    assert out["Resolver"] == resolver["resolver"]["resolverArn"]
    keys = (await appsync.list_api_keys(apiId=out["ApiId"]))["apiKeys"]
    assert [k["id"] for k in keys] == [out["Key"]]
    assert out["KeyArn"].endswith(f"apis/{out['ApiId']}/apikey/{out['Key']}")

    await eng.client("cloudformation").delete_stack(StackName="newer")
    await eng.clock.run(cfn.wait(stack.stack_id))  # type: ignore[attr-defined]
    assert stack.status == "DELETE_COMPLETE", stack.status_reason
    assert (await video.list_streams())["StreamInfoList"] == []
    assert (await video.list_signaling_channels())["ChannelInfoList"] == []
    assert (await kda.list_applications())["ApplicationSummaries"] == []
    with pytest.raises(ServiceError):
        await appsync.get_graphql_api(apiId=out["ApiId"])


async def test_an_invalid_schema_rolls_the_api_back(eng: Engine) -> None:
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::AppSync::GraphQLApi",
                "Properties": {"Name": "broken", "AuthenticationType": "API_KEY"},
            },
            "Schema": {
                "Type": "AWS::AppSync::GraphQLSchema",
                "Properties": {
                    "ApiId": {"Fn::GetAtt": ["Api", "ApiId"]},
                    "Definition": "type Query {",
                },
            },
        }
    }
    cfn = eng.service("cloudformation")
    stack = await eng.clock.run(
        cfn.deploy_template(json.dumps(template), "bad", {})  # type: ignore[attr-defined]
    )
    assert stack.status == "ROLLBACK_COMPLETE"
    assert (await eng.client("appsync").list_graphql_apis())["graphqlApis"] == []


async def test_video_streams_and_channels_update_in_place(eng: Engine) -> None:
    resources = {k: TEMPLATE["Resources"][k] for k in ("Camera", "Channel")}
    cfn = eng.client("cloudformation")
    await cfn.create_stack(StackName="cams", TemplateBody=json.dumps({"Resources": resources}))
    await eng.service("cloudformation").wait("cams")  # type: ignore[attr-defined]
    video = eng.client("kinesisvideo")
    before = (await video.describe_stream(StreamName="door"))["StreamInfo"]
    created = (await video.describe_signaling_channel(ChannelName="call"))["ChannelInfo"]
    await eng.clock.advance(60)  # type: ignore[attr-defined]  # a replacement would be newer
    changed = json.loads(json.dumps(resources))
    changed["Camera"]["Properties"].update(DeviceName="gate", DataRetentionInHours=48)
    changed["Channel"]["Properties"]["MessageTtlSeconds"] = 120
    await cfn.update_stack(StackName="cams", TemplateBody=json.dumps({"Resources": changed}))
    stack = await eng.service("cloudformation").wait("cams")  # type: ignore[attr-defined]
    assert stack.status == "UPDATE_COMPLETE", stack.status_reason
    info = (await video.describe_stream(StreamName="door"))["StreamInfo"]
    assert info["CreationTime"] == before["CreationTime"]
    assert (info["StreamARN"], info["DeviceName"], info["DataRetentionInHours"]) == (
        before["StreamARN"],
        "gate",
        48,
    )
    channel = (await video.describe_signaling_channel(ChannelName="call"))["ChannelInfo"]
    assert channel["SingleMasterConfiguration"]["MessageTtlSeconds"] == 120
    assert channel["CreationTime"] == created["CreationTime"]
