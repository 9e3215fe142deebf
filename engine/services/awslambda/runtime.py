"""Running one invocation: concurrency, execution environments, context, logs, timeout, errors."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from engine.errors import ServiceError
from engine.ids import ambient_trace_id

from .code import user_stack
from .execution_role import session_name
from .logs import (
    InvocationLog,
    StreamCapture,
    current_log,
    install_logging_handler,
    lambda_timestamp,
)
from .models import WARM_SECONDS, ExecutionEnvironment, Function, FunctionVersion
from .sandbox import Sandboxes, WorkerExited
from .worker import LambdaContext, error_object

if TYPE_CHECKING:
    from .service import LambdaService

T = TypeVar("T")

#: Synchronous request and response payloads: 6 MB.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: Asynchronous (Event) request payloads: 256 KB.
ASYNC_PAYLOAD_LIMIT = 256 * 1024
#: Real seconds a worker may take to start and import the handler (AWS's init limit).
INIT_SECONDS = 10.0
#: Idle worker processes kept warm across all functions (the oldest retires beyond it).
MAX_IDLE_WORKERS = 32
#: The account's concurrency quota (AWS's default), overridable by `lambda.account_concurrency`.
DEFAULT_ACCOUNT_CONCURRENCY = 1000
#: Concurrency AWS keeps unreserved for functions without reserved concurrency.
UNRESERVED_MINIMUM = 100

#: Result types that are never awaitable: skip the awaitable check for them.
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})
_encode = json.JSONEncoder().encode


def getenv(name: str, default: str | None = None) -> str | None:
    """A function variable of the running invocation (for registered callables and demos)."""
    log = current_log.get()
    if log is None or log.environ is None:
        return default
    return log.environ.get(name, default)


@dataclass(slots=True)
class InvocationResult:
    """What one invocation produced: the payload bytes, and the error kind when it failed."""

    request_id: str
    payload: bytes
    executed_version: str
    function_error: str | None = None  # "Unhandled" when the function failed
    error: dict | None = None  # AWS's error object (also the payload, decoded)
    log: InvocationLog | None = None
    cold: bool = False

    @property
    def log_tail(self) -> str:
        """The last 4 KB of the invocation's log."""
        return self.log.tail() if self.log is not None else ""


class _TimedOut(Exception):
    """The watchdog ended a worker that ran past the function's deadline."""


class _InitFailed(Exception):
    """The worker could not load the handler: carries the runtime's error object."""

    def __init__(self, error: dict) -> None:
        super().__init__(error.get("errorMessage", ""))
        self.error = error


@dataclass(slots=True)
class _SandboxCall:
    """What one invocation in a worker is told beyond its environment's fixed fields."""

    invoked_arn: str
    deadline: float
    trace_id: str | None


def _exit_error(request_id: str, status: str) -> dict:
    """Runtime.ExitError as AWS reports a runtime process that ended."""
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {status}",
    }


def throttled(reason: str) -> ServiceError:
    """TooManyRequestsException as Invoke raises it when concurrency is exhausted."""
    return ServiceError(
        "TooManyRequestsException",
        "Rate Exceeded.",
        status_code=429,
        extra={"Reason": reason, "Type": "User"},
    )


class Runtime:
    """Executes invocations for the Lambda service: one instance per service."""

    def __init__(self, service: LambdaService) -> None:
        self.service = service
        self.clock = service.clock
        self.ids = service.ids
        self.settings = service.engine.settings
        self.capture = StreamCapture()
        self.unreserved_in_flight = 0
        self.reserved_total = 0
        #: Worker processes of zip code, and the idle ones oldest first (id → version, env).
        self.sandboxes = Sandboxes()
        self._idle_order: OrderedDict[int, tuple[FunctionVersion, ExecutionEnvironment]] = (
            OrderedDict()
        )
        install_logging_handler()

    # -- concurrency ----------------------------------------------------------------
    def account_limit(self) -> int:
        """The account's concurrent executions quota (the lab switch may change it any time)."""
        limit = self.settings.get("lambda.account_concurrency")
        return DEFAULT_ACCOUNT_CONCURRENCY if limit is None else int(limit)

    def unreserved_limit(self) -> int:
        """Concurrency left for functions without reserved concurrency."""
        return self.account_limit() - self.reserved_total

    def _acquire(self, function: Function) -> None:
        reserved = function.reserved
        if reserved is not None:
            if function.in_flight >= reserved:
                raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        else:
            if self.unreserved_in_flight >= self.unreserved_limit():
                raise throttled("ConcurrentInvocationLimitExceeded")
            self.unreserved_in_flight += 1
        function.in_flight += 1

    def _release(self, function: Function) -> None:
        function.in_flight -= 1
        if function.reserved is None:
            self.unreserved_in_flight -= 1

    # -- environments ---------------------------------------------------------------
    def _variables(
        self, function: Function, version: FunctionVersion, stream: str
    ) -> dict[str, str]:
        region = self.service.region
        variables = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{version.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(version.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": version.version,
            "AWS_LAMBDA_LOG_GROUP_NAME": function.logs.group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "LANG": "en_US.UTF-8",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "TZ": ":UTC",
            "_HANDLER": version.handler,
        }
        variables.update(self._sdk_variables(function, version))
        variables.update(version.environment)
        return variables

    def _sdk_variables(self, function: Function, version: FunctionVersion) -> dict[str, str]:
        """Where the function's SDK calls go and who they act as: the lab, as its execution role.

        As on AWS, each environment carries its own temporary credentials of the execution role
        (session name: the function's name), so with `iam enforce on` the code may do only what the role
        allows. The SDKs read AWS_ENDPOINT_URL while the lab is served over the wire.
        """
        url = self.service.engine.endpoint_url
        if url is None or version.callable is not None:
            return {}  # not served, or a registered callable (it runs in the lab's process)
        sts = self.service.engine.service("sts")
        variables = sts.service_credentials(version.role, session_name(function.name))  # type: ignore[attr-defined]
        variables["AWS_ENDPOINT_URL"] = url
        return variables

    def _cold_environment(
        self, function: Function, version: FunctionVersion
    ) -> ExecutionEnvironment:
        version.env_seq += 1
        day = self.clock.datetime().strftime("%Y/%m/%d")
        stream = f"{day}/[{version.version}]{self.ids.hex(32)}"
        variables = self._variables(function, version, stream)
        # Zip code gets its worker process on its first invocation (inside the watchdog).
        return ExecutionEnvironment(version.callable, variables, stream, self.clock.now())

    def retire_idle(self, version: FunctionVersion) -> None:
        """Discard a version's warm environments (new code or configuration, a deleted function)."""
        for env in version.idle:
            self._retire(env)
        version.idle.clear()

    def _retire(self, env: ExecutionEnvironment) -> None:
        self._idle_order.pop(id(env), None)
        if env.reaper is not None:
            env.reaper.cancel()
            env.reaper = None
        sandbox, env.sandbox = env.sandbox, None
        if sandbox is not None and not sandbox.ended:
            # Ending a process takes real time: a virtual clock settles only once it has ended.
            retiring = self.service.engine.spawn(
                self.sandboxes.retire(sandbox), name="lambda-retire"
            )
            self.clock.outside(retiring)

    def _keep_warm(self, version: FunctionVersion, env: ExecutionEnvironment) -> None:
        """Return an environment to its version's warm pool; the oldest beyond the cap retires."""
        version.idle.append(env)
        if env.sandbox is None:
            return
        if not self.clock.virtual:
            # On the real clock an idle worker ends after the warm period by itself; on a
            # virtual clock a timer would make scripts jump ahead, so it ends on next use.
            env.reaper = self.clock.call_later(WARM_SECONDS, self._reap, version, env)
        order = self._idle_order
        order[id(env)] = (version, env)
        while len(order) > self.max_idle_workers():
            _, (owner, oldest) = order.popitem(last=False)
            if oldest in owner.idle:
                owner.idle.remove(oldest)
            self._retire(oldest)

    def _reap(self, version: FunctionVersion, env: ExecutionEnvironment) -> None:
        env.reaper = None
        if env in version.idle:
            version.idle.remove(env)
            self._retire(env)

    def max_idle_workers(self) -> int:
        """How many idle worker processes the lab keeps warm (`lambda.max_idle_workers`)."""
        limit = self.settings.get("lambda.max_idle_workers")
        return MAX_IDLE_WORKERS if limit is None else int(limit)

    async def close(self) -> None:
        """End every worker process."""
        self._idle_order.clear()
        await self.sandboxes.close()

    # -- invoking -------------------------------------------------------------------
    async def invoke(
        self,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        event: Any,
        *,
        trace_id: str | None = None,
        source: str | None = None,
        client_context: Any = None,
        request_id: str | None = None,
    ) -> InvocationResult:
        """Run the handler once; raises TooManyRequestsException when no concurrency is left."""
        service = self.service
        policy = None
        faults = service.engine.faults
        if faults.enabled:
            policy = faults.policy_for(function.arn)
            if policy is not None and faults.roll(policy.throttle):
                function.throttles += 1
                service.emit("throttled", function.arn, trace_id=trace_id, injected=True)
                raise throttled("ConcurrentInvocationLimitExceeded")
        tracing = service.trace.enabled
        try:
            self._acquire(function)
        except ServiceError:
            function.throttles += 1
            service.emit("throttled", function.arn, trace_id=trace_id, version=version.version)
            raise
        clock = self.clock
        now = clock.now
        request_id = request_id or self.ids.request_id()
        function.invocations += 1
        log = InvocationLog(request_id, version.version, now, version.memory)
        token = current_log.set(log)
        self.capture.enter()
        start = now()
        deadline = start + version.timeout
        idle = version.idle
        env = idle.pop() if idle else None
        if env is not None:
            self._idle_order.pop(id(env), None)
            if env.reaper is not None:
                env.reaper.cancel()
                env.reaper = None
            if start - env.last_used > WARM_SECONDS:
                self._retire(env)
                self.retire_idle(version)  # everything older is colder still
                env = None
        error: dict | None = None
        payload = b""
        trace_token = None
        try:
            if env is None:
                log.cold = True
                function.cold_starts += 1
                env = self._cold_environment(function, version)
            log.environ = env.environ
            log.stream = env.log_stream
            if trace_id:
                env.environ["_X_AMZN_TRACE_ID"] = trace_id
                trace_token = ambient_trace_id.set(trace_id)
            if tracing:
                service.emit(
                    "invoked",
                    function.arn,
                    trace_id=trace_id,
                    request_id=request_id,
                    version=version.version,
                    cold=log.cold,
                    source=source,
                )
            if policy is not None:
                error = await self._apply_faults(policy, version, request_id, deadline)
            if error is None:
                if env.handler is None:
                    if env.sandbox is None:
                        # The init phase (its own limit) does not count against the timeout.
                        await self._watched(
                            env, self._start_worker(env, function, version), INIT_SECONDS
                        )
                        start = now()
                        deadline = start + version.timeout
                    call = _SandboxCall(invoked_arn, deadline, trace_id)
                    payload, error = await self._in_sandbox(env, call, event, log, client_context)
                else:
                    payload, error = await self._in_process(
                        env, function, version, invoked_arn, event, log, deadline, client_context
                    )
                if log.slept:
                    await self._pay_sleep(log, deadline)
                if error is None and len(payload) > SYNC_PAYLOAD_LIMIT:
                    error = {
                        "errorMessage": "Response payload size exceeded maximum allowed payload "
                        f"size ({SYNC_PAYLOAD_LIMIT + 100} bytes).",
                        "errorType": "Function.ResponseSizeTooLarge",
                    }
        except _TimedOut:
            error = self._timed_out(log, version, request_id)
        except TimeoutError as raised:
            if now() < deadline:
                # The handler's own TimeoutError (a socket, a lock), not the function timeout.
                error = error_object(
                    type(raised).__name__,
                    str(raised),
                    request_id,
                    user_stack(raised, version.bundle),
                )
            else:
                error = self._timed_out(log, version, request_id)
        except _InitFailed as failed:
            log.init_failed = True
            init = failed.error
            error = error_object(
                init.get("errorType", "Runtime.Unknown"),
                init.get("errorMessage", ""),
                request_id,
                init.get("stackTrace", []),
            )
        except WorkerExited as exited:
            if env is not None:
                self._retire(env)
            env = None
            error = self._exited(exited, log, request_id)
        except Exception as raised:
            error = error_object(
                type(raised).__name__, str(raised), request_id, user_stack(raised, version.bundle)
            )
        except SystemExit as exited:
            # sys.exit() ends the runtime process on AWS: the sandbox is reset.
            env = None
            status = exited.code if isinstance(exited.code, int) else 1
            error = _exit_error(request_id, f"exit status {status}")
        finally:
            if trace_token is not None:
                ambient_trace_id.reset(trace_token)
            current_log.reset(token)
            self.capture.exit()
            self._release(function)
        end = now()
        log.elapsed_ms = (end - start) * 1000
        log.finished = True
        function.logs.invocations.append(log)
        if env is not None:
            if log.timed_out or log.init_failed:
                # A timed-out or failed-to-initialise sandbox is reset; others stay warm.
                self._retire(env)
            else:
                env.last_used = end
                self._keep_warm(version, env)
        logs = service.engine.running("logs")
        if error is None:
            if logs is not None:
                logs.ingest_lambda(function.name, version.version, log)
            if tracing:
                service.emit(
                    "succeeded",
                    function.arn,
                    trace_id=trace_id,
                    request_id=request_id,
                    response=payload[:256].decode(errors="replace"),
                )
            return InvocationResult(request_id, payload, version.version, None, None, log, log.cold)
        if "stackTrace" in error:
            trace_text = "".join(error["stackTrace"])
            log.write(
                f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
                f"Traceback (most recent call last):\n{trace_text}"
            )
        function.errors += 1
        if logs is not None:
            logs.ingest_lambda(function.name, version.version, log)
        payload = _encode(error).encode()
        if service.trace.enabled:
            service.emit(
                "failed",
                function.arn,
                trace_id=trace_id,
                request_id=request_id,
                error_type=error.get("errorType", ""),
                error=str(error.get("errorMessage", ""))[:256],
                log=log.text()[-256:],
            )
        return InvocationResult(
            request_id, payload, version.version, "Unhandled", error, log, log.cold
        )

    async def _in_process(
        self,
        env: ExecutionEnvironment,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        event: Any,
        log: InvocationLog,
        deadline: float,
        client_context: Any,
    ) -> tuple[bytes, dict | None]:
        """A registered callable or demo, in the lab's process and loop."""
        clock = self.clock
        context = LambdaContext(
            log.request_id,
            function.name,
            version.version,
            invoked_arn,
            version.memory,
            function.logs.group,
            env.log_stream,
            deadline,
            lambda: clock.now() + log.slept,
            client_context,
        )
        if version.environment and not inspect.iscoroutinefunction(env.handler):
            result = self._call_with_environ(env, event, context, version)
        else:
            result = env.handler(event, context)
        if result.__class__ not in _PLAIN and inspect.isawaitable(result):
            result = await clock.timeout(max(0.0, deadline - clock.now()), result)
        try:
            return _encode(result).encode(), None
        except (TypeError, ValueError) as marshal:
            error = error_object(
                "Runtime.MarshalError", f"Unable to marshal response: {marshal}", log.request_id, []
            )
            return b"", error

    async def _in_sandbox(
        self,
        env: ExecutionEnvironment,
        call: _SandboxCall,
        event: Any,
        log: InvocationLog,
        client_context: Any,
    ) -> tuple[bytes, dict | None]:
        """Zip code in the environment's worker process (started here on a cold start).

        The worker's computing takes no engine time (see worker.py); a real-time watchdog of
        the time left (in real seconds at the clock's speed) ends a handler that runs away.
        """
        clock = self.clock
        speed = self._speed()
        header = {
            "op": "invoke",
            "request_id": log.request_id,
            "now": clock.now(),
            "speed": speed,
            "deadline": call.deadline,
            "invoked_arn": call.invoked_arn,
            "trace_id": call.trace_id,
            "client_context": client_context,
        }
        event_bytes = _encode(event).encode()

        assert env.sandbox is not None
        left = max(0.0, call.deadline - clock.now())
        reply, payload = await self._watched(
            env, env.sandbox.call(header, event_bytes), left / speed if speed else left
        )
        log.write(reply.get("log", ""))
        log.slept = float(reply.get("slept", 0.0))
        return payload, reply.get("error")

    def _speed(self) -> float:
        """Engine seconds per real second for worker time (0: computing takes no clock time)."""
        clock = self.clock
        return 0.0 if clock.virtual or clock.paused else clock.speed

    async def _watched(self, env: ExecutionEnvironment, work: Awaitable[T], seconds: float) -> T:
        """Await work in the worker under a real-time watchdog; _TimedOut when it runs over.

        Not asyncio.wait_for, which can swallow a cancellation that arrives as the work ends.
        Computing takes no engine time: on expiry the clock is not moved (a virtual clock
        would wait for someone to advance it), the worker is simply ended.
        """
        task = self.clock.outside(work)
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        watchdog = asyncio.get_running_loop().call_later(seconds, expire)
        try:
            return await task
        except asyncio.CancelledError:
            if env.sandbox is not None:
                await self.sandboxes.retire(env.sandbox)
            if not expired:
                raise  # the invocation itself was cancelled
            raise _TimedOut from None
        except BaseException:  # the worker died: end what is left of it
            if env.sandbox is not None:
                await self.sandboxes.retire(env.sandbox)
            raise
        finally:
            watchdog.cancel()

    async def _start_worker(
        self, env: ExecutionEnvironment, function: Function, version: FunctionVersion
    ) -> None:
        """Start the worker process and import the handler (the init phase of a cold start)."""
        assert version.bundle is not None
        sandbox = await self.sandboxes.start(env.environ)
        env.sandbox = sandbox
        init = {
            "op": "init",
            "handler": version.handler,
            "now": self.clock.now(),
            "speed": self._speed(),
            "memory_limit": version.memory * 1024 * 1024,
            "static": {
                "function_name": function.name,
                "version": version.version,
                "memory": version.memory,
                "log_group": function.logs.group,
                "log_stream": env.log_stream,
            },
        }
        reply, _ = await sandbox.call(init, version.bundle.zip_bytes)
        log = current_log.get()
        if log is not None:
            log.write(reply.get("log", ""))
            log.init_ms = float(reply.get("init_ms", 0.0))
        if reply.get("error"):
            raise _InitFailed(reply["error"])

    def _timed_out(self, log: InvocationLog, version: FunctionVersion, request_id: str) -> dict:
        log.timed_out = True
        log.write(
            f"{lambda_timestamp(self.clock.now())} {request_id} Task timed out after "
            f"{version.timeout:.2f} seconds\n"
        )
        return {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
            f"{version.timeout:.2f} seconds",
        }

    def _exited(self, exited: WorkerExited, log: InvocationLog, request_id: str) -> dict:
        """The error for an environment whose process ended (out of memory, exit, crash)."""
        log.write(exited.header.get("log", ""))
        log.slept = 0.0
        if exited.header.get("oom"):
            log.error_type = "Runtime.OutOfMemory"
            log.write(
                f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\n"
                "Runtime.OutOfMemory\n"
            )
            return {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                "signal: killed",
            }
        status = exited.status
        if "exit" in exited.header:
            status = f"exit status {exited.header['exit']}"
        log.error_type = "Runtime.ExitError"
        log.write(f"RequestId: {request_id} Error: Runtime exited with error: {status}\n")
        return _exit_error(request_id, status)

    async def _pay_sleep(self, log: InvocationLog, deadline: float) -> None:
        """Move the clock by what zip code slept; past the deadline it is a timeout."""
        clock = self.clock
        left = deadline - clock.now()
        slept, log.slept = log.slept, 0.0
        if slept >= left:
            await clock.sleep(max(0.0, left))
            raise TimeoutError
        await clock.sleep(slept)

    async def _apply_faults(
        self, policy: Any, version: FunctionVersion, request_id: str, deadline: float
    ) -> dict | None:
        """Injected latency (clock time, counted against the timeout) and injected failure."""
        if policy.latency:
            await self.clock.sleep(min(policy.latency, version.timeout))
            if self.clock.now() >= deadline:
                raise TimeoutError
        if self.service.engine.faults.roll(policy.failure):
            return error_object(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: exit status 1",
                request_id,
                [],
            )
        return None

    def _call_with_environ(
        self,
        env: ExecutionEnvironment,
        event: Any,
        context: LambdaContext,
        version: FunctionVersion,
    ) -> Any:
        """Call a registered callable; a sync one sees its variables in os.environ meanwhile."""
        if inspect.iscoroutinefunction(env.handler):
            return env.handler(event, context)
        saved = {key: os.environ.get(key) for key in version.environment}
        os.environ.update(version.environment)
        try:
            return env.handler(event, context)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
