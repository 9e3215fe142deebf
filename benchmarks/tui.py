"""Benchmark: the Textual app under load.

Runs the `pipeline` demo (queue → Lambda → SNS → 3 queues; the `orders` SQS demo when Lambda or
SNS is missing) at 5,000 messages/s on a real-time clock, first with no app (headless engine, the
floor this is compared to) and then with the app attached in headless Textual. Reports:

- engine throughput with the app as a fraction of headless (target ≥ 0.70),
- key press → updated screen latency, p50 / p95 (target p95 < 100 ms),
- first paint (target < 2 s),
- the raw asyncio.Queue rate on this machine as the floor of any in-process message passing.

The machine is shared and noisy, so headless, traced and with-app runs are interleaved for
ROUNDS rounds: throughputs are the best of their rounds (each round's figures are listed too),
and key latencies are pooled over every round's presses.

Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as `python benchmarks/tui.py`, this file's folder comes first on sys.path and its name
# would hide the `tui` package: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from textual import events  # noqa: E402

from engine import Engine, RealClock  # noqa: E402
from tui.app import PipeworkApp  # noqa: E402
from tui.app.demos import available_demos, start_demo  # noqa: E402
from tui.app.widgets.flow_map import FlowMap  # noqa: E402

RATE = 5_000.0
WARM_UP = 1.0
MEASURE = 4.0
KEY_PRESSES = 20
ROUNDS = 3


def _demo_name() -> str:
    names = {demo.name for demo in available_demos()}
    return "pipeline" if "pipeline" in names else "orders"


def _final_queues(name: str) -> tuple[str, ...]:
    return ("billing", "shipping", "analytics") if name == "pipeline" else ("orders",)


def _arrivals(engine: Engine, queues: tuple[str, ...]) -> float:
    """Messages that reached the end of the pipeline so far (per copy, averaged)."""
    total = 0.0
    for node in engine.topology().nodes:
        if node.kind == "queue" and node.name in queues:
            total += node.counters.get("sent", 0.0)
    return total / len(queues)


async def _throughput(engine: Engine, name: str) -> float:
    queues = _final_queues(name)
    await start_demo(engine, name, lambda _note: None, rate=RATE)
    await asyncio.sleep(WARM_UP)
    before, started = _arrivals(engine, queues), time.perf_counter()
    await asyncio.sleep(MEASURE)
    return (_arrivals(engine, queues) - before) / (time.perf_counter() - started)


async def headless(name: str) -> float:
    """Pipeline throughput with no app (and so no trace listener)."""
    async with Engine(clock=RealClock()) as engine:
        return await _throughput(engine, name)


async def traced(name: str) -> float:
    """Pipeline throughput with the trace on as the app has it, but no UI.

    The console's recorder and a subscription drained every tick: what tracing itself costs
    the services, so the app's own share can be told apart.
    """
    async with Engine(clock=RealClock()) as engine:
        engine.trace.record()
        subscription = engine.trace.subscribe(maxlen=50_000)

        async def drain() -> None:
            while True:
                await asyncio.sleep(0.2)
                subscription.drain()

        drainer = asyncio.ensure_future(drain())
        try:
            return await _throughput(engine, name)
        finally:
            drainer.cancel()


async def with_app(name: str) -> dict[str, Any]:
    """Pipeline throughput and key latency with the app attached (the app owns the lab)."""
    history = Path(tempfile.mkdtemp()) / "history"
    app = PipeworkApp(clock=RealClock(), history_file=history)
    engine = app.engine
    # Each screen update: when it went out and whether the map it showed was compact.
    shown: list[tuple[float, bool]] = []
    updated = asyncio.Event()
    watched: list[FlowMap] = []
    original_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        original_display(screen, renderable)
        if watched:
            shown.append((time.perf_counter(), watched[0].compact))
            updated.set()

    app._display = display  # type: ignore[method-assign]
    latencies: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        # The app runs the lab it owns on the engine's own thread: load it there.
        rate_task = asyncio.ensure_future(app.host.run(_throughput(engine, name)))
        await asyncio.sleep(WARM_UP + 0.5)
        flow = app.screen.query_one(FlowMap)
        flow.focus()
        watched.append(flow)
        for _ in range(KEY_PRESSES):
            expected = not flow.compact
            start = len(shown)
            pressed = time.perf_counter()
            # Post the key as the terminal driver would (Pilot.press also waits for the
            # whole process to go idle, which a loaded lab never does).
            app.post_message(events.Key("z", "z"))
            # Wake on each screen update (not by polling: a 1 ms poll loop would take the
            # GIL from the engine a thousand times a second) until one shows the key's effect.
            hit: float | None = None
            while hit is None and time.perf_counter() - pressed < 5.0:
                updated.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(updated.wait(), 5.0)
                hit = next((at for at, compact in shown[start:] if compact == expected), None)
            latencies.append((hit if hit is not None else time.perf_counter()) - pressed)
            await asyncio.sleep(0.1)
        throughput = await rate_task
    return {"throughput": throughput, "latencies": latencies}


def _percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction) - 1)] * 1000


async def first_paint() -> float:
    """Seconds from creating the app to its first screen update."""
    started = time.perf_counter()
    app = PipeworkApp(clock=RealClock(), history_file=Path(tempfile.mkdtemp()) / "history")
    painted: list[float] = []
    original_display = app._display

    def display(screen: Any, renderable: Any) -> None:
        original_display(screen, renderable)
        if not painted:
            painted.append(time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        while not painted:
            await pilot.pause(0.01)
    return painted[0] - started


async def queue_floor(count: int = 200_000) -> float:
    """Items per second through a bare asyncio.Queue (producer and consumer tasks)."""
    queue: asyncio.Queue[int] = asyncio.Queue()

    async def consume() -> None:
        for _ in range(count):
            await queue.get()

    consumer = asyncio.ensure_future(consume())
    started = time.perf_counter()
    for item in range(count):
        queue.put_nowait(item)
        if item % 1000 == 0:
            await asyncio.sleep(0)
    await consumer
    return count / (time.perf_counter() - started)


async def main() -> dict[str, Any]:
    name = _demo_name()
    floor = await queue_floor()
    rounds: list[dict[str, float]] = []
    latencies: list[float] = []
    for _ in range(ROUNDS):
        alone = await headless(name)
        tracing = await traced(name)
        attached = await with_app(name)
        latencies += attached["latencies"]
        rounds.append(
            {
                "headless": round(alone, 1),
                "traced_no_ui": round(tracing, 1),
                "with_app": round(attached["throughput"], 1),
            }
        )
    paint = await first_paint()
    alone = max(r["headless"] for r in rounds)
    tracing = max(r["traced_no_ui"] for r in rounds)
    with_app_rate = max(r["with_app"] for r in rounds)
    ratio = with_app_rate / alone if alone else 0.0
    p50, p95 = _percentile_ms(latencies, 0.5), _percentile_ms(latencies, 0.95)
    return {
        "benchmark": "tui",
        "scenario": name,
        "offered_msgs_per_s": RATE,
        "rounds": rounds,
        "headless_msgs_per_s": alone,
        "with_app_msgs_per_s": with_app_rate,
        "with_app_ratio": round(ratio, 3),
        "traced_no_ui_msgs_per_s": tracing,
        "with_app_vs_traced_ratio": round(with_app_rate / tracing, 3) if tracing else 0.0,
        "key_presses": len(latencies),
        "key_to_screen_p50_ms": round(p50, 1),
        "key_to_screen_p95_ms": round(p95, 1),
        "first_paint_s": round(paint, 3),
        "floor_asyncio_queue_items_per_s": round(floor, 1),
        "targets": {
            "with_app_ratio": ">= 0.70",
            "key_to_screen_p95_ms": "< 100",
            "first_paint_s": "< 2",
        },
        "met": {
            "with_app_ratio": ratio >= 0.70,
            "key_to_screen_p95_ms": p95 < 100,
            "first_paint_s": paint < 2,
        },
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
