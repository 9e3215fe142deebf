"""Zip code runs in isolated worker processes: hostile handlers hurt only their own environment."""

from __future__ import annotations

import base64
import json
import os

import pytest

from engine import Engine, RealClock

from .test_lambda_invoke import create, invoke

pytestmark = pytest.mark.timeout(60)


async def test_busy_loop_times_out_and_the_lab_keeps_running(eng) -> None:
    await create(eng, "spin", "def handler(e, c):\n    while True:\n        pass\n", Timeout=1)
    await create(eng, "ok", "def handler(e, c):\n    return 'fine'\n")
    started = eng.clock.now()
    response, error = await invoke(eng, "spin")
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    # Computing takes no virtual time: the watchdog ends it after 1 real second.
    assert eng.clock.now() == started
    assert (await invoke(eng, "ok"))[1] == "fine"
    # The runaway environment was ended: the next call is a cold start again.
    await invoke(eng, "spin")
    assert eng.service("lambda").functions["spin"].cold_starts == 2


async def test_os_exit_is_a_runtime_exit_error(eng) -> None:
    await create(eng, "bye", "import os\ndef handler(e, c):\n    print('going')\n    os._exit(7)\n")
    response, error = await invoke(eng, "bye", LogType="Tail")
    assert error["errorType"] == "Runtime.ExitError"
    assert error["errorMessage"].endswith("Error: Runtime exited with error: exit status 7")
    assert error["errorMessage"].startswith("RequestId: ")
    assert "exit status 7" in base64.b64decode(response["LogResult"]).decode()


async def test_segfault_and_base_exceptions_end_only_the_environment(eng) -> None:
    await create(eng, "crash", "import ctypes\ndef handler(e, c):\n    ctypes.string_at(0)\n")
    await create(eng, "interrupt", "def handler(e, c):\n    raise KeyboardInterrupt\n")
    _, crashed = await invoke(eng, "crash")
    assert crashed["errorType"] == "Runtime.ExitError"
    assert crashed["errorMessage"].endswith("Runtime exited with error: signal: segmentation fault")
    _, interrupted = await invoke(eng, "interrupt")
    assert interrupted["errorMessage"].endswith("Runtime exited with error: exit status 1")


async def test_memory_size_is_enforced(eng) -> None:
    source = (
        "def handler(e, c):\n    block = bytearray(1536 * 1024 * 1024)\n    return len(block)\n"
    )
    await create(eng, "hog", source, MemorySize=128)
    response, error = await invoke(eng, "hog", LogType="Tail")
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert error["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert "Error Type: Runtime.OutOfMemory" in base64.b64decode(response["LogResult"]).decode()
    small = "def handler(e, c):\n    return len(bytearray(32 * 1024 * 1024))\n"
    await create(eng, "fits", small, MemorySize=128)
    assert (await invoke(eng, "fits"))[1] == 32 * 1024 * 1024


async def test_environment_holds_only_the_functions_variables(eng, monkeypatch) -> None:
    monkeypatch.setenv("PIPEWORK_LAB_SECRET", "do-not-leak")
    reader = "import os\ndef handler(e, c):\n    return dict(os.environ)\n"
    await create(eng, "a", reader, Environment={"Variables": {"A_SECRET": "alpha"}})
    await create(eng, "b", reader)
    _, seen_by_a = await invoke(eng, "a")
    _, seen_by_b = await invoke(eng, "b")
    assert seen_by_a["A_SECRET"] == "alpha"
    assert "A_SECRET" not in seen_by_b
    for seen in (seen_by_a, seen_by_b):
        assert "PIPEWORK_LAB_SECRET" not in seen
        assert "HOME" not in seen
    assert seen_by_b["AWS_LAMBDA_FUNCTION_NAME"] == "b"
    assert seen_by_b["AWS_REGION"] == "us-east-1"


async def test_patching_the_engine_from_a_handler_changes_nothing_in_the_lab(eng) -> None:
    source = (
        "def handler(e, c):\n"
        "    import json\n"
        "    json.dumps = lambda *a, **k: 'patched'\n"
        "    try:\n"
        "        import engine.services.sqs.service as sqs\n"
        "        sqs.SqsService.send_message = None\n"
        "    except ImportError:\n"
        "        pass\n"
        "    return 'done'\n"
    )
    await create(eng, "patcher", source)
    await invoke(eng, "patcher")
    sqs = eng.client("sqs")
    url = (await sqs.create_queue(QueueName="still-works"))["QueueUrl"]
    await sqs.send_message(QueueUrl=url, MessageBody="hi")
    assert json.dumps({"a": 1}) == '{"a": 1}'


async def test_threads_and_children_die_with_the_environment(eng) -> None:
    source = (
        "import subprocess, sys\n"
        "def handler(e, c):\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    return child.pid\n"
    )
    await create(eng, "spawner", source)
    _, pid = await invoke(eng, "spawner")
    os.kill(pid, 0)  # alive while the environment is
    await eng.client("lambda").delete_function(FunctionName="spawner")
    await eng.service("lambda").runtime.sandboxes.close()
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        try:  # reap it if it became ours
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        await __import__("asyncio").sleep(0.02)
    else:
        pytest.fail("the handler's child outlived its environment")


async def test_cold_start_is_real_and_traced(eng) -> None:
    await create(eng, "warm", "import json\ndef handler(e, c):\n    return 1\n")
    recorder = eng.trace.record()
    first, _ = await invoke(eng, "warm", LogType="Tail")
    await invoke(eng, "warm")
    colds = [e.detail["cold"] for e in recorder.events if e.kind == "invoked"]
    assert colds == [True, False]
    report = base64.b64decode(first["LogResult"]).decode().splitlines()[-1]
    init = float(report.split("Init Duration: ")[1].split(" ms")[0])
    assert init > 0


async def test_concurrent_invocations_get_their_own_environments() -> None:
    import asyncio

    async with Engine(clock=RealClock()) as eng:
        source = (
            "import os, time\ndef handler(e, c):\n    time.sleep(0.5)\n    return os.getpid()\n"
        )
        await create(eng, "par", source, Timeout=5)
        results = await asyncio.gather(*(invoke(eng, "par") for _ in range(3)))
        pids = {pid for _, pid in results}
        assert len(pids) == 3
        again = await asyncio.gather(*(invoke(eng, "par") for _ in range(3)))
        assert {pid for _, pid in again} == pids  # the warm ones are reused
        assert eng.service("lambda").functions["par"].cold_starts == 3


async def test_idle_workers_retire_after_the_warm_period_on_the_real_clock() -> None:
    import asyncio

    # 600 s of lab time pass in 0.3 s real; a 300 s timeout is 150 ms real (computing counts
    # at the clock's speed), and the cold start has its own init limit.
    async with Engine(clock=RealClock(speed=2000)) as eng:
        await create(eng, "nap", "def handler(e, c):\n    return 1\n", Timeout=300)
        assert (await invoke(eng, "nap"))[1] == 1
        sandboxes = eng.service("lambda").runtime.sandboxes
        assert len(sandboxes.running) == 1
        for _ in range(100):
            await asyncio.sleep(0.05)
            if not sandboxes.running:
                break
        assert not sandboxes.running
