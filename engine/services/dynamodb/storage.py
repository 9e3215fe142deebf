"""Ordered item storage: partitions by hash key, sort keys kept sorted with bisect.

Partitions themselves are ordered by a token derived from the hash key (as DynamoDB orders a
Scan by the hash of the partition key), so Scan pages and parallel-scan segments resume with
a bisect instead of a walk.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .values import Item, sort_value

TOKEN_SPACE = 1 << 64


@dataclass(slots=True, frozen=True)
class KeyPart:
    """One key attribute: its name and scalar type (S, N or B)."""

    name: str
    type: str


@dataclass(slots=True, frozen=True)
class KeyShape:
    """A key schema: the partition (HASH) attribute and the optional sort (RANGE) attribute."""

    hash: KeyPart
    range: KeyPart | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The key attribute names, hash first."""
        return (self.hash.name,) if self.range is None else (self.hash.name, self.range.name)

    def schema(self) -> list[dict[str, str]]:
        """AWS's KeySchema list."""
        parts = [{"AttributeName": self.hash.name, "KeyType": "HASH"}]
        if self.range is not None:
            parts.append({"AttributeName": self.range.name, "KeyType": "RANGE"})
        return parts


def hash_token(hash_value: Any) -> int:
    """Where a partition sits in Scan order: a stable 64-bit hash of its key value."""
    raw = hash_value if isinstance(hash_value, bytes) else str(hash_value).encode()
    return int.from_bytes(hashlib.md5(raw, usedforsecurity=False).digest()[:8], "big")


@dataclass(slots=True)
class Partition:
    """The items sharing one hash key, ordered by their sort tuple."""

    order: list[tuple] = field(default_factory=list)
    items: dict[tuple, Item] = field(default_factory=dict)
    sizes: dict[tuple, int] = field(default_factory=dict)


class ItemStore:
    """Items of a table or index: O(1) lookup by key, ordered within and across partitions.

    `hash_of(item)` gives the partition value (None: the item is not in this store, as for a
    sparse index); `sort_of(item)` gives a tuple that orders items within a partition and is
    unique per item.
    """

    def __init__(self, shape: KeyShape, base: KeyShape | None = None) -> None:
        self.shape = shape
        # For an index, the base table's key breaks ties so every entry stays unique.
        self.base = base
        self.partitions: dict[Any, Partition] = {}
        self.partition_order: list[tuple[int, Any]] = []
        self.count = 0
        self.size_bytes = 0

    # -- keys -----------------------------------------------------------------------------
    def hash_of(self, item: Item) -> Any:
        """The partition key value of `item` in this store, or None when it lacks one."""
        part = self.shape.hash
        value = item.get(part.name)
        if value is None or part.type not in value:
            return None
        return value[part.type]

    def sort_of(self, item: Item) -> tuple | None:
        """The ordering tuple of `item` within its partition, or None when it lacks a key."""
        parts: list[Any] = []
        if self.shape.range is not None:
            value = item.get(self.shape.range.name)
            if value is None or self.shape.range.type not in value:
                return None
            parts.append(sort_value(value))
        if self.base is not None:
            base = self.base
            parts.append(sort_value(item[base.hash.name]))
            if base.range is not None:
                parts.append(sort_value(item[base.range.name]))
        return tuple(parts)

    # -- changes --------------------------------------------------------------------------
    def put(self, item: Item, size: int) -> None:
        """Store `item` (replacing the entry with the same key)."""
        hash_value = self.hash_of(item)
        sort = self.sort_of(item) if hash_value is not None else None
        if sort is None:
            return
        partition = self.partitions.get(hash_value)
        if partition is None:
            partition = self.partitions[hash_value] = Partition()
            insort(self.partition_order, (hash_token(hash_value), hash_value))
        old_size = partition.sizes.get(sort)
        if old_size is None:
            insort(partition.order, sort)
            self.count += 1
        else:
            self.size_bytes -= old_size
        partition.items[sort] = item
        partition.sizes[sort] = size
        self.size_bytes += size

    def remove(self, item: Item) -> None:
        """Drop the entry for `item`'s key, if present."""
        hash_value = self.hash_of(item)
        sort = self.sort_of(item) if hash_value is not None else None
        if sort is None:
            return
        partition = self.partitions.get(hash_value)
        if partition is None or sort not in partition.items:
            return
        del partition.items[sort]
        self.size_bytes -= partition.sizes.pop(sort)
        del partition.order[bisect_left(partition.order, sort)]
        self.count -= 1
        if not partition.items:
            del self.partitions[hash_value]
            entry = (hash_token(hash_value), hash_value)
            del self.partition_order[bisect_left(self.partition_order, entry)]

    def get(self, hash_value: Any, sort: tuple) -> Item | None:
        """The item with this partition value and sort tuple, or None."""
        partition = self.partitions.get(hash_value)
        return partition.items.get(sort) if partition is not None else None

    def size(self, hash_value: Any, sort: tuple) -> int:
        """The stored size of the item with this key (0 when absent)."""
        partition = self.partitions.get(hash_value)
        return partition.sizes.get(sort, 0) if partition is not None else 0

    # -- reading in order ------------------------------------------------------------------
    def range_items(
        self,
        hash_value: Any,
        bounds: tuple[int, int] | None = None,
        *,
        forward: bool = True,
        after: tuple | None = None,
    ) -> Iterator[tuple[Item, int]]:
        """(item, size) of a partition between two positions of its order, resuming after `after`."""
        partition = self.partitions.get(hash_value)
        if partition is None:
            return
        order = partition.order
        start, stop = bounds if bounds is not None else (0, len(order))
        if after is not None:
            if forward:
                start = max(start, bisect_right(order, after))
            else:
                stop = min(stop, bisect_left(order, after))
        items = partition.items
        sizes = partition.sizes
        indexes = range(start, stop) if forward else range(stop - 1, start - 1, -1)
        for index in indexes:
            entry = order[index]
            yield items[entry], sizes[entry]

    def sort_bounds(
        self, hash_value: Any, op: str | None, values: tuple[Any, ...]
    ) -> tuple[int, int]:
        """Positions [start, stop) of the sort-key condition `op` within a partition."""
        partition = self.partitions.get(hash_value)
        if partition is None:
            return 0, 0
        order = partition.order
        start, stop = 0, len(order)
        if op is None:
            return start, stop

        def first(entry: tuple) -> Any:
            """The sort-key part of an entry (index entries carry the table key after it)."""
            return entry[0]

        value = values[0]
        if op == "=":
            start = bisect_left(order, value, key=first)
            stop = bisect_right(order, value, key=first)
        elif op == "<":
            stop = bisect_left(order, value, key=first)
        elif op == "<=":
            stop = bisect_right(order, value, key=first)
        elif op == ">":
            start = bisect_right(order, value, key=first)
        elif op == ">=":
            start = bisect_left(order, value, key=first)
        elif op == "BETWEEN":
            start = bisect_left(order, value, key=first)
            stop = max(start, bisect_right(order, values[1], key=first))
        elif op == "begins_with":
            start = bisect_left(order, value, key=first)
            stop = start
            while stop < len(order) and order[stop][0].startswith(value):
                stop += 1
        return start, stop

    def scan(
        self, segment: int = 0, total_segments: int = 1, after: Item | None = None
    ) -> Iterator[tuple[Item, int]]:
        """(item, size) in Scan order (partition token, then sort), one segment of it."""
        low_token = segment * TOKEN_SPACE // total_segments
        high_token = (segment + 1) * TOKEN_SPACE // total_segments
        order = self.partition_order
        start = bisect_left(order, (low_token,))
        resume_sort: tuple | None = None
        if after is not None:
            hash_value = self.hash_of(after)
            resume_sort = self.sort_of(after)
            if hash_value is not None:
                token = hash_token(hash_value)
                start = bisect_left(order, (token, hash_value))
                if start < len(order) and order[start][1] != hash_value:
                    resume_sort = None  # that partition is gone; carry on from its place
                if not low_token <= token < high_token:
                    # A start key from another segment: stay inside this segment.
                    start = bisect_left(order, (low_token,))
                    resume_sort = None
        index = start
        while index < len(order):
            token, hash_value = order[index]
            if token >= high_token:
                return
            yield from self.range_items(hash_value, after=resume_sort)
            resume_sort = None
            index += 1
            # The list may have changed while the caller consumed items; re-find our place.
            if index < len(order) and order[index - 1][1] != hash_value:
                index = bisect_right(order, (token, hash_value))
