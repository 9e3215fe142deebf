"""The console's demo scripts (`tui/console/demos/*.pw`), offered by the app's palette."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tui.console

#: Where the console keeps its demo scripts.
SCRIPTS_DIR = Path(tui.console.__file__).resolve().parent / "demos"


@dataclass(frozen=True, slots=True)
class DemoScript:
    """A script: its file name (without .pw), the title from its first comment line, its path."""

    name: str
    title: str
    path: Path


def demo_scripts() -> list[DemoScript]:
    """Every demo script shipped with the console, sorted by name."""
    scripts = []
    for path in sorted(SCRIPTS_DIR.glob("*.pw")):
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        title = first[0].lstrip("# ").strip() if first and first[0].startswith("#") else path.stem
        scripts.append(DemoScript(path.stem, title, path))
    return scripts
