"""Worker processes for zip code: start one per execution environment, talk frames, end it for good.

Each environment is a `python -I worker.py` process in its own session (so its threads and the
children it starts end with it) and its own scratch directory, given only the function's
environment variables. The lab never unpickles anything from it: replies are a JSON header and
the response bytes. Killing an environment is SIGKILL to its whole process group.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from .worker import FRAME

WORKER = str(Path(__file__).with_name("worker.py"))


class WorkerExited(Exception):
    """The environment's process ended during a call (os._exit, a crash, the kernel, a kill)."""

    def __init__(self, status: str, header: dict | None = None) -> None:
        super().__init__(status)
        #: Go's wording, as the Lambda runtime reports it: "exit status 7", "signal: killed".
        self.status = status
        #: The worker's last word when it said goodbye itself (sys.exit, out of memory).
        self.header = header or {}


def exit_status(returncode: int | None) -> str:
    """A process's end in the words AWS's error messages use."""
    if returncode is None:
        return "signal: killed"
    if returncode >= 0:
        return f"exit status {returncode}"
    try:
        name = (signal.strsignal(-returncode) or "").lower()
    except ValueError:
        name = ""
    return f"signal: {name or -returncode}"


class Sandbox:
    """One running worker process (one execution environment of zip code)."""

    def __init__(self, process: asyncio.subprocess.Process, workdir: str) -> None:
        self.process = process
        self.workdir = workdir
        self._ending: asyncio.Future[None] | None = None

    async def call(self, header: dict[str, Any], blob: bytes = b"") -> tuple[dict, bytes]:
        """Send one frame and wait for the reply; WorkerExited if the process ends first."""
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        data = json.dumps(header).encode()
        try:
            process.stdin.write(FRAME.pack(len(data), len(blob)) + data + blob)
            await process.stdin.drain()
            head = await process.stdout.readexactly(FRAME.size)
            header_size, blob_size = FRAME.unpack(head)
            body = await process.stdout.readexactly(header_size + blob_size)
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
            await self.kill()
            raise WorkerExited(exit_status(process.returncode)) from None
        reply = json.loads(body[:header_size])
        if "exit" in reply or "oom" in reply:
            await self.kill(wait_exit=True)
            raise WorkerExited(exit_status(process.returncode), reply)
        return reply, body[header_size:]

    @property
    def ended(self) -> bool:
        """Whether the process has been ended and reaped."""
        return self._ending is not None and self._ending.done()

    async def kill(self, wait_exit: bool = False) -> None:
        """End the process group (threads, children and all) and remove the scratch directory."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end(wait_exit))
        # Shielded: a caller cancelled meanwhile must not leave a half-ended process behind.
        await asyncio.shield(self._ending)

    async def _end(self, wait_exit: bool) -> None:
        process = self.process
        if wait_exit and process.returncode is None:
            try:  # it is exiting by itself: let it give its own status
                await asyncio.wait_for(process.wait(), 2)
            except TimeoutError:
                pass
        try:  # the whole group: its threads go with it, its children too
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        await process.wait()
        if process.stdin is not None:
            process.stdin.close()
        transport = getattr(process, "_transport", None)
        if transport is not None:  # asyncio keeps it until the pipes report closing
            transport.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Sandboxes:
    """Every worker of one Lambda service: started on cold starts, all ended when the lab closes."""

    def __init__(self) -> None:
        self.running: set[Sandbox] = set()
        self.started = 0
        self.closed = False

    async def start(self, variables: dict[str, str]) -> Sandbox:
        """A fresh worker process with exactly `variables` as its environment."""
        workdir = tempfile.mkdtemp(prefix="pipework-lambda-")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            WORKER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=variables,
            cwd=workdir,
            start_new_session=True,
            limit=1 << 20,
        )
        sandbox = Sandbox(process, workdir)
        self.running.add(sandbox)
        self.started += 1
        if self.closed:  # the lab closed while this one was starting
            await self.retire(sandbox)
            raise WorkerExited("signal: killed")
        return sandbox

    async def retire(self, sandbox: Sandbox) -> None:
        """End one worker."""
        try:
            await sandbox.kill()
        finally:
            self.running.discard(sandbox)

    async def close(self) -> None:
        """End every worker (those already ending included); none starts afterwards."""
        self.closed = True
        running = list(self.running)
        await asyncio.gather(*(s.kill() for s in running), return_exceptions=True)
        self.running.clear()
