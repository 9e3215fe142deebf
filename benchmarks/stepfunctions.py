"""Step Functions throughput: EXPRESS executions of 10 Pass states, and a 10,000-item Map.

Prints one JSON object: executions/s through the client (sync and async starts), the floor
(a no-op client call rate, the most any client-driven start could reach), the Map's virtual
duration, wall time and peak live iterations, and a like-for-like row beside moto: STANDARD
executions started and polled to SUCCEEDED, with moto's state execution turned on
(`execute_state_machine`; without it moto only records a start). moto has no
StartSyncExecution, so the EXPRESS rows have no peer figure and say so; moto 5.2 with execution
on fails its second StartExecution in a process (it deep-copies a machine holding a thread
lock), and the row says that rather than print a figure.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
import tracemalloc
from typing import Any

from engine import Engine, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"
TARGET_EXECUTIONS_PER_SECOND = 3000
PASS_STATES = 10


def ten_pass_states() -> str:
    """A definition of 10 Pass states in a row."""
    states: dict[str, Any] = {}
    for i in range(PASS_STATES):
        state: dict[str, Any] = {"Type": "Pass"}
        if i + 1 < PASS_STATES:
            state["Next"] = f"S{i + 1}"
        else:
            state["End"] = True
        states[f"S{i}"] = state
    return json.dumps({"StartAt": "S0", "States": states})


async def express_rates(count: int) -> dict[str, float]:
    """Executions/s of StartSyncExecution and StartExecution, and the no-op call floor."""
    clock = VirtualClock()
    async with Engine(clock=clock) as eng:
        sfn = eng.client("stepfunctions")
        arn = (
            await sfn.create_state_machine(
                name="bench", definition=ten_pass_states(), roleArn=ROLE, type="EXPRESS"
            )
        )["stateMachineArn"]
        payload = '{"order": 1}'
        began = time.perf_counter()
        for _ in range(count):
            await sfn.start_sync_execution(stateMachineArn=arn, input=payload)
        sync_rate = count / (time.perf_counter() - began)

        began = time.perf_counter()
        for _ in range(count):
            await sfn.start_execution(stateMachineArn=arn, input=payload)
        await clock.settle()
        async_rate = count / (time.perf_counter() - began)

        began = time.perf_counter()
        for _ in range(count):
            await sfn.describe_state_machine(stateMachineArn=arn)
        floor = count / (time.perf_counter() - began)
    return {"sync": sync_rate, "async": async_rate, "floor": floor}


async def map_run(items: int, concurrency: int) -> dict[str, float]:
    """A Map over `items` with MaxConcurrency `concurrency`, each item waiting 1 s."""
    clock = VirtualClock()
    async with Engine(clock=clock) as eng:
        sfn = eng.client("stepfunctions")
        definition = json.dumps(
            {
                "StartAt": "M",
                "States": {
                    "M": {
                        "Type": "Map",
                        "MaxConcurrency": concurrency,
                        "ItemProcessor": {
                            "ProcessorConfig": {"Mode": "INLINE"},
                            "StartAt": "W",
                            "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}},
                        },
                        "ResultPath": None,
                        "End": True,
                    }
                },
            }
        )
        arn = (
            await sfn.create_state_machine(
                name="map", definition=definition, roleArn=ROLE, type="EXPRESS"
            )
        )["stateMachineArn"]
        tracemalloc.start()
        started_at = clock.now()
        began = time.perf_counter()
        task = asyncio.ensure_future(
            sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(list(range(items))))
        )
        result = await clock.run(task)
        wall = time.perf_counter() - began
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stats = eng.service("stepfunctions").map_stats
        return {
            "status": result["status"],
            "items": items,
            "max_concurrency": concurrency,
            "virtual_seconds": clock.now() - started_at,
            "wall_seconds": round(wall, 3),
            "peak_live_iterations": stats.peak,
            "peak_traced_mb": round(peak_bytes / 1e6, 2),
        }


def _moto_client() -> Any:
    """A boto3 client on moto with its state execution turned on (None without moto)."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    # moto records a start and nothing else unless told to run the states.
    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
    mock.start()
    return boto3.client("stepfunctions", region_name="us-east-1")


def moto_sync_supported(client: Any, arn: str) -> bool:
    """Whether moto answers StartSyncExecution (5.x says 'Not yet implemented')."""
    try:
        client.start_sync_execution(stateMachineArn=arn, input="{}")
    except Exception:  # noqa: BLE001 — any refusal means it cannot do the work
        return False
    return True


async def standard_to_completion(count: int, rounds: int = 5) -> dict[str, Any]:
    """STANDARD, 10 Pass states, start → SUCCEEDED: ours beside moto running its states.

    The same work on both sides, in alternating rounds: start `count` executions, then poll
    `describe_execution` until every one has finished with its output.
    """
    eng = Engine()  # a real clock: moto runs its executions in threads in real time
    sfn = eng.client("stepfunctions")
    moto = _moto_client()
    express_sync = None
    if moto is not None:
        express = moto.create_state_machine(
            name="express", definition=ten_pass_states(), roleArn=ROLE, type="EXPRESS"
        )["stateMachineArn"]
        express_sync = moto_sync_supported(moto, express)
    names = (f"e{number}" for number in itertools.count())

    # moto 5.2 deep-copies the machine on each start and fails once the machine holds a
    # finished execution (its thread lock does not copy), so each execution gets a machine
    # of its own, made before the clock starts, on both sides alike.
    async def ours_machines() -> list[str]:
        return [
            (
                await sfn.create_state_machine(
                    name=next(names), definition=ten_pass_states(), roleArn=ROLE
                )
            )["stateMachineArn"]
            for _ in range(count)
        ]

    def moto_machines() -> list[str]:
        return [
            moto.create_state_machine(name=next(names), definition=ten_pass_states(), roleArn=ROLE)[
                "stateMachineArn"
            ]
            for _ in range(count)
        ]

    async def ours_round() -> float:
        machines = await ours_machines()
        began = time.perf_counter()
        arns = [
            (await sfn.start_execution(stateMachineArn=arn, input='{"order": 1}'))["executionArn"]
            for arn in machines
        ]
        for arn in arns:
            while (await sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                await asyncio.sleep(0)
        return time.perf_counter() - began

    def moto_round() -> float:
        machines = moto_machines()
        began = time.perf_counter()
        arns = [
            moto.start_execution(stateMachineArn=arn, name="run", input='{"order": 1}')[
                "executionArn"
            ]
            for arn in machines
        ]
        for arn in arns:
            while moto.describe_execution(executionArn=arn)["status"] == "RUNNING":
                time.sleep(0.0005)
        return time.perf_counter() - began

    ours: list[float] = []
    theirs: list[float] = []
    moto_failure = None
    await ours_round()  # warm-up
    for _ in range(rounds):
        ours.append(count / await ours_round())
        if moto is not None and moto_failure is None:
            try:
                theirs.append(count / moto_round())
            except Exception as error:  # noqa: BLE001 — the row says what moto could not do
                moto_failure = f"{type(error).__name__}: {error}"
    await eng.close()
    result: dict[str, Any] = {
        "work": "STANDARD, 10 Pass states, start_execution → describe until SUCCEEDED",
        "ours_best": round(max(ours)),
        "ours_median": round(sorted(ours)[len(ours) // 2]),
    }
    if moto is None:
        result["moto"] = "moto not installed"
    elif moto_failure is not None:
        result["moto"] = f"cannot do the work with execution on ({moto_failure})"
    else:
        result["moto_best"] = round(max(theirs))
        result["moto_median"] = round(sorted(theirs)[len(theirs) // 2])
        result["moto_setting"] = (
            'mock_aws(config={"stepfunctions": {"execute_state_machine": True}})'
        )
        result["ratio_median"] = round(result["ours_median"] / result["moto_median"], 1)
        result["moto_express_sync"] = (
            "supported" if express_sync else "moto has no StartSyncExecution: no peer figure"
        )
    return result


def main() -> None:
    """Run the measurements and print them as one JSON object."""
    rates = asyncio.run(express_rates(5000))
    small = asyncio.run(map_run(1_000, 100))
    large = asyncio.run(map_run(10_000, 100))
    standard = asyncio.run(standard_to_completion(int(os.environ.get("SFN_STANDARD", "50"))))
    print(
        json.dumps(
            {
                "express_10_pass_sync_executions_per_s": round(rates["sync"]),
                "express_10_pass_async_executions_per_s": round(rates["async"]),
                "floor_noop_client_calls_per_s": round(rates["floor"]),
                "express_peer": "none: moto 5 does not implement StartSyncExecution",
                "standard_to_completion_executions_per_s": standard,
                "target_executions_per_s": TARGET_EXECUTIONS_PER_SECOND,
                "map_1000_items": small,
                "map_10000_items": large,
                "map_memory_bounded_by_concurrency": large["peak_live_iterations"] <= 100
                and small["peak_live_iterations"] <= 100,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
