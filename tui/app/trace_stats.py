"""Aggregates the trace into per-second counts so widgets update per tick, never per message."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import islice

from engine.trace import TraceBus, TraceEvent, TraceRecorder

#: Trace kinds that mean "something arrived at this resource" (its throughput).
ARRIVAL_KINDS = frozenset(
    {
        "sent",
        "published",
        "put",
        "invoked",
        "execution-started",
        "request",
        "written",
        "matched",
    }
)
#: Trace kind → the flag the flow map colours an edge or node with.
FLAG_KINDS = {
    "failed": "error",
    "delivery-failed": "error",
    "execution-failed": "error",
    "engine-error": "error",
    "retried": "retry",
    "throttled": "throttle",
    "dead-lettered": "dead-letter",
    "denied": "refused",
}
#: Events folded one by one per tick; beyond this, a stride sample stands for the rest.
#: (Folding shares the GIL with a busy engine: 1,000 a tick keeps rates within a few per
#: cent while leaving the engine most of its time.)
FOLD_LIMIT = 1000
#: Which flag wins when several were seen in the window.
#: (A refusal by IAM also fails the delivery: "refused" wins so the map says why.)
FLAG_ORDER = ("refused", "error", "dead-letter", "throttle", "retry")


@dataclass(slots=True)
class TickBatch:
    """What one drain of the trace produced: the new events (capped) and how many in all."""

    events: list[TraceEvent] = field(default_factory=list)
    total: int = 0
    dropped: int = 0


class TraceStats:
    """Counts trace events per resource and per (resource, related ARN) in simulated seconds.

    The events come from a trace recorder: the app's own (`recorder=`, so the engine pays
    for no second listener) or one started here. `take()` copies what is new since the last
    call from the recorder's tail — found by sequence number, with no work per event in the
    engine — and `fold()` counts it, each event a few dict increments. Rates are events per
    simulated second over the last `window` seconds.
    """

    def __init__(
        self,
        bus: TraceBus,
        *,
        window: int = 5,
        buffer: int = 50_000,
        keep: int = 2_000,
        recorder: TraceRecorder | None = None,
    ) -> None:
        self.window = window
        self._bus = bus
        self._owns_recorder = recorder is None
        self.recorder: TraceRecorder = recorder if recorder is not None else bus.record(buffer)
        #: The sequence number of the newest event already taken.
        self._seen = bus.last_seq
        #: Events that left the recorder's window before they were taken (since the last fold).
        self.dropped = 0
        self._buckets: deque[tuple[int, Counter]] = deque(maxlen=window + 2)
        self.recent: deque[TraceEvent] = deque(maxlen=keep)
        self.totals: Counter = Counter()
        self._node_ids: frozenset[str] = frozenset()
        self._edges: frozenset[tuple[str, str]] = frozenset()
        self._owner_cache: dict[str, str] = {}
        #: trace id → the node its message was last seen at (for observed hops).
        self._last_node: dict[str, str] = {}
        #: (from, to) node pairs a traced message was seen to travel with no edge between.
        self.observed: set[tuple[str, str]] = set()

    def set_nodes(
        self, node_ids: frozenset[str], edges: frozenset[tuple[str, str]] = frozenset()
    ) -> None:
        """The flow map's node ids and edges (source, target).

        Events on sub-resources are counted on their owner node; hops seen in the trace
        between nodes that no edge joins become observed edges.
        """
        self._edges = edges
        if node_ids != self._node_ids:
            self._node_ids = node_ids
            self._owner_cache.clear()

    def owner(self, resource: str) -> str:
        """The node a trace resource belongs to.

        A subscription ARN (`<topic-arn>:<id>`) or a shard (`<stream-arn>/shard-…`) is cut back
        segment by segment until it names a node; otherwise the resource stands for itself.
        """
        found = self._owner_cache.get(resource)
        if found is not None:
            return found
        candidate = resource
        found = resource
        while candidate:
            if candidate in self._node_ids:
                found = candidate
                break
            cut = max(candidate.rfind(":"), candidate.rfind("/"))
            if cut <= len("arn:aws:"):
                break
            candidate = candidate[:cut]
        if len(self._owner_cache) > 10_000:
            self._owner_cache.clear()
        self._owner_cache[resource] = found
        return found

    def close(self) -> None:
        """Stop listening to the trace (a recorder given by the caller keeps recording)."""
        if self._owns_recorder:
            self._bus.stop_recording(self.recorder)

    def take(self) -> list[TraceEvent]:
        """Every event recorded since the last call, oldest first (call where the engine runs)."""
        events = self.recorder.events
        if not events:
            return []
        newest = events[-1].seq
        fresh = newest - self._seen
        self._seen = newest
        if fresh <= 0:
            return []
        if fresh > len(events):
            # The recorder's window moved past events not yet taken (or it was cleared).
            self.dropped += fresh - len(events)
            fresh = len(events)
        # A recorder sees every event, so sequence numbers in it are consecutive: the new
        # ones are exactly the last `fresh`, copied at C speed.
        taken = list(islice(reversed(events), fresh))
        taken.reverse()
        return taken

    def drain(self, keep_events: int = 200) -> TickBatch:
        """Take and fold every buffered event; return the newest `keep_events` of them."""
        return self.fold(self.take(), keep_events)

    def fold(self, events: list[TraceEvent], keep_events: int = 200) -> TickBatch:
        """Count `events` into the per-second buckets; return the newest `keep_events`."""
        batch = TickBatch(total=len(events), dropped=self.dropped)
        self.dropped = 0
        if not events:
            return batch
        # Past FOLD_LIMIT events a tick, every `stride`-th event is counted `stride` times:
        # rates stay right on average and the UI's work per tick stays bounded. Flagged
        # events (errors, retries, throttles, dead letters) are rare and always counted.
        stride = max(1, len(events) // FOLD_LIMIT)
        if stride == 1:
            self._fold(events, 1)
            self._observe(events)
        else:
            # A stride sample breaks each message's sequence of hops, so hops are learnt from
            # the newest contiguous stretch instead, starting afresh (no stale last nodes).
            self._fold(events[::stride], stride, skip_flags=True)
            self._fold([e for e in events if e.kind in FLAG_KINDS], 1, only_flags=True)
            self._last_node.clear()
            self._observe(events[-FOLD_LIMIT:], weight=len(events) / FOLD_LIMIT)
        self.recent.extend(events[-self.recent.maxlen :])
        batch.events = events[-keep_events:]
        return batch

    def _fold(
        self,
        events: list[TraceEvent],
        weight: int,
        *,
        skip_flags: bool = False,
        only_flags: bool = False,
    ) -> None:
        buckets = self._buckets
        owner = self.owner
        totals = self.totals
        for event in events:
            second = int(event.time)
            if not buckets or second > buckets[-1][0]:
                buckets.append((second, Counter()))
            counts = buckets[-1][1]  # (an out-of-order event lands in the newest bucket)
            resource = owner(event.resource)
            kind = event.kind
            flag = None if skip_flags else FLAG_KINDS.get(kind)
            if not only_flags:
                # A subscription's "matched" is not a second arrival at its topic.
                if kind in ARRIVAL_KINDS and (kind != "matched" or resource == event.resource):
                    counts[resource] += weight
                totals[kind] += weight
            if flag is not None:
                counts[(flag, resource)] += 1
            for value in event.detail.values():
                # Any ARN in the detail names the other end of a hop: count that pair.
                if type(value) is str and value.startswith("arn:"):
                    other = owner(value)
                    if other != resource:
                        if not only_flags:
                            counts[(resource, other)] += weight
                        if flag is not None:
                            counts[(flag, resource, other)] += 1

    def _observe(self, events: list[TraceEvent], weight: float = 1) -> None:
        """Learn hops that no topology edge explains (e.g. a function publishing in code).

        An arrival (sent, published, invoked …) at node B of a message last seen at node A
        is a hop A → B; when no edge joins A and B it is kept as an observed edge and
        counted for its rate.
        """
        last = self._last_node
        owner = self.owner
        nodes, edges, observed = self._node_ids, self._edges, self.observed
        buckets = self._buckets
        for event in events:
            trace_id = event.trace_id
            if trace_id is None:
                continue
            here = owner(event.resource)
            if here not in nodes:
                continue
            before = last.get(trace_id)
            last[trace_id] = here
            if before is None or before == here or event.kind not in ARRIVAL_KINDS:
                continue
            pair = (before, here)
            if pair in edges or (here, before) in edges:
                continue
            observed.add(pair)
            buckets[-1][1][pair] += weight
        if len(last) > 50_000:
            last.clear()

    def _window_sum(self, key: object, now: float) -> int:
        floor = int(now) - self.window
        return sum(counts[key] for second, counts in self._buckets if second >= floor)

    def node_rate(self, resource: str, now: float) -> float:
        """Arrivals per simulated second at `resource`."""
        return self._window_sum(resource, now) / self.window

    def edge_rate(self, source: str, target: str, now: float) -> float:
        """Hops per simulated second between `source` and `target` (either side reporting)."""
        hops = self._window_sum((source, target), now) + self._window_sum((target, source), now)
        return hops / self.window

    def node_flag(self, resource: str, now: float) -> str | None:
        """The most serious flag seen at `resource` in the window."""
        for flag in FLAG_ORDER:
            if self._window_sum((flag, resource), now):
                return flag
        return None

    def edge_flag(self, source: str, target: str, now: float) -> str | None:
        """The most serious flag seen on the hop between `source` and `target`."""
        for flag in FLAG_ORDER:
            if self._window_sum((flag, source, target), now) or self._window_sum(
                (flag, target, source), now
            ):
                return flag
        return None


class EdgeCounterRates:
    """Rates of edges that carry their own running totals (SNS `delivered`, DLQ `moved` …)."""

    #: Which counter of an edge measures traffic, in order of preference.
    PREFERRED = ("delivered", "moved", "invoked", "records", "events", "sent", "matched")

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._samples: dict[tuple[str, str, str], deque[tuple[float, float]]] = {}

    def rate(self, key: tuple[str, str, str], counters: dict[str, float], now: float) -> float:
        """Record this edge's total at `now` and return its growth per second over the window."""
        if not counters:
            return 0.0
        name = next((n for n in self.PREFERRED if n in counters), next(iter(counters)))
        total = float(counters[name])
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = deque(maxlen=64)
        if not samples or now > samples[-1][0]:
            samples.append((now, total))
        while len(samples) > 2 and samples[1][0] <= now - self.window:
            samples.popleft()
        then, before = samples[0]
        if now <= then:
            return 0.0
        return max(0.0, total - before) / max(now - then, 1.0)


class CounterHistory:
    """Samples each node's counters once per simulated second, for sparklines."""

    def __init__(self, length: int = 60) -> None:
        self.length = length
        self._series: dict[tuple[str, str], deque[float]] = {}
        self._last_second: int | None = None

    def sample(self, counters_by_node: dict[str, dict[str, float]], now: float) -> bool:
        """Record the counters if a new simulated second began; True when it did."""
        second = int(now)
        if second == self._last_second:
            return False
        self._last_second = second
        for node, counters in counters_by_node.items():
            for name, value in counters.items():
                key = (node, name)
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = deque(maxlen=self.length)
                series.append(float(value))
        return True

    def series(self, node: str, name: str) -> list[float]:
        """The sampled values of one counter, oldest first."""
        return list(self._series.get((node, name), ()))
