"""Where the shared conformance corpus lives, and the expected-failures lists kept here."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def corpus_dir() -> Path | None:
    """`../shared/conformance` beside the project (or $PIPEWORK_CONFORMANCE), if present."""
    override = os.environ.get("PIPEWORK_CONFORMANCE")
    candidates = [Path(override)] if override else []
    candidates.append(ROOT.parent / "shared" / "conformance")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def corpus_required() -> bool:
    """Whether a missing corpus fails instead of skipping: in CI, or when asked to."""
    return bool(os.environ.get("CI")) or os.environ.get("PIPEWORK_REQUIRE_CONFORMANCE") == "1"


def _missing(reason: str) -> NoReturn:
    if corpus_required():
        pytest.fail(f"{reason} (CI or PIPEWORK_REQUIRE_CONFORMANCE=1 requires the corpus)")
    pytest.skip(reason)


def require_corpus(*parts: str) -> Path:
    """The corpus path `parts`; skips the calling test when absent (fails in CI: no silent pass)."""
    base = corpus_dir()
    if base is None:
        _missing("../shared/conformance is not present")
    path = base.joinpath(*parts)
    if not path.exists():
        _missing(f"conformance file {path} is not present")
    return path


def load_json(*parts: str) -> Any:
    """Parse one JSON file of the corpus."""
    return json.loads(require_corpus(*parts).read_text())


def expected_failures(suite: str) -> dict[str, str]:
    """Case name → reason, from `expected_failures/<suite>.txt` (`name<TAB>reason` lines)."""
    path = HERE / "expected_failures" / f"{suite}.txt"
    if not path.exists():
        return {}
    failures: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition("\t")
            failures[name.strip()] = reason.strip() or "no reason given"
    return failures


def report(
    suite: str, passed: int, total: int, by_category: dict[str, tuple[int, int]] | None = None
) -> str:
    """One printable line per suite (and category): the pass rate."""
    lines = [
        f"conformance {suite}: {passed}/{total} passed ({100.0 * passed / max(total, 1):.1f}%)"
    ]
    for category, (ok, count) in sorted((by_category or {}).items()):
        lines.append(f"  {category}: {ok}/{count} ({100.0 * ok / max(count, 1):.1f}%)")
    text = "\n".join(lines)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{suite}.txt").write_text(text + "\n")
    return text
