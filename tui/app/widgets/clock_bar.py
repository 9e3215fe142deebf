"""The header: simulated time, speed, pause state and how busy the lab is."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..flow_canvas import format_rate


class ClockBar(Widget):
    """One line: app name, simulated clock, ▶/⏸ with speed, resources, event rate, memory."""

    sim_time: reactive[float] = reactive(0.0)
    speed: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(False)
    virtual: reactive[bool] = reactive(False)
    resources: reactive[int] = reactive(0)
    event_rate: reactive[float] = reactive(0.0)
    #: The lab process's resident memory in bytes, when the app shows it.
    resident_bytes: reactive[int | None] = reactive(None)

    def render(self) -> Text:
        """The header line."""
        stamp = datetime.fromtimestamp(self.sim_time, UTC).strftime("%Y-%m-%d %H:%M:%S")
        state = "❚❚ paused" if self.paused else f"▶ {self.speed:g}×"
        text = Text.assemble(
            (" Pipework ", "bold reverse"),
            "  ",
            (stamp, "bold"),
            " UTC  ",
            (state, "bold"),
            # One piece of text with its separator, so a copy of the line reads right.
            (" · virtual clock" if self.virtual else " · real clock", "dim"),
        )
        busy = f"{self.resources} resource{'' if self.resources == 1 else 's'}"
        rate = format_rate(self.event_rate)
        if rate:
            busy += f" · {rate} events"
        if self.resident_bytes is not None:
            busy += f" · {self.resident_bytes / 1_048_576:.0f} MiB"
        space = self.size.width - text.cell_len - len(busy) - 1
        if space > 1:
            text.append(" " * space)
            text.append(busy, "dim")
        return text
