"""Lambda Invoke: zip handlers in their own namespace, context, logs, errors, limits, faults."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import zipfile

import pytest

from engine import ServiceError

ROLE = "arn:aws:iam::123456789012:role/lab"


def zipped(files: dict[str, str]) -> bytes:
    """A deployment package holding `files`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, source)
    return buffer.getvalue()


async def create(eng, name: str, source: str, **extra) -> dict:
    files = extra.pop("files", {})
    return await eng.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=extra.pop("Handler", "index.handler"),
        Code={"ZipFile": zipped({"index.py": source, **files})},
        **extra,
    )


async def invoke(eng, name: str, payload: object = None, **extra) -> tuple[dict, object]:
    params = {"FunctionName": name, **extra}
    if payload is not None:
        params["Payload"] = json.dumps(payload)
    response = await eng.client("lambda").invoke(**params)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


async def test_zip_handler_returns_result(eng):
    await create(eng, "f", "def handler(event, context):\n    return {'got': event}\n")
    response, result = await invoke(eng, "f", {"a": 1})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert result == {"got": {"a": 1}}


async def test_empty_payload_is_empty_object(eng):
    await create(eng, "f", "def handler(event, context):\n    return event\n")
    _, result = await invoke(eng, "f")
    assert result == {}


async def test_handler_imports_sibling_module_without_touching_sys_modules(eng):
    files = {"helpers/__init__.py": "", "helpers/maths.py": "def double(x):\n    return 2 * x\n"}
    source = "from helpers.maths import double\ndef handler(event, context):\n    return double(event['n'])\n"
    await create(eng, "f", source, files=files)
    _, result = await invoke(eng, "f", {"n": 21})
    assert result == 42
    assert "helpers" not in sys.modules and "index" not in sys.modules


async def test_context_object_fields(eng):
    source = (
        "def handler(event, context):\n"
        "    return [context.function_name, context.function_version, context.invoked_function_arn,\n"
        "            context.memory_limit_in_mb, context.log_group_name, context.aws_request_id,\n"
        "            context.get_remaining_time_in_millis()]\n"
    )
    await create(eng, "ctx", source, Timeout=7, MemorySize=256)
    _, result = await invoke(eng, "ctx")
    assert result[:5] == [
        "ctx",
        "$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:ctx",
        "256",
        "/aws/lambda/ctx",
    ]
    assert len(result[5]) == 36
    assert result[6] == 7000


async def test_remaining_time_follows_the_engine_clock(eng):
    async def handler(event, context):
        await eng.clock.sleep(2.5)
        return context.get_remaining_time_in_millis()

    eng.register_function("timer", handler, Timeout=10)
    task = eng.spawn(eng.client("lambda").invoke(FunctionName="timer"))
    await eng.clock.advance(3)
    assert json.loads(task.result()["Payload"].read()) == 7500


async def test_environment_variables_visible_only_inside(eng):
    source = "import os\ndef handler(event, context):\n    return [os.environ['COLOUR'], os.getenv('AWS_LAMBDA_FUNCTION_NAME')]\n"
    await create(eng, "env", source, Environment={"Variables": {"COLOUR": "teal"}})
    _, result = await invoke(eng, "env")
    assert result == ["teal", "env"]
    assert "COLOUR" not in os.environ


async def test_sync_callable_sees_variables_during_invocation_only(eng):
    eng.register_function(
        "cb", lambda e, c: os.environ.get("GREETING"), Environment={"Variables": {"GREETING": "hi"}}
    )
    _, result = await invoke(eng, "cb")
    assert result == "hi"
    assert "GREETING" not in os.environ


async def test_print_and_logging_go_to_log_tail(eng):
    source = (
        "import logging\nlogger = logging.getLogger('app')\n"
        "def handler(event, context):\n    print('hello from print')\n"
        "    logger.warning('careful')\n    return 1\n"
    )
    await create(eng, "logs", source)
    response, _ = await invoke(eng, "logs", LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId: ")
    assert "hello from print" in tail
    assert "[WARNING]\t2026-01-01T00:00:00.000Z\t" in tail and "careful" in tail
    assert "REPORT RequestId: " in tail and "Init Duration" in tail


async def test_log_tail_is_last_4kb(eng):
    await create(eng, "big", "def handler(event, context):\n    print('x' * 10000)\n    return 1\n")
    response, _ = await invoke(eng, "big", LogType="Tail")
    assert len(base64.b64decode(response["LogResult"])) == 4096


async def test_print_is_not_captured_outside_invocations(eng, capsys):
    await create(eng, "p", "def handler(event, context):\n    print('inside')\n")
    await invoke(eng, "p")
    print("outside")
    assert capsys.readouterr().out == "outside\n"


async def test_function_logs_keep_lines(eng):
    await create(eng, "kept", "def handler(event, context):\n    print('line!')\n")
    await invoke(eng, "kept")
    lines = eng.service("lambda").function_logs("kept")
    assert "line!" in lines


async def test_second_invoke_is_warm(eng):
    await create(
        eng,
        "w",
        "count = 0\ndef handler(event, context):\n    global count\n    count += 1\n    return count\n",
    )
    _, first = await invoke(eng, "w")
    _, second = await invoke(eng, "w")
    assert (first, second) == (1, 2)
    assert eng.service("lambda").functions["w"].cold_starts == 1


async def test_unhandled_exception_payload(eng):
    await create(eng, "boom", "def handler(event, context):\n    raise ValueError('bad input')\n")
    response, error = await invoke(eng, "boom")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad input"
    assert error["stackTrace"] == [
        "  File \"/var/task/index.py\", line 2, in handler\n    raise ValueError('bad input')\n"
    ]


async def test_import_error(eng):
    await create(eng, "imp", "import no_such_lib\ndef handler(event, context):\n    return 1\n")
    response, error = await invoke(eng, "imp")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"] == "Unable to import module 'index': No module named 'no_such_lib'"


async def test_handler_not_found(eng):
    await create(eng, "hnf", "def other(event, context):\n    return 1\n")
    _, error = await invoke(eng, "hnf")
    assert error["errorType"] == "Runtime.HandlerNotFound"
    assert error["errorMessage"] == "Handler 'handler' missing on module 'index'"


async def test_missing_module(eng):
    await create(eng, "mm", "x = 1\n", Handler="main.handler")
    _, error = await invoke(eng, "mm")
    assert error["errorMessage"] == "Unable to import module 'main': No module named 'main'"


async def test_syntax_error(eng):
    await create(eng, "syn", "def handler(event, context)\n    return 1\n")
    _, error = await invoke(eng, "syn")
    assert error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert error["errorMessage"].startswith("Syntax error in module 'index': ")


async def test_malformed_handler_name(eng):
    await create(eng, "mal", "x = 1\n", Handler="index")
    _, error = await invoke(eng, "mal")
    assert error["errorType"] == "Runtime.MalformedHandlerName"
    assert (
        error["errorMessage"]
        == "Bad handler 'index': not enough values to unpack (expected 2, got 1)"
    )


async def test_unserialisable_result(eng):
    await create(eng, "ser", "def handler(event, context):\n    return {1, 2}\n")
    _, error = await invoke(eng, "ser")
    assert error["errorType"] == "Runtime.MarshalError"
    assert (
        error["errorMessage"]
        == "Unable to marshal response: Object of type set is not JSON serializable"
    )


async def test_timeout_on_engine_clock(eng):
    async def slow(event, context):
        await eng.clock.sleep(60)

    eng.register_function("slow", slow, Timeout=3)
    task = eng.spawn(eng.client("lambda").invoke(FunctionName="slow", LogType="Tail"))
    await eng.clock.advance(3)
    response = task.result()
    error = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 3.00 seconds")
    assert "Task timed out after 3.00 seconds" in base64.b64decode(response["LogResult"]).decode()


async def test_engine_keeps_running_after_errors(eng):
    await create(
        eng, "bad", "raise RuntimeError('init failed')\ndef handler(e, c):\n    return 1\n"
    )
    await create(eng, "good", "def handler(e, c):\n    return 'ok'\n")
    _, error = await invoke(eng, "bad")
    _, result = await invoke(eng, "good")
    assert error["errorType"] == "RuntimeError"
    assert result == "ok"


async def test_dry_run(eng):
    await create(eng, "d", "def handler(e, c):\n    raise Exception('never')\n")
    response = await eng.client("lambda").invoke(FunctionName="d", InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert eng.service("lambda").functions["d"].invocations == 0


async def test_invalid_json_payload(eng):
    await create(eng, "j", "def handler(e, c):\n    return e\n")
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(FunctionName="j", Payload=b"{not json")
    assert raised.value.code == "InvalidRequestContentException"


async def test_sync_payload_limit(eng):
    await create(eng, "lim", "def handler(e, c):\n    return 1\n")
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(
            FunctionName="lim", Payload=b'"' + b"x" * 6 * 1024 * 1024 + b'"'
        )
    assert raised.value.code == "RequestEntityTooLargeException"
    assert raised.value.status_code == 413


async def test_async_payload_limit(eng):
    await create(eng, "lim", "def handler(e, c):\n    return 1\n")
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(
            FunctionName="lim", InvocationType="Event", Payload=b'"' + b"x" * 300_000 + b'"'
        )
    assert raised.value.code == "RequestEntityTooLargeException"


async def test_response_over_6mb_is_function_error(eng):
    await create(eng, "huge", "def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n")
    response, error = await invoke(eng, "huge")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Function.ResponseSizeTooLarge"


async def test_missing_function(eng):
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(FunctionName="ghost")
    assert raised.value.code == "ResourceNotFoundException"
    assert (
        raised.value.message
        == "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost:$LATEST"
    )


async def test_async_callable_registered(eng):
    async def handler(event, context):
        return {"async": event["v"]}

    arn = eng.register_function("asy", handler)
    assert arn == "arn:aws:lambda:us-east-1:123456789012:function:asy"
    _, result = await invoke(eng, "asy", {"v": 5})
    assert result == {"async": 5}


async def test_reserved_concurrency_zero_throttles(eng):
    eng.register_function("t", lambda e, c: 1)
    await eng.client("lambda").put_function_concurrency(
        FunctionName="t", ReservedConcurrentExecutions=0
    )
    with pytest.raises(ServiceError) as raised:
        await invoke(eng, "t")
    assert raised.value.code == "TooManyRequestsException"
    assert raised.value.status_code == 429
    assert raised.value.extra["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


async def test_reserved_concurrency_one_throttles_second_concurrent_call(eng):
    async def slow(event, context):
        await eng.clock.sleep(1)
        return 1

    eng.register_function("one", slow, Timeout=5)
    await eng.client("lambda").put_function_concurrency(
        FunctionName="one", ReservedConcurrentExecutions=1
    )
    first = eng.spawn(eng.client("lambda").invoke(FunctionName="one"))
    await eng.clock.settle()
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(FunctionName="one")
    assert raised.value.code == "TooManyRequestsException"
    await eng.clock.advance(1)
    assert first.result()["StatusCode"] == 200


async def test_account_concurrency_limit(eng):
    async def slow(event, context):
        await eng.clock.sleep(1)

    eng.settings["lambda.account_concurrency"] = 2
    eng.register_function("acc", slow)
    tasks = [eng.spawn(eng.client("lambda").invoke(FunctionName="acc")) for _ in range(2)]
    await eng.clock.settle()
    with pytest.raises(ServiceError) as raised:
        await eng.client("lambda").invoke(FunctionName="acc")
    assert raised.value.extra["Reason"] == "ConcurrentInvocationLimitExceeded"
    await eng.clock.advance(1)
    assert all(t.done() for t in tasks)


async def test_injected_failure(eng):
    eng.register_function("flaky", lambda e, c: 1)
    eng.faults.configure("flaky", failure=1.0)
    response, error = await invoke(eng, "flaky")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"


async def test_injected_latency_takes_clock_time(eng):
    eng.register_function("lag", lambda e, c: c.get_remaining_time_in_millis(), Timeout=10)
    eng.faults.configure("lag", latency=2.0)
    task = eng.spawn(eng.client("lambda").invoke(FunctionName="lag"))
    await eng.clock.settle()
    assert not task.done()
    await eng.clock.advance(2)
    assert json.loads(task.result()["Payload"].read()) == 8000


async def test_cold_and_warm_starts_in_trace(eng):
    eng.register_function("tr", lambda e, c: 1)
    recorder = eng.trace.record()
    await invoke(eng, "tr")
    await invoke(eng, "tr")
    colds = [e.detail["cold"] for e in recorder.events if e.kind == "invoked"]
    assert colds == [True, False]


async def test_failure_is_traced_with_error_type(eng):
    await create(eng, "tf", "def handler(e, c):\n    raise KeyError('k')\n")
    recorder = eng.trace.record()
    await invoke(eng, "tf")
    failed = [e for e in recorder.events if e.kind == "failed"]
    assert failed[0].detail["error_type"] == "KeyError"


async def test_sys_exit_is_runtime_exit_error(eng):
    await create(eng, "quit", "import sys\ndef handler(e, c):\n    sys.exit(3)\n")
    response, error = await invoke(eng, "quit")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Runtime exited with error: exit status 3")


async def test_handler_in_package_with_relative_import(eng):
    files = {"app/__init__.py": "", "app/util.py": "PREFIX = 'hello '\n"}
    source = "x = 1\n"
    handler = "from .util import PREFIX\ndef handler(e, c):\n    return PREFIX + e['name']\n"
    await create(
        eng, "pkg", source, files={**files, "app/main.py": handler}, Handler="app/main.handler"
    )
    _, result = await invoke(eng, "pkg", {"name": "ada"})
    assert result == "hello ada"


async def test_handler_own_timeout_error_is_not_a_function_timeout(eng):
    await create(eng, "own", "def handler(e, c):\n    raise TimeoutError('socket timed out')\n")
    _, error = await invoke(eng, "own")
    assert error["errorType"] == "TimeoutError"
    assert error["errorMessage"] == "socket timed out"


async def test_time_sleep_in_zip_code_runs_on_the_clock(eng):
    source = (
        "import time\n"
        "def handler(e, c):\n"
        "    start = time.time()\n"
        "    time.sleep(2)\n"
        "    return [time.time() - start, c.get_remaining_time_in_millis()]\n"
    )
    await create(eng, "nap", source, Timeout=10)
    task = eng.spawn(invoke(eng, "nap"))
    await eng.clock.settle()
    assert not task.done()
    await eng.clock.advance(2)
    _, result = task.result()
    assert result == [2.0, 8000]
    assert eng.clock.now() == 1_767_225_602.0


async def test_time_sleep_past_timeout_times_out(eng):
    await create(eng, "long", "import time\ndef handler(e, c):\n    time.sleep(60)\n", Timeout=3)
    task = eng.spawn(invoke(eng, "long"))
    await eng.clock.advance(3)
    _, error = task.result()
    assert error["errorType"] == "Sandbox.Timedout"
