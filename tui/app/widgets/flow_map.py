"""The flow map: the lab's resources as a layered graph with live, moving edges."""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..flow_canvas import Canvas, EdgeView, FlowPalette, NodeView, draw_flow, figure_lines
from ..graph_layout import LABEL_ROOM, FlowLayout, layout_graph
from ..guard import guarded

#: Full-size boxes: at least this wide (a short name and two figures), at most that wide.
MIN_BOX_WIDTH, MAX_BOX_WIDTH = 20, 40
#: Where nothing else fits, boxes narrow down to their names, never below this.
NAME_FLOOR = 12
#: Room between layers for an edge's name and rate, at most this wide.
MAX_LABEL_ROOM = 24
#: Cells a figure's value may take (`12.3k`): box widths do not follow the values' changes.
VALUE_ROOM = 5
#: Layouts remembered (oldest forgotten first): full and compact, whole map and neighbourhood.
LAYOUTS_KEPT = 4
COMPACT_BOX = (17, 1)
EMPTY_HINT = (
    "No resources yet.",
    "Type a command below, e.g.  sqs create-queue --queue-name orders",
    "or open a demo scenario with ctrl+p.",
)


class FlowMap(ScrollView, can_focus=True):
    """Draws nodes and edges; arrow keys or a click select a node, which is posted up."""

    BINDINGS = [
        Binding("left", "move('left')", "Left", show=False, id="flow.left"),
        Binding("right", "move('right')", "Right", show=False, id="flow.right"),
        Binding("up", "move('up')", "Up", show=False, id="flow.up"),
        Binding("down", "move('down')", "Down", show=False, id="flow.down"),
        Binding("shift+left", "pan(-8, 0)", "Pan left", show=False, id="flow.pan_left"),
        Binding("shift+right", "pan(8, 0)", "Pan right", show=False, id="flow.pan_right"),
        Binding("shift+up", "pan(0, -4)", "Pan up", show=False, id="flow.pan_up"),
        Binding("shift+down", "pan(0, 4)", "Pan down", show=False, id="flow.pan_down"),
        Binding("z", "toggle_compact", "Zoom", id="flow.zoom"),
        Binding("n", "toggle_neighbourhood", "Neighbours", id="flow.neighbourhood"),
        Binding("enter", "open", "Open", show=False, id="flow.open"),
    ]

    class NodeSelected(Message):
        """The user picked a node (None: selection cleared)."""

        def __init__(self, node_id: str | None) -> None:
            super().__init__()
            self.node_id = node_id

    class NodeOpened(Message):
        """The user asked for the full panel of a node (enter / double click)."""

        def __init__(self, node_id: str) -> None:
            super().__init__()
            self.node_id = node_id

    selected: reactive[str | None] = reactive(None)
    compact: reactive[bool] = reactive(False)
    neighbourhood: reactive[bool] = reactive(False)

    def __init__(
        self, *, id: str | None = None, classes: str | None = None, min_label_room: int = LABEL_ROOM
    ) -> None:
        super().__init__(id=id, classes=classes)
        #: The narrowest room for edge names between layers when the map must fit its view.
        self.min_label_room = min_label_room
        self.nodes: dict[str, NodeView] = {}
        self.edges: list[EdgeView] = []
        self.sim_time = 0.0
        self._layout = FlowLayout()
        self._layout_key: tuple | None = None
        self._layouts: dict[tuple, FlowLayout] = {}
        self._visible_edges: list[EdgeView] = []
        self._canvas: Canvas | None = None
        self._failure: str | None = None
        #: The canvas's rows as segments, and each row's strip once rendered.
        self._rows: list[list[Segment]] = []
        self._strips: list[Strip | None] = []
        #: What decides whether a redraw can repaint only its changed rows (see `_repaint`).
        self._painted: tuple | None = None
        self._palette_cache: tuple[tuple, FlowPalette] | None = None
        #: The widget's base style, taken once per render pass (it walks every ancestor).
        self._line_style: Style = Style()

    # -- data in -------------------------------------------------------------------
    @guarded
    def update_flow(self, nodes: list[NodeView], edges: list[EdgeView], sim_time: float) -> None:
        """Take a new picture of the lab (called once per UI tick) and redraw."""
        self.nodes = {node.id: node for node in nodes}
        self.edges = edges
        self.sim_time = sim_time
        if self.selected is not None and self.selected not in self.nodes:
            self.selected = None
        self._redraw()

    def _shown(self) -> tuple[list[str], list[EdgeView]]:
        """The node ids and edges on screen: all of them, or the selection's neighbourhood."""
        if self.neighbourhood and self.selected in self.nodes:
            keep = {self.selected}
            for edge in self.edges:
                if self.selected in (edge.source, edge.target):
                    keep.update((edge.source, edge.target))
            ids = [ident for ident in self.nodes if ident in keep]
        else:
            ids = list(self.nodes)
        shown = set(ids)
        return ids, [e for e in self.edges if e.source in shown and e.target in shown]

    def _redraw(self) -> None:
        try:
            ids, edges = self._shown()
            box, room = self._box_size(ids), self._label_room(edges)
            groups = {i: self.nodes[i].stack or "" for i in ids if self.nodes[i].stack}
            key = (
                tuple(ids),
                tuple((e.source, e.target) for e in edges),
                self.compact,
                box,
                room,
                self.size.width,
                tuple(sorted(groups.items())),
            )
            if key != self._layout_key:
                # Zooming and focusing flip between a few shapes: keep their layouts.
                layout = self._layouts.pop(key, None)
                if layout is None:
                    pairs = [(e.source, e.target) for e in edges]
                    layout = self._fit_layout(ids, pairs, box, room, groups)
                self._layouts[key] = layout
                while len(self._layouts) > LAYOUTS_KEPT:
                    del self._layouts[next(iter(self._layouts))]
                self._layout = layout
                self._layout_key = key
                # A new shape: keep the selection in view, and never a scroll past the map.
                self.call_after_refresh(self._settle_scroll)
            self._visible_edges = edges
            base = self.rich_style
            canvas = draw_flow(
                self._layout,
                self.nodes,
                edges,
                self._palette(base),
                selected=self.selected,
                sim_time=self.sim_time,
                compact=self.compact,
                blank=base,
            )
            rows = [canvas.segments(y) for y in range(canvas.height)]
            self._failure = None
            self._set_virtual_size(Size(self._layout.width, self._layout.height))
        except Exception as error:  # noqa: BLE001 — shown in the map instead of crashing
            self._failure = f"flow map failed: {type(error).__name__}: {error}"
            canvas, rows = None, []
        self._canvas = canvas
        self._repaint(rows)

    def _set_virtual_size(self, size: Size) -> None:
        """Take the canvas's new size, relaying out the screen only if the scrollbars change.

        Setting `virtual_size` relays out the whole screen (tens of ms under load, on the
        path of a zoom key); the map's own box does not move, so only a scrollbar shown or
        hidden needs that.
        """
        if size == self.virtual_size:
            return
        scrollbars = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        if not self.container_size or scrollbars != (
            self.show_horizontal_scrollbar,
            self.show_vertical_scrollbar,
        ):
            self.refresh(layout=True)
        else:
            self.refresh()

    def _box_size(self, ids: list[str]) -> tuple[int, int]:
        """Box width and height from what the shown nodes hold (names, kinds, key figures)."""
        nodes = [self.nodes[i] for i in ids]
        if self.compact:
            want = max((len(n.name) + len(n.headline) + 5 for n in nodes), default=0)
            return max(COMPACT_BOX[0], min(want, 30)), 1
        want = MIN_BOX_WIDTH
        for node in nodes:
            # Two figures a line, each sized for its widest value rather than today's.
            figures = [len(f.split(" ", 1)[0]) + 1 + VALUE_ROOM for f in node.figures[:2]]
            want = max(want, len(node.name) + 4, len(node.kind) + 9, sum(figures) + 3 + 4)
        width = min(want, MAX_BOX_WIDTH)
        lines = max(
            (len(figure_lines(self._sized(n.figures), width - 4)) for n in nodes), default=1
        )
        return width, 3 + max(1, min(lines, 2))

    @staticmethod
    def _sized(figures: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f.split(" ", 1)[0] + " " + "9" * VALUE_ROOM for f in figures)

    @staticmethod
    def _label_room(edges: list[EdgeView]) -> int:
        """Columns after a box for the widest edge name plus its rate (`batch 10 12/s`)."""
        widest = max((len(e.label) for e in edges), default=0)
        return max(LABEL_ROOM, min(MAX_LABEL_ROOM, widest + 7 + 2))

    def _fit_layout(
        self,
        ids: list[str],
        pairs: list[tuple[str, str]],
        box: tuple[int, int],
        room: int,
        groups: dict[str, str],
    ) -> FlowLayout:
        """The layout at the wanted box width, narrowed (down to the minimum) to fit the view."""
        width, height = box
        layout = layout_graph(
            ids, pairs, box_width=width, box_height=height, label_room=room, groups=groups
        )
        view = self.size.width
        if not view or layout.width <= view:
            return layout
        smallest = COMPACT_BOX[0] if self.compact else MIN_BOX_WIDTH
        # Too wide for the view: narrow the boxes (to the minimum), then the room for edge
        # names, then the boxes again down to their names (figures are cut before names).
        layers = len({b.x for b in layout.boxes.values()}) or 1
        excess = layout.width - view
        fit_width = min(width, max(smallest, width - -(-excess // layers)))
        excess -= (width - fit_width) * layers
        fit_room = room
        if excess > 0 and layers > 1:
            fit_room = max(self.min_label_room, room - -(-excess // (layers - 1)))
            excess -= (room - fit_room) * (layers - 1)
        if excess > 0:
            names = max((len(self.nodes[i].name) + 4 for i in ids), default=0)
            floor = min(fit_width, max(NAME_FLOOR, names))
            fit_width = max(floor, fit_width - -(-excess // layers))
        if (fit_width, fit_room) == (width, room):
            return layout
        return layout_graph(
            ids, pairs, box_width=fit_width, box_height=height, label_room=fit_room, groups=groups
        )

    def _repaint(self, rows: list[list[Segment]]) -> None:
        """Take the new rows and repaint only those that changed (all, when the shape did).

        Under load the map is redrawn every tick, yet most rows (box borders, idle edges)
        stay the same: repainting just the rest keeps the UI's share of the GIL small.
        """
        old_rows = self._rows
        self._rows = rows
        self._strips = [None] * len(rows)
        canvas = self._canvas
        painted = (
            self._failure,
            bool(self.nodes),
            canvas.width if canvas is not None else 0,
            len(rows),
            self.size,
        )
        if painted != self._painted or not self.nodes or canvas is None:
            self._painted = painted
            self.refresh()
            return
        start = None
        for y, (before, after) in enumerate(zip(old_rows, rows, strict=True)):
            if before != after:
                if start is None:
                    start = y
            elif start is not None:
                self.refresh_lines(start, y - start)
                start = None
        if start is not None:
            self.refresh_lines(start, len(rows) - start)

    def _palette(self, base: Style) -> FlowPalette:
        """The theme's colours on `base` (built again only when the theme or base changes)."""
        key = (self.app.theme, base)
        if self._palette_cache is not None and self._palette_cache[0] == key:
            return self._palette_cache[1]
        palette = self._build_palette(base)
        self._palette_cache = (key, palette)
        return palette

    def _build_palette(self, base: Style) -> FlowPalette:
        theme = self.app.theme_variables

        def colour(name: str, **extra: bool) -> Style:
            return base + Style(color=Color.parse(theme[name][:7]), **extra)

        return FlowPalette(
            text=colour("foreground"),
            muted=colour("foreground-darken-2"),
            border=colour("primary"),
            selected=colour("accent", bold=True, reverse=False),
            edge=colour("foreground-darken-3"),
            active=colour("success"),
            dot=colour("accent", bold=True),
            flags={
                "error": colour("error", bold=True),
                "retry": colour("warning"),
                "throttle": colour("warning", bold=True),
                # A consumer falling behind (stream lag, a growing backlog).
                "lag": colour("warning", bold=True),
                # Dead-lettering gets its own hue in every theme (magenta), apart from errors.
                "dead-letter": base + Style(color=Color.parse("#d670d6")),
                # A hop IAM refused (enforcement on): orange in every theme, struck through.
                "refused": base + Style(color=Color.parse("#ff8700"), bold=True, strike=True),
                # Workflow states (the workflow screen): status of the chosen execution.
                "running": colour("accent", bold=True),
                "succeeded": colour("success"),
                "caught": base + Style(color=Color.parse("#d670d6"), bold=True),
            },
        )

    def watch_selected(self, old: str | None, new: str | None) -> None:
        if old != new:
            self._redraw()
            self._scroll_to_selected()

    def watch_compact(self) -> None:
        self._redraw()
        self._scroll_to_selected()

    def watch_neighbourhood(self) -> None:
        self._redraw()
        self._scroll_to_selected()

    def on_resize(self) -> None:
        self._redraw()

    # -- drawing -------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        """Render the rows in `crop`, taking the widget's style once for all of them."""
        self._line_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """One row of the map, cropped to the scrolled view."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = y + scroll_y
        style = self._line_style
        if self._failure or self._canvas is None or not self.nodes:
            lines = [self._failure] if self._failure else list(EMPTY_HINT)
            if y < len(lines):
                return Strip([Segment(" " + lines[y], style)]).adjust_cell_length(width, style)
            return Strip.blank(width, style)
        if row >= len(self._rows):
            return Strip.blank(width, style)
        strip = self._strips[row]
        if strip is None:
            strip = self._strips[row] = Strip(self._rows[row], self._canvas.width)
        return strip.crop(scroll_x, scroll_x + width).adjust_cell_length(width, style)

    # -- selection and movement ----------------------------------------------------
    def select(self, node_id: str | None) -> None:
        """Select `node_id` and tell the app."""
        self.selected = node_id
        self.post_message(self.NodeSelected(node_id))

    def node_at(self, x: int, y: int) -> str | None:
        """The node drawn at canvas cell (x, y), if any."""
        for ident, box in self._layout.boxes.items():
            if box.contains(x, y):
                return ident
        return None

    def on_click(self, event: events.Click) -> None:
        scroll_x, scroll_y = self.scroll_offset
        ident = self.node_at(event.x + scroll_x, event.y + scroll_y)
        if ident is not None:
            self.select(ident)
            if event.chain >= 2:
                self.post_message(self.NodeOpened(ident))

    def action_move(self, direction: str) -> None:
        """Select the nearest node in `direction` from the current one."""
        boxes = self._layout.boxes
        if not boxes:
            return
        current = boxes.get(self.selected or "")
        if current is None:
            self.select(min(boxes.values(), key=lambda b: (b.x, b.y)).id)
            return
        cx, cy = current.x + current.width / 2, current.middle
        best: tuple[float, str] | None = None
        for box in boxes.values():
            if box.id == current.id:
                continue
            dx, dy = box.x + box.width / 2 - cx, box.middle - cy
            along, across = {
                "left": (-dx, dy),
                "right": (dx, dy),
                "up": (-dy, dx),
                "down": (dy, dx),
            }[direction]
            if along <= 0:
                continue
            score = along + 2 * abs(across)
            if best is None or score < best[0]:
                best = (score, box.id)
        if best is not None:
            self.select(best[1])

    def action_pan(self, dx: int, dy: int) -> None:
        """Scroll the map without changing the selection."""
        self.scroll_to(self.scroll_x + dx, self.scroll_y + dy, animate=False)

    def action_toggle_compact(self) -> None:
        """Switch between full boxes and the compact zoomed-out form."""
        self.compact = not self.compact

    def action_toggle_neighbourhood(self) -> None:
        """Show only the selected node and its direct neighbours (or everything again)."""
        self.neighbourhood = not self.neighbourhood

    def action_open(self) -> None:
        """Open the selected node's panel."""
        if self.selected is not None:
            self.post_message(self.NodeOpened(self.selected))

    def _settle_scroll(self) -> None:
        if self._layout.boxes.get(self.selected or "") is not None:
            self._scroll_to_selected()
            return
        x = min(self.scroll_x, max(0, self.virtual_size.width - self.size.width))
        y = min(self.scroll_y, max(0, self.virtual_size.height - self.size.height))
        if (x, y) != (self.scroll_x, self.scroll_y):
            self.scroll_to(x, y, animate=False)

    def _scroll_to_selected(self) -> None:
        box = self._layout.boxes.get(self.selected or "")
        if box is not None and self.size.width:
            self.scroll_to_region(
                Region(box.x, box.y, box.width, box.height), animate=False, force=True
            )
