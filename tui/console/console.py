"""The Console: one per lab; runs command lines against the engine and answers completion."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore import xform_name

from engine.errors import ServiceError
from engine.model import operation_model

from .parser import CommandError, LabCall, ServiceCall, parse
from .query import QueryError, search
from .render import jsonable, render
from .resolver import resolve
from .result import CommandResult, Completion
from .variables import ASSIGNMENT, ASSIGNMENT_START, UndefinedVariable, as_text, expand

if TYPE_CHECKING:
    from engine import Engine
    from engine.trace import TraceEvent

#: How long completion may reuse the list of live resource names.
NAMES_TTL_SECONDS = 1.0

Handler = Callable[["Console", list[str]], Awaitable[CommandResult]]


@dataclass(slots=True)
class LabCommand:
    """A command beside the AWS operations (`clock`, `watch`, `lesson` …)."""

    name: str
    handler: Handler
    summary: str
    #: Words that may follow the command (for completion), e.g. clock's sub-commands.
    words: tuple[str, ...] = ()


@dataclass(slots=True)
class WatchSpec:
    """What `watch` follows: one resource (name or ARN) or, when None, the whole trace."""

    resource: str | None = None

    def accepts(self, event: TraceEvent) -> bool:
        """Whether `event` concerns the watched resource."""
        if self.resource is None:
            return True
        resource = event.resource or ""
        return resource == self.resource or _resource_name(resource) == self.resource


def _has_module(service: str) -> bool:
    """Whether the service's package has real code (not just an empty folder being written)."""
    import importlib.util

    from engine.services import SERVICE_MODULES

    try:
        spec = importlib.util.find_spec(SERVICE_MODULES[service])
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None


def _resource_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


class Console:
    """The command language over one engine: `await console.execute(line)` → CommandResult."""

    def __init__(self, engine: Engine, *, output: str | None = None) -> None:
        from engine import Engine as _Engine

        self.engine = engine
        #: engine.trace recorder kept for journeys (`trace ID`) and recent events (`watch`).
        self.recorder = engine.trace.record()
        #: --output used when a command gives none (None: the console's summaries).
        self.default_output = output
        self.services: tuple[str, ...] = tuple(
            name for name in _Engine.available_services() if _has_module(name)
        )
        self.commands: dict[str, LabCommand] = {}
        #: Lab words spoken after a service name (`mq publish …`), by service then word.
        self.subcommands: dict[str, dict[str, LabCommand]] = {}
        #: The last successful command's value: what `expect` checks.
        self.last_value: Any = None
        #: What `watch` follows; front ends that can print live (the REPL) read this.
        self.watching: WatchSpec | None = None
        #: Set by front ends that print live events themselves (the REPL).
        self.live = False
        #: Shell-style variables set by `NAME=$(command)` and expanded as `$NAME`.
        self.variables: dict[str, str] = {}
        #: What the last service call showed (its --query result).
        self.last_shown: Any = None
        self._names_cache: tuple[float, list[tuple[str, str, str]]] | None = None
        #: Traffic generators started by `load` (tui.console.lab.load.LoadRun).
        self.load_runs: list[Any] = []
        from .lab import register_builtins

        register_builtins(self)

    # -- extension --------------------------------------------------------------------
    def register_command(
        self, name: str, handler: Handler, summary: str, words: tuple[str, ...] = ()
    ) -> None:
        """Add a lab command: `async def handler(console, args) -> CommandResult`."""
        self.commands[name] = LabCommand(name, handler, summary, tuple(words))

    def register_subcommand(
        self, service: str, word: str, handler: Handler, summary: str, words: tuple[str, ...] = ()
    ) -> None:
        """Add a lab command spoken after a service (`mq publish`), beside its AWS operations."""
        self.subcommands.setdefault(service, {})[word] = LabCommand(
            f"{service} {word}", handler, summary, tuple(words)
        )

    def lab_command(self, name: str) -> LabCommand:
        """A lab command or service subcommand by its full name (`clock`, `mq publish`)."""
        command = self.commands.get(name)
        if command is None:
            service, _, word = name.partition(" ")
            command = self.subcommands[service][word]
        return command

    # -- running ---------------------------------------------------------------------------
    def check(self, line: str) -> str | None:
        """The one-line error `line` would fail with before running (syntax only), or None."""
        try:
            parse(line, self.services, self.commands, self.subcommands)
        except CommandError as error:
            return str(error)
        except Exception as error:  # a check never raises
            return f"{type(error).__name__}: {error}"
        return None

    def resource_names(self) -> list[tuple[str, str, str]]:
        """(name, kind, service) of every live resource, for completion.

        Cached between keystrokes: refreshed after any command runs and at most a second old,
        so typing stays fast with thousands of resources.
        """
        now = time.monotonic()
        cached = self._names_cache
        if cached is None or now - cached[0] > NAMES_TTL_SECONDS:
            nodes = self.engine.topology().nodes
            cached = self._names_cache = (now, [(n.name, n.kind, n.service) for n in nodes])
        return cached[1]

    async def execute(self, line: str) -> CommandResult:
        """Run one command line; never raises for bad input (the error is in the result)."""
        self._names_cache = None
        try:
            assignment = ASSIGNMENT.match(line)
            if assignment is not None:
                return await self._assign(assignment.group(1), assignment.group(2))
            if line.split(maxsplit=1)[:1] != ["expect"]:  # JMESPath keeps its own `$`/`{}`
                line = expand(line, self.variables, self.last_value)
            parsed = parse(line, self.services, self.commands, self.subcommands)
            if parsed is None:
                return CommandResult(ok=True)
            if isinstance(parsed, LabCall):
                command = self.lab_command(parsed.name)
                result = await command.handler(self, parsed.args)
                keeps_value = parsed.name not in ("expect", "help")
            else:
                result = await self._call(parsed)
                keeps_value = True
        except UndefinedVariable as error:
            return CommandResult.fail(
                f"Undefined variable ${{{error.args[0]}}}: no variable of that name, and the "
                "previous result has nothing there (set one with NAME=$(command))"
            )
        except CommandError as error:
            return CommandResult.fail(str(error))
        except ServiceError as error:
            return CommandResult.fail(format_service_error(error))
        except Exception as error:  # no traceback ever reaches the user
            return CommandResult.fail(f"Internal error: {type(error).__name__}: {error}")
        if result.ok and keeps_value and result.value is not None:
            self.last_value = result.value
        return result

    async def _assign(self, name: str, command: str) -> CommandResult:
        """`NAME=$(command)`: run the command and keep what it would print as text."""
        self.last_shown = None
        result = await self.execute(command)
        if not result.ok:
            return result
        shown = self.last_shown if self.last_shown is not None else result.value
        self.variables[name] = as_text(shown)
        return CommandResult(ok=True, value=result.value, output=None)

    async def _call(self, call: ServiceCall) -> CommandResult:
        client = self.engine.client(call.service)
        shape = operation_model(call.service, call.operation).input_shape
        params = await resolve(self.engine, shape, call.params)
        method = getattr(client, xform_name(call.operation))
        try:
            response = await method(**params)
        except ServiceError as error:
            if error.operation is None:
                error.operation = call.operation
            return CommandResult.fail(format_service_error(error))
        response = dict(response)
        response.pop("ResponseMetadata", None)
        stream = _streaming_member(call)
        if stream is not None and stream in response:
            body = response.pop(stream)
            data = body.read() if hasattr(body, "read") else body
            if isinstance(data, str):
                data = data.encode("utf-8")
            if call.outfile is not None:
                try:
                    with open(call.outfile, "wb") as fh:
                        fh.write(bytes(data or b""))
                except OSError as error:
                    return CommandResult.fail(f"Cannot write {call.outfile}: {error.strerror}")
            else:  # no outfile: show the payload itself (text when it is text)
                try:
                    response[stream] = bytes(data or b"").decode("utf-8")
                except UnicodeDecodeError:
                    response[stream] = data
        value = jsonable(response)
        shown = value
        if call.query is not None:
            try:
                shown = search(call.query, value)
            except QueryError as error:
                return CommandResult.fail(f"--query: {error}")
        self.last_shown = shown
        output = render(
            shown,
            call.output or self.default_output,
            service=call.service,
            operation=call.operation,
            queried=call.query is not None,
        )
        return CommandResult(ok=True, value=value, output=output)

    # -- completion and docs ------------------------------------------------------------------
    def complete(self, text: str, cursor: int | None = None) -> list[Completion]:
        """What can be typed at `cursor` in `text`, best matches first."""
        from .completion import complete

        cursor = len(text) if cursor is None else cursor
        prefix = ASSIGNMENT_START.match(text)
        if prefix is not None and cursor >= prefix.end():  # complete inside NAME=$(…)
            inner = text[prefix.end() :].removesuffix(")")
            offset = prefix.end()
            found = complete(self, inner, min(cursor - offset, len(inner)))
            return [c._replace(start=c.start + offset) for c in found]
        return complete(self, text, cursor)

    def describe_at(self, text: str, cursor: int | None = None) -> str | None:
        """One paragraph about what is under the cursor (operation, option or command)."""
        from .completion import describe_at

        return describe_at(self, text, len(text) if cursor is None else cursor)

    def close(self) -> None:
        """Stop recording the trace."""
        self.engine.trace.stop_recording(self.recorder)


def _streaming_member(call: ServiceCall) -> str | None:
    """The output member holding a streaming payload (Lambda Payload, S3 Body), if any."""
    model = operation_model(call.service, call.operation)
    if not model.has_streaming_output or model.output_shape is None:
        return None
    return model.output_shape.serialization.get("payload")


def format_service_error(error: ServiceError) -> str:
    """One line, as the AWS CLI prints a ClientError (or botocore's parameter check)."""
    message = " ".join(line.strip() for line in str(error.message).splitlines() if line.strip())
    if error.code == "ParamValidationError":
        return message
    where = f" when calling the {error.operation} operation" if error.operation else ""
    return f"An error occurred ({error.code}){where}: {message}"
