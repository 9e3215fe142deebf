"""Where the REPL keeps history and settings: the platformdirs data directory for pipework."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(slots=True)
class Settings:
    """What the REPL remembers between sessions (settings.json in the data directory)."""

    output: str | None = None  # default --output (None: the console's summaries)
    vi_mode: bool = False
    speed: float = 1.0  # the real clock's starting speed

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings, falling back to defaults for anything missing or malformed."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        settings = cls()
        if isinstance(data, dict):
            if data.get("output") in (None, "json", "table", "text", "yaml"):
                settings.output = data.get("output")
            if isinstance(data.get("vi_mode"), bool):
                settings.vi_mode = data["vi_mode"]
            speed = data.get("speed")
            if (
                isinstance(speed, (int, float))
                and not isinstance(speed, bool)
                and 0 < speed <= 10_000
            ):
                settings.speed = float(speed)
        return settings

    def save(self, path: Path) -> None:
        """Write settings as JSON."""
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
