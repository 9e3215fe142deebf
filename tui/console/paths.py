"""Where Pipework keeps a person's files: history, settings, lesson progress, kept labs."""

from __future__ import annotations

from engine.persistence.store import data_dir

__all__ = ["data_dir"]
