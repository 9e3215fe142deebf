"""Start-up: a one-shot CLI command, the app's first paint, and `pipework serve` ready, beside peers.

Run: `python benchmarks/startup.py [--rounds N]`. Prints one JSON object. Every figure is wall
seconds from launching a fresh process, medians (and bests) over alternating rounds so that
other load falls on every contender alike:

- `cli`: `pipework -c "sqs list-queues"` until it exits;
- `app_first_paint`: a fresh process running the app until its first screen update;
- `serve_ready`, `moto_server_ready`, `ministack_ready`: launch until the port accepts a
  connection (moto_server and ministack when installed, see peers.py);
- `floor_python`: `python -c pass`, the interpreter's own start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

ROOT = peers.ROOT
TARGETS = {"cli": 0.5, "app_first_paint": 1.0, "serve_ready": 1.0}

#: Run in a child: the app until its first paint, printing seconds since the parent launched it.
_PAINT_CHILD = """
import asyncio, sys, tempfile, time
from pathlib import Path
launched = float(sys.argv[1])
from tui.app import PipeworkApp
from engine import RealClock

async def main():
    app = PipeworkApp(clock=RealClock(), history_file=Path(tempfile.mkdtemp()) / "history")
    painted = []
    original = app._display
    def display(screen, renderable):
        original(screen, renderable)
        if not painted:
            painted.append(time.time())
    app._display = display
    async with app.run_test(size=(160, 50)) as pilot:
        while not painted:
            await pilot.pause(0.005)
    print(painted[0] - launched)

asyncio.run(main())
"""


#: Compiled bytecode cached as an installed Pipework has it (outside the checkout), even where
#: the environment turns writing it off: a user's second start never recompiles the sources.
PYCACHE = Path(tempfile.gettempdir()) / "pipework-bench-pycache"


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run_to_exit(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=_env(), cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def _first_paint() -> float:
    answer = subprocess.run(
        [sys.executable, "-c", _PAINT_CHILD, repr(time.time())],
        env=_env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(answer.stdout.strip().splitlines()[-1])


def _ready(name: str) -> float:
    port = peers.free_port()
    started = time.perf_counter()
    process = peers.start(name, port, _env())
    try:
        peers.wait_for(port, timeout=60)
        return time.perf_counter() - started
    finally:
        peers.stop(process)


def measure(rounds: int) -> dict[str, Any]:
    """Every contender once per round, in turn; medians and bests."""
    servers = list(peers.commands(0))
    contenders: dict[str, Any] = {
        "floor_python": lambda: _run_to_exit([sys.executable, "-c", "pass"]),
        "cli": lambda: _run_to_exit([sys.executable, "-m", "tui.cli", "-c", "sqs list-queues"]),
        "app_first_paint": _first_paint,
    }
    for name in servers:
        label = "serve_ready" if name == "lab" else f"{name}_ready"
        contenders[label] = lambda name=name: _ready(name)
    times: dict[str, list[float]] = {label: [] for label in contenders}
    for run in contenders.values():  # warm-up: fills the bytecode cache and the OS's file cache
        run()
    for _ in range(rounds):
        for label, run in contenders.items():
            times[label].append(run())
    result: dict[str, Any] = {
        label: {"median_s": round(sorted(v)[len(v) // 2], 3), "best_s": round(min(v), 3)}
        for label, v in times.items()
    }
    for name in ("moto_server", "ministack"):
        if name not in servers:
            result[f"{name}_ready"] = peers.absent(name)
    return result


def main() -> None:
    """Measure and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures = measure(args.rounds)
    met = {
        label: figures[label]["median_s"] <= limit
        for label, limit in TARGETS.items()
        if isinstance(figures.get(label), dict)
    }
    report = {
        "benchmark": "startup",
        "unit": "wall seconds from launching a fresh process",
        **figures,
        "targets_s": TARGETS,
        "met": met,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
