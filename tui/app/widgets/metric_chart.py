"""A bar chart of one metric over lab time, drawn with block characters."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.console.timefmt import clock_text

BLOCKS = " ▁▂▃▄▅▆▇█"


class MetricChart(Static):
    """Values per period as columns of blocks, with the range on the left and times below."""

    def __init__(self, *, rows: int = 8, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self.title = ""
        self.values: list[float | None] = []
        self.start = 0.0
        self.period = 60

    def show(self, title: str, values: list[float | None], start: float, period: int) -> None:
        """Draw `values`, one per `period` seconds from `start` (None: no datapoint)."""
        self.title, self.values, self.start, self.period = title, values, start, period
        self.update(self.render_chart())

    def render_chart(self) -> Text:
        """The chart as rich text (also used by tests)."""
        text = Text(self.title + "\n", style="bold")
        present = [v for v in self.values if v is not None]
        if not present:
            text.append("no datapoints in this window yet", style="dim")
            return text
        high = max(present) or 1.0
        low = min(0.0, min(present))
        span = (high - low) or 1.0
        eighths = [
            None if v is None else round((v - low) / span * self.rows * 8) for v in self.values
        ]
        label_width = max(len(_number(high)), len(_number(low)))
        for row in range(self.rows, 0, -1):
            label = _number(high) if row == self.rows else _number(low) if row == 1 else ""
            text.append(label.rjust(label_width) + " │", style="dim")
            for filled in eighths:
                if filled is None:
                    text.append("·" if row == 1 else " ", style="dim")
                    continue
                level = max(0, min(8, filled - (row - 1) * 8))
                text.append(BLOCKS[level], style="cyan")
            text.append("\n")
        end = self.start + len(self.values) * self.period
        left, right = clock_text(self.start)[-8:], clock_text(end)[-8:]
        gap = max(1, len(self.values) - len(left) - len(right))
        text.append(" " * (label_width + 2) + left + " " * gap + right, style="dim")
        return text


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
