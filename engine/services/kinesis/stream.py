"""A stream: its shards (open ones routed by hash key), lineage, consumers and lag book."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .lag import LagBook
from .limits import ShardLimits
from .shard import HASH_KEY_MAX, Shard, shard_id_for


@dataclass(slots=True)
class Consumer:
    """An enhanced fan-out consumer registered on a stream."""

    name: str
    arn: str
    created: float
    status: str = "ACTIVE"
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None


@dataclass(slots=True)
class Stream:
    """One Kinesis data stream and everything that hangs off it."""

    name: str
    arn: str
    uid: str  # tells this incarnation from a deleted stream of the same name
    created: float
    mode: str  # PROVISIONED | ON_DEMAND
    retention_hours: int = 24
    status: str = "ACTIVE"
    encryption: str = "NONE"
    key_id: str | None = None
    max_record_kib: int = 1024
    shard_level_metrics: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None
    shards: dict[int, Shard] = field(default_factory=dict)  # by index, in creation order
    limits: dict[int, ShardLimits] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)  # by name
    lag: LagBook = field(default_factory=LagBook)
    listeners: list[Callable[[Stream, Shard], None]] = field(default_factory=list)
    counter: int = 1  # stream-wide sequence counter: every record takes the next value
    _open_starts: list[int] = field(default_factory=list)
    _open: list[Shard] = field(default_factory=list)

    # -- shards -------------------------------------------------------------------------
    def add_shards_uniform(self, count: int, now: float) -> None:
        """Create `count` open shards splitting the hash key space evenly (a new stream)."""
        width = (HASH_KEY_MAX + 1) // count
        for i in range(count):
            start = i * width
            end = HASH_KEY_MAX if i == count - 1 else (i + 1) * width - 1
            self._new_shard(start, end, now)
        self.reroute()

    def _new_shard(
        self,
        start: int,
        end: int,
        now: float,
        parent: Shard | None = None,
        adjacent: Shard | None = None,
    ) -> Shard:
        index = len(self.shards)
        shard = Shard(
            shard_id_for(index),
            index,
            start,
            end,
            self.counter,
            now,
            parent_id=parent.shard_id if parent else None,
            adjacent_parent_id=adjacent.shard_id if adjacent else None,
        )
        # No record takes the opening number, so AFTER_SEQUENCE_NUMBER of it reads everything.
        self.counter += 1
        for source in (parent, adjacent):
            if source is not None:
                source.child_ids.append(shard.shard_id)
        self.shards[index] = shard
        self.limits[index] = ShardLimits.fresh(now)
        return shard

    def _close(self, shard: Shard, now: float) -> None:
        shard.ending_sequence = self.counter
        shard.closed_at = now
        self.counter += 1

    def reroute(self) -> None:
        """Rebuild the routing table of open shards (after shards open or close)."""
        self._open = sorted(
            (s for s in self.shards.values() if s.is_open), key=lambda s: s.start_hash
        )
        self._open_starts = [s.start_hash for s in self._open]

    def routing(self) -> tuple[list[int], list[Shard]]:
        """The open shards' starting hash keys and the shards, in hash key order (for bisect)."""
        return self._open_starts, self._open

    def open_shards(self) -> list[Shard]:
        """Open shards in hash key order."""
        return list(self._open)

    def shard_index_of(self, shard_id: str) -> int:
        """The index inside a shard id (-1 when it is not shaped like one)."""
        if not shard_id.startswith("shardId-"):
            return -1
        digits = shard_id[8:]
        return int(digits) if digits.isdigit() else -1

    def shard(self, shard_id: str) -> Shard | None:
        """The shard called `shard_id` (AWS also accepts the bare number), or None."""
        if shard_id.isdigit():
            return self.shards.get(int(shard_id))
        found = self.shards.get(self.shard_index_of(shard_id))
        return found if found is not None and found.shard_id == shard_id else None

    def expire_closed_shards(self, now: float) -> None:
        """Forget closed shards whose every record has passed the retention period."""
        horizon = self.retention_hours * 3600
        gone = [
            index
            for index, shard in self.shards.items()
            if shard.closed_at is not None and shard.closed_at + horizon <= now
        ]
        for index in gone:
            del self.shards[index]
            self.limits.pop(index, None)

    # -- resharding ---------------------------------------------------------------------
    def split(self, shard: Shard, new_start: int, now: float) -> tuple[Shard, Shard]:
        """Close `shard` and open two children dividing its range at `new_start`."""
        self._close(shard, now)
        low = self._new_shard(shard.start_hash, new_start - 1, now, parent=shard)
        high = self._new_shard(new_start, shard.end_hash, now, parent=shard)
        self.reroute()
        return low, high

    def merge(self, shard: Shard, adjacent: Shard, now: float) -> Shard:
        """Close two adjacent shards and open one child covering both ranges."""
        self._close(shard, now)
        self._close(adjacent, now)
        start = min(shard.start_hash, adjacent.start_hash)
        end = max(shard.end_hash, adjacent.end_hash)
        child = self._new_shard(start, end, now, parent=shard, adjacent=adjacent)
        self.reroute()
        return child

    def scale_uniform(self, target: int, now: float) -> None:
        """Replace the open shards by `target` even ones, each child naming the shards it covers.

        A new range overlapping more than two old shards gets intermediate merged shards first,
        so every shard has at most a parent and an adjacent parent, as on AWS.
        """
        old = list(self._open)
        width = (HASH_KEY_MAX + 1) // target
        ranges = [
            (i * width, HASH_KEY_MAX if i == target - 1 else (i + 1) * width - 1)
            for i in range(target)
        ]
        for shard in old:
            self._close(shard, now)
        for start, end in ranges:
            overlapping = [s for s in old if s.start_hash <= end and s.end_hash >= start]
            while len(overlapping) > 2:
                first, second = overlapping[0], overlapping[1]
                bridge = self._new_shard(
                    first.start_hash, second.end_hash, now, parent=first, adjacent=second
                )
                self._close(bridge, now)
                overlapping = [bridge, *overlapping[2:]]
            parent = overlapping[0]
            adjacent = overlapping[1] if len(overlapping) > 1 else None
            self._new_shard(start, end, now, parent=parent, adjacent=adjacent)
        self.reroute()

    def parents_of(self, shard: Shard) -> list[str]:
        """The ids of the shards `shard` was split or merged from."""
        return [p for p in (shard.parent_id, shard.adjacent_parent_id) if p is not None]

    def child_shards(self, shard: Shard) -> list[dict]:
        """The ChildShards member GetRecords returns at the end of a closed shard."""
        children = []
        for child_id in shard.child_ids:
            child = self.shard(child_id)
            if child is not None:
                children.append(
                    {
                        "ShardId": child.shard_id,
                        "ParentShards": self.parents_of(child),
                        "HashKeyRange": child.hash_range(),
                    }
                )
        return children
