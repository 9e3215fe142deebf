"""`pipework --version` prints the version, looked up only when asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def _run(*code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=50
    )


def test_version_prints_to_stdout_and_exits_zero() -> None:
    done = _run("-m", "tui.cli", "--version")
    assert done.returncode == 0
    assert done.stdout.startswith("pipework ")


def test_building_the_parser_does_not_import_package_metadata() -> None:
    done = _run(
        "-c",
        "import sys; from tui.cli import build_parser; build_parser(); "
        "print('importlib.metadata' in sys.modules)",
    )
    assert done.stdout.strip() == "False"
