"""Logical ids for exported resources, shared by the export and its per-service steps."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[A-Za-z0-9]+")


def logical_name(name: str, kind: str) -> str:
    """A logical id for a resource: its name's words in PascalCase, then its kind."""
    words = "".join(w[:1].upper() + w[1:] for w in _WORDS.findall(name))
    return (words + kind)[:255] or kind
