"""`request` on an HTTP API's `$default` stage, whose invoke URL has no stage segment."""

from __future__ import annotations

from tui.console import Console

_SETUP = (
    "lambda create-function --function-name echo --runtime python3.12 "
    "--role arn:aws:iam::123456789012:role/demo --handler pipework.demos.echo --code '{}'",
    "API=$(apigatewayv2 create-api --name web --protocol-type HTTP "
    "--target arn:aws:lambda:us-east-1:123456789012:function:echo --query ApiId --output text)",
)


async def _quick_created_api(run) -> str:  # type: ignore[no-untyped-def]
    """Quick-create an HTTP API in front of the echo function; its id."""
    for line in _SETUP:
        result = await run(line)
        assert result.ok, (line, result.error)
    apis = await run("apigatewayv2 get-apis")
    return apis.value["Items"][0]["ApiId"]


async def test_invoke_url_without_stage_reaches_the_default_stage(run, console: Console) -> None:
    api_id = await _quick_created_api(run)
    answer = await run(f"request GET https://{api_id}.execute-api.us-east-1.amazonaws.com/hello")
    assert answer.ok and answer.value["status"] == 200
    assert '"rawPath": "/hello"' in answer.value["body"]


async def test_api_name_and_path_reach_the_default_stage(run, console: Console) -> None:
    await _quick_created_api(run)
    answer = await run("request GET web/orders/7")
    assert answer.value["status"] == 200
    assert '"rawPath": "/orders/7"' in answer.value["body"]


async def test_named_default_stage_still_works(run, console: Console) -> None:
    await _quick_created_api(run)
    answer = await run("request GET 'web/$default/hello'")
    assert answer.value["status"] == 200
    assert '"rawPath": "/hello"' in answer.value["body"]
