"""The `serve` and `request` lab commands: the lab over HTTP, and calling a deployed API."""

from __future__ import annotations

import asyncio

import boto3

from engine import Engine, RealClock, VirtualClock
from tui.console import Console


async def test_request_calls_a_deployed_mock_api() -> None:
    async with Engine(clock=VirtualClock()) as engine:
        console = Console(engine)
        for line in (
            "apigateway create-rest-api --name shop",
            "ROOT=$(apigateway get-rest-apis --query 'items[0].rootResourceId' --output text)",
            "API=$(apigateway get-rest-apis --query 'items[0].id' --output text)",
            "apigateway put-method --rest-api-id $API --resource-id $ROOT --http-method GET --authorization-type NONE",
            'apigateway put-integration --rest-api-id $API --resource-id $ROOT --http-method GET --type MOCK --request-templates \'{"application/json": "{\\"statusCode\\": 200}"}\'',
            'apigateway put-integration-response --rest-api-id $API --resource-id $ROOT --http-method GET --status-code 200 --response-templates \'{"application/json": "{\\"hello\\": \\"lab\\"}"}\'',
            "apigateway create-deployment --rest-api-id $API --stage-name prod",
        ):
            result = await console.execute(line)
            assert result.ok, (line, result.error)
        answer = await console.execute("request GET shop/prod/")
        assert answer.ok and answer.value["status"] == 200
        assert answer.value["body"] == '{"hello": "lab"}'
        missing = await console.execute("request GET shop/prod/nowhere")
        assert missing.value["status"] == 403
        assert "Missing Authentication Token" in missing.value["body"]
        assert not (await console.execute("request FLY shop/prod/")).ok
        assert not (await console.execute("request GET nothing/prod/")).ok
        console.close()


async def test_serve_puts_the_lab_on_a_port_for_boto3() -> None:
    async with Engine(clock=RealClock()) as engine:
        console = Console(engine)
        await console.execute("sqs create-queue --queue-name served")
        started = await console.execute("serve 0")
        assert started.ok, started.error
        url = started.value["url"]
        client = boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="a",
            aws_secret_access_key="b",
        )
        listed = await asyncio.to_thread(client.list_queues)
        assert listed["QueueUrls"][0].endswith("/served")
        assert not (await console.execute("serve 0")).ok  # already serving
        assert (await console.execute("serve stop")).ok
        assert (await console.execute("serve status")).value == {"serving": False, "url": None}
        assert not (await console.execute("serve nope")).ok
        console.close()
