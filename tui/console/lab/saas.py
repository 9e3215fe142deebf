"""`saas …`: look at and change the lab's sandbox SaaS apps that AppFlow reads from.

saas                                             the apps, their objects and API endpoint
saas salesforce list Opportunity [--limit N]     the latest-changed records
saas salesforce get Opportunity 006…
saas salesforce update Opportunity 006… StageName=Closed Won
saas zendesk create ticket subject=Printer on fire priority=high
saas salesforce delete Lead 00Q…
saas load salesforce [--object Opportunity] [--rate 10/s] [--for 30s | --count N]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..render import records_table
from ..result import CommandResult
from ..timefmt import format_duration, parse_duration

if TYPE_CHECKING:
    from engine.services.appflow.saas import SaasApp, SaasLab

    from ..console import Console

USAGE = (
    "saas [APP [list|get|update|create|delete] OBJECT [ID] [Field=Value …]] | "
    "saas load APP [--object O] [--rate N/s] [--for DURATION | --count N] | "
    "saas request METHOD /APP/PATH [-d BODY]"
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
VERBS = ("list", "get", "update", "create", "delete")
LOAD_OPTIONS = ("--object", "--rate", "--for", "--count")
#: Which object `saas load APP` changes unless --object says.
LOAD_OBJECTS = {
    "salesforce": "Opportunity",
    "slack": "conversations",
    "zendesk": "tickets",
    "servicenow": "incident",
    "ga4": "daily",
    "marketo": "leads",
}
MAX_CHANGES = 100_000


class Usage(Exception):
    """A malformed saas command (the message is the one line to show)."""


def _lab(console: Console) -> SaasLab:
    return console.engine.service("appflow").saas


def _object(app: SaasApp, name: str) -> str:
    """The object a learner named (any case, singular or plural)."""
    app.ensure_seeded()
    wanted = name.lower()
    for key in app.tables:
        if key.lower() in (wanted, wanted + "s", wanted.removesuffix("s")):
            return key
    raise Usage(f"{app.label} has no object {name}; its objects are: {', '.join(app.tables)}")


def _fields(words: list[str]) -> dict[str, str]:
    """`Field=Value` words; a word without `=` continues the previous value (Closed Won)."""
    fields: dict[str, str] = {}
    last = None
    for word in words:
        name, eq, value = word.partition("=")
        if eq and name:
            fields[name] = value
            last = name
        elif last is not None:
            fields[last] += " " + word
        else:
            raise Usage(f"saas: expected Field=Value, got {word!r} — usage: {USAGE}")
    if not fields:
        raise Usage(f"saas: give at least one Field=Value — usage: {USAGE}")
    return fields


def _overview(lab: SaasLab) -> CommandResult:
    rows = []
    for app in lab.apps.values():
        rows.append(
            {
                "App": app.key,
                "Name": app.label,
                "Connector": app.connector_type,
                "Objects": ", ".join(app.tables),
                "Records": app.record_count() if app.seeded else "(not opened yet)",
                "Requests": app.requests,
                "Throttled": app.throttled,
                "URL": lab.base_url(app.key),
            }
        )
    return CommandResult(ok=True, value=rows, output=records_table(rows, "Sandbox SaaS apps"))


async def saas(console: Console, args: list[str]) -> CommandResult:
    """Run one `saas` command."""
    try:
        return await _saas(console, args)
    except Usage as error:
        return CommandResult.fail(str(error))
    except Exception as error:
        from engine.services.appflow.saas import SaasError

        if isinstance(error, SaasError):
            return CommandResult.fail(f"saas: {error}")
        raise


async def _saas(console: Console, args: list[str]) -> CommandResult:
    lab = _lab(console)
    if not args:
        return _overview(lab)
    if args[0] == "endpoint":
        url = await lab.endpoint()
        return CommandResult(
            ok=True,
            value={"endpoint": url},
            output=Text(
                f"The sandboxes answer at {url}/<app>/… (e.g. {url}/salesforce/services/data/v59.0/sobjects)"
            ),
        )
    if args[0] == "load":
        return _load(console, lab, args[1:])
    if args[0] == "request":
        return _request(lab, args[1:])
    app = lab.app(args[0])
    if len(args) == 1 or args[1] == "objects":
        app.ensure_seeded()
        rows = [
            {
                "Object": t.spec.name,
                "Label": t.spec.label,
                "Records": len(t.records),
                "Modified field": t.spec.modified_field,
            }
            for t in app.tables.values()
        ]
        return CommandResult(ok=True, value=rows, output=records_table(rows, app.label))
    verb = args[1]
    if verb not in VERBS:
        raise Usage(f"saas {app.key}: unknown action {verb!r}; use one of {', '.join(VERBS)}")
    if len(args) < 3:
        raise Usage(f"saas {app.key} {verb}: name an object — usage: {USAGE}")
    obj = _object(app, args[2])
    rest = args[3:]
    if verb == "list":
        limit = 10
        if rest[:1] == ["--limit"] and len(rest) == 2 and rest[1].isdigit():
            limit = int(rest[1])
        elif rest:
            raise Usage(f"saas {app.key} list: only --limit N may follow the object")
        records = list(reversed(app.table(obj).records.values()))[:limit]
        return CommandResult(
            ok=True,
            value=records,
            output=records_table(records, f"{app.label} {obj} (latest changes first)"),
        )
    if verb == "create":
        record = app.create(obj, _fields(rest))
        return _shown(record, f"Created {obj}")
    if not rest:
        raise Usage(f"saas {app.key} {verb} {obj}: give the record id")
    record_id = rest[0]
    if verb == "get":
        record = app.table(obj).records.get(app.record_key(record_id))
        if record is None:
            raise Usage(f"saas: {app.label} has no {obj} {record_id}")
        return _shown(record, f"{obj} {record_id}")
    if verb == "update":
        return _shown(app.update(obj, record_id, _fields(rest[1:])), f"Updated {obj}")
    app.delete(obj, record_id)
    return CommandResult(
        ok=True, value={"deleted": record_id}, output=Text(f"Deleted {obj} {record_id}")
    )


def _request(lab: SaasLab, args: list[str]) -> CommandResult:
    """One REST request to a sandbox, answered as its API answers (with a lab token)."""
    from engine.services.appflow.saas.http import SaasHttp

    body = b""
    if "-d" in args:
        at = args.index("-d")
        if at + 1 >= len(args):
            raise Usage("saas request: -d needs a body")
        body = " ".join(args[at + 1 :]).encode()
        args = args[:at]
    if len(args) < 2 or args[0].upper() not in METHODS or not args[1].startswith("/"):
        raise Usage(f"saas request: give METHOD and /APP/PATH — usage: {USAGE}")
    path, _, query = " ".join(args[1:]).partition("?")
    reply = SaasHttp(lab).answer(
        args[0].upper(), path, query.replace(" ", "%20"), {"authorization": "Bearer lab"}, body
    )
    value = {"status": reply.status, "headers": reply.headers, "body": reply.payload}
    from rich.console import Group

    from ..render import as_json

    status = Text(f"HTTP {reply.status}", style="green" if reply.status < 400 else "red")
    shown = Group(status, as_json(reply.payload)) if reply.payload is not None else status
    return CommandResult(ok=True, value=value, output=shown)


def _shown(record: dict[str, Any], title: str) -> CommandResult:
    rows = [{"Field": k, "Value": v} for k, v in record.items()]
    return CommandResult(ok=True, value=record, output=records_table(rows, title))


def _load(console: Console, lab: SaasLab, args: list[str]) -> CommandResult:
    from .load import LoadRun

    if not args or args[0].startswith("--"):
        raise Usage(f"saas load: name an app — usage: {USAGE}")
    app = lab.app(args[0])
    options: dict[str, str] = {}
    words = args[1:]
    for i in range(0, len(words), 2):
        if words[i] not in LOAD_OPTIONS or i + 1 >= len(words):
            raise Usage(
                f"saas load: expected one of {', '.join(LOAD_OPTIONS)} with a value — usage: {USAGE}"
            )
        options[words[i]] = words[i + 1]
    obj = _object(app, options.get("--object", LOAD_OBJECTS[app.key]))
    try:
        rate = float(options.get("--rate", "10/s").removesuffix("/s"))
    except ValueError:
        raise Usage("saas load: --rate wants changes per second, e.g. 10/s") from None
    if not 0 < rate <= 10_000:
        raise Usage("saas load: --rate must be above 0 and at most 10000 per second")
    if "--count" in options and "--for" in options:
        raise Usage("saas load: give --for or --count, not both")
    if "--count" in options:
        if not options["--count"].isdigit():
            raise Usage("saas load: --count wants a whole number")
        total = int(options["--count"])
    else:
        try:
            total = round(rate * parse_duration(options.get("--for", "30s")))
        except ValueError as error:
            raise Usage(f"saas load: --for {error}") from None
    if not 1 <= total <= MAX_CHANGES:
        raise Usage(f"saas load: between 1 and {MAX_CHANGES} changes (got {total})")
    run = LoadRun(f"{app.key} {obj}", "saas-app", rate, total)
    console.load_runs.append(run)
    run.task = console.engine.spawn(_changes(console, app, obj, run), name=f"saas load {app.key}")
    text = Text(
        f"Changing {total} {obj} records in {app.label} at {rate:g}/s over "
        f"{format_duration(total / rate)} of simulated time"
    )
    return CommandResult(ok=True, value=run.as_dict(), output=text)


async def _changes(console: Console, app: SaasApp, obj: str, run: Any) -> None:
    clock = console.engine.clock
    start = clock.now()
    for n in range(run.total):
        await clock.sleep_until(start + n / run.rate)
        record_id = app.random_record_id(obj)
        if record_id is None:
            run.failed += 1
            run.last_error = f"{obj} has no records"
            continue
        try:
            app.update(obj, record_id, app.random_change(obj))
        except Exception as error:  # a change the app refuses is counted, not raised
            run.failed += 1
            run.last_error = str(error)
            continue
        run.sent += 1


def completions(console: Console, args: list[str]) -> list[tuple[str, str, str]]:
    """Apps, actions, objects, record ids and fields for `saas …`."""
    lab = _lab(console)
    if not args:
        return [(k, k, a.label) for k, a in lab.apps.items()] + [
            ("load", "load", "a stream of changes"),
            ("endpoint", "endpoint", "the REST APIs' URL"),
        ]
    if args[0] == "load":
        if len(args) == 1:
            return [(k, k, a.label) for k, a in lab.apps.items()]
        if args[-1] == "--object" and args[1] in lab.apps:
            return [(o, o, "object") for o in lab.apps[args[1]].tables]
        return [(w, w, "saas load") for w in LOAD_OPTIONS if w not in args]
    app = lab.apps.get(args[0])
    if app is None:
        return []
    if len(args) == 1:
        return [(v, v, f"saas {app.key}") for v in VERBS]
    if len(args) == 2:
        return [(o, o, f"{app.label} object") for o in app.tables]
    try:
        obj = _object(app, args[2])
    except Usage:
        return []
    table = app.table(obj)
    if len(args) == 3 and args[1] in ("get", "update", "delete"):
        ids = list(reversed(table.records))[:50]
        return [(str(i), str(i), obj) for i in ids]
    if args[1] in ("update", "create"):
        return [(f"{f.name}=", f.name, f.type) for f in table.spec.fields if f.writable]
    return []


def register(console: Console) -> None:
    """Register `saas`."""
    console.register_command(
        "saas", saas, f"{USAGE} — the lab's sandbox SaaS apps", ("load", "endpoint")
    )
