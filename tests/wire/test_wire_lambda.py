"""boto3's Lambda client against the lab: zip deployment, invoke payloads, errors and logs."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest

HANDLER = """
def handler(event, context):
    print("got", event)
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"doubled": event["n"] * 2}
"""


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


async def _create(lab, name: str = "doubler") -> dict:
    client = lab.client("lambda")
    return await lab.call(
        client.create_function,
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/lab",
        Handler="index.handler",
        Code={"ZipFile": _zip(HANDLER)},
    )


async def test_create_from_zip_and_invoke_with_log_tail(lab) -> None:
    client = lab.client("lambda")
    created = await _create(lab)
    assert created["FunctionName"] == "doubler"
    answer = await lab.call(
        client.invoke, FunctionName="doubler", Payload=b'{"n": 21}', LogType="Tail"
    )
    assert answer["StatusCode"] == 200
    assert json.loads(answer["Payload"].read()) == {"doubled": 42}
    assert "got {'n': 21}" in base64.b64decode(answer["LogResult"]).decode()
    assert "FunctionError" not in answer


async def test_failed_invocation_sets_the_function_error_header(lab) -> None:
    client = lab.client("lambda")
    await _create(lab)
    answer = await lab.call(client.invoke, FunctionName="doubler", Payload=b'{"fail": true}')
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "asked to fail"


async def test_event_invocation_answers_202(lab) -> None:
    client = lab.client("lambda")
    await _create(lab)
    answer = await lab.call(
        client.invoke, FunctionName="doubler", InvocationType="Event", Payload=b'{"n": 1}'
    )
    assert answer["StatusCode"] == 202


async def test_missing_function_raises_the_modeled_exception(lab) -> None:
    client = lab.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await lab.call(client.get_function, FunctionName="nope")


async def test_list_functions_paginator_and_function_active_waiter(lab) -> None:
    client = lab.client("lambda")
    for index in range(3):
        await _create(lab, f"f{index}")
    waiter = client.get_waiter("function_active_v2")
    await lab.call(waiter.wait, FunctionName="f0", WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    paginator = client.get_paginator("list_functions")

    def collect() -> list[str]:
        pages = paginator.paginate(PaginationConfig={"PageSize": 2})
        return sorted(f["FunctionName"] for page in pages for f in page["Functions"])

    assert await lab.call(collect) == ["f0", "f1", "f2"]
