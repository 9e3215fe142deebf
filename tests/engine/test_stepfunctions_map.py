"""The Map state: selection, batching, concurrency bounds, distributed runs, S3 reader/writer."""

from __future__ import annotations

import json
from typing import Any

from engine import Engine, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/sfn"


async def execute(eng: Engine, clock: VirtualClock, states: dict[str, Any], value: Any) -> dict:
    """Run a machine to its end; returns DescribeExecution."""
    sfn = eng.client("stepfunctions")
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    machine = await sfn.create_state_machine(name="m", definition=definition, roleArn=ROLE)
    started = await sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(value)
    )
    for _ in range(100_000):
        described = await sfn.describe_execution(executionArn=started["executionArn"])
        if described["status"] != "RUNNING":
            break
        if not await clock.step():
            await clock.settle()
    return described


def processor(states: dict[str, Any], mode: str = "INLINE") -> dict[str, Any]:
    """An ItemProcessor running `states`."""
    config: dict[str, Any] = {"Mode": mode}
    if mode == "DISTRIBUTED":
        config["ExecutionType"] = "STANDARD"
    return {"ProcessorConfig": config, "StartAt": next(iter(states)), "States": states}


WAIT_THEN_ECHO = {
    "W": {"Type": "Wait", "Seconds": 1, "Next": "E"},
    "E": {"Type": "Pass", "End": True},
}


async def test_item_selector_sees_index_and_value(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "M": {
            "Type": "Map",
            "ItemsPath": "$.xs",
            "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
            "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, {"xs": ["a", "b"], "k": 1})
    assert json.loads(described["output"]) == [
        {"i": 0, "v": "a", "k": 1},
        {"i": 1, "v": "b", "k": 1},
    ]


async def test_max_concurrency_bounds_time_and_live_iterations(
    eng: Engine, clock: VirtualClock
) -> None:
    states = {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": processor(WAIT_THEN_ECHO),
            "End": True,
        }
    }
    start = clock.now()
    described = await execute(eng, clock, states, list(range(6)))
    assert json.loads(described["output"]) == list(range(6))
    assert clock.now() - start == 3  # six one-second items, two at a time
    assert eng.service("stepfunctions").map_stats.peak == 2


async def test_item_failure_fails_an_inline_map(eng: Engine, clock: VirtualClock) -> None:
    inner = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
            "Default": "OK",
        },
        "F": {"Type": "Fail", "Error": "Two"},
        "OK": {"Type": "Pass", "End": True},
    }
    states = {"M": {"Type": "Map", "ItemProcessor": processor(inner), "End": True}}
    described = await execute(eng, clock, states, [1, 2, 3])
    assert described["error"] == "Two"


async def test_non_array_items_fail(eng: Engine, clock: VirtualClock) -> None:
    states = {"M": {"Type": "Map", "ItemProcessor": processor(WAIT_THEN_ECHO), "End": True}}
    described = await execute(eng, clock, states, {"not": "a list"})
    assert described["cause"].endswith('Map state input must be an array but was: {"not":"a list"}')


async def test_item_batcher_groups_items(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "M": {
            "Type": "Map",
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"b": 1}},
            "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}, "DISTRIBUTED"),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, [1, 2, 3])
    assert json.loads(described["output"]) == [{"b": 1, "Items": [1, 2]}, {"b": 1, "Items": [3]}]


async def test_distributed_map_tolerates_failures_and_records_a_map_run(
    eng: Engine, clock: VirtualClock
) -> None:
    inner = {
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
            "Default": "OK",
        },
        "F": {"Type": "Fail", "Error": "Two"},
        "OK": {"Type": "Pass", "End": True},
    }
    states = {
        "M": {
            "Type": "Map",
            "ToleratedFailureCount": 1,
            "ItemProcessor": processor(inner, "DISTRIBUTED"),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, [1, 2, 3])
    assert described["status"] == "SUCCEEDED"
    sfn = eng.client("stepfunctions")
    runs = await sfn.list_map_runs(executionArn=described["executionArn"])
    run = await sfn.describe_map_run(mapRunArn=runs["mapRuns"][0]["mapRunArn"])
    assert (run["status"], run["itemCounts"]["succeeded"], run["itemCounts"]["failed"]) == (
        "SUCCEEDED",
        2,
        1,
    )


async def test_distributed_map_over_the_threshold_fails(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "M": {
            "Type": "Map",
            "ItemProcessor": processor({"F": {"Type": "Fail", "Error": "X"}}, "DISTRIBUTED"),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, [1])
    assert described["error"] == "States.ExceedToleratedFailureThreshold"


async def test_item_reader_and_result_writer_use_s3(eng: Engine, clock: VirtualClock) -> None:
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="data")
    await s3.put_object(Bucket="data", Key="rows.csv", Body=b"id,name\n1,a\n2,b\n")
    states = {
        "M": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "data", "Key": "rows.csv"},
            },
            "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}, "DISTRIBUTED"),
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "data", "Prefix": "out"},
            },
            "End": True,
        }
    }
    described = await execute(eng, clock, states, {})
    summary = json.loads(described["output"])
    manifest_key = summary["ResultWriterDetails"]["Key"]
    manifest = json.loads((await s3.get_object(Bucket="data", Key=manifest_key))["Body"].read())
    results_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    written = json.loads((await s3.get_object(Bucket="data", Key=results_key))["Body"].read())
    assert written == [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]


async def test_missing_s3_object_is_item_reader_failed(eng: Engine, clock: VirtualClock) -> None:
    await eng.client("s3").create_bucket(Bucket="data")
    states = {
        "M": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "data", "Key": "none.json"},
            },
            "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}, "DISTRIBUTED"),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, {})
    assert described["error"] == "States.ItemReaderFailed"


async def test_distributed_items_run_as_child_executions(eng: Engine, clock: VirtualClock) -> None:
    states = {
        "M": {
            "Type": "Map",
            "Label": "items",
            "ItemProcessor": processor({"P": {"Type": "Pass", "End": True}}, "DISTRIBUTED"),
            "End": True,
        }
    }
    described = await execute(eng, clock, states, [1, 2])
    sfn = eng.client("stepfunctions")
    run_arn = (await sfn.list_map_runs(executionArn=described["executionArn"]))["mapRuns"][0][
        "mapRunArn"
    ]
    children = (await sfn.list_executions(mapRunArn=run_arn))["executions"]
    assert sorted(c["status"] for c in children) == ["SUCCEEDED", "SUCCEEDED"]
    child = await sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == run_arn
    history = await sfn.get_execution_history(executionArn=child["executionArn"])
    assert [e["type"] for e in history["events"]][0] == "ExecutionStarted"
