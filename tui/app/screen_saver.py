"""Saving the screen a person sees: an SVG (and a PNG where cairosvg works) in a real folder."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path


def screenshot_dir() -> Path:
    """`screenshots/` in Pipework's data folder (created), or the working folder if that fails."""
    from tui.console.paths import data_dir

    try:
        folder = data_dir() / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path.cwd()
    return folder


def screenshot_name(now: datetime | None = None) -> str:
    """`pipework-20260101-120000` (local wall time: the person's own moment, not lab time)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S-%f")[:-3]
    return f"pipework-{stamp}"


async def save_screen(svg: str, folder: Path, name: str) -> list[Path]:
    """Write `svg` as NAME.svg in `folder`, and NAME.png when cairosvg can convert it."""
    svg_path = folder / f"{name}.svg"
    await asyncio.to_thread(svg_path.write_text, svg, encoding="utf-8")
    saved = [svg_path]
    png = await asyncio.to_thread(_to_png, svg, folder / f"{name}.png")
    if png is not None:
        saved.append(png)
    return saved


def _to_png(svg: str, target: Path) -> Path | None:
    try:
        import cairosvg
    except (ImportError, OSError):  # not installed, or its cairo library is missing
        return None
    try:
        cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(target))
    except (OSError, ValueError):
        return None
    return target
