"""Runs one execution: states in order, data flow, Retry/Catch, history events and UI status."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import choice
from .errors import Failure, matches
from .execution_logs import ExecutionLogger
from .jsonata_eval import UNDEFINED, is_expression
from .jsonpath import PathError, compile_path
from .jsonpath import assign as assign_path
from .payload import Evaluator, Scope, compact
from .records import Execution, StateStatus
from .timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from .service import StepFunctionsService

#: AWS's payload limit for inputs, outputs and results: 256 KiB.
PAYLOAD_LIMIT = 262_144
#: AWS's limit on a STANDARD execution's history: beyond it the execution fails.
MAX_HISTORY_EVENTS = 25_000
#: A bound on EXPRESS state transitions: on a virtual clock an endless loop takes no time.
MAX_EXPRESS_TRANSITIONS = 1_000_000
#: State transitions between yields to the event loop.
YIELD_EVERY = 500
#: State types that take Retry and whose context shows State.RetryCount.
_RETRYABLE = frozenset({"Task", "Parallel", "Map"})
#: Keys of a Pass state that only passes its input on.
_BARE_PASS = frozenset({"Type", "Next", "End", "Comment"})
#: The longest Wait AWS accepts (a Java int of seconds).
MAX_WAIT_SECONDS = 2_147_483_647


class Cursor:
    """One thread of control's last history event id (branches and iterations have their own)."""

    __slots__ = ("last",)

    def __init__(self, last: int = 0) -> None:
        self.last = last


class Step:
    """What one state produced: its output, the next state (None: end) and its assignments."""

    __slots__ = ("output", "next", "assigned")

    def __init__(
        self, output: Any, next_state: str | None, assigned: dict[str, Any] | None = None
    ) -> None:
        self.output = output
        self.next = next_state
        self.assigned = assigned


class Runner:
    """Interprets a state machine document for one execution."""

    def __init__(self, service: StepFunctionsService, execution: Execution) -> None:
        self.service = service
        self.execution = execution
        self.clock = service.clock
        self.express = execution.machine.type == "EXPRESS"
        self.transitions = 0
        self.history = execution.history  # None: not recorded (EXPRESS)
        self.rng = random.Random(service.ids.random())
        self.trace_enabled = service.trace.enabled
        machine = execution.machine
        self.execution_context = {
            "Id": execution.arn,
            "Input": execution.input,
            "StartTime": format_timestamp(execution.started),
            "Name": execution.name,
            "RoleArn": machine.role_arn,
        }
        if not self.express:
            self.execution_context["RedriveCount"] = execution.redrive_count
        if execution.redrive_time is not None:
            self.execution_context["RedriveTime"] = format_timestamp(execution.redrive_time)
        self.machine_context = {"Id": execution.version_arn or machine.arn, "Name": machine.name}
        #: Execution logs to CloudWatch Logs (LoggingConfiguration), or None when OFF.
        self.logger = ExecutionLogger.for_execution(service, execution)
        #: TestState: a mocked Task answer ({"result"} or {"errorOutput"}), stop at the first
        #: retry instead of waiting, and the intermediate values it reports.
        self.mock: dict[str, Any] | None = None
        self.retry_once = False
        self.retry_pending = False
        self.inspection: dict[str, Any] | None = None
        #: Where a restored execution picks up (see persistence.py); used once.
        point = execution.resume_point
        self.resume = dict(point) if point and point.get("resumed") else None
        self.top_states = machine.document.get("States", {})

    # -- history ----------------------------------------------------------------------------
    def event(
        self,
        cursor: Cursor,
        kind: str,
        key: str | None = None,
        details: Any = None,
        *,
        advance: bool = True,
        link_latest: bool = False,
    ) -> int:
        """Append one history event after `cursor`'s last; returns its id.

        `advance=False` leaves the cursor where it was: AWS links the event after a Map
        iteration's or Map state's "Succeeded" event to the event before it.
        `link_latest=True` links the event to the newest event of the history instead.
        """
        history = self.history
        if self.logger is not None:
            self.logger.log(kind, key, details, history, cursor.last)
        if history is None:
            return 0
        event_id = len(history) + 1
        record: dict[str, Any] = {
            "timestamp": self.clock.now(),
            "type": kind,
            "id": event_id,
            "previousEventId": len(history) if link_latest else cursor.last,
        }
        if key is not None:
            record[key] = details
        history.append(record)
        if advance:
            cursor.last = event_id
        return event_id

    def leave(self, name: str) -> None:
        """One run of state `name` is over (Map iterations may still run it)."""
        current = self.execution.current
        count = current.get(name, 0) - 1
        if count > 0:
            current[name] = count
        else:
            current.pop(name, None)

    async def pace(self) -> None:
        """Let the rest of the lab run, and stop a loop that would never end."""
        await asyncio.sleep(0)  # a loop of Pass states never awaits on its own
        if self.history is not None and len(self.history) > MAX_HISTORY_EVENTS:
            raise Failure(
                "States.Runtime",
                f"The execution reached the maximum of {MAX_HISTORY_EVENTS} history events.",
            )
        if self.history is None and self.transitions > MAX_EXPRESS_TRANSITIONS:
            raise Failure(
                "States.Runtime",
                f"Pipework stopped this EXPRESS execution after {MAX_EXPRESS_TRANSITIONS} "
                "state transitions without it ending.",
            )

    def uuid(self) -> str:
        """A UUID from the execution's seeded generator."""
        return self.service.ids.uuid()

    # -- the execution ----------------------------------------------------------------------
    async def run_machine(
        self,
        document: dict[str, Any],
        value: Any,
        scope: Scope,
        cursor: Cursor,
        map_item: dict[str, Any] | None,
        inherited_language: str | None = None,
        start_at: str | None = None,
    ) -> Any:
        """Run one machine or branch from StartAt to its end; returns its output."""
        states = document["States"]
        language = document.get("QueryLanguage", inherited_language or "JSONPath")
        name = start_at or document["StartAt"]
        while True:
            state = states[name]
            step = await self.run_state(name, state, value, scope, cursor, language, map_item)
            if step.next is None:
                return step.output
            value = step.output
            name = step.next
            self.transitions += 1
            if self.transitions % YIELD_EVERY == 0:
                await self.pace()

    async def run_state(
        self,
        name: str,
        state: dict[str, Any],
        value: Any,
        scope: Scope,
        cursor: Cursor,
        machine_language: str,
        map_item: dict[str, Any] | None,
    ) -> Step:
        """Run one state: entered event, its work, Retry/Catch, variables, exited event."""
        kind = state["Type"]
        language = state.get("QueryLanguage", machine_language)
        entered_at = self.clock.now()
        entered_id = 0
        entered_previous = cursor.last
        resuming = self.resume is not None and self.resume["state"] == name
        if resuming:
            entered_id = cursor.last  # restored: its entered event is already in the history
            if "until" not in self.resume and "token" not in self.resume:
                self.resume = None
        elif self.history is not None:
            entered_id = self.event(
                cursor,
                f"{kind}StateEntered",
                "stateEnteredEventDetails",
                {"name": name, "input": compact(value), "inputDetails": {"truncated": False}},
            )
        status = self.execution.states.get(name)
        if status is None:
            status = self.execution.states[name] = StateStatus(name, "running", entered_at)
        else:
            status.status, status.entered, status.exited = "running", entered_at, None
        current = self.execution.current
        current[name] = current.get(name, 0) + 1
        if self.trace_enabled:
            self.service.emit(
                "state-entered",
                self.execution.arn,
                trace_id=self.execution.trace_id,
                state=name,
                type=kind,
            )

        def make_context() -> dict[str, Any]:
            state_context: dict[str, Any] = {
                "EnteredTime": format_timestamp(entered_at),
                "Name": name,
            }
            if kind in _RETRYABLE:
                state_context["RetryCount"] = 0
            context = {
                "Execution": self.execution_context,
                "State": state_context,
                "StateMachine": self.machine_context,
            }
            if map_item is not None:
                context["Map"] = map_item
            return context

        evaluator = Evaluator(name, entered_id, make_context, scope, self.rng, self.uuid)
        evaluator.clock_ms = self.clock.now_ms
        try:
            step = await self.dispatch(
                kind, name, state, value, evaluator, cursor, language, status
            )
        except Failure as failure:
            status.status, status.exited = "failed", self.clock.now()
            self.leave(name)
            # Overwritten as the failure bubbles out: the outermost state is kept (redrive).
            self.execution.failed_state, self.execution.failed_input = name, value
            if failure.error == "States.QueryEvaluationError" and not failure.reported:
                failure.reported = True
                if kind != "Wait":
                    cursor.last = entered_previous
                details = {"error": failure.error, "cause": failure.cause, "state": name}
                if failure.location is not None:
                    details["location"] = failure.location
                self.event(cursor, "EvaluationFailed", "evaluationFailedEventDetails", details)
                if kind == "Map":
                    self.event(cursor, "MapStateFailed")
            raise failure
        if step.assigned:
            scope.values.update(step.assigned)
        point = self.execution.resume_point
        if point is not None and point.get("state") == name:
            self.execution.resume_point = None
        if status.status == "running":
            status.status = "succeeded"
        status.exited = self.clock.now()
        self.leave(name)
        if kind not in ("Fail",):
            if self.history is not None:
                details: dict[str, Any] = {
                    "name": name,
                    "output": compact(step.output),
                    "outputDetails": {"truncated": False},
                }
                if step.assigned:
                    details["assignedVariables"] = {k: compact(v) for k, v in step.assigned.items()}
                    details["assignedVariablesDetails"] = {"truncated": False}
                self.event(cursor, f"{kind}StateExited", "stateExitedEventDetails", details)
            if self.trace_enabled:
                self.service.emit(
                    "state-exited",
                    self.execution.arn,
                    trace_id=self.execution.trace_id,
                    state=name,
                    type=kind,
                    next=step.next,
                )
        return step

    async def dispatch(
        self,
        kind: str,
        name: str,
        state: dict[str, Any],
        value: Any,
        ev: Evaluator,
        cursor: Cursor,
        language: str,
        status: StateStatus,
    ) -> Step:
        """Run the work particular to the state's type."""
        jsonata = language == "JSONata"
        if kind == "Pass":
            return self.run_pass(state, value, ev, jsonata)
        if kind == "Choice":
            return self.run_choice(state, value, ev, jsonata)
        if kind == "Succeed":
            return self.run_succeed(state, value, ev, jsonata)
        if kind == "Fail":
            self.run_fail(state, value, ev, jsonata)
        if kind == "Wait":
            return await self.run_wait(state, value, ev, jsonata)
        return await self.run_with_recovery(kind, name, state, value, ev, cursor, jsonata, status)

    # -- data flow helpers -----------------------------------------------------------------
    def effective_input(self, state: dict[str, Any], value: Any, ev: Evaluator) -> Any:
        """InputPath (JSONPath): null discards the input."""
        path = state.get("InputPath", "$")
        if path == "$":
            effective = value
        elif path is None:
            effective = {}
        else:
            effective = ev.path(path, value)
        self.inspect("afterInputPath", effective)
        return effective

    def apply_result_path(self, document: Any, result_path: str, result: Any) -> Any:
        """Place `result` into `document` at ResultPath; States.ResultPathMatchFailure if it cannot."""
        try:
            return assign_path(document, compile_path(result_path), result)
        except PathError:
            raise Failure(
                "States.ResultPathMatchFailure",
                f'Unable to apply ResultPath "{result_path}" to input "{compact(document)}"',
            ) from None

    def inspect(self, stage: str, value: Any) -> None:
        """Record an intermediate value for TestState (no-op in executions)."""
        if self.inspection is not None:
            self.inspection[stage] = value

    def finish_jsonpath(
        self, state: dict[str, Any], raw_input: Any, result: Any, ev: Evaluator
    ) -> Any:
        """ResultPath then OutputPath (JSONPath)."""
        if "ResultPath" in state:
            result_path = state["ResultPath"]
            if result_path is None:
                merged = raw_input
            elif result_path == "$":
                merged = result
            else:
                merged = self.apply_result_path(raw_input, result_path, result)
        else:
            merged = result
        self.inspect("afterResultPath", merged)
        if "OutputPath" in state:
            output_path = state["OutputPath"]
            if output_path is None:
                return {}
            if output_path != "$":
                return ev.path(output_path, merged)
        return merged

    def assign_jsonpath(self, assign: Any, document: Any, ev: Evaluator) -> dict[str, Any] | None:
        """Evaluate a JSONPath Assign block against `document`."""
        if not assign:
            return None
        return ev.template(assign, document)

    def assign_jsonata(
        self, assign: Any, states: dict[str, Any], ev: Evaluator
    ) -> dict[str, Any] | None:
        """Evaluate a JSONata Assign block."""
        if assign is None:
            return None
        if isinstance(assign, str):
            value = ev.jsonata(assign, states, "Assign")
            if not isinstance(value, dict):
                raise ev.runtime(
                    "The Assign field must evaluate to a JSON object", "States.QueryEvaluationError"
                )
            return value
        return {k: ev.jsonata(v, states, f"Assign/{k}") for k, v in assign.items()}

    def output_jsonata(
        self, state: dict[str, Any], states: dict[str, Any], default: Any, ev: Evaluator
    ) -> Any:
        """The JSONata Output field, or `default` when absent."""
        if "Output" not in state:
            return default
        return ev.jsonata(state["Output"], states, "Output")

    def check_literal_size(self, state: dict[str, Any], result: Any, ev: Evaluator) -> None:
        """A Pass state's literal Result over 256 KiB (measured once per definition)."""
        cached = self.service.literal_sizes.get(id(state))
        if cached is not None and cached[0] is state:
            too_big = cached[1]
        else:
            # The entry keeps `state` alive, so its id cannot be reused by another dict.
            too_big = len(compact(result).encode()) > PAYLOAD_LIMIT
            self.service.literal_sizes[id(state)] = (state, too_big)
        if too_big:
            self.check_size(result, ev.state_name, ev)

    def check_size(self, value: Any, who: str, ev: Evaluator) -> None:
        """States.DataLimitExceeded for a result over 256 KiB."""
        if len(compact(value).encode()) > PAYLOAD_LIMIT:
            raise Failure(
                "States.DataLimitExceeded",
                f"The state/task '{who}' returned a result with a size exceeding the maximum "
                "number of bytes service limit.",
            )

    # -- simple states ---------------------------------------------------------------------
    def run_pass(self, state: dict[str, Any], value: Any, ev: Evaluator, jsonata: bool) -> Step:
        """Pass: Result or Parameters, then ResultPath/OutputPath (or JSONata Output)."""
        nxt = state.get("Next")
        if jsonata:
            states = ev.states_binding(input=value)
            assigned = self.assign_jsonata(state.get("Assign"), states, ev)
            output = self.output_jsonata(state, states, value, ev)
            return Step(output, nxt, assigned)
        if _BARE_PASS.issuperset(state):
            # Fast path: a bare Pass passes its input through.
            return Step(value, nxt)
        effective = self.effective_input(state, value, ev)
        if "Result" in state:
            result = state["Result"]
            self.check_literal_size(state, result, ev)
        elif "Parameters" in state:
            result = ev.template(state["Parameters"], effective)
            self.inspect("afterParameters", result)
        else:
            result = effective
        assigned = self.assign_jsonpath(state.get("Assign"), result, ev)
        return Step(self.finish_jsonpath(state, value, result, ev), nxt, assigned)

    def run_succeed(self, state: dict[str, Any], value: Any, ev: Evaluator, jsonata: bool) -> Step:
        """Succeed: the (filtered) input is the output."""
        if jsonata:
            return Step(self.output_jsonata(state, ev.states_binding(input=value), value, ev), None)
        effective = self.effective_input(state, value, ev)
        if "OutputPath" in state:
            path = state["OutputPath"]
            effective = {} if path is None else ev.path(path, effective)
        return Step(effective, None)

    def run_fail(self, state: dict[str, Any], value: Any, ev: Evaluator, jsonata: bool) -> None:
        """Fail: raise its Error and Cause (literal, path, intrinsic or JSONata)."""
        if jsonata:
            states = ev.states_binding(input=value)
            error = ev.jsonata(state.get("Error"), states, "Error") if "Error" in state else None
            cause = ev.jsonata(state.get("Cause"), states, "Cause") if "Cause" in state else None
            raise Failure(_text_or_none(error), _text_or_none(cause))
        error = state.get("Error")
        cause = state.get("Cause")
        if "ErrorPath" in state:
            error = self.fail_path(state["ErrorPath"], value, ev, "ErrorPath")
        if "CausePath" in state:
            cause = self.fail_path(state["CausePath"], value, ev, "CausePath")
        raise Failure(error, cause)

    def fail_path(self, text: str, value: Any, ev: Evaluator, field: str) -> Any:
        """ErrorPath/CausePath: a path or an intrinsic, which must give a string."""
        if text.startswith("States."):
            result = ev.intrinsic(text, value, field)
        else:
            result = ev.field_path(text, value, field)
        if not isinstance(result, str):
            raise ev.runtime(
                f"The JSONPath '{text}' specified for the field '{field}' must resolve to a string"
            )
        return result

    def run_choice(self, state: dict[str, Any], value: Any, ev: Evaluator, jsonata: bool) -> Step:
        """Choice: the first matching rule's Next, else Default, else States.NoChoiceMatched."""
        if jsonata:
            states = ev.states_binding(input=value)
            for index, rule in enumerate(state["Choices"]):
                result = ev.jsonata(rule["Condition"], states, f"Choices[{index}]/Condition")
                if not isinstance(result, bool):
                    raise ev.runtime(
                        f"The JSONata expression '{rule['Condition']}' specified for the field "
                        f"'Condition' returned an unexpected result type. Expected 'boolean'",
                        "States.QueryEvaluationError",
                    )
                if result:
                    assigned = self.assign_jsonata(rule.get("Assign"), states, ev)
                    output = self.output_jsonata(rule, states, value, ev)
                    return Step(output, rule["Next"], assigned)
            if "Default" in state:
                assigned = self.assign_jsonata(state.get("Assign"), states, ev)
                return Step(
                    self.output_jsonata(state, states, value, ev), state["Default"], assigned
                )
            raise Failure("States.NoChoiceMatched", "No Matches!")
        effective = self.effective_input(state, value, ev)
        for rule in state["Choices"]:
            if choice.evaluate_rule(rule, effective, ev):
                assigned = self.assign_jsonpath(rule.get("Assign"), effective, ev)
                return Step(self.choice_output(state, effective, ev), rule["Next"], assigned)
        if "Default" in state:
            assigned = self.assign_jsonpath(state.get("Assign"), effective, ev)
            return Step(self.choice_output(state, effective, ev), state["Default"], assigned)
        raise Failure("States.NoChoiceMatched", "No Matches!")

    def choice_output(self, state: dict[str, Any], effective: Any, ev: Evaluator) -> Any:
        """A Choice state's OutputPath."""
        if "OutputPath" in state:
            path = state["OutputPath"]
            return {} if path is None else ev.path(path, effective)
        return effective

    async def run_wait(
        self, state: dict[str, Any], value: Any, ev: Evaluator, jsonata: bool
    ) -> Step:
        """Wait on the engine clock for Seconds, until Timestamp, or their paths."""
        now = self.clock.now()
        if jsonata:
            states = ev.states_binding(input=value)
            if "Seconds" in state:
                seconds = ev.jsonata(state["Seconds"], states, "Seconds")
                if (
                    isinstance(seconds, bool)
                    or not isinstance(seconds, (int, float))
                    or seconds < 0
                    or seconds != int(seconds)
                ):
                    raise ev.runtime(
                        f"The Seconds field must be a non-negative integer: {compact(seconds)}",
                        "States.QueryEvaluationError",
                    )
                until = now + int(seconds)
            else:
                text = ev.jsonata(state["Timestamp"], states, "Timestamp")
                moment = parse_timestamp(text) if isinstance(text, str) else None
                if moment is None:
                    raise ev.runtime(
                        "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                        f"date-time format string: {text}",
                        "States.QueryEvaluationError",
                    )
                until = moment
            assigned = self.assign_jsonata(state.get("Assign"), states, ev)
            output = self.output_jsonata(state, states, value, ev)
        else:
            effective = self.effective_input(state, value, ev)
            if "Seconds" in state:
                until = now + state["Seconds"]
            elif "Timestamp" in state:
                until = parse_timestamp(state["Timestamp"]) or now
            elif "SecondsPath" in state:
                until = now + self.seconds_path(state["SecondsPath"], effective, ev)
            else:
                until = self.timestamp_path(state["TimestampPath"], effective, ev)
            assigned = self.assign_jsonpath(state.get("Assign"), effective, ev)
            output = effective
            if "OutputPath" in state:
                path = state["OutputPath"]
                output = {} if path is None else ev.path(path, effective)
        if until - now > MAX_WAIT_SECONDS:
            raise ev.runtime("Wait state delay is too long.")
        resume = self.resume
        if resume is not None and resume["state"] == ev.state_name and "until" in resume:
            until = resume["until"]  # restored: wait out the time it had left
            self.resume = None
        if self.top_states.get(ev.state_name) is state and self.history is not None:
            self.execution.resume_point = {"state": ev.state_name, "until": until}
        if until > now:
            await self.clock.sleep_until(until)
        return Step(output, state.get("Next"), assigned)

    def seconds_path(self, path: str, value: Any, ev: Evaluator) -> int:
        """SecondsPath: a non-negative whole number of seconds."""
        try:
            seconds = ev.path(path, value)
        except Failure:
            raise ev.runtime(
                f"The SecondsPath parameter does not reference an input value: {path}"
            ) from None
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or seconds != int(seconds)
        ):
            raise ev.runtime(
                f"The SecondsPath parameter cannot be parsed as a long value: {path} == {compact(seconds)}"
            )
        if seconds < 0:
            raise ev.runtime(
                f"The SecondsPath parameter references a negative value: {path} == {int(seconds)}"
            )
        return int(seconds)

    def timestamp_path(self, path: str, value: Any, ev: Evaluator) -> float:
        """TimestampPath: an RFC 3339 timestamp."""
        try:
            text = ev.path(path, value)
        except Failure:
            raise ev.runtime(
                f"The TimestampPath parameter does not reference an input value: {path}"
            ) from None
        moment = parse_timestamp(text) if isinstance(text, str) else None
        if moment is None:
            shown = text if isinstance(text, str) else compact(text)
            raise ev.runtime(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                f"date-time format string: {path} == {shown}"
            )
        return moment

    # -- Task, Parallel, Map with Retry and Catch ---------------------------------------------
    async def run_with_recovery(
        self,
        kind: str,
        name: str,
        state: dict[str, Any],
        value: Any,
        ev: Evaluator,
        cursor: Cursor,
        jsonata: bool,
        status: StateStatus,
    ) -> Step:
        """Run a Task, Parallel or Map state, applying Retry and then Catch to its failures."""
        retriers = state.get("Retry") or []
        attempts = [0] * len(retriers)
        work: Callable[..., Awaitable[Step]] = (
            self.run_task
            if kind == "Task"
            else self.run_parallel
            if kind == "Parallel"
            else self.run_map
        )
        while True:
            try:
                return await work(state, value, ev, cursor, jsonata)
            except Failure as failure:
                branch = kind == "Parallel" and failure.from_children
                index = next(
                    (
                        i
                        for i, r in enumerate(retriers)
                        if matches(r["ErrorEquals"], failure.error, branch, failure.heartbeat)
                    ),
                    None,
                )
                if index is not None:
                    retrier = retriers[index]
                    if attempts[index] < retrier.get("MaxAttempts", 3):
                        if self.retry_once:
                            self.retry_pending = True
                            raise
                        delay = self.retry_delay(retrier, attempts[index])
                        attempts[index] += 1
                        ev.context["State"] = {
                            **ev.context["State"],
                            "RetryCount": ev.context["State"].get("RetryCount", 0) + 1,
                        }
                        status.status, status.retries = "retrying", status.retries + 1
                        if self.trace_enabled:
                            self.service.emit(
                                "retried",
                                self.execution.arn,
                                trace_id=self.execution.trace_id,
                                state=name,
                                error=failure.error,
                                heartbeat=failure.heartbeat,
                                delay=delay,
                            )
                        await self.clock.sleep(delay)
                        status.status = "running"
                        continue
                if failure.from_children:
                    self.event(cursor, f"{kind}StateFailed")
                for catcher in state.get("Catch") or []:
                    if matches(catcher["ErrorEquals"], failure.error, branch, failure.heartbeat):
                        status.status = "caught"
                        if self.trace_enabled:
                            self.service.emit(
                                "caught",
                                self.execution.arn,
                                trace_id=self.execution.trace_id,
                                state=name,
                                error=failure.error,
                                heartbeat=failure.heartbeat,
                                next=catcher["Next"],
                            )
                        return self.caught(catcher, failure, value, ev, jsonata)
                raise

    def retry_delay(self, retrier: dict[str, Any], attempt: int) -> float:
        """IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, with jitter."""
        delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempt
        if "MaxDelaySeconds" in retrier:
            delay = min(delay, retrier["MaxDelaySeconds"])
        if retrier.get("JitterStrategy") == "FULL":
            delay = self.rng.uniform(0, delay)
        return delay

    def caught(
        self, catcher: dict[str, Any], failure: Failure, value: Any, ev: Evaluator, jsonata: bool
    ) -> Step:
        """The output and transition of a Catch that handles `failure`."""
        error_output = failure.output()
        if jsonata:
            states = ev.states_binding(input=value, errorOutput=error_output)
            assigned = self.assign_jsonata(catcher.get("Assign"), states, ev)
            output = self.output_jsonata(catcher, states, error_output, ev)
            return Step(output, catcher["Next"], assigned)
        assigned = self.assign_jsonpath(catcher.get("Assign"), error_output, ev)
        result_path = catcher.get("ResultPath", "$")
        if result_path is None:
            output = value
        elif result_path == "$":
            output = error_output
        else:
            output = self.apply_result_path(value, result_path, error_output)
        return Step(output, catcher["Next"], assigned)

    async def run_task(
        self, state: dict[str, Any], value: Any, ev: Evaluator, cursor: Cursor, jsonata: bool
    ) -> Step:
        """Task: build the payload, call the resource (with timeouts), shape the result."""
        from .integrations import invoke_task

        resource = state["Resource"]
        token_text = None
        resumed = False
        if isinstance(resource, str) and (
            resource.endswith(".waitForTaskToken") or ":activity:" in resource
        ):
            # The token must exist before the payload: Parameters may read $$.Task.Token.
            resume = self.resume
            resumed = resume is not None and resume["state"] == ev.state_name
            if resumed and "token" in resume:
                token_text = resume["token"]  # restored: keep waiting for the same token
                self.resume = None
            else:
                token_text = self.service.new_token()
                resumed = False
            ev.context["Task"] = {"Token": token_text}
        if jsonata:
            states = ev.states_binding(input=value)
            payload = (
                ev.jsonata(state["Arguments"], states, "Arguments")
                if "Arguments" in state
                else value
            )
            timeout = self.jsonata_seconds(state, "TimeoutSeconds", states, ev)
            heartbeat = self.jsonata_seconds(state, "HeartbeatSeconds", states, ev)
        else:
            effective = self.effective_input(state, value, ev)
            payload = (
                ev.template(state["Parameters"], effective) if "Parameters" in state else effective
            )
            timeout = self.path_seconds(state, "TimeoutSeconds", value, ev)
            heartbeat = self.path_seconds(state, "HeartbeatSeconds", value, ev)
        if jsonata and is_expression(resource):
            resource = ev.jsonata(resource, states, "Resource")
        token = None
        if token_text is not None:
            token = self.service.tokens.add(token_text, self.execution.arn, heartbeat)
            if self.top_states.get(ev.state_name) is state and self.history is not None:
                self.execution.resume_point = {"state": ev.state_name, "token": token_text}
        if self.mock is not None:
            result = self.mocked_result()
        else:
            result = await invoke_task(
                self, resource, payload, ev, cursor, timeout, heartbeat, token, resumed=resumed
            )
        self.inspect("afterArguments" if jsonata else "afterParameters", payload)
        self.inspect("result", result)
        return self.shape_result(state, value, result, ev, jsonata)

    def mocked_result(self) -> Any:
        """TestState's mock: the result to use, or the error to raise."""
        mock = self.mock or {}
        if "errorOutput" in mock:
            error = mock["errorOutput"]
            raise Failure(error.get("error"), error.get("cause"))
        try:
            return json.loads(mock.get("result", "null"))
        except ValueError:
            raise Failure("States.Runtime", "The mock result is not valid JSON") from None

    def path_seconds(
        self, state: dict[str, Any], field: str, value: Any, ev: Evaluator
    ) -> float | None:
        """TimeoutSeconds/HeartbeatSeconds or their *Path forms (JSONPath)."""
        if field in state:
            return state[field]
        path = state.get(f"{field}Path")
        if path is None:
            return None
        seconds = ev.path(path, value)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise ev.runtime(
                f"The {field}Path field must reference a positive integer: {path} == {compact(seconds)}"
            )
        return seconds

    def jsonata_seconds(
        self, state: dict[str, Any], field: str, states: dict[str, Any], ev: Evaluator
    ) -> float | None:
        """TimeoutSeconds/HeartbeatSeconds as a number or a JSONata expression."""
        if field not in state:
            return None
        seconds = ev.jsonata(state[field], states, field)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
            raise ev.runtime(
                f"The {field} field must be a positive integer: {compact(seconds)}",
                "States.QueryEvaluationError",
            )
        return seconds

    async def run_parallel(
        self, state: dict[str, Any], value: Any, ev: Evaluator, cursor: Cursor, jsonata: bool
    ) -> Step:
        """Parallel: every branch on the same input; the output is the list of their outputs."""
        if jsonata:
            states = ev.states_binding(input=value)
            branch_input = (
                ev.jsonata(state["Arguments"], states, "Arguments")
                if "Arguments" in state
                else value
            )
        else:
            effective = self.effective_input(state, value, ev)
            branch_input = (
                ev.template(state["Parameters"], effective) if "Parameters" in state else effective
            )
        self.event(cursor, "ParallelStateStarted")
        language = "JSONata" if jsonata else "JSONPath"
        branches = state["Branches"]
        cursors = [Cursor(cursor.last) for _ in branches]
        tasks = [
            asyncio.ensure_future(
                self.run_machine(
                    branch, branch_input, Scope(ev.scope), branch_cursor, None, language
                )
            )
            for branch, branch_cursor in zip(branches, cursors, strict=True)
        ]
        try:
            results = await _gather_or_fail(tasks)
        except Failure as failure:
            cursor.last = max(c.last for c in cursors)
            failure.from_children = True  # ParallelStateFailed follows once retries are spent
            raise
        cursor.last = max(c.last for c in cursors)
        self.event(cursor, "ParallelStateSucceeded", advance=False, link_latest=True)
        return self.shape_result(state, value, results, ev, jsonata)

    def shape_result(
        self, state: dict[str, Any], value: Any, result: Any, ev: Evaluator, jsonata: bool
    ) -> Step:
        """ResultSelector/ResultPath/OutputPath (or JSONata Output) and Assign for a result."""
        nxt = state.get("Next")
        if jsonata:
            states = ev.states_binding(input=value, result=result)
            assigned = self.assign_jsonata(state.get("Assign"), states, ev)
            return Step(self.output_jsonata(state, states, result, ev), nxt, assigned)
        if "ResultSelector" in state:
            result = ev.template(state["ResultSelector"], result)
            self.inspect("afterResultSelector", result)
        assigned = self.assign_jsonpath(state.get("Assign"), result, ev)
        return Step(self.finish_jsonpath(state, value, result, ev), nxt, assigned)

    async def run_map(
        self, state: dict[str, Any], value: Any, ev: Evaluator, cursor: Cursor, jsonata: bool
    ) -> Step:
        """Map: run the item processor for each item (inline or distributed)."""
        from .map_state import run_map

        result = await run_map(self, state, value, ev, cursor, jsonata)
        return self.shape_result(state, value, result, ev, jsonata)


async def _gather_or_fail(tasks: list[asyncio.Future]) -> list[Any]:
    """Await every task; on the first failure cancel the rest and re-raise it."""
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _text_or_none(value: Any) -> str | None:
    if value is None or value is UNDEFINED:
        return None
    return value if isinstance(value, str) else json.dumps(value)
