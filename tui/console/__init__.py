"""The console language: AWS CLI commands and lab commands, parsed, completed, run and rendered.

Imports rich only (never textual or prompt_toolkit), so every front end can share it.
"""

from __future__ import annotations

from .console import Console, LabCommand, WatchSpec
from .result import CommandResult, Completion

__all__ = ["CommandResult", "Completion", "Console", "LabCommand", "WatchSpec"]
