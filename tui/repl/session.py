"""The interactive REPL: prompt-toolkit over the console, with live events above the prompt."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.formatted_text import HTML, FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.validation import ValidationError, Validator
from rich.console import Console as RichConsole
from rich.text import Text

from engine import Engine, VirtualClock
from tui.console import CommandResult, Console
from tui.console.events import event_line
from tui.console.timefmt import clock_text
from tui.console.tokens import is_complete, join_continued

from .completer import ConsoleCompleter
from .lexer import STYLE, CommandLexer
from .settings import Settings


class LineValidator(Validator):
    """Checks a finished line (quotes, JSON values, options) before it runs."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def validate(self, document) -> None:  # type: ignore[no-untyped-def]
        """Refuse a complete line whose syntax is wrong, pointing at the problem."""
        text = document.text
        if not text.strip() or not is_complete(text):
            return
        problem = self.console.check(join_continued(text))
        if problem and _is_syntax_problem(problem):
            raise ValidationError(message=problem, cursor_position=len(text))


def _is_syntax_problem(problem: str) -> bool:
    """Only malformed values block Enter; other mistakes run and show their error."""
    return problem.startswith(("Error parsing parameter", "Unterminated quote"))


class Recorder:
    """`record FILE`: writes each successful command of the session as a replayable script."""

    def __init__(self) -> None:
        self.file: TextIO | None = None
        self.path: str | None = None

    def write(self, line: str, result: CommandResult) -> None:
        """Append one command that ran (and, for checks, the expect) to the script."""
        if self.file is None or not result.ok:
            return
        if line.split(maxsplit=1)[0] in ("record", "exit", "quit", "help"):
            return
        self.file.write(line.replace("\n", " \\\n") + "\n")
        self.file.flush()

    def close(self) -> None:
        """Stop recording."""
        if self.file is not None:
            self.file.close()
        self.file = None
        self.path = None


class Repl:
    """One interactive session: a lab, its console, and the prompt."""

    def __init__(self, engine: Engine, settings: Settings, data_dir: Path) -> None:
        self.engine = engine
        self.settings = settings
        self.data_dir = data_dir
        self.console = Console(engine, output=settings.output)
        self.console.live = True
        self.recorder = Recorder()
        self.out = RichConsole(file=sys.stdout, highlight=False)
        self.console.register_command(
            "record",
            self._record,
            "record FILE | record off — write this session as a script",
            ("off",),
        )
        self._watch_task: asyncio.Task | None = None
        from lessons import install

        #: The guided lessons (`lesson list`, `lesson start N` …); steps tick after each command.
        self.lessons = install(self.console)

    # -- lab command added by the REPL ----------------------------------------------------
    async def _record(self, console: Console, args: list[str]) -> CommandResult:
        if args == ["off"] or not args:
            if self.recorder.path is None:
                return CommandResult(ok=True, output=Text("Not recording. usage: record FILE"))
            path = self.recorder.path
            self.recorder.close()
            return CommandResult(
                ok=True, value={"file": path}, output=Text(f"Stopped recording to {path}")
            )
        if len(args) != 1:
            return CommandResult.fail("usage: record FILE | record off")
        try:
            handle = open(args[0], "w", encoding="utf-8")  # noqa: SIM115 - kept open while recording
        except OSError as error:
            return CommandResult.fail(f"record: cannot write {args[0]}: {error.strerror}")
        self.recorder.close()
        self.recorder.file = handle
        self.recorder.path = args[0]
        handle.write("# recorded by pipework repl — replay with: pipework run " + args[0] + "\n")
        return CommandResult(
            ok=True, value={"file": args[0]}, output=Text(f"Recording to {args[0]}")
        )

    # -- prompt pieces ------------------------------------------------------------------------
    def toolbar(self) -> FormattedText:
        """Clock, speed and live counts; the doc of what is under the cursor below."""
        clock = self.engine.clock
        state = "paused" if clock.paused else f"×{clock.speed:g}"
        if isinstance(clock, VirtualClock):
            state = "virtual"
        nodes = self.engine.topology().nodes
        visible = sum(int(n.counters.get("visible", 0)) for n in nodes)
        in_flight = sum(int(n.counters.get("in_flight", 0)) for n in nodes)
        watching = ""
        if self.console.watching is not None:
            watching = f" │ watching {self.console.watching.resource or 'everything'}"
        status = (
            f" ⏱ {clock_text(clock.now())[:19]} {state} │ {len(nodes)} "
            f"resource{'' if len(nodes) == 1 else 's'} │ "
            f"{visible} visible · {in_flight} in flight{watching} │ Tab completes · Ctrl-D leaves"
        )
        parts = [("class:bottom-toolbar", status)]
        doc = self._doc_under_cursor()
        if doc:
            parts.append(("", "\n"))
            parts.append(("class:bottom-toolbar.doc", " " + doc[:300]))
        return FormattedText(parts)

    def _doc_under_cursor(self) -> str | None:
        app = self._session.app if hasattr(self, "_session") else None
        if app is None:
            return None
        buffer = app.current_buffer
        try:
            return self.console.describe_at(buffer.text, buffer.cursor_position)
        except Exception:
            return None

    def _bindings(self) -> KeyBindings:
        bindings = KeyBindings()

        @bindings.add("enter")
        def _enter(event) -> None:  # type: ignore[no-untyped-def]
            buffer = event.current_buffer
            if is_complete(buffer.text):
                buffer.validate_and_handle()
            else:  # an open quote or JSON bracket: keep typing on the next line
                buffer.insert_text("\n")

        return bindings

    # -- live events ------------------------------------------------------------------------
    async def _follow(self) -> None:
        """Print events that match `watch` above the prompt while watching."""
        subscription = self.engine.trace.subscribe(maxlen=2_000)
        try:
            while True:
                event = await subscription.get()
                spec = self.console.watching
                if spec is not None and spec.accepts(event):
                    self.out.print(event_line(event))
        finally:
            subscription.close()

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, history_path: Path) -> int:
        """Prompt, run, print, until `exit` or Ctrl-D."""
        self._session: PromptSession = PromptSession(
            history=FileHistory(str(history_path)),
            completer=ConsoleCompleter(self.console),
            complete_while_typing=True,
            auto_suggest=AutoSuggestFromHistory(),
            lexer=CommandLexer(self.console),
            style=STYLE,
            bottom_toolbar=self.toolbar,
            validator=LineValidator(self.console),
            validate_while_typing=False,
            multiline=True,
            key_bindings=self._bindings(),
            vi_mode=self.settings.vi_mode,
            refresh_interval=0.5,
            prompt_continuation="… ",
        )
        self.out.print(
            Text.assemble(
                ("Pipework", "bold"),
                " — AWS integration services in one process. ",
                ("help", "bold green"),
                " lists commands; Tab completes; Ctrl-D leaves.",
            )
        )
        self._watch_task = asyncio.get_running_loop().create_task(self._follow())
        # Load botocore's models for the first completions while the person starts typing.
        asyncio.get_running_loop().run_in_executor(None, self._warm_up)
        try:
            with patch_stdout(raw=True):
                while True:
                    try:
                        line = await self._session.prompt_async(HTML("<b>pipework</b>&gt; "))
                    except KeyboardInterrupt:
                        continue  # Ctrl-C cancels the line
                    except EOFError:
                        break  # Ctrl-D leaves
                    line = join_continued(line).strip()
                    if not line:
                        continue
                    result = await self._execute(line)
                    if result.output is not None:
                        self.out.print(result.output)
                    if not result.ok:
                        self.out.print(Text(result.error or "failed", style="bold red"))
                    self.recorder.write(line, result)
                    await self._tick_lesson(line)
                    if result.exit:
                        break
        finally:
            self.recorder.close()
            if self._watch_task is not None:
                self._watch_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._watch_task
        return 0

    async def _tick_lesson(self, line: str) -> None:
        """Tell the learner about lesson steps the last command completed."""
        if self.lessons.lesson is None or line.startswith("lesson"):
            return
        from lessons.commands import announce

        newly = await self.lessons.check()
        if newly:
            self.out.print(announce(self.lessons, newly))

    def _warm_up(self) -> None:
        """Answer a few completions once so the first Tab does not pay for model loading."""
        for text in ("", "sqs ", "sqs send-message --"):
            self.console.complete(text)

    async def _execute(self, line: str) -> CommandResult:
        """Run one line; Ctrl-C while it runs cancels it instead of leaving."""
        clock = self.engine.clock
        coro = self.console.execute(line)
        task = asyncio.ensure_future(clock.run(coro) if isinstance(clock, VirtualClock) else coro)
        loop = asyncio.get_running_loop()
        installed = False
        if sys.platform != "win32":  # signal handlers on the loop are POSIX-only
            with contextlib.suppress(RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGINT, task.cancel)
                installed = True
        try:
            return await task
        except asyncio.CancelledError:
            return CommandResult.fail("Cancelled.")
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)
