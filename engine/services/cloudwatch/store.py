"""The metrics store: per (namespace, name, dimensions) series of per-period statistic sets.

Each datapoint lands in a bucket of its series (1 minute, or 1 second for high-resolution
metrics) as a running statistic set (count, sum, min, max) plus a bounded sample of values for
percentiles, so recording is O(1) and a query costs the buckets it reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

Dimensions = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, str, Dimensions]

#: Values kept per bucket for percentiles; past this, a reservoir keeps a fair sample.
VALUES_PER_BUCKET = 512
#: How long datapoints are kept (AWS keeps 1-minute data for 15 days).
RETENTION_SECONDS = 15 * 86400


def dimensions_key(dimensions: dict[str, str] | list[dict[str, str]] | None) -> Dimensions:
    """A canonical, hashable form of a metric's dimensions."""
    if not dimensions:
        return ()
    if isinstance(dimensions, dict):
        return tuple(sorted((str(k), str(v)) for k, v in dimensions.items()))
    return tuple(sorted((d["Name"], d["Value"]) for d in dimensions))


@dataclass(slots=True)
class StatSet:
    """Count, sum, min and max of the values in one bucket, and a sample for percentiles."""

    count: float = 0.0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    values: list[float] = field(default_factory=list)
    seen: int = 0

    def add(self, value: float, count: float = 1.0) -> None:
        """Add `value` observed `count` times."""
        self.count += count
        self.total += value * count
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value
        self._sample(value)

    def add_set(self, count: float, total: float, low: float, high: float) -> None:
        """Merge a statistic set as PutMetricData's StatisticValues gives it."""
        self.count += float(count)
        self.total += float(total)
        self.low = min(self.low, float(low))
        self.high = max(self.high, float(high))
        # Percentiles come from raw values only, as on AWS (statistic sets carry none).

    def _sample(self, value: float) -> None:
        self.seen += 1
        values = self.values
        if len(values) < VALUES_PER_BUCKET:
            values.append(value)
        else:
            # Deterministic reservoir: replace by a slot derived from how many were seen.
            slot = (self.seen * 2654435761) % self.seen
            if slot < VALUES_PER_BUCKET:
                values[slot] = value

    def merge(self, other: StatSet) -> None:
        """Fold another bucket into this one (for periods longer than a bucket)."""
        self.count += other.count
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        for value in other.values:
            self._sample(value)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), as CloudWatch's pNN statistics."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def statistic(stats: StatSet, name: str) -> float | None:
    """One statistic of a set: SampleCount, Sum, Average, Minimum, Maximum, pNN, tmNN …"""
    if stats.count <= 0 and name != "SampleCount":
        return None
    if name == "SampleCount":
        return stats.count
    if name == "Sum":
        return stats.total
    if name == "Average":
        return stats.total / stats.count
    if name == "Minimum":
        return stats.low
    if name == "Maximum":
        return stats.high
    lowered = name.lower()
    if lowered.startswith("p") and _is_number(name[1:]):
        return percentile(stats.values, float(name[1:]))
    if lowered.startswith(("tm", "wm", "tc", "ts")) and _is_number(name[2:]):
        return _trimmed(stats.values, float(name[2:]), lowered[:2])
    if lowered == "iqm":
        return _trimmed(stats.values, 75, "tm", low=25)
    return None


def _is_number(text: str) -> bool:
    try:
        return 0 <= float(text) <= 100
    except ValueError:
        return False


def _trimmed(values: list[float], upper: float, kind: str, low: float = 0.0) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    start = int(len(ordered) * low / 100)
    end = max(start + 1, math.ceil(len(ordered) * upper / 100))
    kept = ordered[start:end]
    if kind == "tc":
        return float(len(kept))
    if kind == "ts":
        return sum(kept)
    return sum(kept) / len(kept)


@dataclass(slots=True)
class Series:
    """One metric: its unit and its buckets by start time."""

    namespace: str
    name: str
    dimensions: Dimensions
    resolution: int = 60  # seconds per bucket: 60, or 1 for high-resolution metrics
    unit: str | None = None
    buckets: dict[int, StatSet] = field(default_factory=dict)
    last_write: float = 0.0
    #: PutMetricData's values per bucket and unit (a read naming a Unit sees only that unit's).
    by_unit: dict[int, dict[str, StatSet]] = field(default_factory=dict)

    def bucket(self, timestamp: float) -> StatSet:
        """The bucket holding `timestamp` (created on first use)."""
        start = int(timestamp // self.resolution * self.resolution)
        stats = self.buckets.get(start)
        if stats is None:
            stats = self.buckets[start] = StatSet()
        return stats

    def unit_bucket(self, timestamp: float, unit: str) -> StatSet:
        """The bucket holding `timestamp` for values put with `unit`."""
        start = int(timestamp // self.resolution * self.resolution)
        units = self.by_unit.setdefault(start, {})
        stats = units.get(unit)
        if stats is None:
            stats = units[unit] = StatSet()
        return stats

    def units_between(self, start: float, end: float) -> set[str]:
        """The units values were put with in [start, end)."""
        return {u for s, units in self.by_unit.items() if start <= s < end for u in units}

    def aggregate(
        self, start: float, end: float, period: int, unit: str | None = None
    ) -> dict[int, StatSet]:
        """Statistic sets per period-aligned start time, for buckets in [start, end).

        With `unit`, only the values put with that unit count.
        """
        out: dict[int, StatSet] = {}
        if unit is None:
            source = self.buckets.items()
        else:
            source = ((s, u[unit]) for s, u in self.by_unit.items() if unit in u)
        for bucket_start, stats in source:
            if start <= bucket_start < end:
                slot = bucket_start // period * period
                merged = out.get(slot)
                if merged is None:
                    merged = out[slot] = StatSet()
                merged.merge(stats)
        return out

    def expire(self, before: float) -> None:
        """Forget buckets that started before `before`."""
        for start in [s for s in self.buckets if s < before]:
            del self.buckets[start]
            self.by_unit.pop(start, None)


class MetricStore:
    """Every metric of the lab, by (namespace, name, dimensions)."""

    def __init__(self) -> None:
        self.series: dict[SeriesKey, Series] = {}

    def get(self, namespace: str, name: str, dimensions: Dimensions) -> Series | None:
        """The series, or None when nothing was recorded for it."""
        return self.series.get((namespace, name, dimensions))

    def series_for(
        self, namespace: str, name: str, dimensions: Dimensions, resolution: int = 60
    ) -> Series:
        """The series (created on first use)."""
        key = (namespace, name, dimensions)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series(namespace, name, dimensions, resolution)
        elif resolution < series.resolution:
            series.resolution = resolution
        return series

    def record(
        self,
        namespace: str,
        name: str,
        dimensions: Dimensions,
        value: float,
        timestamp: float,
        *,
        unit: str | None = None,
        count: float = 1.0,
        resolution: int = 60,
    ) -> None:
        """Add one value (observed `count` times) at `timestamp`: O(1)."""
        series = self.series_for(namespace, name, dimensions, resolution)
        series.bucket(timestamp).add(value, count)
        series.last_write = max(series.last_write, timestamp)
        if unit is not None:
            series.unit = unit
