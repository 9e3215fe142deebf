"""Drawing the flow map: boxes, box-drawing edges, rate labels and travelling messages."""

from __future__ import annotations

from rich.style import Style

from tui.app.flow_canvas import EdgeView, FlowPalette, NodeView, draw_flow, format_rate
from tui.app.graph_layout import layout_graph


def _draw(rate: float, sim_time: float = 0.0, *, compact: bool = False, flag: str | None = None):
    layout = layout_graph(["a", "b"], [("a", "b")], box_width=16, box_height=1 if compact else 4)
    nodes = {n: NodeView(n, "queue", f"queue-{n}", "vis 3", "3") for n in "ab"}
    edges = [EdgeView("a", "b", "subscription", rate, flag)]
    palette = FlowPalette(flags={"error": Style(color="red")})
    canvas = draw_flow(
        layout,
        nodes,
        edges,
        palette,
        selected="a",
        sim_time=sim_time,
        compact=compact,
        blank=Style(),
    )
    return canvas, ["".join(row) for row in canvas.chars]


def test_format_rate_is_short() -> None:
    assert [format_rate(r) for r in (0, 0.5, 12, 3400)] == ["", "0.5/s", "12/s", "3.4k/s"]


def test_boxes_show_kind_name_and_counters() -> None:
    _, rows = _draw(0)
    text = "\n".join(rows)
    assert "▤ queue" in text and "queue-a" in text and "vis 3" in text
    assert rows[0].startswith("╭─")


def test_an_edge_is_a_line_with_an_arrow_head() -> None:
    _, rows = _draw(0)
    middle = rows[2]
    assert "─" in middle and "▶" in middle


def test_a_busy_edge_shows_its_rate_and_moving_dots() -> None:
    _, rows = _draw(12)
    assert "12/s" in rows[2]
    assert "●" in rows[2]


def test_dots_move_with_simulated_time_only() -> None:
    _, first = _draw(12, sim_time=100.0)
    _, same = _draw(12, sim_time=100.0)
    _, later = _draw(12, sim_time=100.2)
    assert first == same
    assert first != later


def test_an_idle_edge_has_no_dots() -> None:
    _, rows = _draw(0)
    assert not any("●" in row for row in rows)


def test_a_flagged_edge_takes_the_flag_colour() -> None:
    canvas, rows = _draw(5, flag="error")
    x = rows[2].index("▶")
    assert canvas.styles[2][x].color.name == "red"


def test_compact_boxes_are_one_line() -> None:
    _, rows = _draw(0, compact=True)
    assert rows[0].startswith("[▤ queue-a 3")
