"""Amazon EventBridge Scheduler: one-time at(), rate() and cron() schedules in any time zone.

Each enabled schedule keeps one timer on the engine clock. When it fires, a flexible time
window (if any) moves the invocation by a seeded random offset; the target then receives the
schedule's Input (with <aws.scheduler.*> context attributes filled in) through the same
delivery code EventBridge rules use, with its RetryPolicy and DeadLetterConfig.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...clock import Timer
from ...errors import ServiceError
from ...service import Service
from ...topology import Edge, Node
from ..events.delivery import TargetDelivery
from ..events.models import DEFAULT_MAX_EVENT_AGE, DEFAULT_MAX_RETRY_ATTEMPTS, Target
from ..events.schedule import At, Cron, Rate, ScheduleSyntaxError, parse_schedule
from ..events.timefmt import epoch_of, iso_time

DEFAULT_GROUP = "default"


@dataclass(slots=True)
class Schedule:
    """One schedule: when it fires and what it invokes."""

    name: str
    group: str
    arn: str
    spec: dict[str, Any]  # the parameters as given, for GetSchedule
    expression: Rate | Cron | At
    zone: ZoneInfo
    created: float
    modified: float
    state: str = "ENABLED"
    start: float | None = None
    end: float | None = None
    window_minutes: int = 0
    timer: Timer | None = None
    invocations: int = 0


@dataclass(slots=True)
class Group:
    """A schedule group (the "default" group always exists)."""

    name: str
    arn: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _stamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class SchedulerService(Service):
    """EventBridge Scheduler on the engine clock."""

    name = "scheduler"
    validation_error_code = "ValidationException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        now = self.clock.now()
        self.groups: dict[str, Group] = {
            DEFAULT_GROUP: Group(DEFAULT_GROUP, self._group_arn(DEFAULT_GROUP), now)
        }
        self.schedules: dict[tuple[str, str], Schedule] = {}
        self.delivery = TargetDelivery(self)  # type: ignore[arg-type]

    async def close(self) -> None:
        for schedule in self.schedules.values():
            if schedule.timer is not None:
                schedule.timer.cancel()

    def _group_arn(self, name: str) -> str:
        return self.arn(f"schedule-group/{name}")

    def _group(self, name: str | None) -> Group:
        group = self.groups.get(name or DEFAULT_GROUP)
        if group is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Schedule group {name} does not exist.",
                status_code=404,
            )
        return group

    # -- groups --------------------------------------------------------------------------
    def create_schedule_group(self, params: dict) -> dict:
        name = params["Name"]
        if name in self.groups:
            raise ServiceError(
                "ConflictException", f"Schedule group {name} already exists.", status_code=409
            )
        group = Group(name, self._group_arn(name), self.clock.now())
        group.tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        self.groups[name] = group
        return {"ScheduleGroupArn": group.arn}

    def _group_view(self, group: Group) -> dict[str, Any]:
        return {
            "Arn": group.arn,
            "CreationDate": _stamp(group.created),
            "LastModificationDate": _stamp(group.created),
            "Name": group.name,
            "State": "ACTIVE",
        }

    def get_schedule_group(self, params: dict) -> dict:
        return self._group_view(self._group(params["Name"]))

    def delete_schedule_group(self, params: dict) -> dict:
        group = self._group(params["Name"])
        if group.name == DEFAULT_GROUP:
            raise _validation("The default schedule group cannot be deleted.")
        for key in [k for k in self.schedules if k[0] == group.name]:
            self._drop(self.schedules[key])
        del self.groups[group.name]
        return {}

    def list_schedule_groups(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        chosen = [
            self._group_view(g) for n, g in sorted(self.groups.items()) if n.startswith(prefix)
        ]
        return self._paged("ScheduleGroups", chosen, params)

    def _paged(self, key: str, items: list, params: dict) -> dict:
        start = int(params["NextToken"]) if params.get("NextToken", "").isdigit() else 0
        limit = params.get("MaxResults") or 100
        result: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            result["NextToken"] = str(start + limit)
        return result

    # -- schedules -------------------------------------------------------------------------
    def _build(self, params: dict, group: Group, created: float) -> Schedule:
        """Validate every parameter and build the schedule (nothing is changed here)."""
        text = params["ScheduleExpression"]
        try:
            expression = parse_schedule(text, allow_at=True)
        except ScheduleSyntaxError:
            raise _validation(f"Invalid Schedule Expression {text}.") from None
        zone_name = params.get("ScheduleExpressionTimezone", "UTC")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _validation(f"Invalid timezone {zone_name}.") from None
        window = params["FlexibleTimeWindow"]
        minutes = 0
        if window["Mode"] == "FLEXIBLE":
            if "MaximumWindowInMinutes" not in window:
                raise _validation("MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.")
            minutes = window["MaximumWindowInMinutes"]
        elif "MaximumWindowInMinutes" in window:
            raise _validation("MaximumWindowInMinutes must not be provided when Mode is OFF.")
        start = epoch_of(params["StartDate"]) if params.get("StartDate") is not None else None
        end = epoch_of(params["EndDate"]) if params.get("EndDate") is not None else None
        if start is not None and end is not None and start >= end:
            raise _validation("The StartDate must be before the EndDate.")
        target = params["Target"]
        if "Input" in target:
            try:
                json.loads(target["Input"])
            except ValueError:
                if not target["Arn"].startswith("arn:aws:sqs"):
                    raise _validation("Target Input must be valid JSON for this target.") from None
        now = self.clock.now()
        return Schedule(
            params["Name"],
            group.name,
            self.arn(f"schedule/{group.name}/{params['Name']}"),
            json.loads(json.dumps(params, default=str)),
            expression,
            zone,
            created,
            now,
            params.get("State", "ENABLED"),
            start,
            end,
            minutes,
        )

    def create_schedule(self, params: dict) -> dict:
        group = self._group(params.get("GroupName"))
        if (group.name, params["Name"]) in self.schedules:
            raise ServiceError(
                "ConflictException", f"Schedule {params['Name']} already exists.", status_code=409
            )
        schedule = self._build(params, group, self.clock.now())
        self.schedules[(group.name, schedule.name)] = schedule
        self._arm(schedule, self.clock.now())
        self.emit("created", schedule.arn, expression=params["ScheduleExpression"])
        return {"ScheduleArn": schedule.arn}

    def update_schedule(self, params: dict) -> dict:
        group = self._group(params.get("GroupName"))
        old = self._schedule(group.name, params["Name"])
        schedule = self._build(params, group, old.created)
        self._drop(old)
        self.schedules[(group.name, schedule.name)] = schedule
        self._arm(schedule, self.clock.now())
        return {"ScheduleArn": schedule.arn}

    def _schedule(self, group: str, name: str) -> Schedule:
        schedule = self.schedules.get((group, name))
        if schedule is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Schedule {name} does not exist.", status_code=404
            )
        return schedule

    def get_schedule(self, params: dict) -> dict:
        group = self._group(params.get("GroupName"))
        schedule = self._schedule(group.name, params["Name"])
        spec = schedule.spec
        result: dict[str, Any] = {
            "ActionAfterCompletion": spec.get("ActionAfterCompletion", "NONE"),
            "Arn": schedule.arn,
            "CreationDate": _stamp(schedule.created),
            "FlexibleTimeWindow": dict(spec["FlexibleTimeWindow"]),
            "GroupName": schedule.group,
            "LastModificationDate": _stamp(schedule.modified),
            "Name": schedule.name,
            "ScheduleExpression": spec["ScheduleExpression"],
            "ScheduleExpressionTimezone": spec.get("ScheduleExpressionTimezone", "UTC"),
            "State": schedule.state,
            "Target": json.loads(json.dumps(spec["Target"])),
        }
        target = result["Target"]
        target.setdefault(
            "RetryPolicy",
            {
                "MaximumEventAgeInSeconds": DEFAULT_MAX_EVENT_AGE,
                "MaximumRetryAttempts": DEFAULT_MAX_RETRY_ATTEMPTS,
            },
        )
        for key in ("Description", "KmsKeyArn"):
            if key in spec:
                result[key] = spec[key]
        if schedule.start is not None:
            result["StartDate"] = _stamp(schedule.start)
        if schedule.end is not None:
            result["EndDate"] = _stamp(schedule.end)
        return result

    def delete_schedule(self, params: dict) -> dict:
        group = self._group(params.get("GroupName"))
        self._drop(self._schedule(group.name, params["Name"]))
        return {}

    def _drop(self, schedule: Schedule) -> None:
        if schedule.timer is not None:
            schedule.timer.cancel()
            schedule.timer = None
        self.schedules.pop((schedule.group, schedule.name), None)

    def list_schedules(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        chosen = []
        for (group, name), schedule in sorted(self.schedules.items()):
            if not name.startswith(prefix):
                continue
            if params.get("GroupName") not in (None, group) or params.get("State") not in (
                None,
                schedule.state,
            ):
                continue
            chosen.append(
                {
                    "Arn": schedule.arn,
                    "CreationDate": _stamp(schedule.created),
                    "GroupName": group,
                    "LastModificationDate": _stamp(schedule.modified),
                    "Name": name,
                    "State": schedule.state,
                    "Target": {"Arn": schedule.spec["Target"]["Arn"]},
                }
            )
        return self._paged("Schedules", chosen, params)

    # -- firing ------------------------------------------------------------------------------
    def next_time(self, schedule: Schedule, after: float) -> float | None:
        """When the schedule next falls due after `after` (before any flexible window)."""
        expression = schedule.expression
        if isinstance(expression, Rate):
            if schedule.start is not None and after < schedule.start:
                when: float | None = schedule.start
            else:
                origin = schedule.start if schedule.start is not None else schedule.created
                when = expression.next_after(after, origin)
        else:
            if schedule.start is not None and after < schedule.start:
                after = schedule.start - 1e-6  # a firing exactly at StartDate counts
            when = expression.next_after(after, schedule.zone)
        if when is None or (schedule.end is not None and when > schedule.end):
            return None
        return when

    def _arm(self, schedule: Schedule, after: float) -> None:
        if schedule.state != "ENABLED":
            return
        when = self.next_time(schedule, after)
        if when is None:
            self._complete(schedule)
            return
        offset = (
            schedule.window_minutes * 60 * self.ids.random() if schedule.window_minutes else 0.0
        )
        schedule.timer = self.clock.call_at(when + offset, self._fire, schedule, when)

    def _complete(self, schedule: Schedule) -> None:
        if schedule.spec.get("ActionAfterCompletion") == "DELETE":
            self._drop(schedule)
            self.emit("deleted", schedule.arn, reason="completed")

    def _fire(self, schedule: Schedule, due: float) -> None:
        schedule.timer = None
        if self.schedules.get((schedule.group, schedule.name)) is not schedule:
            return
        if self.engine.hold.held:
            self._arm(schedule, due)  # paused lab: this firing is skipped
            return
        schedule.invocations += 1
        execution = self.ids.uuid()
        spec = schedule.spec["Target"]
        text = self._fill_context(spec.get("Input", "{}"), schedule, due, execution)
        try:
            detail = json.loads(text)
        except ValueError:
            detail = {}
        parameters = spec.get("EventBridgeParameters") or {}
        event = {
            "id": execution,
            "time": iso_time(due),
            "source": parameters.get("Source", "aws.scheduler"),
            "detail-type": parameters.get("DetailType", "Scheduled Event"),
            "resources": [schedule.arn],
            "detail": detail if isinstance(detail, dict) else {},
        }
        retry = spec.get("RetryPolicy") or {}
        target = Target(
            id=schedule.name,
            arn=spec["Arn"],
            spec=spec,
            input=text,
            max_retry_attempts=retry.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS),
            max_event_age=retry.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE),
            dead_letter_arn=(spec.get("DeadLetterConfig") or {}).get("Arn"),
        )
        trace_id = self.ids.trace_id(self.clock.now())
        self.emit(
            "invoked", schedule.arn, message_id=execution, trace_id=trace_id, target=target.arn
        )
        self.engine.spawn(
            self.delivery.deliver(schedule, target, event, trace_id),
            name=f"scheduler:{schedule.arn}",
        )  # type: ignore[arg-type]
        self._arm(schedule, due)

    def _fill_context(self, text: str, schedule: Schedule, due: float, execution: str) -> str:
        for name, value in (
            ("scheduled-time", iso_time(due)),
            ("execution-id", execution),
            ("attempt-number", "1"),
            ("schedule-arn", schedule.arn),
        ):
            text = text.replace(f"<aws.scheduler.{name}>", value)
        return text

    # -- tags ----------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        for group in self.groups.values():
            if group.arn == arn:
                return group.tags
        raise ServiceError(
            "ResourceNotFoundException", f"Resource {arn} does not exist.", status_code=404
        )

    def tag_resource(self, params: dict) -> dict:
        self._tagged(params["ResourceArn"]).update({t["Key"]: t["Value"] for t in params["Tags"]})
        return {}

    def untag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceArn"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        return {
            "Tags": [{"Key": k, "Value": v} for k, v in self._tagged(params["ResourceArn"]).items()]
        }

    # -- save / open ------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "groups": [
                {"Name": g.name, "Tags": [{"Key": k, "Value": v} for k, v in g.tags.items()]}
                for g in self.groups.values()
                if g.name != DEFAULT_GROUP
            ],
            "schedules": [dict(s.spec, GroupName=s.group) for s in self.schedules.values()],
        }

    def load(self, data: dict[str, Any]) -> None:
        for group in data.get("groups", []):
            self.create_schedule_group(group)
        for spec in data.get("schedules", []):
            self.create_schedule(spec)

    # -- views ---------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes = [
            Node(s.arn, "schedule", s.name, self.name, {"invocations": s.invocations})
            for s in self.schedules.values()
        ]
        edges = [
            Edge(s.arn, s.spec["Target"]["Arn"], "rule-target", s.name)
            for s in self.schedules.values()
        ]
        return nodes, edges
