"""The Map state: items, selection, batching, bounded concurrency, tolerated failures, map runs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import TYPE_CHECKING, Any

from .errors import Failure
from .jsonata_eval import is_expression
from .payload import Evaluator, Scope, compact

if TYPE_CHECKING:
    from .interpreter import Cursor, Runner

#: How many inline iterations AWS runs at once when MaxConcurrency is 0 (unlimited).
INLINE_DEFAULT_CONCURRENCY = 40
#: Distributed maps run up to 10,000 child executions at once.
DISTRIBUTED_DEFAULT_CONCURRENCY = 10_000


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


async def run_map(
    runner: Runner, state: dict[str, Any], value: Any, ev: Evaluator, cursor: Cursor, jsonata: bool
) -> Any:
    """Run a Map state's iterations; returns the list of results (or the ResultWriter summary)."""
    processor = state.get("ItemProcessor") or state["Iterator"]
    distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
    states = ev.states_binding(input=value) if jsonata else None
    effective = value if jsonata else runner.effective_input(state, value, ev)
    if "ItemReader" in state:
        items = await read_items(runner, state["ItemReader"], effective, ev, jsonata, states)
    else:
        items = select_items(state, effective, ev, jsonata, states)
    if "ItemBatcher" in state:
        items = batch_items(state["ItemBatcher"], items, effective, ev, jsonata, states)
    max_concurrency = _setting(
        state, "MaxConcurrency", effective, ev, jsonata, states, integer=True
    )
    runner.event(cursor, "MapStateStarted", "mapStateStartedEventDetails", {"length": len(items)})
    tolerated_count = _setting(
        state, "ToleratedFailureCount", effective, ev, jsonata, states, integer=True
    )
    tolerated_percent = _setting(
        state, "ToleratedFailurePercentage", effective, ev, jsonata, states, integer=False
    )
    if tolerated_count is not None and tolerated_count < 0:
        raise ev.runtime("ToleratedFailureCount cannot be negative.")
    if tolerated_percent is not None and not 0 <= tolerated_percent <= 100:
        raise ev.runtime("ToleratedFailurePercentage must be between 0 and 100.")
    if max_concurrency is not None and max_concurrency < 0:
        raise ev.runtime("MaxConcurrency cannot be negative.")
    map_run = None
    if distributed:
        map_run = runner.service.start_map_run(
            runner.execution,
            state.get("Label") or ev.state_name,
            max_concurrency or 0,
            tolerated_count or 0,
            float(tolerated_percent or 0),
            len(items),
        )
        runner.event(
            cursor, "MapRunStarted", "mapRunStartedEventDetails", {"mapRunArn": map_run.arn}
        )
    limit = max_concurrency or (
        DISTRIBUTED_DEFAULT_CONCURRENCY if distributed else INLINE_DEFAULT_CONCURRENCY
    )
    language = "JSONata" if jsonata else "JSONPath"
    selector_field = (
        "ItemSelector"
        if "ItemSelector" in state
        else "Parameters"
        if "Parameters" in state and not jsonata
        else None
    )
    results: list[Any] = [None] * len(items)
    failures = 0
    tolerated = _tolerance(tolerated_count, tolerated_percent, len(items)) if distributed else 0
    work = iter(enumerate(items))
    failed: list[Failure] = []
    stats = runner.service.map_stats
    last_success = [0]  # id of the newest MapIterationSucceeded: the Map's events follow it
    name = ev.state_name

    async def iterate(index: int, item: Any) -> Any:
        map_item = {"Index": index, "Value": item}
        context = dict(ev.context)
        context["Map"] = {"Item": map_item}
        if selector_field is not None:
            selector_ev = Evaluator(
                ev.state_name, ev.entered_event_id, context, ev.scope, ev.rng, ev.uuid_source
            )
            selector_ev.clock_ms = ev.clock_ms
            if jsonata:
                iteration_input = selector_ev.jsonata(
                    state[selector_field], selector_ev.states_binding(input=value), selector_field
                )
            else:
                iteration_input = selector_ev.template(state[selector_field], effective)
        else:
            iteration_input = item
        if map_run is not None:
            # A distributed map's iterations are child executions with histories of their own.
            return await runner.service.run_map_child(
                map_run, runner.execution, processor, language, iteration_input
            )
        iteration_runner = runner
        # Each iteration has its own thread of events, starting from the Map's latest one.
        iteration_cursor = _detached(cursor.last)
        iteration_runner.event(
            iteration_cursor,
            "MapIterationStarted",
            "mapIterationStartedEventDetails",
            {"name": name, "index": index},
        )
        # Let the other workers start their iterations first, as AWS's history shows.
        await asyncio.sleep(0)
        try:
            output = await iteration_runner.run_machine(
                processor,
                iteration_input,
                Scope(ev.scope),
                iteration_cursor,
                {"Item": map_item},
                language,
            )
        except Failure:
            cursor.last = max(cursor.last, iteration_cursor.last)
            iteration_runner.event(
                iteration_cursor,
                "MapIterationFailed",
                "mapIterationFailedEventDetails",
                {"name": name, "index": index},
                advance=False,
            )
            raise
        except asyncio.CancelledError:
            iteration_runner.event(
                iteration_cursor,
                "MapIterationAborted",
                "mapIterationAbortedEventDetails",
                {"name": name, "index": index},
            )
            raise
        cursor.last = iteration_cursor.last
        last_success[0] = iteration_runner.event(
            iteration_cursor,
            "MapIterationSucceeded",
            "mapIterationSucceededEventDetails",
            {"name": name, "index": index},
            advance=False,
        )
        return output

    async def worker() -> None:
        nonlocal failures
        for index, item in work:
            stats.live += 1
            stats.peak = max(stats.peak, stats.live)
            if map_run is not None:
                map_run.running += 1
            try:
                results[index] = await iterate(index, item)
                if map_run is not None:
                    map_run.succeeded += 1
            except Failure as failure:
                if not distributed:
                    raise
                map_run.failed += 1
                failures += 1
                results[index] = failure.output()
                if failures > tolerated:
                    failed.append(failure)
                    raise
            finally:
                stats.live -= 1
                if map_run is not None:
                    map_run.running -= 1

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(items)))]
    try:
        await _all_or_first_failure(workers)
    except Failure as failure:
        if map_run is not None:
            runner.service.finish_map_run(map_run, "FAILED")
            runner.event(
                cursor,
                "MapRunFailed",
                "mapRunFailedEventDetails",
                {
                    "error": "States.ExceedToleratedFailureThreshold",
                    "cause": "The specified tolerated failure threshold was exceeded",
                },
            )
            exceeded = Failure(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            )
            exceeded.from_children = True
            raise exceeded from None
        failure.from_children = True  # MapStateFailed follows once retries are spent
        raise failure
    if map_run is not None:
        runner.service.finish_map_run(map_run, "SUCCEEDED")
        runner.event(cursor, "MapRunSucceeded")
    elif last_success[0]:
        cursor.last = last_success[0]
    runner.event(cursor, "MapStateSucceeded", advance=False, link_latest=True)
    if "ResultWriter" in state:
        return await write_results(
            runner, state["ResultWriter"], results, map_run, ev, jsonata, states
        )
    return results


def _detached(last: int = 0) -> Cursor:
    from .interpreter import Cursor

    return Cursor(last)


async def _all_or_first_failure(tasks: list[asyncio.Future]) -> None:
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _tolerance(count: int | None, percent: float | None, total: int) -> int:
    """How many failed items a distributed map tolerates."""
    allowed = count or 0
    if percent:
        allowed = max(allowed, int(total * percent / 100))
    return allowed


def select_items(
    state: dict[str, Any],
    effective: Any,
    ev: Evaluator,
    jsonata: bool,
    states: dict[str, Any] | None,
) -> list[Any]:
    """The array to iterate: Items (JSONata) or ItemsPath (JSONPath)."""
    if jsonata:
        if "Items" in state:
            raw = state["Items"]
            items = ev.jsonata(raw, states, "Items")
            if not isinstance(items, list):
                text = raw[2:-2].strip() if is_expression(raw) else compact(raw)
                raise ev.runtime(
                    f"The JSONata expression '{text}' specified for the field 'Items' returned an "
                    f"unexpected result type. Expected 'array', but was '{_json_type(items)}' for "
                    f"value: {compact(items)}",
                    "States.QueryEvaluationError",
                )
            return items
        items = effective
    else:
        path = state.get("ItemsPath", "$")
        items = ev.path(path, effective) if path != "$" else effective
    if not isinstance(items, list):
        raise ev.runtime(
            f"Map state input must be an array but was: {compact(items)}",
            "States.QueryEvaluationError",
        )
    return items


def _setting(
    state: dict[str, Any],
    field: str,
    effective: Any,
    ev: Evaluator,
    jsonata: bool,
    states: dict[str, Any] | None,
    *,
    integer: bool,
) -> float | None:
    """MaxConcurrency / ToleratedFailureCount / ToleratedFailurePercentage (or their paths)."""
    if field in state:
        value = state[field]
        if jsonata and is_expression(value):
            value = ev.jsonata(value, states, field)
        return value
    path = state.get(f"{field}Path")
    if path is None:
        return None
    value = ev.field_path(path, effective, f"{field}Path")
    kind = "integer" if integer else "float"
    if isinstance(value, str):
        # AWS accepts a number written as a string ("1").
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            pass
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and value != int(value))
    ):
        shown = value if isinstance(value, str) else compact(value)
        raise ev.runtime(
            f'The {field}Path field refers to value "{shown}" which is not a valid {kind}: {path}'
        )
    return int(value) if integer else float(value)


def batch_items(
    batcher: dict[str, Any],
    items: list[Any],
    effective: Any,
    ev: Evaluator,
    jsonata: bool,
    states: dict[str, Any] | None,
) -> list[Any]:
    """ItemBatcher: group items into {"Items": [...], **BatchInput} batches."""
    size = _setting(batcher, "MaxItemsPerBatch", effective, ev, jsonata, states, integer=True)
    max_bytes = _setting(
        batcher, "MaxInputBytesPerBatch", effective, ev, jsonata, states, integer=True
    )
    batch_input = batcher.get("BatchInput")
    if batch_input is not None:
        batch_input = (
            ev.jsonata(batch_input, states, "BatchInput")
            if jsonata
            else ev.template(batch_input, effective)
        )
    size = size or len(items) or 1
    batches: list[Any] = []
    current: list[Any] = []
    current_bytes = 0
    for item in items:
        item_bytes = len(compact(item)) if max_bytes else 0
        if current and (
            len(current) >= size or (max_bytes and current_bytes + item_bytes > max_bytes)
        ):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += item_bytes
    if current:
        batches.append(current)
    return [{**(batch_input or {}), "Items": batch} for batch in batches]


async def read_items(
    runner: Runner,
    reader: dict[str, Any],
    effective: Any,
    ev: Evaluator,
    jsonata: bool,
    states: dict[str, Any] | None,
) -> list[Any]:
    """ItemReader: items from an S3 object (JSON, JSONL, CSV, manifest) or an S3 listing."""
    resource = reader.get("Resource", "")
    if jsonata:
        params = ev.jsonata(reader.get("Arguments", {}), states, "ItemReader/Arguments")
    else:
        params = ev.template(reader.get("Parameters", {}), effective)
    config = reader.get("ReaderConfig") or {}
    max_items = _setting(config, "MaxItems", effective, ev, jsonata, states, integer=True)
    try:
        if resource.endswith("s3:listObjectsV2"):
            listing = await runner.service.s3_list(
                params.get("Bucket", ""), params.get("Prefix", "")
            )
            items = listing
        else:
            body = await runner.service.s3_get(params.get("Bucket", ""), params.get("Key", ""))
            items = parse_object(body, config)
    except Failure:
        raise
    except Exception as error:  # a missing bucket/key or unreadable content
        raise Failure("States.ItemReaderFailed", str(getattr(error, "message", error))) from None
    if max_items:
        items = items[:max_items]
    return items


def parse_object(body: bytes, config: dict[str, Any]) -> list[Any]:
    """Items from the text of an S3 object according to ReaderConfig.InputType."""
    input_type = config.get("InputType", "JSON")
    text = body.decode("utf-8")
    if input_type == "JSON":
        items = json.loads(text)
        if not isinstance(items, list):
            raise Failure("States.ItemReaderFailed", "Attempting to map over non-iterable node.")
        return items
    if input_type == "JSONL":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if input_type == "MANIFEST":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    delimiter = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}.get(
        config.get("CSVDelimiter", "COMMA"), ","
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        headers = config.get("CSVHeaders") or []
    else:
        headers, rows = (rows[0], rows[1:]) if rows else ([], [])
    return [dict(zip(headers, row, strict=False)) for row in rows]


async def write_results(
    runner: Runner,
    writer: dict[str, Any],
    results: list[Any],
    map_run: Any,
    ev: Evaluator,
    jsonata: bool,
    states: dict[str, Any] | None,
) -> Any:
    """ResultWriter: store the results in S3 and return the location summary."""
    if jsonata:
        params = ev.jsonata(writer.get("Arguments", {}), states, "ResultWriter/Arguments")
    else:
        params = ev.template(writer.get("Parameters", {}), {})
    bucket, prefix = params.get("Bucket", ""), params.get("Prefix", "")
    run_id = map_run.arn.rsplit(":", 1)[-1] if map_run is not None else runner.uuid()
    base = f"{prefix.rstrip('/')}/{run_id}" if prefix else run_id
    manifest_key = f"{base}/manifest.json"
    succeeded = [
        r
        for r in results
        if not (isinstance(r, dict) and set(r) <= {"Error", "Cause"} and "Error" in r)
    ]
    try:
        await runner.service.s3_put(
            bucket, f"{base}/SUCCEEDED_0.json", json.dumps(succeeded).encode()
        )
        manifest = {
            "DestinationBucket": bucket,
            "MapRunArn": map_run.arn if map_run is not None else None,
            "ResultFiles": {
                "SUCCEEDED": [
                    {"Key": f"{base}/SUCCEEDED_0.json", "Size": len(json.dumps(succeeded))}
                ]
            },
        }
        await runner.service.s3_put(bucket, manifest_key, json.dumps(manifest).encode())
    except Exception as error:
        raise Failure("States.ResultWriterFailed", str(getattr(error, "message", error))) from None
    return {
        "MapRunArn": map_run.arn if map_run is not None else None,
        "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key},
    }
