"""Where Pipework keeps a person's files: history, settings, lesson progress."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """`platformdirs.user_data_dir("pipework")` ($PIPEWORK_DATA_DIR overrides it), created on use."""
    override = os.environ.get("PIPEWORK_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("pipework"))
    path.mkdir(parents=True, exist_ok=True)
    return path
