"""What every sandbox SaaS app shares: objects of records kept in modification order, with ids,
timestamps on the engine clock, change listeners and a rate-limit window for its REST API."""

from __future__ import annotations

import abc
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http import Reply

#: Field types as AppFlow's DescribeConnectorEntity names them.
FIELD_TYPES = frozenset(
    {
        "id",
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "boolean",
        "int",
        "double",
        "currency",
        "percent",
        "date",
        "datetime",
        "reference",
    }
)


def epoch_of(value: Any) -> float:
    """Epoch seconds of a timestamp in any of the sandboxes' formats (ValueError if none)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit() and len(text) != 8:
        return float(text)  # Slack's ts, epoch seconds
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class SaasError(Exception):
    """A request the sandbox refuses (the message says why, in the app's own words)."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a SaaS object: its name, label and AppFlow field type."""

    name: str
    label: str
    type: str = "string"
    primary: bool = False
    writable: bool = True
    nullable: bool = True
    values: tuple[str, ...] = ()  # picklist values
    timestamp: bool = False  # usable as the incremental-pull field


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One kind of record (Account, ticket, incident …) and the field that says when it changed."""

    name: str
    label: str
    fields: tuple[FieldSpec, ...]
    modified_field: str
    created_field: str

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name`, or None."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None


@dataclass(slots=True)
class Table:
    """The records of one object; the dict's order is modification order (oldest first)."""

    spec: ObjectSpec
    records: dict[Any, dict[str, Any]] = field(default_factory=dict)
    modified: dict[Any, float] = field(default_factory=dict)
    #: The app-wide change number of each record's last change (orders changes in one instant).
    changes: dict[Any, int] = field(default_factory=dict)
    _ids: list[Any] | None = None  # the record ids as a list, for random picks (None: stale)

    def touch(self, record_id: Any, record: dict[str, Any], when: float, change: int) -> None:
        """Store `record` as changed at `when`: it moves to the end of the order."""
        if self.records.pop(record_id, None) is None:
            self._ids = None  # a new record: the id list is rebuilt on the next pick
        self.records[record_id] = record
        self.modified[record_id] = when
        self.changes[record_id] = change

    def pick(self, rng: random.Random) -> Any:
        """A random record id (None when empty); O(1) while the set of ids stays the same."""
        if self._ids is None or len(self._ids) != len(self.records):
            self._ids = list(self.records)
        return self._ids[rng.randrange(len(self._ids))] if self._ids else None

    def changed_after(self, change: int) -> list[dict[str, Any]]:
        """Records whose last change came after change number `change`, oldest first."""
        picked = []
        changes = self.changes
        for record_id in reversed(self.records):
            if changes[record_id] <= change:
                break
            picked.append(self.records[record_id])
        picked.reverse()
        return picked

    def changed_between(self, start: float | None, end: float) -> list[dict[str, Any]]:
        """Records changed in (start, end], oldest first: walks back only over the changed ones."""
        picked = []
        modified = self.modified
        for record_id in reversed(self.records):
            when = modified[record_id]
            if start is not None and when <= start:
                break
            if when <= end:
                picked.append(self.records[record_id])
        picked.reverse()
        return picked


ChangeListener = Callable[[str, str, str, dict[str, Any], list[str]], None]


class SaasApp(abc.ABC):
    """A sandbox SaaS application: objects, seeded data, changes and a REST API."""

    #: The key used on the command line and in the lab's URLs (salesforce, zendesk …).
    key = ""
    label = ""
    #: AppFlow's connectorType for this app.
    connector_type = ""
    #: AppFlow's key inside SourceConnectorProperties / ConnectorProfileProperties.
    properties_key = ""
    #: Requests allowed per rate-limit window, and the window in seconds.
    rate_limit = (100, 1.0)
    objects: tuple[ObjectSpec, ...] = ()

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.tables: dict[str, Table] = {spec.name: Table(spec) for spec in self.objects}
        self.random = random.Random(zlib.crc32(self.key.encode()))
        self.listeners: list[ChangeListener] = []
        self.counters: dict[str, int] = {}
        self.requests = 0
        self.throttled = 0
        self._window_start = -1.0
        self._window_count = 0
        self.seeded = False
        #: Change number of the app's latest change (incremental pulls bookmark it).
        self.change = 0

    # -- data ----------------------------------------------------------------------------
    def ensure_seeded(self) -> None:
        """Create the app's starting data the first time anyone looks (faker is loaded then)."""
        if not self.seeded:
            self.seeded = True
            self.seed(Pools.for_app(self.key))

    def seed(self, pools: Pools) -> None:
        """Fill the tables with the app's starting data."""

    def page(self, items: list, token: str | None, size: int) -> tuple[list, str | None]:
        """One page of `items` from an opaque offset token; the next token or None."""
        start = int(token) if token and token.isdigit() else 0
        end = start + max(1, size)
        return items[start:end], (str(end) if end < len(items) else None)

    def table(self, name: str) -> Table:
        """The table of object `name` (case-insensitive); SaasError if there is none."""
        self.ensure_seeded()
        table = self.tables.get(name)
        if table is None:
            for key, candidate in self.tables.items():
                if key.lower() == name.lower():
                    return candidate
            raise SaasError(f"{self.label} has no object named {name}")
        return table

    def next_number(self, name: str) -> int:
        """The next value of a per-app counter (ids, ticket numbers)."""
        value = self.counters.get(name, 0) + 1
        self.counters[name] = value
        return value

    def record_key(self, text: Any) -> Any:
        """A record id as the tables key it (text typed on the command line is converted)."""
        return text

    def new_id(self, table: Table) -> Any:
        """A new record id in the app's own format."""
        return str(self.next_number(table.spec.name))

    def stamp(self, when: float) -> Any:
        """A timestamp as the app writes it."""
        return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def coerce(self, spec: FieldSpec, value: Any) -> Any:
        """A value given as text (on the command line) turned into the field's type."""
        if not isinstance(value, str) or value == "":
            return value
        try:
            if spec.type in ("int",):
                return int(value)
            if spec.type in ("double", "currency", "percent"):
                return float(value)
        except ValueError:
            raise SaasError(f"{spec.name} must be a number, not {value!r}") from None
        if spec.type == "boolean":
            if value.lower() not in ("true", "false"):
                raise SaasError(f"{spec.name} must be true or false, not {value!r}")
            return value.lower() == "true"
        if spec.type == "picklist" and spec.values and value not in spec.values:
            raise SaasError(
                f"{spec.name} must be one of {', '.join(spec.values)}; {value!r} is not"
            )
        return value

    def _checked(self, table: Table, values: dict[str, Any]) -> dict[str, Any]:
        checked = {}
        for name, value in values.items():
            spec = table.spec.field(name)
            if spec is None:
                raise SaasError(f"No such column '{name}' on {table.spec.name}")
            if not spec.writable:
                raise SaasError(f"Unable to create/update fields: {name} (read-only)")
            checked[spec.name] = self.coerce(spec, value)
        return checked

    def create(self, object_name: str, values: dict[str, Any], *, when: float | None = None):
        """Create a record; returns it (the app fills its id and timestamps)."""
        table = self.table(object_name)
        checked = self._checked(table, values)
        missing = [
            s.name
            for s in table.spec.fields
            if not s.nullable and s.writable and not s.primary and checked.get(s.name) is None
        ]
        if missing:
            raise SaasError(f"Required fields are missing: [{', '.join(missing)}]")
        now = self.clock.now() if when is None else when
        record = {spec.name: None for spec in table.spec.fields}
        record_id = self.new_id(table)
        primary = next(s.name for s in table.spec.fields if s.primary)
        record[primary] = record_id
        record.update(checked)
        for name in (table.spec.created_field, table.spec.modified_field):
            if name and name != primary:
                record[name] = self.stamp(now)
        self.derive(table, record)
        self.change += 1
        table.touch(record_id, record, now, self.change)
        self._changed("CREATE", table, record_id, record, sorted(checked))
        return record

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        """Fill the fields the app computes itself (defaults, numbers, flags) on a write."""

    def update(self, object_name: str, record_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Change fields of one record; its modified timestamp moves to now."""
        table = self.table(object_name)
        record_id = self.record_key(record_id)
        record = table.records.get(record_id)
        if record is None:
            raise SaasError(f"{table.spec.name} {record_id} does not exist")
        checked = self._checked(table, values)
        now = self.clock.now()
        updated = dict(record)
        updated.update(checked)
        if (
            table.spec.field(table.spec.modified_field)
            and not table.spec.field(table.spec.modified_field).primary
        ):
            updated[table.spec.modified_field] = self.stamp(now)
        self.derive(table, updated)
        self.change += 1
        table.touch(record_id, updated, now, self.change)
        self._changed("UPDATE", table, record_id, updated, sorted(checked))
        return updated

    def delete(self, object_name: str, record_id: str) -> None:
        """Remove one record."""
        table = self.table(object_name)
        record_id = self.record_key(record_id)
        record = table.records.pop(record_id, None)
        if record is None:
            raise SaasError(f"{table.spec.name} {record_id} does not exist")
        table.modified.pop(record_id, None)
        table.changes.pop(record_id, None)
        table._ids = None
        self.change += 1
        self._changed("DELETE", table, record_id, record, [])

    def _changed(
        self, kind: str, table: Table, record_id: str, record: dict, fields: list[str]
    ) -> None:
        for listener in list(self.listeners):
            listener(kind, table.spec.name, record_id, record, fields)

    def on_change(self, listener: ChangeListener) -> Callable[[], None]:
        """Call `listener(kind, object, id, record, changed_fields)` on every later change."""
        self.ensure_seeded()  # the starting data is not a change anyone hears about
        self.listeners.append(listener)

        def cancel() -> None:
            if listener in self.listeners:
                self.listeners.remove(listener)

        return cancel

    def pull(self, object_name: str, start: float | None, end: float) -> list[dict[str, Any]]:
        """Copies of the records changed in (start, end] (every record when start is None)."""
        return [dict(r) for r in self.table(object_name).changed_between(start, end)]

    def record_count(self) -> int:
        """How many records the app holds."""
        return sum(len(t.records) for t in self.tables.values())

    def random_record_id(self, object_name: str) -> str | None:
        """A record of the object picked by the app's seeded random (for load generators)."""
        return self.table(object_name).pick(self.random)

    def random_change(self, object_name: str) -> dict[str, Any]:
        """A plausible edit to a record of this object (for `saas load`)."""
        return {}

    def iter_tables(self) -> Iterator[Table]:
        """Every table, seeding first."""
        self.ensure_seeded()
        return iter(self.tables.values())

    # -- save / open ------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """The app's records (in change order, with their times) and counters."""
        return {
            "key": self.key,
            "counters": dict(self.counters),
            "change": self.change,
            "tables": {
                name: [
                    [record_id, record, table.modified[record_id], table.changes[record_id]]
                    for record_id, record in table.records.items()
                ]
                for name, table in self.tables.items()
            },
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `dump()` wrote (the app counts as seeded)."""
        self.seeded = True
        self.counters = {k: int(v) for k, v in (data.get("counters") or {}).items()}
        self.change = int(data.get("change", 0))
        for name, rows in (data.get("tables") or {}).items():
            table = self.tables.get(name)
            if table is None:
                raise SaasError(f"{self.label} has no object {name}")
            for record_id, record, modified, change in rows:
                table.touch(record_id, dict(record), float(modified), int(change))

    # -- the REST API ------------------------------------------------------------------------
    def admit(self) -> bool:
        """Count one API request against the rate-limit window; False when over the limit."""
        limit, window = self.rate_limit
        now = self.clock.now()
        self.requests += 1
        if now - self._window_start >= window:
            self._window_start = now
            self._window_count = 0
        self._window_count += 1
        if self._window_count > limit:
            self.throttled += 1
            return False
        return True

    def retry_after(self) -> int:
        """Seconds until the rate-limit window reopens."""
        limit, window = self.rate_limit
        return max(1, int(self._window_start + window - self.clock.now() + 0.999))

    @abc.abstractmethod
    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        """Answer one REST request (path without the app prefix)."""

    def unauthorized(self) -> Reply:
        """The app's answer to a request without credentials."""
        from .http import Reply

        return Reply(401, {"error": "unauthorized"})

    def rate_limited(self) -> Reply:
        """The app's answer to a request over its rate limit."""
        from .http import Reply

        return Reply(429, {"error": "rate limited"}, {"retry-after": str(self.retry_after())})


class Pools:
    """Seeded pools of fake names, companies and words built once per app with `faker`."""

    def __init__(self, seed: int) -> None:
        from faker import Faker  # heavy: loaded when a sandbox is first seeded

        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.companies = [fake.company() for _ in range(120)]
        self.first_names = [fake.first_name() for _ in range(150)]
        self.last_names = [fake.last_name() for _ in range(150)]
        self.cities = [(fake.city(), fake.state_abbr()) for _ in range(80)]
        self.streets = [fake.street_address() for _ in range(80)]
        self.phones = [fake.numerify("(###) ###-####") for _ in range(120)]
        self.sentences = [fake.sentence(nb_words=8) for _ in range(150)]
        self.catch_phrases = [fake.catch_phrase() for _ in range(100)]
        self.domains = [fake.domain_name() for _ in range(120)]
        self.jobs = [fake.job() for _ in range(60)]

    @classmethod
    def for_app(cls, key: str) -> Pools:
        """The pools for one app (same app, same data, on every run)."""
        return cls(zlib.crc32(key.encode()))
