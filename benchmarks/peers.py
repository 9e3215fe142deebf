"""The peers benchmarks run beside the lab over HTTP: moto_server and ministack.

Each peer is a command that serves AWS's wire protocols on a loopback port. ministack pins a
newer botocore than the `test` extra's awscli allows, so it lives in a virtualenv of its own:
benchmarks find its executable through `$MINISTACK`, else on `PATH`. A peer that is absent is
reported as such (`absent()`), never measured as zero.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30.0) -> float:
    """Wait until something accepts connections on `port`; the seconds it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - started
        time.sleep(0.01)
    raise RuntimeError(f"nothing listens on port {port}")


def ministack_executable() -> str | None:
    """The ministack command: `$MINISTACK`, else `ministack` on PATH (None when absent)."""
    configured = os.environ.get("MINISTACK")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("ministack")


def moto_server_available() -> bool:
    """Whether moto's server mode (moto[server]) is importable here."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return False
    return True


def commands(port: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each available server's command and extra environment, listening on `port`."""
    found: dict[str, tuple[list[str], dict[str, str]]] = {
        "lab": ([sys.executable, "-m", "tui.cli", "serve", "--port", str(port)], {}),
    }
    if moto_server_available():
        found["moto_server"] = ([sys.executable, "-m", "moto.server", "-p", str(port)], {})
    ministack = ministack_executable()
    if ministack:
        found["ministack"] = ([ministack], {"GATEWAY_PORT": str(port), "LOG_LEVEL": "WARNING"})
    return found


def absent(name: str) -> str:
    """What a row says for a peer that is not installed here."""
    if name == "ministack":
        return "ministack absent (set $MINISTACK or put it on PATH)"
    return f"{name} absent (pip install -e '.[bench]')"


def start(name: str, port: int, base_env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start server `name` on `port` (its output discarded)."""
    command, extra = commands(port)[name]
    env = {**(base_env or os.environ), "PYTHONPATH": str(ROOT), **extra}
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )


def stop(process: subprocess.Popen) -> None:
    """Stop a server this module started."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
