"""One Lambda execution environment: a separate Python process running one function's zip code.

The lab starts this file as a script (`python -I worker.py`) with the function's environment
variables as the process environment, and talks to it over the process's stdin/stdout with
length-prefixed frames: a JSON header and a byte blob (the zip at init, the event per invoke;
the response payload back). The worker only ever sends JSON and bytes, so nothing it says can
run code in the lab.

Inside, time follows the lab clock: `time.time()` starts each invocation at the engine clock's
reading the lab sent, `time.sleep()` / `asyncio.sleep()` return at once and the lab pays the
seconds on its clock afterwards (timing the invocation out if they pass its deadline). Under
a virtual clock nothing else moves time, so a script replays exactly; under the real clock the
wall time the handler computes is added too. The address space is limited to the function's
MemorySize on top of what the runtime itself uses, and stdout/stderr/logging are captured per
invocation. Only the standard library is imported here: the worker stays small and fast to start.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.util
import io
import json
import logging
import os
import struct
import sys
import time
import traceback
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

TASK_ROOT = "/var/task"
#: Frame header: the JSON header's length, then the blob's length (big-endian unsigned ints).
FRAME = struct.Struct(">II")
#: Exit status the worker uses after the handler ran out of memory.
OOM_STATUS = 137


def lambda_timestamp(epoch: float) -> str:
    """AWS's log timestamp: 2026-01-01T00:00:00.123Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error_object(error_type: str, message: str, request_id: str, stack: list[str]) -> dict:
    """The JSON error the Python runtime returns for a failed invocation."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }


class LambdaContext:
    """The context object the Python runtime passes to handlers."""

    __slots__ = (
        "aws_request_id",
        "invoked_function_arn",
        "log_stream_name",
        "log_group_name",
        "function_name",
        "function_version",
        "memory_limit_in_mb",
        "identity",
        "client_context",
        "_deadline",
        "_now",
    )

    def __init__(
        self,
        request_id: str,
        function_name: str,
        function_version: str,
        invoked_arn: str,
        memory: int,
        log_group: str,
        log_stream: str,
        deadline: float,
        now: Callable[[], float],
        client_context: Any = None,
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_arn
        # A string, as the runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
        self.memory_limit_in_mb = str(memory)
        self.log_group_name = log_group
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = client_context
        self._deadline = deadline
        self._now = now

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, on the engine clock."""
        return max(0, int((self._deadline - self._now()) * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(aws_request_id={self.aws_request_id!r}, "
            f"function_name={self.function_name!r}, function_version={self.function_version!r})"
        )


# -- the code package ---------------------------------------------------------------------------
class _ZipFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports modules from the deployment package in memory (nothing is written to disk)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def _path(self, name: str) -> tuple[str, bool] | None:
        base = name.replace(".", "/")
        if f"{base}.py" in self.files:
            return f"{base}.py", False
        if f"{base}/__init__.py" in self.files:
            return f"{base}/__init__.py", True
        return None

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        found = self._path(name)
        if found is None:
            return None
        file, package = found
        spec = importlib.util.spec_from_loader(name, self, origin=f"{TASK_ROOT}/{file}")
        assert spec is not None
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [f"{TASK_ROOT}/{file.rsplit('/', 1)[0]}"]
        return spec

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        file, _ = self._path(module.__name__) or ("", False)
        module.__file__ = f"{TASK_ROOT}/{file}"
        code = compile(self.files[file], module.__file__, "exec", dont_inherit=True)
        exec(code, module.__dict__)

    def get_source(self, name: str) -> str | None:
        found = self._path(name)
        return None if found is None else self.files[found[0]].decode(errors="replace")


class InitFailure(Exception):
    """The handler could not be loaded: AWS's errorType, message and stack."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


def load_handler(zip_bytes: bytes, handler: str) -> Callable[..., Any]:
    """Import the handler module from the package; raises InitFailure as the runtime reports it."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise InitFailure(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}"
        ) from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise InitFailure(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        files = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    sys.meta_path.insert(0, _ZipFinder(files))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise InitFailure(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        stack = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise InitFailure(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", stack
        ) from None
    except Exception as error:
        raise InitFailure(type(error).__name__, str(error), user_stack(error)) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise InitFailure(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


def user_stack(error: BaseException) -> list[str]:
    """The traceback lines of user code (the worker's own frames are left out)."""
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == __file__:
            continue
        entry = f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
        if frame.line:
            entry += f"    {frame.line}\n"
        lines.append(entry)
    return lines


# -- the worker -----------------------------------------------------------------------------------
class _Capture(io.TextIOBase):
    """sys.stdout / sys.stderr inside the environment: text goes to the invocation's log."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def writable(self) -> bool:
        return True


class Worker:
    """The runtime loop: read a frame, run init or one invocation, answer with a frame."""

    def __init__(self, inbox: int, outbox: int) -> None:
        self.inbox = os.fdopen(inbox, "rb", buffering=1 << 16)
        self.outbox = outbox
        self.handler: Callable[..., Any] | None = None
        self.parts: list[str] = []
        self.request_id = ""
        self.base = 0.0  # the engine clock's reading when the invocation began
        self.started = 0.0  # perf_counter then
        self.speed = 0.0  # engine seconds per real second (0: a virtual clock)
        self.slept = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.static: dict[str, Any] = {}

    # -- time on the lab clock ---------------------------------------------------------------
    def now(self) -> float:
        """The engine clock as this invocation sees it."""
        real = (_perf_counter() - self.started) * self.speed if self.speed else 0.0
        return self.base + real + self.slept

    def install_clock(self) -> None:
        """time.time()/sleep() and asyncio.sleep() on the lab clock, for user code and libraries."""
        real_sleep = asyncio.sleep

        def sleep(seconds: float) -> None:
            if seconds < 0:
                raise ValueError("sleep length must be non-negative")
            self.slept += seconds

        async def async_sleep(delay: float, result: Any = None) -> Any:
            self.slept += max(0.0, delay)
            await real_sleep(0)
            return result

        time.time = self.now  # type: ignore[assignment]
        time.time_ns = lambda: int(self.now() * 1_000_000_000)  # type: ignore[assignment]
        time.sleep = sleep  # type: ignore[assignment]
        asyncio.sleep = async_sleep  # type: ignore[assignment]

    def install_logging(self) -> None:
        """Records from `logging` in the runtime's text format, into the invocation's log."""
        worker = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                try:
                    message = record.getMessage()
                except Exception:  # a bad format string must not break the handler
                    message = str(record.msg)
                stamp = lambda_timestamp(worker.now())
                worker.parts.append(
                    f"[{record.levelname}]\t{stamp}\t{worker.request_id}\t{message}\n"
                )

        logging.getLogger().addHandler(Handler())
        sys.stdout = sys.stderr = _Capture(self.parts)

    # -- frames -------------------------------------------------------------------------------
    def receive(self) -> tuple[dict, bytes] | None:
        head = self.inbox.read(FRAME.size)
        if len(head) < FRAME.size:
            return None
        header_size, blob_size = FRAME.unpack(head)
        header = json.loads(self.inbox.read(header_size))
        return header, self.inbox.read(blob_size)

    def send(self, header: dict, blob: bytes = b"") -> None:
        data = json.dumps(header).encode()
        view = memoryview(FRAME.pack(len(data), len(blob)) + data + blob)
        while view:
            view = view[os.write(self.outbox, view) :]

    def take_log(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text

    # -- work ---------------------------------------------------------------------------------
    def init(self, header: dict, zip_bytes: bytes) -> None:
        self.base, self.speed, self.started = header["now"], header["speed"], _perf_counter()
        #: What every invocation of this environment shares (sent once).
        self.static = header["static"]
        began = _perf_counter()
        limit = header.get("memory_limit")
        if limit:
            _limit_address_space(limit)
        try:
            self.handler = load_handler(zip_bytes, header["handler"])
        except InitFailure as failure:
            error = {"errorType": failure.error_type, "errorMessage": failure.message}
            error["stackTrace"] = failure.stack
            self.send({"error": error, "log": self.take_log()})
            return
        except MemoryError:
            self.send({"oom": True, "log": self.take_log()})
            os._exit(OOM_STATUS)
        self.send({"init_ms": (_perf_counter() - began) * 1000, "log": self.take_log()})

    def invoke(self, header: dict, event_bytes: bytes) -> None:
        self.request_id = request_id = header["request_id"]
        self.base, self.speed, self.slept = header["now"], header["speed"], 0.0
        self.started = _perf_counter()
        os.environ["_X_AMZN_TRACE_ID"] = header.get("trace_id") or ""
        static = self.static
        context = LambdaContext(
            request_id,
            static["function_name"],
            static["version"],
            header["invoked_arn"],
            static["memory"],
            static["log_group"],
            static["log_stream"],
            header["deadline"],
            self.now,
            header.get("client_context"),
        )
        assert self.handler is not None
        error: dict | None = None
        payload = b""
        try:
            event = json.loads(event_bytes) if event_bytes else {}
            result = self.handler(event, context)
            if asyncio.iscoroutine(result):
                if self.loop is None:
                    self.loop = asyncio.new_event_loop()
                result = self.loop.run_until_complete(result)
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as marshal:
                error = error_object(
                    "Runtime.MarshalError", f"Unable to marshal response: {marshal}", request_id, []
                )
        except MemoryError:
            self.send({"oom": True, "slept": self.slept, "log": self.take_log()})
            os._exit(OOM_STATUS)
        except Exception as raised:
            error = error_object(type(raised).__name__, str(raised), request_id, user_stack(raised))
        except SystemExit as exited:
            status = exited.code if isinstance(exited.code, int) else 1
            self.send({"exit": status, "slept": self.slept, "log": self.take_log()})
            os._exit(status)
        except BaseException:  # KeyboardInterrupt and the like end the runtime, as on AWS
            self.send({"exit": 1, "slept": self.slept, "log": self.take_log()})
            os._exit(1)
        self.send({"error": error, "slept": self.slept, "log": self.take_log()}, payload)

    def run(self) -> None:
        while True:
            frame = self.receive()
            if frame is None:
                return  # the lab closed the pipe: this environment is retired
            header, blob = frame
            if header["op"] == "init":
                self.init(header, blob)
            else:
                self.invoke(header, blob)


def _limit_address_space(extra_bytes: int) -> None:
    """Cap the address space at what the runtime uses now plus the function's MemorySize."""
    import resource

    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # not Linux: the limit cannot be measured here
    limit = used + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_the_lab() -> None:
    """Ask Linux to kill this process when the lab that started it goes away."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


_perf_counter = time.perf_counter


def main() -> None:
    """Take the protocol off fds 0/1 (user code and its children get /dev/null), then serve."""
    _die_with_the_lab()
    inbox, outbox = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    worker = Worker(inbox, outbox)
    worker.install_clock()
    worker.install_logging()
    worker.run()


if __name__ == "__main__":
    main()
