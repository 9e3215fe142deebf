"""AppSync over `pipework serve`: boto3's appsync client builds an API, httpx queries its GraphQL URI."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from .conftest import Lab

pytestmark = pytest.mark.timeout(30)


async def test_boto3_builds_an_api_and_a_client_queries_it(lab: Lab) -> None:
    appsync = lab.client("appsync")
    api = (await lab.call(appsync.create_graphql_api, name="wired", authenticationType="API_KEY"))[
        "graphqlApi"
    ]
    api_id = api["apiId"]
    await lab.call(
        appsync.start_schema_creation, apiId=api_id, definition=b"type Query { hi: String }"
    )
    status = await lab.call(appsync.get_schema_creation_status, apiId=api_id)
    assert status["status"] == "SUCCESS"
    await lab.call(appsync.create_data_source, apiId=api_id, name="none", type="NONE")
    await lab.call(
        appsync.create_resolver,
        apiId=api_id,
        typeName="Query",
        fieldName="hi",
        dataSourceName="none",
        requestMappingTemplate='{"version": "2018-05-29", "payload": "there"}',
        responseMappingTemplate="$util.toJson($ctx.result)",
    )
    key = (await lab.call(appsync.create_api_key, apiId=api_id))["apiKey"]["id"]
    sdl = (await lab.call(appsync.get_introspection_schema, apiId=api_id, format="SDL"))[
        "schema"
    ].read()
    assert b"hi: String" in sdl
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            api["uris"]["GRAPHQL"], json={"query": "{ hi }"}, headers={"x-api-key": key}
        )
    assert answer.json() == {"data": {"hi": "there"}}
    with pytest.raises(ClientError) as caught:
        await lab.call(appsync.get_graphql_api, apiId="nope")
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
