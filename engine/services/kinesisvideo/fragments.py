"""A video stream's archive: fragments in arrival order, trimmed by retention, found by bisect."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .mkv import Header


@dataclass(slots=True)
class Fragment:
    """One stored fragment (an MKV cluster) with the numbers and times AWS gives it."""

    number: int
    producer_ms: int  # producer timestamp, epoch milliseconds
    server_ms: int  # when the lab received it, epoch milliseconds
    length_ms: int
    header: Header  # the segment header it was put under (shared by a session's fragments)
    body: bytes  # the cluster's children
    frames: int
    #: FragmentSizeInBytes: the cluster as stored.
    size: int = field(init=False)
    #: The two timestamps as the API returns them, made once (listing is the hot read).
    producer_time: datetime = field(init=False)
    server_time: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.body)
        self.producer_time = datetime.fromtimestamp(self.producer_ms / 1000, UTC)
        self.server_time = datetime.fromtimestamp(self.server_ms / 1000, UTC)

    @property
    def producer_end_ms(self) -> int:
        """Where the fragment's media ends on the producer's clock."""
        return self.producer_ms + self.length_ms


class FragmentLog:
    """Append-only fragments of one stream: O(1) append, O(log n) lookups, amortised trims."""

    __slots__ = ("_items", "_start", "_numbers", "_server", "_producer", "producer_sorted", "bytes")

    def __init__(self) -> None:
        self._items: list[Fragment] = []
        self._numbers: list[int] = []
        self._server: list[int] = []
        self._producer: list[int] = []
        self._start = 0
        #: False once a session's producer timestamps went back: lookups then scan.
        self.producer_sorted = True
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items) - self._start

    def append(self, fragment: Fragment) -> None:
        """Add the newest fragment (numbers and server times only grow)."""
        if self._producer and fragment.producer_ms < self._producer[-1]:
            self.producer_sorted = False
        self._items.append(fragment)
        self._numbers.append(fragment.number)
        self._server.append(fragment.server_ms)
        self._producer.append(fragment.producer_ms)
        self.bytes += fragment.size

    def all(self) -> list[Fragment]:
        """Every retained fragment, oldest first."""
        return self._items[self._start :]

    def oldest(self) -> Fragment | None:
        """The oldest retained fragment."""
        return self._items[self._start] if len(self) else None

    def newest(self) -> Fragment | None:
        """The newest fragment."""
        return self._items[-1] if len(self) else None

    def trim_before(self, server_ms: int) -> int:
        """Drop fragments received before `server_ms`; how many went."""
        cut = bisect_left(self._server, server_ms, self._start)
        dropped = cut - self._start
        for fragment in self._items[self._start : cut]:
            self.bytes -= fragment.size
        self._start = cut
        if self._start > 64 and self._start * 2 > len(self._items):
            for column in (self._items, self._numbers, self._server, self._producer):
                del column[: self._start]
            self._start = 0
        return dropped

    def clear(self) -> None:
        """Forget every fragment."""
        self.__init__()  # type: ignore[misc]

    def index_of_number(self, number: int) -> int | None:
        """Position of the fragment with this number, or None."""
        at = bisect_left(self._numbers, number, self._start)
        if at < len(self._numbers) and self._numbers[at] == number:
            return at - self._start
        return None

    def index_after_number(self, number: int) -> int:
        """Position of the first fragment numbered above `number`."""
        return bisect_right(self._numbers, number, self._start) - self._start

    def at(self, index: int) -> Fragment:
        """The fragment at a position (0 = oldest retained)."""
        return self._items[self._start + index]

    def index_at_server(self, server_ms: int) -> int:
        """Position of the first fragment received at or after `server_ms`."""
        return bisect_left(self._server, server_ms, self._start) - self._start

    def index_at_producer(self, producer_ms: int) -> int:
        """Position of the first fragment whose producer time is at or after `producer_ms`."""
        if self.producer_sorted:
            return bisect_left(self._producer, producer_ms, self._start) - self._start
        for index, value in enumerate(self._producer[self._start :]):
            if value >= producer_ms:
                return index
        return len(self)

    def page(
        self, window: tuple[str, int, int] | None, after: int | None, limit: int
    ) -> tuple[list[Fragment], bool]:
        """Up to `limit` fragments (in a time window, numbered above `after`), and whether more
        follow: bisects, then copies only the page."""
        if window is not None and not (
            window[0] != "SERVER_TIMESTAMP" and not self.producer_sorted
        ):
            column = self._server if window[0] == "SERVER_TIMESTAMP" else self._producer
            lo = bisect_left(column, window[1], self._start)
            hi = bisect_right(column, window[2], self._start)
        elif window is not None:
            found = self.in_range(*window)
            if after is not None:
                found = [f for f in found if f.number > after]
            return found[:limit], len(found) > limit
        else:
            lo, hi = self._start, len(self._items)
        if after is not None:
            lo = max(lo, bisect_right(self._numbers, after, self._start))
        end = min(hi, lo + limit)
        return self._items[lo:end], end < hi

    def in_range(self, selector: str, start_ms: int, end_ms: int) -> list[Fragment]:
        """Fragments whose timestamp (server or producer) lies in [start_ms, end_ms]."""
        if selector == "SERVER_TIMESTAMP":
            lo = bisect_left(self._server, start_ms, self._start)
            hi = bisect_right(self._server, end_ms, self._start)
            return self._items[lo:hi]
        if self.producer_sorted:
            lo = bisect_left(self._producer, start_ms, self._start)
            hi = bisect_right(self._producer, end_ms, self._start)
            return self._items[lo:hi]
        return [f for f in self.all() if start_ms <= f.producer_ms <= end_ms]

    def covering(self, selector: str, at_ms: int) -> Fragment | None:
        """The fragment whose media contains the instant `at_ms` (server or producer time)."""
        column = self._server if selector == "SERVER_TIMESTAMP" else self._producer
        if selector != "SERVER_TIMESTAMP" and not self.producer_sorted:
            for fragment in self.all():
                if fragment.producer_ms <= at_ms < fragment.producer_end_ms:
                    return fragment
            return None
        at = bisect_right(column, at_ms, self._start) - 1
        if at < self._start:
            return None
        fragment = self._items[at]
        if at_ms < column[at] + fragment.length_ms:
            return fragment
        return None
