"""The flow map's layered layout: boxes never overlap, edges run from source to target."""

from __future__ import annotations

import time

from tui.app.graph_layout import layout_graph


def _overlap(a, b) -> bool:
    return not (
        a.x + a.width <= b.x
        or b.x + b.width <= a.x
        or a.y + a.height <= b.y
        or b.y + b.height <= a.y
    )


def test_a_chain_is_laid_out_left_to_right() -> None:
    layout = layout_graph(["a", "b", "c"], [("a", "b"), ("b", "c")], box_width=10, box_height=3)
    xs = [layout.boxes[n].x for n in "abc"]
    assert xs == sorted(xs) and len(set(xs)) == 3


def test_fan_out_targets_share_a_layer_without_overlapping() -> None:
    edges = [("topic", q) for q in ("q1", "q2", "q3")]
    layout = layout_graph(["topic", "q1", "q2", "q3"], edges, box_width=10, box_height=3)
    queues = [layout.boxes[q] for q in ("q1", "q2", "q3")]
    assert len({box.x for box in queues}) == 1
    assert not any(_overlap(a, b) for i, a in enumerate(queues) for b in queues[i + 1 :])


def test_each_route_starts_beside_its_source_and_ends_beside_its_target() -> None:
    layout = layout_graph(["a", "b"], [("a", "b")], box_width=10, box_height=3)
    route = layout.routes[0]
    a, b = layout.boxes["a"], layout.boxes["b"]
    assert route.cells[0] == (a.x + a.width, a.middle)
    assert route.cells[-1] == (b.x - 1, b.middle)


def test_route_cells_are_contiguous() -> None:
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("a", "d")]
    layout = layout_graph(list("abcd"), edges, box_width=8, box_height=3)
    for route in layout.routes:
        for (x1, y1), (x2, y2) in zip(route.cells, route.cells[1:], strict=False):
            assert abs(x1 - x2) + abs(y1 - y2) == 1


def test_a_cycle_is_drawn_with_one_edge_running_backwards() -> None:
    layout = layout_graph(
        list("abc"), [("a", "b"), ("b", "c"), ("c", "a")], box_width=8, box_height=3
    )
    assert len(layout.routes) == 3
    assert sum(not route.forward for route in layout.routes) == 1


def test_isolated_nodes_are_placed_below_the_connected_ones() -> None:
    layout = layout_graph(["a", "b", "lone"], [("a", "b")], box_width=8, box_height=3)
    assert layout.boxes["lone"].y > layout.boxes["a"].y
    assert layout.height >= layout.boxes["lone"].y + 3


def test_sixty_resources_lay_out_quickly_and_without_overlaps() -> None:
    nodes = [f"n{i}" for i in range(60)]
    edges = [(f"n{i}", f"n{i * 2 + 1}") for i in range(29)] + [
        (f"n{i}", f"n{i * 2 + 2}") for i in range(29)
    ]
    started = time.perf_counter()
    layout = layout_graph(nodes, edges, box_width=20, box_height=4)
    assert time.perf_counter() - started < 2.0
    boxes = list(layout.boxes.values())
    assert len(boxes) == 60
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
