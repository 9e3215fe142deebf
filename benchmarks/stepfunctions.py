"""Step Functions throughput: EXPRESS executions of 10 Pass states, and a 10,000-item Map.

Prints one JSON object: executions/s through the client (sync and async starts), the floor
(a no-op client call rate, the most any client-driven start could reach), moto's rate for the
same machine, and the Map's virtual duration, wall time and peak live iterations.
"""

from __future__ import annotations

import asyncio
import json
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


def moto_rate(count: int) -> float | None:
    """moto's StartExecution rate for the same machine (None when moto is not installed)."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        return None
    with mock_aws():
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name="bench", definition=ten_pass_states(), roleArn=ROLE, type="EXPRESS"
        )["stateMachineArn"]
        began = time.perf_counter()
        for i in range(count):
            client.start_execution(stateMachineArn=arn, name=f"e{i}", input='{"order": 1}')
        return count / (time.perf_counter() - began)


def main() -> None:
    """Run the measurements and print them as one JSON object."""
    rates = asyncio.run(express_rates(5000))
    small = asyncio.run(map_run(1_000, 100))
    large = asyncio.run(map_run(10_000, 100))
    moto = moto_rate(300)
    print(
        json.dumps(
            {
                "express_10_pass_sync_executions_per_s": round(rates["sync"]),
                "express_10_pass_async_executions_per_s": round(rates["async"]),
                "floor_noop_client_calls_per_s": round(rates["floor"]),
                "moto_start_execution_per_s": round(moto) if moto else None,
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
