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
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .worker import FRAME

WORKER = str(Path(__file__).with_name("worker.py"))
_encode = json.JSONEncoder(separators=(",", ":")).encode


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


class _Pipes(asyncio.SubprocessProtocol):
    """The worker's pipes: whole reply frames resolve the waiting call; an exit fails it."""

    def __init__(self) -> None:
        self.transport: asyncio.SubprocessTransport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.exited = asyncio.get_running_loop().create_future()
        self.closed = False  # stdout ended: no reply will come

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self.buffer += data
        self._deliver()

    def _deliver(self) -> None:
        waiter, buffer = self.waiter, self.buffer
        if waiter is None or waiter.done() or len(buffer) < FRAME.size:
            return
        header_size, blob_size = FRAME.unpack_from(buffer)
        end = FRAME.size + header_size + blob_size
        if len(buffer) >= end:
            frame = bytes(buffer[FRAME.size : end])
            del buffer[:end]
            waiter.set_result((header_size, frame))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:
            self.closed = True
            self._fail()

    def process_exited(self) -> None:
        self.closed = True
        self._fail()
        if not self.exited.done():
            self.exited.set_result(None)

    def _fail(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(EOFError())


class Sandbox:
    """One running worker process (one execution environment of zip code)."""

    def __init__(self, transport: asyncio.SubprocessTransport, pipes: _Pipes, workdir: str):
        self.transport = transport
        self.pipes = pipes
        self.pid = transport.get_pid()
        self.workdir = workdir
        self._stdin = transport.get_pipe_transport(0)
        self._ending: asyncio.Future[None] | None = None

    async def call(self, header: dict[str, Any], blob: bytes = b"") -> tuple[dict, bytes]:
        """Send one frame and wait for the reply; WorkerExited if the process ends first."""
        pipes = self.pipes
        data = _encode(header).encode()
        waiter = pipes.waiter = asyncio.get_running_loop().create_future()
        try:
            if pipes.closed:
                raise EOFError
            self._stdin.write(FRAME.pack(len(data), len(blob)) + data + blob)  # type: ignore[attr-defined]
            pipes._deliver()
            header_size, frame = await waiter
        except (EOFError, ConnectionError, RuntimeError):
            await self.kill(wait_exit=True)
            raise WorkerExited(exit_status(self.transport.get_returncode())) from None
        finally:
            pipes.waiter = None
        reply = json.loads(frame[:header_size])
        if "exit" in reply or "oom" in reply:
            await self.kill(wait_exit=True)
            raise WorkerExited(exit_status(self.transport.get_returncode()), reply)
        return reply, frame[header_size:]

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
        exited = self.pipes.exited
        if wait_exit and not exited.done():
            try:  # it is exiting by itself: let it give its own status
                await asyncio.wait_for(asyncio.shield(exited), 2)
            except TimeoutError:
                pass
        try:  # the whole group: its threads go with it, its children too
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        await exited
        self.transport.close()
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
        transport, pipes = await asyncio.get_running_loop().subprocess_exec(
            _Pipes,
            sys.executable,
            "-I",
            WORKER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=variables,
            cwd=workdir,
            start_new_session=True,
        )
        sandbox = Sandbox(transport, pipes, workdir)
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
