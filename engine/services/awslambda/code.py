"""Function code: a deployment package read from zip bytes in memory (it runs in worker.py).

The lab only checks and measures the package here; each execution environment's worker process
imports the handler from these bytes on its cold start, without writing them to disk.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import types
import zipfile

from engine.errors import ServiceError

TASK_ROOT = "/var/task"


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
