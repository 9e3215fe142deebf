"""The demo function library: listed with descriptions, creatable by handler name, behaving."""

from __future__ import annotations

import json

import pytest

from engine import ServiceError
from engine.services.awslambda.demos import DEMOS, describe_demos

ROLE = "arn:aws:iam::123456789012:role/lab"


async def demo(eng, name: str, kind: str, **variables: str) -> None:
    params = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": f"pipework.demos.{kind}",
        "Code": {},
    }
    if variables:
        params["Environment"] = {"Variables": variables}
    await eng.client("lambda").create_function(**params)


async def call(eng, name: str, payload: object) -> tuple[dict, object]:
    response = await eng.client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload))
    return response, json.loads(response["Payload"].read())


def test_every_demo_is_described():
    listed = describe_demos()
    assert [d["Name"] for d in listed] == list(DEMOS)
    assert all(d["Description"] and d["Handler"].startswith("pipework.demos.") for d in listed)


async def test_echo_and_uppercase(eng):
    await demo(eng, "echo", "echo")
    await demo(eng, "upper", "uppercase")
    assert (await call(eng, "echo", {"a": "b"}))[1] == {"a": "b"}
    assert (await call(eng, "upper", {"a": ["x", 1]}))[1] == {"a": ["X", 1]}


async def test_fail_then_succeed(eng):
    await demo(eng, "flaky", "fail-then-succeed", FAIL_TIMES="2")
    outcomes = [("FunctionError" in (await call(eng, "flaky", {"id": 1}))[0]) for _ in range(3)]
    assert outcomes == [True, True, False]


async def test_fail_fraction_all_and_none(eng):
    await demo(eng, "always", "fail-fraction", FAILURE_RATE="1")
    await demo(eng, "never", "fail-fraction", FAILURE_RATE="0")
    assert "FunctionError" in (await call(eng, "always", {}))[0]
    assert "FunctionError" not in (await call(eng, "never", {}))[0]


async def test_slow_times_out_on_clock(eng):
    await demo(eng, "slow", "slow", SLEEP_SECONDS="10")
    task = eng.spawn(call(eng, "slow", {}))
    await eng.clock.advance(3)
    response, error = task.result()
    assert error["errorType"] == "Sandbox.Timedout"


async def test_validate_order_and_charge_card(eng):
    await demo(eng, "validate", "validate-order")
    await demo(eng, "charge", "charge-card", CARD_LIMIT="100")
    _, order = await call(
        eng, "validate", {"orderId": "o1", "items": [{"price": 20, "quantity": 2}]}
    )
    assert order["total"] == 40.0
    _, charged = await call(eng, "charge", order)
    assert charged["charged"] == 40.0 and charged["chargeId"].startswith("ch_")
    response, declined = await call(eng, "charge", {"total": 500})
    assert declined["errorType"] == "PaymentDeclined"
    response, invalid = await call(eng, "validate", {"orderId": "o2"})
    assert invalid["errorMessage"] == "Order is missing items"


async def test_create_demo_helper(eng):
    arn = eng.service("lambda").create_demo("helper-echo", "echo")
    assert arn.endswith(":function:helper-echo")
    assert (await call(eng, "helper-echo", [1]))[1] == [1]


async def test_unknown_demo_needs_code(eng):
    with pytest.raises(ServiceError) as raised:
        await demo(eng, "x", "does-not-exist")
    assert raised.value.code == "InvalidParameterValueException"


async def test_a_misspelt_demo_handler_names_the_demos(eng):
    with pytest.raises(ServiceError) as info:
        await demo(eng, "f", "ecko")
    assert info.value.code == "InvalidParameterValueException"
    assert "ecko" in str(info.value) and "pipework.demos.echo" in str(info.value)
    with pytest.raises(ServiceError):
        await eng.client("lambda").get_function(FunctionName="f")
