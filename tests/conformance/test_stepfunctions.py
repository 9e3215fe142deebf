"""Step Functions conformance: every recorded AWS execution in the shared corpus, run here."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import json5

from engine import Engine, FunctionError, ServiceError, VirtualClock
from engine.services.stepfunctions.service import StepFunctionsService

from .corpus import expected_failures, load_json, report, require_corpus

AWS_ACCOUNT = "111111111111"
#: When the time-dependent Wait cases were captured: their timestamps are relative to it.
CAPTURE_TIME = datetime(2026, 11, 28, 14, 38, 10, tzinfo=UTC).timestamp()
#: Snapshot tokens that stand for generated values.
_TOKEN = re.compile(r"<[A-Za-z_\-0-9:]+>|111111111111")
_WILDCARD_VALUES = {
    "date",
    "timestamp",
    "<timestamp>",
    "start-time",
    "entered-time",
    "snf_role_arn",
    "sfn_role_arn",
    "lambda_function_name",
}


class CustomException(Exception):
    """The exception class fn_raise_custom_exception raises."""


def _fn_behaviour(name: str, clock: Any) -> Any:
    """A Python stand-in for one of the corpus's Lambda handlers (see the corpus README)."""
    base = re.sub(r"_\d+$", "", name)

    async def wait_60(event: Any) -> Any:
        await clock.sleep(60)
        return event

    def raise_exception(event: Any) -> Any:
        raise Exception("Some exception was raised.")

    def raise_custom(event: Any) -> Any:
        raise CustomException()

    behaviours = {
        "fn_id_function": lambda event: event,
        "fn_echo_function": lambda event: {"Return": "HelloWorld"},
        "fn_return_bytes_str": lambda event: "HelloWorld!",
        "fn_return_decorated_input": lambda event: "input-event-" + str(event),
        "fn_raise_exception": raise_exception,
        "fn_raise_custom_exception": raise_custom,
        "fn_large_output_string": lambda event: "a" * (257 * 1024),
        "fn_wait_60_seconds": wait_60,
    }
    return behaviours.get(base)


def _lambda_error(error: Exception, request_id: str) -> FunctionError:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    if type(error) is Exception:
        where = 'line 2, in handler\n    raise Exception("Some exception was raised.")'
    else:
        where = "line 9, in handler\n    raise CustomException()"
    return FunctionError(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": [f'  File "/var/task/handler.py", {where}\n'],
        }
    )


def install_functions(eng: Engine, clock: VirtualClock) -> None:
    """Make fn_* callable: through Lambda when it exists, else via the service's invoker hook."""
    service = eng.service("stepfunctions")
    assert isinstance(service, StepFunctionsService)

    async def invoke(arn: str, event: Any) -> Any:
        name = arn.split(":function:", 1)[-1].split(":")[0]
        handler = _fn_behaviour(name, clock)
        if handler is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Function not found: {arn}:$LATEST", status_code=404
            )
        try:
            result = handler(event)
            if asyncio.iscoroutine(result):
                result = await result
        except Exception as error:
            raise _lambda_error(error, eng.ids.uuid()) from None
        return json.loads(json.dumps(result))

    service.function_invoker = invoke


def _definition(case: dict[str, Any], base: Any) -> str:
    definition = case.get("definition")
    if definition is None:
        definition = json5.loads((base / case["definition_file"]).read_text())
    return json.dumps(definition).replace(AWS_ACCOUNT, "123456789012")


def _pattern(expected: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _TOKEN.finditer(expected):
        parts.append(re.escape(expected[last : match.start()]))
        parts.append(".*?")
        last = match.end()
    parts.append(re.escape(expected[last:]))
    return re.compile("".join(parts), re.DOTALL)


def same(expected: Any, actual: Any, key: str | None = None) -> bool:
    """JSON equality where snapshot placeholders match anything of their kind.

    The snapshots also replace some values by their own key's name (`"RequestId": "RequestId"`).
    """
    if isinstance(expected, str):
        if expected in _WILDCARD_VALUES or expected == key:
            return True
        if not isinstance(actual, str):
            return False
        if _TOKEN.search(expected):
            return _pattern(expected).fullmatch(actual) is not None
        return expected == actual
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and expected == actual
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(expected) == set(actual)
            and all(same(v, actual[k], k) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual


def _cause_matches(case: dict[str, Any], cause: str | None) -> bool:
    expected = case.get("expected_cause")
    if case.get("expected_cause_is_json") or isinstance(expected, (dict, list)):
        try:
            parsed = json.loads(cause) if cause is not None else None
        except ValueError:
            return False
        return same(expected, parsed)
    if expected is None:
        return cause is None
    return same(expected, cause)


def history_problem(expected: list[dict[str, Any]], events: list[dict[str, Any]]) -> str | None:
    """Where a history differs from AWS's in event types, ids and previousEventIds.

    The snapshots replaced the ids of concurrent branch events by a list: those ids match any.
    """
    if len(expected) != len(events):
        return f"{len(events)} events, AWS had {len(expected)}"
    for want, got in zip(expected, events, strict=True):
        if want["type"] != got["type"]:
            return f"event {got['id']} is {got['type']}, AWS had {want['type']}"
        if isinstance(want["id"], list):
            continue
        if (want["id"], want["previousEventId"]) != (got["id"], got["previousEventId"]):
            return (
                f"{got['type']} {got['id']} follows {got['previousEventId']}, "
                f"AWS: {want['id']} follows {want['previousEventId']}"
            )
    return None


async def run_case(
    case: dict[str, Any], base: Any, histories: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Run one case: (how the result differs, how the history differs) — None when equal."""
    start = CAPTURE_TIME if case.get("time_dependent_input") else None
    clock = VirtualClock() if start is None else VirtualClock(start=start)
    history = None
    async with Engine(clock=clock) as eng:
        install_functions(eng, clock)
        sfn = eng.client("stepfunctions")
        express = "express/" in case["name"]
        machine = await sfn.create_state_machine(
            name="conformance",
            definition=_definition(case, base),
            roleArn="arn:aws:iam::123456789012:role/sfn",
            type="EXPRESS" if express else "STANDARD",
        )
        text = json.dumps(case["input"]).replace(AWS_ACCOUNT, "123456789012")
        if express:
            result = await sfn.start_sync_execution(
                stateMachineArn=machine["stateMachineArn"], input=text
            )
        else:
            started = await sfn.start_execution(
                stateMachineArn=machine["stateMachineArn"], input=text
            )
            arn = started["executionArn"]
            for _ in range(10_000):
                result = await sfn.describe_execution(executionArn=arn)
                if result["status"] != "RUNNING":
                    break
                if not await clock.step():
                    await clock.settle()
            result = await sfn.describe_execution(executionArn=arn)
            key = case.get("history_key")
            if key in histories:
                events = (await sfn.get_execution_history(executionArn=arn, maxResults=1000))[
                    "events"
                ]
                history = history_problem(histories[key], events)
    return result_problem(case, result), history


def result_problem(case: dict[str, Any], result: dict[str, Any]) -> str | None:
    """How an execution's outcome differs from AWS's recorded one (None: it does not)."""
    if result["status"] != case["status"]:
        return f"status {result['status']} ({result.get('error')}: {result.get('cause')})"
    if case["status"] == "SUCCEEDED":
        if "expected_output" not in case:  # AWS recorded only the status
            return None
        output = json.loads(result["output"])
        if not same(case["expected_output"], output):
            return f"output {json.dumps(output)[:400]}"
        return None
    if not same(case["expected_error"], result.get("error")) and not (
        case["expected_error"] is None and "error" not in result
    ):
        return f"error {result.get('error')!r}"
    if not _cause_matches(case, result.get("cause")):
        return f"cause {result.get('cause')!r}"[:400]
    return None


async def test_stepfunctions_conformance() -> None:
    """Every corpus case gives AWS's output or error, except those listed with a reason."""
    cases = load_json("stepfunctions", "cases.json")
    histories = load_json("stepfunctions", "histories.json")
    base = require_corpus("stepfunctions")
    allowed = expected_failures("stepfunctions")
    totals: Counter[str] = Counter()
    passes: Counter[str] = Counter()
    unexpected: list[str] = []
    history_total = history_passed = 0
    for case in cases:
        category = case["category"]
        totals[category] += 1
        try:
            problem, history = await run_case(case, base, histories)
        except ServiceError as error:
            problem, history = f"{error.code}: {error.message}"[:400], None
        if problem is None:
            passes[category] += 1
        elif case["name"] not in allowed:
            unexpected.append(f"{case['name']}: {problem}")
        if case.get("history_key") in histories and "express/" not in case["name"]:
            history_total += 1
            if history is None:
                history_passed += 1
            elif f"history:{case['name']}" not in allowed:
                unexpected.append(f"history:{case['name']}: {history}")
    by_category = {c: (passes[c], totals[c]) for c in totals}
    print(report("stepfunctions", sum(passes.values()), len(cases), by_category))
    print(report("stepfunctions_history", history_passed, history_total))
    assert not unexpected, f"{len(unexpected)} unexpected failures:\n" + "\n".join(unexpected[:60])
