"""Function code: a deployment package read from zip bytes in memory, imported without sys.modules.

Each execution environment imports the handler module afresh into its own namespace (as a cold
start does on AWS): modules from the zip live in the environment's own module table, `os.environ`
seen by that code is the environment's own mapping, and nothing is written to disk.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import io
import os
import sys
import time as _time
import types
import zipfile
from collections.abc import Callable
from typing import Any

from engine.errors import ServiceError

from .logs import current_log

TASK_ROOT = "/var/task"


class InitError(Exception):
    """The runtime could not load the handler: carries AWS's errorType, message and stack."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


class CodeBundle:
    """The Python files of one deployment package, compiled lazily and shared by environments."""

    __slots__ = ("files", "zip_bytes", "sha256", "size", "_compiled")

    def __init__(self, zip_bytes: bytes) -> None:
        self.zip_bytes = zip_bytes
        self.size = len(zip_bytes)
        self.sha256 = base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
        try:
            with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                self.files = {
                    info.filename: archive.read(info)
                    for info in archive.infolist()
                    if not info.is_dir()
                }
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            raise ServiceError(
                "InvalidParameterValueException",
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
            ) from None
        self._compiled: dict[str, types.CodeType] = {}

    def source_path(self, module_name: str) -> tuple[str, bool] | None:
        """The zip path of a module (and whether it is a package), or None if not in the zip."""
        base = module_name.replace(".", "/")
        if f"{base}.py" in self.files:
            return f"{base}.py", False
        if f"{base}/__init__.py" in self.files:
            return f"{base}/__init__.py", True
        return None

    def compiled(self, path: str) -> types.CodeType:
        """The code object of one file (raises SyntaxError as compile does)."""
        code = self._compiled.get(path)
        if code is None:
            code = compile(self.files[path], f"{TASK_ROOT}/{path}", "exec", dont_inherit=True)
            self._compiled[path] = code
        return code


class _EnvironOs(types.ModuleType):
    """The `os` module as handler code sees it: everything real except its environment."""

    def __init__(self, environ: dict[str, str]) -> None:
        super().__init__("os")
        self.environ = environ

    def getenv(self, key: str, default: str | None = None) -> str | None:
        """os.getenv against the environment's variables."""
        return self.environ.get(key, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class _ClockTime(types.ModuleType):
    """The `time` module as handler code sees it: the engine clock, and sleep() on that clock.

    A synchronous handler cannot wait on the clock, so `sleep(s)` returns at once and the
    invocation pays the seconds on the engine clock when the handler returns (timing out if
    they pass the deadline); `time()`/`monotonic()`/`perf_counter()` include what was slept.
    """

    def __init__(self) -> None:
        super().__init__("time")

    @staticmethod
    def _now() -> float | None:
        log = current_log.get()
        return None if log is None else log.clock_now() + log.slept

    def sleep(self, seconds: float) -> None:
        """Sleep on the engine clock (settled when the handler returns)."""
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        log = current_log.get()
        if log is None:
            _time.sleep(seconds)
        else:
            log.slept += seconds

    def time(self) -> float:
        """Seconds since the epoch on the engine clock."""
        now = self._now()
        return _time.time() if now is None else now

    def time_ns(self) -> int:
        """Nanoseconds since the epoch on the engine clock."""
        return int(self.time() * 1_000_000_000)

    def monotonic(self) -> float:
        """A monotonic reading on the engine clock."""
        now = self._now()
        return _time.monotonic() if now is None else now

    def perf_counter(self) -> float:
        """A performance counter on the engine clock."""
        now = self._now()
        return _time.perf_counter() if now is None else now

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


class ModuleLoader:
    """Imports modules of a CodeBundle into one environment's private module table."""

    def __init__(self, bundle: CodeBundle, environ: dict[str, str]) -> None:
        self.bundle = bundle
        self.modules: dict[str, types.ModuleType] = {}
        self.os = _EnvironOs(environ)
        self.time = _ClockTime()
        self.builtins = dict(vars(builtins))
        self.builtins["__import__"] = self._import

    def load(self, name: str) -> types.ModuleType:
        """Import `name` (dotted) from the bundle, parents first."""
        module = self.modules.get(name)
        if module is not None:
            return module
        parent_name, _, leaf = name.rpartition(".")
        parent = self.load(parent_name) if parent_name else None
        found = self.bundle.source_path(name)
        if found is None:
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        path, is_package = found
        module = types.ModuleType(name)
        module.__file__ = f"{TASK_ROOT}/{path}"
        module.__dict__["__builtins__"] = self.builtins
        if is_package:
            module.__path__ = [f"{TASK_ROOT}/{path.rsplit('/', 1)[0]}"]
            module.__package__ = name
        else:
            module.__package__ = parent_name
        self.modules[name] = module
        try:
            exec(self.bundle.compiled(path), module.__dict__)
        except BaseException:
            del self.modules[name]
            raise
        if parent is not None:
            setattr(parent, leaf, module)
        return module

    def _in_bundle(self, name: str) -> bool:
        return name in self.modules or self.bundle.source_path(name.split(".", 1)[0]) is not None

    def _import(
        self,
        name: str,
        globals: dict | None = None,
        locals: dict | None = None,
        fromlist: tuple = (),
        level: int = 0,
    ) -> Any:
        if level:
            package = (globals or {}).get("__package__") or ""
            parts = package.split(".") if package else []
            if level - 1 > len(parts):
                raise ImportError("attempted relative import beyond top-level package")
            base = ".".join(parts[: len(parts) - (level - 1)])
            name = f"{base}.{name}" if name and base else (name or base)
        top = name.split(".", 1)[0]
        if name == "os":
            return self.os
        if name == "time":
            return self.time
        if not self._in_bundle(name):
            return builtins.__import__(name, globals, locals, fromlist, 0)
        module = self.load(name)
        if not fromlist:
            return self.modules[top] if not level else module
        for item in fromlist:
            if item != "*" and not hasattr(module, item) and hasattr(module, "__path__"):
                try:
                    self.load(f"{name}.{item}")
                except ModuleNotFoundError:
                    pass  # `from pkg import name` then raises ImportError as Python does
        return module


def load_handler(bundle: CodeBundle, handler: str, environ: dict[str, str]) -> Callable[..., Any]:
    """Import the handler module into a fresh namespace and return the handler function.

    Raises InitError with the errorType the AWS Python runtime reports for each failure.
    """
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise InitError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}"
        ) from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise InitError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    loader = ModuleLoader(bundle, environ)
    try:
        module = loader.load(module_name.replace("/", "."))
    except ImportError as error:
        raise InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        stack = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise InitError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            stack,
        ) from None
    except Exception as error:
        raise InitError(type(error).__name__, str(error), user_stack(error, bundle)) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def user_stack(error: BaseException, bundle: CodeBundle | None = None) -> list[str]:
    """The traceback lines of user code (frames in the engine itself are left out)."""
    import traceback

    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        filename = frame.filename
        if filename.startswith(_ENGINE_DIR) and "/demos.py" not in filename:
            continue
        text = frame.line or ""
        if not text and bundle is not None and filename.startswith(TASK_ROOT + "/"):
            source = bundle.files.get(filename[len(TASK_ROOT) + 1 :], b"")
            source_lines = source.decode(errors="replace").splitlines()
            if frame.lineno and 0 < frame.lineno <= len(source_lines):
                text = source_lines[frame.lineno - 1].strip()
        entry = f'  File "{filename}", line {frame.lineno}, in {frame.name}\n'
        if text:
            entry += f"    {text}\n"
        lines.append(entry)
    return lines
