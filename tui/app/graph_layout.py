"""Layered layout of the flow map: grandalf orders the layers, we place boxes and route edges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import DummyVertex, SugiyamaLayout, VertexViewer

Point = tuple[int, int]


@dataclass(slots=True)
class Box:
    """Where one node's box sits on the canvas (cells)."""

    id: str
    x: int
    y: int
    width: int
    height: int

    @property
    def middle(self) -> int:
        """The row edges attach to."""
        return self.y + self.height // 2

    def contains(self, x: int, y: int) -> bool:
        """Whether the cell (x, y) is inside this box."""
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


@dataclass(slots=True)
class Route:
    """The cells one edge passes through, from its source side to its target side."""

    index: int  # the edge's index in the list given to `layout_graph`
    cells: list[Point]
    forward: bool  # False when the edge runs right-to-left (a cycle was broken here)


@dataclass(slots=True)
class GroupBand:
    """A titled band of the map holding one group's nodes (a CloudFormation stack)."""

    title: str
    y: int  # the title's row; the group's boxes are below it


@dataclass(slots=True)
class FlowLayout:
    """Boxes and edge routes for one topology shape."""

    boxes: dict[str, Box] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    width: int = 0
    height: int = 0
    groups: list[GroupBand] = field(default_factory=list)


#: Columns between a box and the first routing channel: room for the rate label.
LABEL_ROOM = 7


def layout_graph(
    node_ids: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    box_width: int,
    box_height: int,
    label_room: int = LABEL_ROOM,
    groups: Mapping[str, str] | None = None,
) -> FlowLayout:
    """Lay `node_ids` out left-to-right in layers so `edges` mostly point right.

    Connected groups are stacked top to bottom in the order their first node appears in
    `node_ids` (a new resource lands below the old ones: the map does not jump); isolated
    nodes share a row band under them. With `groups` (node id → a group title, e.g. its
    stack), each group gets a titled band of its own, in order of first appearance.
    """
    result = FlowLayout()
    if not node_ids:
        return result
    order = {ident: position for position, ident in enumerate(node_ids)}
    vertices = {ident: Vertex(ident) for ident in node_ids}
    for vertex in vertices.values():
        # Transposed: grandalf lays layers top-down, we draw them left-to-right.
        vertex.view = VertexViewer(w=box_height + 1, h=box_width)
    graph_edges: list[tuple[int, GEdge]] = []
    for index, (source, target) in enumerate(edges):
        if source == target or source not in vertices or target not in vertices:
            continue
        graph_edges.append((index, GEdge(vertices[source], vertices[target])))
    graph = Graph(list(vertices.values()), [edge for _, edge in graph_edges])
    titles = groups or {}
    bands: dict[str, tuple[list[Graph], list[str]]] = {}
    components = sorted(graph.C, key=lambda c: min(order[v.data] for v in c.sV))
    for component in components:
        first = min((v.data for v in component.sV), key=order.__getitem__)
        connected, loose = bands.setdefault(titles.get(first, ""), ([], []))
        if len(component.sV) == 1:
            loose.append(first)
        else:
            connected.append(component)
    # Titled groups first, in order of appearance; resources of no group after them.
    named = [title for title in bands if title]
    top = 0
    width = 0
    titled = 0
    for title in [*named, *([""] if "" in bands else [])]:
        connected, loose = bands[title]
        if named:
            band = GroupBand(title or "not in a stack", top)
            result.groups.append(band)
            titled = max(titled, len(band.title) + 12)  # a title is never cut by the canvas
            top += 2
        for component in connected:
            placed = _place_component(component, top, box_width, box_height, result)
            component_edges = [(i, e) for i, e in graph_edges if e in component.sE]
            used = _route_component(placed, component_edges, box_width, label_room, result)
            width = max(width, used)
            top += placed.height + 2
        if loose:
            # Lone resources: a grid under the connected ones, as many per row as fit the width.
            per_row = max(1, max(width, 4 * (box_width + label_room)) // (box_width + 2))
            for position, ident in enumerate(loose):
                column, row = position % per_row, position // per_row
                x = column * (box_width + 2)
                y = top + row * (box_height + 1)
                result.boxes[ident] = Box(ident, x, y, box_width, box_height)
                width = max(width, x + box_width)
            top += ((len(loose) - 1) // per_row + 1) * (box_height + 1) + 1
    # The widest thing drawn: a box's right border or a route's cell (a backward hop turns
    # beyond the last layer); the layers' trailing room is not kept when nothing uses it.
    right = max((b.x + b.width for b in result.boxes.values()), default=0)
    routed = max((x + 1 for route in result.routes for x, _ in route.cells), default=0)
    result.width = max(right, routed, titled)
    result.height = max(top, max((b.y + b.height for b in result.boxes.values()), default=0)) + 1
    return result


@dataclass(slots=True)
class _Layer:
    x: int
    slots: dict[object, tuple[int, int]]  # vertex → (top row, height)


@dataclass(slots=True)
class _Placed:
    """One connected component after placement: its layers, ranks and grandalf run."""

    layers: list[_Layer]
    ranks: dict[object, int]
    sugiyama: SugiyamaLayout
    height: int


def _place_component(
    component: Graph, top: int, box_width: int, box_height: int, result: FlowLayout
) -> _Placed:
    sugiyama = SugiyamaLayout(component)
    sugiyama.xspace = 1
    sugiyama.yspace = 4
    sugiyama.init_all()
    sugiyama.draw(3)
    layers: list[_Layer] = []
    bottom = top
    for layer in sugiyama.layers:
        slots: dict[object, tuple[int, int]] = {}
        # grandalf's x becomes our row; then push apart anything that overlaps.
        ordered = sorted(layer, key=lambda v: (v.view.xy[0], layer.index(v)))
        wanted = [v.view.xy[0] for v in ordered]
        base = min(wanted, default=0)
        next_free = top
        for vertex, want in zip(ordered, wanted, strict=True):
            height = 1 if isinstance(vertex, DummyVertex) else box_height
            row = max(next_free, top + round((want - base) * 0.5))
            slots[vertex] = (row, height)
            next_free = row + height + 1
            bottom = max(bottom, row + height)
        layers.append(_Layer(0, slots))
    ranks = {v: r for r, layer in enumerate(sugiyama.layers) for v in layer}
    for layer in layers:
        for vertex, (row, height) in layer.slots.items():
            if not isinstance(vertex, DummyVertex):
                result.boxes[vertex.data] = Box(vertex.data, 0, row, box_width, height)
    return _Placed(layers, ranks, sugiyama, bottom - top)


def _route_component(
    placed: _Placed,
    component_edges: list[tuple[int, GEdge]],
    box_width: int,
    label_room: int,
    result: FlowLayout,
) -> int:
    """Route every edge of one component; set layer x positions; returns the width used."""
    layers, ranks, sugiyama = placed.layers, placed.ranks, placed.sugiyama
    # Each edge becomes a chain of vertices, one per rank it crosses (dummies in between).
    chains: list[tuple[int, list[object], bool]] = []
    for index, edge in component_edges:
        source, target = edge.v
        low, high = (source, target) if ranks[source] <= ranks[target] else (target, source)
        controls = sugiyama.ctrls.get(edge, {})
        chain: list[object] = [low]
        for rank in range(ranks[low] + 1, ranks[high]):
            dummy = controls.get(rank)
            if dummy is not None:
                chain.append(dummy)
        chain.append(high)
        chains.append((index, chain, low is source))
    # Count, per gap, the hops that change row: each gets its own vertical channel.
    channels: list[int] = [0] * len(layers)
    hop_channel: dict[tuple[int, int], int] = {}
    for index, chain, _forward in chains:
        for step in range(len(chain) - 1):
            a, b = chain[step], chain[step + 1]
            rank = ranks[a]
            if _attach_row(layers, ranks, a) != _attach_row(layers, ranks, b):
                hop_channel[(index, step)] = channels[rank]
                channels[rank] += 1
    x = 0
    for rank, layer in enumerate(layers):
        layer.x = x
        x += box_width + label_room + min(channels[rank], 16) + 2
    for layer in layers:
        for vertex in layer.slots:
            if not isinstance(vertex, DummyVertex):
                result.boxes[vertex.data].x = layer.x
    for index, chain, forward in chains:
        cells: list[Point] = []
        for step in range(len(chain) - 1):
            a, b = chain[step], chain[step + 1]
            layer_a, layer_b = layers[ranks[a]], layers[ranks[b]]
            row_a, row_b = _attach_row(layers, ranks, a), _attach_row(layers, ranks, b)
            if isinstance(a, DummyVertex):
                # Pass straight through the dummy's layer.
                _extend(cells, [(layer_a.x + i, row_a) for i in range(box_width)])
            start_x = layer_a.x + box_width
            end_x = layer_b.x - 1
            channel = hop_channel.get((index, step))
            if channel is None:
                _extend(cells, [(cx, row_a) for cx in range(start_x, end_x + 1)])
            else:
                turn_x = start_x + label_room + (channel % 16)
                _extend(cells, [(cx, row_a) for cx in range(start_x, turn_x + 1)])
                direction = 1 if row_b > row_a else -1
                _extend(cells, [(turn_x, cy) for cy in range(row_a, row_b + direction, direction)])
                _extend(cells, [(cx, row_b) for cx in range(turn_x, end_x + 1)])
        if not forward:
            cells.reverse()
        result.routes.append(Route(index, cells, forward))
    return x


def _attach_row(layers: list[_Layer], ranks: dict[object, int], vertex: object) -> int:
    row, height = layers[ranks[vertex]].slots[vertex]
    return row + height // 2


def _extend(cells: list[Point], more: list[Point]) -> None:
    """Append cells, skipping one that repeats the last (segments share their corners)."""
    for cell in more:
        if not cells or cells[-1] != cell:
            cells.append(cell)
