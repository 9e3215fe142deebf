"""A message's journey as a tree of hops: which resource handed it to which, in causal order."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.trace import TraceEvent


@dataclass(slots=True)
class Hop:
    """What one resource did with one message (its events in order) and the hop that caused it."""

    service: str
    resource: str
    message_id: str | None
    events: list[TraceEvent] = field(default_factory=list)
    parent: int | None = None  # index of the causing hop in `build_hops`'s list
    children: list[int] = field(default_factory=list)
    depth: int = 0
    #: Tree guides drawn before the hop (`│  ├─ `), set by `build_hops`.
    guide: str = ""

    @property
    def first(self) -> TraceEvent:
        """The hop's first event."""
        return self.events[0]

    @property
    def kinds(self) -> list[str]:
        """The hop's event kinds in order, repeats folded (`sent → received → deleted-message`)."""
        kinds: list[str] = []
        for event in self.events:
            if not kinds or kinds[-1] != event.kind:
                kinds.append(event.kind)
        return kinds


def build_hops(events: list[TraceEvent]) -> list[Hop]:
    """Group `events` into hops and link each hop to its cause; returned in tree order.

    Events are taken in publication order (sequence numbers: cause before effect, even within
    one simulated instant). A hop's cause is, in this order of preference: the hop its first
    event names as `source`; the hop where its message id first appeared; the latest earlier
    event naming its resource (an SNS subscription's `endpoint`); the innermost hop still
    open when it began (a function publishing during its invocation); the hop just before.
    """
    ordered = sorted(events, key=lambda event: event.seq)
    hops: list[Hop] = []
    index_of: dict[tuple[str, str | None], int] = {}
    first_seen: dict[str, int] = {}  # message id → the hop it first appeared in
    mentioned: dict[str, int] = {}  # resource ARN → the latest hop naming it in its detail
    for event in ordered:
        key = (event.resource, event.message_id)
        position = index_of.get(key)
        if position is None:
            position = len(hops)
            index_of[key] = position
            hop = Hop(event.service, event.resource, event.message_id, [event])
            hop.parent = _cause(event, hops, index_of, first_seen, mentioned)
            hops.append(hop)
            if event.message_id and event.message_id not in first_seen:
                first_seen[event.message_id] = position
        else:
            hops[position].events.append(event)
        for value in event.detail.values():
            if isinstance(value, str) and value.startswith("arn:") and value != event.resource:
                mentioned[value] = position
    for position, hop in enumerate(hops):
        if hop.parent is not None:
            hops[hop.parent].children.append(position)
    return _tree_order(hops)


def _cause(
    event: TraceEvent,
    hops: list[Hop],
    index_of: dict[tuple[str, str | None], int],
    first_seen: dict[str, int],
    mentioned: dict[str, int],
) -> int | None:
    if not hops:
        return None
    source = event.detail.get("source")
    if isinstance(source, str):
        for (resource, _), position in reversed(list(index_of.items())):
            if resource == source:
                return position
    if event.message_id in first_seen:
        return first_seen[event.message_id]
    if event.resource in mentioned:
        return mentioned[event.resource]
    for position in range(len(hops) - 1, -1, -1):
        hop = hops[position]
        if hop.service == "lambda" and hop.kinds[-1] == "invoked":
            return position  # published from inside an invocation that has not ended yet
    return len(hops) - 1


def _tree_order(hops: list[Hop]) -> list[Hop]:
    """Depth first from the roots, children in causal order; guides and parents re-indexed."""
    ordered: list[Hop] = []
    new_index: dict[int, int] = {}

    def visit(position: int, depth: int, lead: str, last: bool) -> None:
        hop = hops[position]
        hop.depth = depth
        hop.guide = "" if depth == 0 else lead + ("└─ " if last else "├─ ")
        new_index[position] = len(ordered)
        ordered.append(hop)
        below = "" if depth == 0 else lead + ("   " if last else "│  ")
        for number, child in enumerate(hop.children):
            visit(child, depth + 1, below, number == len(hop.children) - 1)

    roots = [position for position, hop in enumerate(hops) if hop.parent is None]
    for root in roots:
        visit(root, 0, "", True)
    for hop in ordered:
        hop.parent = new_index[hop.parent] if hop.parent is not None else None
        hop.children = [new_index[child] for child in hop.children]
    return ordered
