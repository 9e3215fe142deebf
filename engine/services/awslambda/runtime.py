"""Running one invocation: concurrency, execution environments, context, logs, timeout, errors."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError
from engine.ids import ambient_trace_id

from .code import InitError, load_handler, user_stack
from .logs import (
    InvocationLog,
    StreamCapture,
    current_log,
    install_logging_handler,
    lambda_timestamp,
)
from .models import WARM_SECONDS, ExecutionEnvironment, Function, FunctionVersion

if TYPE_CHECKING:
    from .service import LambdaService

#: Synchronous request and response payloads: 6 MB.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: Asynchronous (Event) request payloads: 256 KB.
ASYNC_PAYLOAD_LIMIT = 256 * 1024
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


class LambdaContext:
    """The context object the Python runtime passes to handlers."""

    __slots__ = (
        "aws_request_id",
        "invoked_function_arn",
        "log_stream_name",
        "identity",
        "client_context",
        "_function",
        "_version",
        "_deadline",
        "_now",
        "_log",
    )

    def __init__(
        self,
        request_id: str,
        function: Function,
        version: FunctionVersion,
        invoked_arn: str,
        log_stream: str,
        deadline: float,
        now: Callable[[], float],
        log: InvocationLog,
        client_context: Any = None,
    ) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = client_context
        self._function = function
        self._version = version
        self._deadline = deadline
        self._now = now
        self._log = log

    @property
    def function_name(self) -> str:
        """The function's name."""
        return self._function.name

    @property
    def function_version(self) -> str:
        """The version being executed ($LATEST or a number)."""
        return self._version.version

    @property
    def memory_limit_in_mb(self) -> str:
        """Memory in MB; a string, as the runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE."""
        return str(self._version.memory)

    @property
    def log_group_name(self) -> str:
        """/aws/lambda/<function name>."""
        return self._function.logs.group

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, on the engine clock."""
        # time.sleep() in zip code is paid on the clock later; count it as already spent.
        return max(0, int((self._deadline - self._now() - self._log.slept) * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(aws_request_id={self.aws_request_id!r}, "
            f"function_name={self.function_name!r}, function_version={self.function_version!r})"
        )


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


def error_object(error_type: str, message: str, request_id: str, stack: list[str]) -> dict:
    """The JSON error the Python runtime returns for a failed invocation."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
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
        variables.update(version.environment)
        return variables

    def _cold_environment(
        self, function: Function, version: FunctionVersion
    ) -> ExecutionEnvironment:
        version.env_seq += 1
        day = self.clock.datetime().strftime("%Y/%m/%d")
        stream = f"{day}/[{version.version}]{self.ids.hex(32)}"
        variables = self._variables(function, version, stream)
        if version.callable is not None:
            handler = version.callable
        else:
            assert version.bundle is not None
            handler = load_handler(version.bundle, version.handler, variables)
        return ExecutionEnvironment(handler, variables, stream, self.clock.now())

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
        if env is not None and start - env.last_used > WARM_SECONDS:
            idle.clear()  # everything older is colder still
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
            context = LambdaContext(
                request_id,
                function,
                version,
                invoked_arn,
                env.log_stream,
                deadline,
                now,
                log,
                client_context,
            )
            if policy is not None:
                error = await self._apply_faults(policy, version, request_id, deadline)
            if error is None:
                if version.callable is not None and version.environment:
                    result = self._call_with_environ(env, event, context, version)
                else:
                    result = env.handler(event, context)
                if result.__class__ not in _PLAIN and inspect.isawaitable(result):
                    result = await clock.timeout(max(0.0, deadline - now()), result)
                if log.slept:
                    await self._pay_sleep(log, deadline)
                try:
                    payload = _encode(result).encode()
                except (TypeError, ValueError) as marshal:
                    error = error_object(
                        "Runtime.MarshalError",
                        f"Unable to marshal response: {marshal}",
                        request_id,
                        [],
                    )
                else:
                    if len(payload) > SYNC_PAYLOAD_LIMIT:
                        error = {
                            "errorMessage": "Response payload size exceeded maximum allowed payload "
                            f"size ({SYNC_PAYLOAD_LIMIT + 100} bytes).",
                            "errorType": "Function.ResponseSizeTooLarge",
                        }
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
                log.timed_out = True
                error = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                    f"{version.timeout:.2f} seconds",
                }
                log.write(
                    f"{lambda_timestamp(now())} {request_id} Task timed out after "
                    f"{version.timeout:.2f} seconds\n"
                )
        except InitError as init:
            env = None
            error = error_object(init.error_type, init.message, request_id, init.stack)
        except Exception as raised:
            error = error_object(
                type(raised).__name__, str(raised), request_id, user_stack(raised, version.bundle)
            )
        except SystemExit as exited:
            # sys.exit() ends the runtime process on AWS: the sandbox is reset.
            env = None
            status = exited.code if isinstance(exited.code, int) else 1
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                f"exit status {status}",
            }
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
        if env is not None and not log.timed_out:
            # A timed-out or failed-to-initialise sandbox is reset; others stay warm.
            env.last_used = end
            idle.append(env)
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
