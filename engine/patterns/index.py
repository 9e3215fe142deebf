"""PatternIndex: many patterns compiled into one automaton, so matching cost follows the event.

Like aws/event-ruler, each pattern branch is a chain of field conditions sorted by path; chains
share states where their conditions agree. Matching walks from the root only along transitions
the event satisfies, and each state finds its satisfied transitions through hash lookups
(exact values, prefixes, suffixes, case-folded values), bisection (numeric bounds), or short
scans of the few operators that cannot be hashed (wildcard, cidr, anything-but).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Hashable
from typing import Any

from . import matchers as m
from .compiler import EVENTBRIDGE, CompiledPattern, Field, compile_pattern, field_rank
from .flatten import flatten, path_prefixes
from .matchers import Matcher, in_range, test_value, value_key

#: The index is rebuilt (re-ordered) when it first holds this many patterns, then at each doubling.
_FIRST_REBUILD = 32
_HASHED_STRING_KINDS = {
    m.EQUALS_IC: "equals_ic",
    m.PREFIX: "prefix",
    m.PREFIX_IC: "prefix_ic",
    m.SUFFIX: "suffix",
    m.SUFFIX_IC: "suffix_ic",
}
_SCANNED_KINDS = (m.WILDCARD, m.CIDR, m.BUT, m.BUT_IC, m.BUT_PREFIX, m.BUT_SUFFIX, m.BUT_WILDCARD)


class _State:
    """A point in the automaton: the conditions on the way here all held."""

    __slots__ = ("fields", "absent", "keys", "children", "refs")

    def __init__(self) -> None:
        self.fields: dict[str, _Transitions] = {}
        self.absent: dict[str, list[_State]] = {}  # exists:false: taken when the path is missing
        self.keys: dict[Hashable, int] = {}  # patterns that match once this state is reached
        self.children: dict[tuple[str, tuple[Matcher, ...]], _State] = {}
        self.refs = 0


class _Transitions:
    """The conditions on one path leaving one state, with lookup tables built on demand."""

    __slots__ = (
        "entries",
        "built",
        "exact",
        "equals_ic",
        "prefix",
        "prefix_ic",
        "suffix",
        "suffix_ic",
        "lengths",
        "numeric_eq",
        "low_values",
        "low_entries",
        "high_values",
        "high_entries",
        "range_lows",
        "range_entries",
        "scanned",
        "exists",
        "exact_only",
        "numeric",
    )

    def __init__(self) -> None:
        self.entries: dict[Matcher, list[_State]] = {}
        self.built = False

    def add(self, matcher: Matcher, target: _State) -> None:
        self.entries.setdefault(matcher, []).append(target)
        self.built = False

    def discard(self, matcher: Matcher, target: _State) -> None:
        targets = self.entries.get(matcher)
        if targets is not None and target in targets:
            targets.remove(target)
            if not targets:
                del self.entries[matcher]
            self.built = False

    def _build(self) -> None:
        self.exact: dict[Any, list[_State]] = {}
        tables: dict[str, dict[str, list[_State]]] = {
            name: {} for name in _HASHED_STRING_KINDS.values()
        }
        self.numeric_eq: dict[float, list[_State]] = {}
        lows: list[tuple[float, bool, list[_State]]] = []
        highs: list[tuple[float, bool, list[_State]]] = []
        ranges: list[tuple[float, tuple, list[_State]]] = []
        self.scanned: list[tuple[Matcher, list[_State]]] = []
        self.exists: list[_State] = []
        for matcher, targets in self.entries.items():
            kind = matcher.kind
            if kind == m.EXACT:
                self.exact.setdefault(matcher.value, []).extend(targets)
            elif kind in _HASHED_STRING_KINDS:
                tables[_HASHED_STRING_KINDS[kind]].setdefault(matcher.value, []).extend(targets)
            elif kind == m.NUMERIC:
                low, low_inclusive, high, high_inclusive = matcher.value
                if low is not None and low == high:
                    self.numeric_eq.setdefault(low, []).extend(targets)
                elif high is None:
                    lows.append((low, low_inclusive, targets))
                elif low is None:
                    highs.append((high, high_inclusive, targets))
                else:
                    ranges.append((low, matcher.value, targets))
            elif kind == m.EXISTS:
                self.exists.extend(targets)  # exists:false lives on the state, not here
            else:
                self.scanned.append((matcher, targets))
        for name, table in tables.items():
            setattr(self, name, table)
        self.lengths = {
            name: sorted({len(key) for key in table}) for name, table in tables.items() if table
        }
        lows.sort(key=lambda item: item[0])
        highs.sort(key=lambda item: item[0])
        ranges.sort(key=lambda item: item[0])
        self.low_values = [item[0] for item in lows]
        self.low_entries = lows
        self.high_values = [item[0] for item in highs]
        self.high_entries = highs
        self.range_lows = [item[0] for item in ranges]
        self.range_entries = ranges
        self.numeric = bool(self.numeric_eq or lows or highs or ranges)
        self.exact_only = not (self.lengths or self.numeric or self.scanned)
        self.built = True

    def collect(self, values: list[Any], out: list[list[_State]]) -> None:
        """Append the target lists of every transition one of `values` satisfies."""
        if not self.built:
            self._build()
        if self.exists:
            out.append(self.exists)
        exact = self.exact
        if self.exact_only:
            # The common case: a hash lookup per value (strings are their own keys).
            for value in values:
                hit = exact.get(value if value.__class__ is str else value_key(value))
                if hit:
                    out.append(hit)
            return
        lengths = self.lengths
        for value in values:
            hit = exact.get(value_key(value)) if exact else None
            if hit:
                out.append(hit)
            if isinstance(value, str):
                if lengths:
                    self._collect_string(value, out)
            elif self.numeric and isinstance(value, (int, float)) and not isinstance(value, bool):
                self._collect_number(float(value), out)
            for matcher, targets in self.scanned:
                if test_value(matcher, value):
                    out.append(targets)

    def _collect_string(self, value: str, out: list[list[_State]]) -> None:
        lengths = self.lengths
        folded = (
            value.lower()
            if ("equals_ic" in lengths or "prefix_ic" in lengths or "suffix_ic" in lengths)
            else value
        )
        if "equals_ic" in lengths:
            hit = self.equals_ic.get(folded)
            if hit:
                out.append(hit)
        for name, text in (("prefix", value), ("prefix_ic", folded)):
            if name in lengths:
                table = getattr(self, name)
                size = len(text)
                for length in lengths[name]:
                    if length > size:
                        break
                    hit = table.get(text[:length])
                    if hit:
                        out.append(hit)
        for name, text in (("suffix", value), ("suffix_ic", folded)):
            if name in lengths:
                table = getattr(self, name)
                size = len(text)
                for length in lengths[name]:
                    if length > size:
                        break
                    hit = table.get(text[size - length :])
                    if hit:
                        out.append(hit)

    def _collect_number(self, number: float, out: list[list[_State]]) -> None:
        hit = self.numeric_eq.get(number) if self.numeric_eq else None
        if hit:
            out.append(hit)
        if self.low_entries:
            below = bisect_left(self.low_values, number)
            out.extend(entry[2] for entry in self.low_entries[:below])
            for entry in self.low_entries[below : bisect_right(self.low_values, number)]:
                if entry[1]:
                    out.append(entry[2])
        if self.high_entries:
            above = bisect_right(self.high_values, number)
            out.extend(entry[2] for entry in self.high_entries[above:])
            for entry in self.high_entries[bisect_left(self.high_values, number) : above]:
                if entry[1]:
                    out.append(entry[2])
        if self.range_entries:
            for entry in self.range_entries[: bisect_right(self.range_lows, number)]:
                if in_range(number, entry[1]):
                    out.append(entry[2])


class PatternIndex:
    """Many patterns under caller-chosen keys; `matches(event)` gives the keys whose pattern holds.

    Patterns are dicts (already validated) or CompiledPattern objects. `dialect` ("eventbridge"
    or "sns") selects which operators the grammar accepts; matching semantics are shared.
    """

    def __init__(self, dialect: str = EVENTBRIDGE) -> None:
        self.dialect = dialect
        self._root = _State()
        self._patterns: dict[Hashable, list[list[tuple[_State, Field, _State]]]] = {}
        self._path_counts: Counter[str] = Counter()
        self._wanted: set[str] | None = set()
        # path -> how many patterns use each exact value there: the path's selectivity.
        self._exact_values: dict[str, Counter[Any]] = {}
        self._compiled: dict[Hashable, CompiledPattern] = {}
        self._rebuild_at = _FIRST_REBUILD
        self._rebuilding = False

    def __len__(self) -> int:
        return len(self._patterns)

    def __contains__(self, key: object) -> bool:
        return key in self._patterns

    def add(self, key: Hashable, pattern: dict | CompiledPattern) -> None:
        """Index `pattern` under `key`, replacing any pattern already there."""
        compiled = (
            pattern
            if isinstance(pattern, CompiledPattern)
            else compile_pattern(pattern, self.dialect)
        )
        if key in self._patterns:
            self.remove(key)
        trails: list[list[tuple[_State, Field, _State]]] = []
        if not self._rebuilding:
            for branch in compiled.branches:
                self._count_values(branch, 1)
        for branch in compiled.branches:
            state = self._root
            trail: list[tuple[_State, Field, _State]] = []
            for field in self._order(branch):
                child_key = (field.path, field.matchers)
                child = state.children.get(child_key)
                if child is None:
                    child = state.children[child_key] = _State()
                    self._link(state, field, child)
                trail.append((state, field, child))
                state = child
            self._root.refs += 1
            for _, _, child in trail:
                child.refs += 1
            state.keys[key] = state.keys.get(key, 0) + 1
            trails.append(trail)
        self._patterns[key] = trails
        self._compiled[key] = compiled
        self._path_counts.update(compiled.paths)
        self._wanted = None
        if len(self._patterns) >= self._rebuild_at:
            self._rebuild()

    def _rebuild(self) -> None:
        """Re-add every pattern, so all chains use the field order today's statistics give.

        Runs each time the index doubles in size: O(1) amortised per add.
        """
        patterns = self._compiled
        self._rebuild_at = 2 * len(patterns)
        self._root = _State()
        self._patterns = {}
        self._compiled = {}
        self._path_counts = Counter()
        # The value statistics stay: they already count every pattern being re-added.
        self._rebuilding = True
        try:
            for key, compiled in patterns.items():
                self.add(key, compiled)
        finally:
            self._rebuilding = False

    def _count_values(self, branch: tuple[Field, ...], delta: int) -> None:
        for field in branch:
            values = [matcher.value for matcher in field.matchers if matcher.kind == m.EXACT]
            if values:
                counter = self._exact_values.setdefault(field.path, Counter())
                counter.update({value: delta for value in values})
                if delta < 0:
                    counter += Counter()
                    if not counter:
                        del self._exact_values[field.path]
                    else:
                        self._exact_values[field.path] = counter

    def _order(self, branch: tuple[Field, ...]) -> list[Field]:
        """Fields in the order the chain tests them: cheap and selective first.

        Among equally cheap fields, the path with more distinct values across the index (say
        "source" over "detail-type") goes first, so an event reaches few states. Any order is
        correct, since a chain is a conjunction; the order only decides the sharing and speed.
        """
        distinct = self._exact_values
        return sorted(
            branch,
            key=lambda f: (field_rank(f), -len(distinct.get(f.path, ())), f.path),
        )

    def remove(self, key: Hashable) -> bool:
        """Forget the pattern under `key`; False if there was none."""
        trails = self._patterns.pop(key, None)
        if trails is None:
            return False
        del self._compiled[key]
        paths: set[str] = set()
        for trail in trails:
            self._count_values(tuple(field for _, field, _ in trail), -1)
            end = trail[-1][2] if trail else self._root
            end.keys[key] -= 1
            if not end.keys[key]:
                del end.keys[key]
            self._root.refs -= 1
            for parent, field, child in reversed(trail):
                paths.add(field.path)
                child.refs -= 1
                if child.refs == 0:
                    del parent.children[(field.path, field.matchers)]
                    self._unlink(parent, field, child)
        self._path_counts.subtract(paths)
        self._path_counts += Counter()  # drop paths no pattern uses any more
        self._wanted = None
        return True

    def _link(self, state: _State, field: Field, child: _State) -> None:
        for matcher in field.matchers:
            if matcher.kind == m.EXISTS and not matcher.value:
                state.absent.setdefault(field.path, []).append(child)
                continue
            transitions = state.fields.get(field.path)
            if transitions is None:
                transitions = state.fields[field.path] = _Transitions()
            transitions.add(matcher, child)

    def _unlink(self, state: _State, field: Field, child: _State) -> None:
        for matcher in field.matchers:
            if matcher.kind == m.EXISTS and not matcher.value:
                targets = state.absent.get(field.path, [])
                if child in targets:
                    targets.remove(child)
                if not targets:
                    state.absent.pop(field.path, None)
                continue
            transitions = state.fields.get(field.path)
            if transitions is not None:
                transitions.discard(matcher, child)
                if not transitions.entries:
                    del state.fields[field.path]

    def matches(self, event: Any) -> set[Hashable]:
        """The keys of every pattern `event` (a parsed JSON object) matches."""
        wanted = self._wanted
        if wanted is None:
            # Only paths under the ones patterns use are flattened: the event's other parts cost nothing.
            wanted = self._wanted = path_prefixes(set(self._path_counts))
        leaves = flatten(event, wanted)
        found: set[Hashable] = set()
        root = self._root
        stack = [root]
        seen = {id(root)}
        hits: list[list[_State]] = []
        while stack:
            state = stack.pop()
            if state.keys:
                found.update(state.keys)
            fields = state.fields
            if fields:
                if len(fields) <= len(leaves):
                    for path, transitions in fields.items():
                        values = leaves.get(path)
                        if values:
                            transitions.collect(values, hits)
                else:
                    for path, values in leaves.items():
                        transitions = fields.get(path)
                        if transitions is not None:
                            transitions.collect(values, hits)
            if state.absent:
                for path, targets in state.absent.items():
                    if path not in leaves:
                        hits.append(targets)
            if hits:
                for targets in hits:
                    for target in targets:
                        ident = id(target)
                        if ident not in seen:
                            seen.add(ident)
                            stack.append(target)
                hits.clear()
        return found
