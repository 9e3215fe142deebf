"""How flows run: triggers (schedules on the engine clock, Salesforce change events), each
execution's pull → tasks → write, failed records to the error location, and run reports."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...errors import ServiceError
from ..events.schedule import Rate
from ..events.timefmt import epoch_of as time_param
from .destinations import EventBridgeDestination, S3Destination, error_config
from .models import Execution, Flow
from .saas.base import SaasError, epoch_of
from .tasks import ValidationTerminated

if TYPE_CHECKING:
    from .service import AppFlowService

#: Records per traced batch of a run.
BATCH = 1000


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _stamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class FlowRunner:
    """Arms triggers and runs executions for one AppFlow service."""

    def __init__(self, service: AppFlowService) -> None:
        self.service = service
        self.engine = service.engine
        self.clock = service.clock
        self.ids = service.ids
        self.trace = service.trace
        self.emit = service.emit
        self.saas = service.saas
        self.custom = service.custom

    # -- triggers ----------------------------------------------------------------------------------
    def activate(self, flow: Flow, *, check: bool = True) -> None:
        """Arm the flow's trigger (StartFlow on a Scheduled or Event flow, or a lab opening)."""
        destination = flow.destination
        if (
            check
            and isinstance(destination, EventBridgeDestination)
            and not destination.associated()
        ):
            raise _invalid(
                f"The partner event source {destination.source_name} is not associated with an "
                "event bus: create the partner event bus (events create-event-bus --name "
                f"{destination.source_name} --event-source-name {destination.source_name}) first"
            )
        flow.status = "Active"
        flow.status_message = ""
        flow.consecutive_errors = 0
        if flow.trigger_type == "Scheduled":
            self._arm(flow, self.clock.now(), first=True)
        elif flow.trigger_type == "Event":
            app = self.saas.app(flow.app_key or "salesforce")
            base = flow.source_object.removesuffix("ChangeEvent")

            def changed(kind: str, obj: str, record_id: str, record: dict, fields: list[str]):
                if obj == base and flow.status == "Active":
                    event = app.change_event(kind, obj, record_id, record, fields)  # type: ignore[attr-defined]
                    flow.pending_events.append(event)
                    if not flow.draining:
                        flow.draining = True
                        self.engine.spawn(self._drain(flow), name=f"appflow:{flow.name}")

            flow.unsubscribe = app.on_change(changed)
        self.emit("activated", flow.arn, trigger=flow.trigger_type)

    def deactivate(self, flow: Flow) -> None:
        if flow.timer is not None:
            flow.timer.cancel()
            flow.timer = None
        if flow.unsubscribe is not None:
            flow.unsubscribe()
            flow.unsubscribe = None
        flow.pending_events.clear()

    def _scheduled(self, flow: Flow) -> dict:
        return flow.spec["triggerConfig"]["triggerProperties"]["Scheduled"]

    def _arm(self, flow: Flow, after: float, *, first: bool = False) -> None:
        scheduled = self._scheduled(flow)
        expression, zone = self.service._expression(scheduled)
        start = (
            time_param(scheduled["scheduleStartTime"])
            if scheduled.get("scheduleStartTime")
            else None
        )
        end = time_param(scheduled["scheduleEndTime"]) if scheduled.get("scheduleEndTime") else None
        if start is not None and after < start:
            due: float | None = start
        elif isinstance(expression, Rate):
            origin = start if start is not None else flow.updated
            due = expression.next_after(after, origin)
        else:
            due = expression.next_after(after, zone)
        if due is None or (end is not None and due > end):
            flow.timer = None
            return
        offset = float(scheduled.get("scheduleOffset") or 0)
        flow.timer = self.clock.call_at(due + offset, self._fire, flow, due)

    def _fire(self, flow: Flow, due: float) -> None:
        flow.timer = None
        if self.service.flows.get(flow.name) is not flow or flow.status != "Active":
            return
        self._arm(flow, due)
        if self.engine.hold.held:
            return  # a paused lab skips this run
        scheduled = self._scheduled(flow)
        start: float | None = None
        change: int | None = None
        if flow.incremental and flow.bookmark is not None:
            start, change = flow.bookmark
        elif flow.incremental and scheduled.get("firstExecutionFrom"):
            start = time_param(scheduled["firstExecutionFrom"])
        execution = self.begin(flow, start, None)
        execution.change_start = change
        self.engine.spawn(self.run(flow, execution, None), name=f"appflow:{flow.name}")

    async def _drain(self, flow: Flow) -> None:
        flow.draining = False
        events, flow.pending_events = flow.pending_events, []
        if not events or self.service.flows.get(flow.name) is not flow:
            return
        execution = self.begin(flow, None, None)
        await self.run(flow, execution, events)

    # -- runs -------------------------------------------------------------------------------------------
    def begin(self, flow: Flow, pull_start: float | None, pull_end: float | None) -> Execution:
        now = self.clock.now()
        execution = Execution(self.ids.uuid(), now, self.ids.trace_id(now), updated=now)
        execution.pull_start, execution.pull_end = pull_start, pull_end
        flow.executions.append(execution)
        flow.runs += 1
        self.emit(
            "execution-started",
            flow.arn,
            message_id=execution.id,
            trace_id=execution.trace_id,
            trigger=flow.trigger_type,
            pull_start=pull_start,
            pull_end=pull_end,
        )
        return execution

    async def _pull_custom(self, flow: Flow, execution: Execution) -> list[dict]:
        """QueryData from a custom connector (the incremental window as a filter expression)."""
        profile = self.service._profile(flow.source_profile or "")
        execution.pull_end = self.clock.now()
        expression = None
        if flow.timestamp_field and execution.pull_start is not None:
            since = datetime.fromtimestamp(execution.pull_start, UTC)
            expression = f"{flow.timestamp_field} > {since.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z"
        return await self.custom.query(
            profile, flow.source_object, flow.pipeline.projection, expression
        )

    def _pull(self, flow: Flow, execution: Execution) -> list[dict]:
        app = self.saas.app(flow.app_key or "")
        table = app.table(flow.source_object)
        execution.pull_end = self.clock.now()
        execution.change_end = app.change
        start = execution.pull_start
        field = flow.timestamp_field
        if field is None or field in (table.spec.modified_field, "SystemModstamp"):
            if execution.change_start is not None:
                records = table.changed_after(execution.change_start)
            else:
                records = table.changed_between(start, execution.pull_end)
        else:
            # Another timestamp field (CreatedDate …): compare its values with the window.
            records = []
            for record in table.records.values():
                value = record.get(field)
                if value is None:
                    continue
                when = epoch_of(value)
                if (start is None or when > start) and when <= execution.pull_end:
                    records.append(record)
        projection = flow.pipeline.projection
        if projection is not None and flow.pipeline.map_all_exclude is not None:
            # Only Map_all copies whole records: Map tasks pick their fields themselves.
            return [{k: r.get(k) for k in projection} for r in records]
        return records

    async def run(self, flow: Flow, execution: Execution, events: list[dict] | None) -> None:
        """Pull, transform and write one execution; the outcome lands in its record."""
        try:
            if events is not None:
                records = events
            elif flow.app_key is None:
                records = await self._pull_custom(flow, execution)
            else:
                records = self._pull(flow, execution)
            execution.processed = len(records)
            if self.trace.enabled:
                self.emit(
                    "pulled",
                    flow.arn,
                    message_id=execution.id,
                    trace_id=execution.trace_id,
                    records=len(records),
                    source=flow.source_object,
                )
            before = flow.pipeline.dropped
            output = flow.pipeline.run(records)
            execution.filtered = flow.pipeline.dropped - before
            execution.bytes_processed = _estimated_bytes(records)
            failed: list[tuple[dict, str]] = []
            single = _single(flow)
            batches = [output[i : i + BATCH] for i in range(0, len(output), BATCH)]
            for batch in [output] if single and output else batches:
                written = flow.destination.write(flow, execution, batch)
                result = await written if inspect.isawaitable(written) else written
                execution.bytes_written += result.bytes_written
                failed.extend(result.failed)
                if self.trace.enabled:
                    self.emit(
                        "written",
                        flow.arn,
                        message_id=execution.id,
                        trace_id=execution.trace_id,
                        records=result.written,
                        failed=len(result.failed),
                        destination=flow.destination.arn,
                        keys=result.keys[:5],
                    )
                if result.failed and self._fail_fast(flow):
                    break
            self._handle_failures(flow, execution, failed)
        except ValidationTerminated as error:
            self._finish(flow, execution, "Error", str(error))
            return
        except ServiceError as error:
            self._finish(flow, execution, "Error", f"{error.code}: {error.message}")
            return
        except (SaasError, ValueError, TypeError) as error:
            # Data the source or the file writer refused (pyarrow's errors are ValueError and
            # TypeError): the run fails with the reason, as AppFlow reports a failed run.
            self._finish(flow, execution, "Error", f"{type(error).__name__}: {error}"[:1000])
            return
        status = "Error" if execution.failed and self._fail_fast(flow) else "Successful"
        if status == "Successful" and flow.incremental and execution.pull_end is not None:
            flow.bookmark = (execution.pull_end, execution.change_end or 0)
        flow.records += execution.processed
        self._finish(flow, execution, status, execution.message)

    def _fail_fast(self, flow: Flow) -> bool:
        config = error_config(flow.spec["destinationFlowConfigList"][0]) or {}
        return bool(config.get("failOnFirstDestinationError"))

    def _handle_failures(
        self, flow: Flow, execution: Execution, failed: list[tuple[dict, str]]
    ) -> None:
        if not failed:
            return
        execution.failed = len(failed)
        flow.failed_records += len(failed)
        config = error_config(flow.spec["destinationFlowConfigList"][0]) or {}
        first = failed[0][1]
        execution.message = f"{len(failed)} record(s) failed to write; first error: {first}"[:1000]
        bucket = config.get("bucketName")
        if bucket:
            key = "/".join(
                p
                for p in (
                    config.get("bucketPrefix", "").strip("/"),
                    flow.name,
                    execution.id,
                    "errors.json",
                )
                if p
            )
            body = "".join(
                json.dumps({"record": r, "error": e}, default=str) + "\n" for r, e in failed
            ).encode()
            try:
                self.engine.service("s3").put_object_internal(bucket, key, body, "application/json")
            except ServiceError as error:
                execution.message += f"; the error location could not be written: {error.message}"

    def _finish(self, flow: Flow, execution: Execution, status: str, message: str) -> None:
        execution.status = status
        execution.message = message
        execution.updated = self.clock.now()
        kind = "execution-succeeded" if status == "Successful" else "execution-failed"
        self.emit(
            kind,
            flow.arn,
            message_id=execution.id,
            trace_id=execution.trace_id,
            records=execution.processed,
            failed=execution.failed,
            message=message[:256],
        )
        if status == "Successful":
            flow.consecutive_errors = 0
        else:
            flow.consecutive_errors += 1
            self._maybe_deactivate(flow)
        self._report(flow, execution)

    def _maybe_deactivate(self, flow: Flow) -> None:
        if flow.trigger_type != "Scheduled" or flow.status != "Active":
            return
        threshold = self._scheduled(flow).get("flowErrorDeactivationThreshold")
        if threshold and flow.consecutive_errors >= threshold:
            self.deactivate(flow)
            flow.status = "Suspended"
            flow.status_message = (
                f"The flow was deactivated after {flow.consecutive_errors} consecutive failed runs"
            )

    def _report(self, flow: Flow, execution: Execution) -> None:
        """Put AppFlow's `AppFlow End Flow Run Report` event on the default bus."""
        events = self.engine.service("events")
        detail = {
            "flow-name": flow.name,
            "flow-arn": flow.arn,
            "source": flow.spec["sourceFlowConfig"]["connectorType"],
            "destination": flow.spec["destinationFlowConfigList"][0]["connectorType"],
            "source-object": flow.source_object,
            "trigger-type": flow.trigger_type.upper()
            if flow.trigger_type != "OnDemand"
            else "ONDEMAND",
            "execution-id": execution.id,
            "num-of-records-processed": str(execution.processed),
            "num-of-records-filtered": str(execution.filtered),
            "num-of-record-failures": str(execution.failed),
            "start-time": str(_stamp(execution.started)),
            "end-time": str(_stamp(execution.updated)),
            "status": "Execution Successful"
            if execution.status == "Successful"
            else "Execution Failed",
        }
        events.put_event(
            "default",
            {
                "Source": "aws.appflow",
                "DetailType": "AppFlow End Flow Run Report",
                "Detail": json.dumps(detail),
                "Resources": [flow.arn],
            },
            execution.trace_id,
        )


def _estimated_bytes(records: list[dict]) -> int:
    """The records' size as JSON, estimated from the first hundred (exact for small runs)."""
    if not records:
        return 0
    sample = records[:100]
    size = len(json.dumps(sample, default=str, separators=(",", ":")))
    return size * len(records) // len(sample)


def _single(flow: Flow) -> bool:
    return isinstance(flow.destination, S3Destination) and flow.destination.single_file
