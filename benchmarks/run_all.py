"""Run every benchmark once, write one JSON and print the README's Performance table.

Run: `python benchmarks/run_all.py [--only NAME ...] [--out PATH]`. Each benchmark runs in a
child process with sizes chosen so the whole run fits in about 15 minutes on a shared 2-core
machine; its JSON goes into `benchmarks/results/latest.json` (git-ignored: a run's figures
belong to its machine and day) beside the date, the machine's load and each run's seconds.
The table then gives, per row: our figure, the peer's figure for the same work, the ratio,
and the floor or target. Peers over HTTP (moto_server, ministack) are found as peers.py says;
a peer that is absent or cannot do the work is named as such in its row.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "latest.json"

#: name → (arguments, timeout seconds). Sizes keep the total near 15 minutes here.
BENCHMARKS: dict[str, tuple[list[str], int]] = {
    "sqs": (["--quick"], 240),
    "matching": ([], 300),
    "fanout": (["--quick"], 180),
    "lambda": ([], 180),
    "kinesis": ([], 240),
    "stepfunctions": ([], 240),
    "apigateway": ([], 180),
    "dynamodb": (["--quick"], 180),
    "console": ([], 120),
    "wire": (["--messages", "300"], 240),
    "tui": ([], 240),  # its own ROUNDS (3)
    "startup": (["--rounds", "3"], 180),
    "scaling": (["--rounds", "3"], 600),
    "soak": (["--rounds", "3", "--wire-rounds", "2"], 480),
}

Row = tuple[str, str, str, str, str]  # benchmark, ours, peer, ratio, floor / target


def _last_json(text: str) -> Any:
    """The last JSON value printed (benchmarks print one; some log before it)."""
    start = text.find("{")
    while start != -1:
        try:
            return json.loads(text[start:])
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    raise ValueError("no JSON in the output")


def run(name: str, arguments: list[str], timeout: int) -> dict[str, Any]:
    """One benchmark in a child process: its JSON, or what went wrong."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py"), *arguments],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = _last_json(done.stdout)
        if done.returncode not in (0, 1):  # scaling.py exits 1 when a ratio is over its limit
            result = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"], **result}
    except subprocess.TimeoutExpired:
        result = {"error": f"timed out after {timeout} s"}
    except ValueError:
        result = {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    return {"seconds": round(time.perf_counter() - started, 1), "result": result}


# -- the table ------------------------------------------------------------------------------


def _n(value: Any, unit: str = "") -> str:
    if isinstance(value, int | float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{text}{unit}"
    return str(value)


def _ratio(ours: Any, theirs: Any) -> str:
    if isinstance(ours, int | float) and isinstance(theirs, int | float) and theirs:
        return f"{ours / theirs:,.1f} ×"
    return "—"


def _sqs(r: dict) -> list[Row]:
    peer = r.get("beside_moto_in_process", {})
    rows = [
        (
            "`sqs.py` send → receive → delete",
            _n(r.get("unbatched_messages_per_s"), " msg/s"),
            "",
            "",
            f"asyncio.Queue put/get: {_n(r.get('floor_asyncio_queue_per_s'))}/s",
        ),
        (
            "`sqs.py` drain rate, large vs 1,000 resident",
            f"{r.get('drain_rate_ratio')} ×",
            "",
            "",
            "≥ 0.67 ×",
        ),
    ]
    for mode in ("batched", "unbatched"):
        side = peer.get(mode)
        if not side:
            rows.append((f"`sqs.py` {mode}, same rounds as moto", "", str(peer), "", ""))
            continue
        ours, theirs = side["ours_messages_per_s"]["median"], side["moto_messages_per_s"]["median"]
        rows.append(
            (
                f"`sqs.py` {mode} cycles beside moto, same rounds (median)",
                _n(ours, " msg/s"),
                f"moto in-process: {_n(theirs)} msg/s",
                _ratio(ours, theirs),
                "",
            )
        )
    return rows


def _matching(r: dict) -> list[Row]:
    e2e = r.get("end_to_end_public_client", {})
    rates = e2e.get("events_per_s_median", {})
    return [
        (
            "`matching.py` pattern index alone, 1 KB events, 1,000 rules",
            _n(r["pipework"]["1000"]["events_per_s"], " events/s"),
            f"moto's matcher: {_n(r.get('moto_events_per_s_at_1000_rules'))}/s",
            _ratio(r["pipework"]["1000"]["events_per_s"], r.get("moto_events_per_s_at_1000_rules")),
            f"flatten once: {_n(r.get('floor_flatten_events_per_s'))}/s",
        ),
        (
            "`matching.py` put_events → SQS end to end, 10 / 1,000 / 10,000 rules",
            " / ".join(_n(rates.get(k)) for k in ("10", "1000", "10000")) + " events/s",
            "",
            "",
            f"10,000 vs 10 rules: {e2e.get('cost_ratio_10000_vs_10')} × (≤ 1.5 ×)",
        ),
    ]


def _fanout(r: dict) -> list[Row]:
    return [
        (
            f"`fanout.py` publish to {r.get('subscriptions')} filtered SQS subscriptions",
            _n(r.get("pipework_publishes_per_s"), " publishes/s"),
            f"moto in-process: {_n(r.get('moto_publishes_per_s'))}/s",
            _ratio(r.get("pipework_publishes_per_s"), r.get("moto_publishes_per_s")),
            f"asyncio.Queue: {_n(r.get('floor_asyncio_queue_publishes_per_s'))}/s",
        )
    ]


def _lambda(r: dict) -> list[Row]:
    return [
        (
            "`lambda.py` synchronous invoke of echo",
            _n(r.get("sync_invoke_per_s"), " invokes/s"),
            str(r.get("moto")),
            "",
            f"a bare call: {_n(r.get('sync_invoke_floor_per_s'))}/s",
        ),
        (
            "`lambda.py` SQS mapping draining, batch 10",
            _n(r.get("esm_sqs_drain_messages_per_s"), " msg/s"),
            "",
            "",
            f"floor: {_n(r.get('esm_sqs_drain_floor_per_s'))}/s",
        ),
    ]


def _kinesis(r: dict) -> list[Row]:
    ours, moto, limits = r.get("pipework", {}), r.get("moto") or {}, r.get("limits_on", {})
    return [
        (
            "`kinesis.py` PutRecords of 500 (limits off)",
            _n(ours.get("put_records_per_s"), " records/s"),
            f"moto in-process: {_n(moto.get('put_records_per_s'))}/s",
            _ratio(ours.get("put_records_per_s"), moto.get("put_records_per_s")),
            "",
        ),
        (
            "`kinesis.py` GetRecords of 10,000 (limits off)",
            _n(ours.get("get_records_per_s"), " records/s"),
            f"moto in-process: {_n(moto.get('get_records_per_s'))}/s",
            _ratio(ours.get("get_records_per_s"), moto.get("get_records_per_s")),
            "",
        ),
        (
            "`kinesis.py` PutRecords, limits ON, 4 shards (AWS's quota is the figure)",
            _n(limits.get("accepted_records_per_s"), " records/s accepted"),
            "",
            "",
            f"AWS quota {_n(limits.get('aws_quota_records_per_s'))}/s; "
            f"lab {_n(limits.get('lab_us_per_attempted_record'))} µs per attempt",
        ),
    ]


def _stepfunctions(r: dict) -> list[Row]:
    standard = r.get("standard_to_completion_executions_per_s", {})
    peer = standard.get("moto") or f"moto (execution on): {_n(standard.get('moto_median'))}/s"
    return [
        (
            "`stepfunctions.py` EXPRESS sync, 10 Pass states",
            _n(r.get("express_10_pass_sync_executions_per_s"), " executions/s"),
            r.get("express_peer", ""),
            "",
            f"no-op client call: {_n(r.get('floor_noop_client_calls_per_s'))}/s",
        ),
        (
            "`stepfunctions.py` STANDARD 10 Pass, start → SUCCEEDED (median)",
            _n(standard.get("ours_median"), " executions/s"),
            peer,
            _ratio(standard.get("ours_median"), standard.get("moto_median")),
            "",
        ),
    ]


def _apigateway(r: dict) -> list[Row]:
    return [
        (
            "`apigateway.py` HTTP API → Lambda proxy, over loopback HTTP",
            _n(r.get("http_requests_per_s"), " requests/s"),
            "",
            "",
            f"hello-world ASGI: {_n(r.get('http_floor_hello_asgi_per_s'))}/s",
        )
    ]


def _dynamodb(r: dict) -> list[Row]:
    ours, moto = r.get("pipework", {}), r.get("moto") or {}
    return [
        (
            "`dynamodb.py` PutItem / GetItem",
            f"{_n(ours.get('put_item_per_s'))} / {_n(ours.get('get_item_per_s'))} per s",
            f"moto in-process: {_n(moto.get('put_item_per_s'))} / {_n(moto.get('get_item_per_s'))}",
            _ratio(ours.get("put_item_per_s"), moto.get("put_item_per_s")),
            f"dict put: {_n(r.get('floor_dict_put_per_s'))}/s",
        )
    ]


def _console(r: dict) -> list[Row]:
    return [
        (
            "`console.py` completion with 1,000 queues, worst p99",
            _n(r.get("worst_completion_p99_ms"), " ms"),
            "",
            "",
            "< 50 ms",
        )
    ]


def _wire(r: dict) -> list[Row]:
    lab = r.get("lab_messages_per_s")
    return [
        (
            "`wire.py` boto3 send → receive → delete over HTTP",
            _n(lab, " cycles/s"),
            f"moto_server: {_n(r.get('moto_server_messages_per_s'))}/s",
            _ratio(lab, r.get("moto_server_messages_per_s")),
            f"canned uvicorn: {_n(r.get('floor_canned_uvicorn_messages_per_s'))}/s",
        ),
        (
            "`wire.py` the same, beside ministack",
            _n(lab, " cycles/s"),
            f"ministack: {_n(r.get('ministack_messages_per_s'))}/s",
            _ratio(lab, r.get("ministack_messages_per_s")),
            "",
        ),
    ]


def _tui(r: dict) -> list[Row]:
    return [
        (
            f"`tui.py` throughput with the app attached, {r.get('offered_msgs_per_s')} msg/s offered",
            f"{r.get('with_app_ratio')} of headless",
            "",
            "",
            "≥ 0.9",
        ),
        (
            "`tui.py` key press → screen, p95",
            _n(r.get("key_to_screen_p95_ms"), " ms"),
            "",
            "",
            "< 100 ms",
        ),
    ]


def _startup(r: dict) -> list[Row]:
    def median(key: str) -> Any:
        value = r.get(key)
        return value["median_s"] if isinstance(value, dict) else value

    floor = f"python -c pass: {_n(median('floor_python'))} s"
    serve = median("serve_ready")
    return [
        ('`startup.py` `pipework -c "sqs list-queues"`', _n(median("cli"), " s"), "", "", floor),
        (
            "`startup.py` app first paint (fresh process)",
            _n(median("app_first_paint"), " s"),
            "",
            "",
            "≤ 1 s",
        ),
        (
            "`startup.py` `pipework serve` ready",
            _n(serve, " s"),
            f"moto_server {_n(median('moto_server_ready'))} s; "
            f"ministack {_n(median('ministack_ready'))} s",
            _ratio(median("moto_server_ready"), serve) + " faster than moto_server"
            if isinstance(median("moto_server_ready"), float)
            else "—",
            "≤ 1 s",
        ),
    ]


def _scaling(r: dict) -> list[Row]:
    rows = []
    for dimension, result in r.get("dimensions", {}).items():
        sizes = list(result["us_per_unit_median"])
        rows.append(
            (
                f"`scaling.py` {dimension.replace('_', ' ')} {sizes[0]} → {sizes[-1]}",
                f"{result['ratio_largest_vs_smallest']} × cost per {result['unit']}",
                "",
                "",
                "≤ 2 ×",
            )
        )
    return rows


def _soak(r: dict) -> list[Row]:
    wire = r.get("wire", {})
    lab = wire.get("lab", {})
    peers = "; ".join(
        f"{name}: {_n(result['rss_mb_after_each_round'][-1])} MB"
        if "rss_mb_after_each_round" in result
        else f"{name}: {result.get('error', 'absent')}"[:80]
        for name, result in wire.items()
        if name != "lab"
    )
    after = lab.get("rss_mb_after_each_round", [None])[-1]
    return [
        (
            "`soak.py` server memory after create → traffic → delete rounds",
            _n(after, " MB"),
            peers,
            f"{r.get('lab_after_vs_leanest_peer')} of the leanest peer",
            f"drift {lab.get('drift')}",
        )
    ]


ROWS: dict[str, Callable[[dict], list[Row]]] = {
    "sqs": _sqs,
    "matching": _matching,
    "fanout": _fanout,
    "lambda": _lambda,
    "kinesis": _kinesis,
    "stepfunctions": _stepfunctions,
    "apigateway": _apigateway,
    "dynamodb": _dynamodb,
    "console": _console,
    "wire": _wire,
    "tui": _tui,
    "startup": _startup,
    "scaling": _scaling,
    "soak": _soak,
}


def table(report: dict[str, Any]) -> str:
    """The README's Performance table, in Markdown, from one run's report."""
    lines = [
        f"Figures from one run of `benchmarks/run_all.py` on {report['date']} on this shared "
        f"2-core machine (load average {report['load_average']}): compare ratios, which survive "
        "load, rather than absolute figures.",
        "",
        "| benchmark | ours | peer, same work, same run | ratio | floor / target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, entry in report["benchmarks"].items():
        result = entry["result"]
        if "error" in result and len(result) == 1:
            lines.append(f"| `{name}.py` | did not run: {result['error']} | | | |")
            continue
        try:
            rows = ROWS[name](result)
        except (KeyError, TypeError, IndexError) as error:
            rows = [(f"`{name}.py`", f"see latest.json ({type(error).__name__})", "", "", "")]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmarks, write the JSON, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--table-only", action="store_true", help="print the table of --out")
    args = parser.parse_args()
    if args.table_only:
        print(table(json.loads(args.out.read_text())))
        return
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "load_average": round(os.getloadavg()[0], 1),
        "benchmarks": {},
    }
    for name in args.only or list(BENCHMARKS):
        arguments, timeout = BENCHMARKS[name]
        print(f"running {name}.py …", file=sys.stderr, flush=True)
        report["benchmarks"][name] = run(name, arguments, timeout)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(table(report))


if __name__ == "__main__":
    main()
