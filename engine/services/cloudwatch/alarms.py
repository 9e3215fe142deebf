"""Metric and composite alarms: evaluation on the engine clock, history, actions and events.

A metric alarm is evaluated once a minute (on the minute) over its last EvaluationPeriods
periods: M of N breaching datapoints (DatapointsToAlarm) raise ALARM, missing datapoints are
treated as TreatMissingData says. Each state change is recorded in the alarm's history,
published to its SNS actions in AWS's alarm message JSON when actions are enabled, and put
on the default event bus as a "CloudWatch Alarm State Change" event (source aws.cloudwatch).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...errors import FunctionError, ServiceError
from ...service import Envelope
from .store import dimensions_key, statistic

if TYPE_CHECKING:
    from .service import CloudWatchService

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
}
_OPERATORS = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_SYMBOLS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def iso(epoch: float) -> str:
    """AWS's alarm timestamps: 2026-01-01T00:00:00.000+0000."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass(slots=True)
class Alarm:
    """A metric alarm or a composite alarm."""

    name: str
    arn: str
    params: dict[str, Any]  # PutMetricAlarm / PutCompositeAlarm parameters, as given
    kind: str  # MetricAlarm | CompositeAlarm
    configured: float
    state: str = INSUFFICIENT
    reason: str = "Unchecked: Initial alarm creation"
    reason_data: str | None = None
    state_changed: float = 0.0
    actions_enabled: bool = True
    tags: list[dict[str, str]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


class Alarms:
    """The alarms of one CloudWatch service, evaluated on a one-minute clock timer."""

    def __init__(self, service: CloudWatchService) -> None:
        self.service = service
        self.alarms: dict[str, Alarm] = {}
        self._timer = None

    # -- evaluation ------------------------------------------------------------------------------
    def ensure_timer(self) -> None:
        """Keep a timer on the next minute while any alarm exists."""
        if self._timer is None and self.alarms:
            clock = self.service.clock
            now = clock.now()
            self._timer = clock.call_at(now - now % 60 + 60, self._tick)

    def cancel(self) -> None:
        """Stop evaluating."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        for alarm in list(self.alarms.values()):
            if alarm.kind == "MetricAlarm":
                self.evaluate(alarm)
        self.ensure_timer()

    def datapoints(self, alarm: Alarm, now: float) -> list[float | None]:
        """The alarm's last EvaluationPeriods datapoints (None where missing), oldest first."""
        params = alarm.params
        periods = params["EvaluationPeriods"]
        if "Metrics" in params:
            return self.service.alarm_math(alarm, now, periods)
        period = params["Period"]
        end = now - now % period
        start = end - periods * period
        series = self.service.store.get(
            params["Namespace"], params["MetricName"], dimensions_key(params.get("Dimensions"))
        )
        buckets = series.aggregate(start, end, period) if series is not None else {}
        name = params.get("Statistic") or params.get("ExtendedStatistic")
        values: list[float | None] = []
        for index in range(periods):
            stats = buckets.get(int(start + index * period))
            values.append(statistic(stats, name) if stats is not None else None)
        return values

    def evaluate(self, alarm: Alarm) -> None:
        """Evaluate a metric alarm now and change its state if the datapoints say so."""
        params = alarm.params
        now = self.service.clock.now()
        values = self.datapoints(alarm, now)
        threshold = params.get("Threshold")
        compare = _OPERATORS.get(params.get("ComparisonOperator", ""))
        if threshold is None or compare is None:
            return  # anomaly-detection bands are not evaluated
        needed = params.get("DatapointsToAlarm") or params["EvaluationPeriods"]
        treat = params.get("TreatMissingData", "missing")
        present = [v for v in values if v is not None]
        breaching = sum(1 for v in present if compare(v, threshold))
        missing = len(values) - len(present)
        if treat == "breaching":
            breaching += missing
        if breaching >= needed:
            state = ALARM
        elif present or treat in ("notBreaching", "breaching"):
            state = OK
        elif treat == "ignore":
            return
        else:
            state = INSUFFICIENT
        if state == alarm.state:
            return
        shown = [v for v in values if v is not None][-needed:]
        period = params.get("Period") or 60
        if state == INSUFFICIENT:
            reason = "Insufficient Data: 1 datapoint was unknown."
        elif not present and treat in ("breaching", "notBreaching"):
            treated = "Breaching" if treat == "breaching" else "NotBreaching"
            reason = (
                f"Threshold Crossed: no datapoints were received for {len(values)} periods and "
                f"{missing} missing datapoints were treated as [{treated}]."
            )
        else:
            points = ", ".join(f"{v} ({iso(now).replace('+0000', '')[:16]})" for v in shown)
            word = "were" if len(shown) != 1 else "was"
            verb = "" if state == ALARM else "not "
            reason = (
                f"Threshold Crossed: {len(shown)} out of the last {len(values)} datapoints "
                f"[{points}] {word} {verb}{_comparison_phrase(params['ComparisonOperator'])} "
                f"the threshold ({threshold}) (minimum {needed} datapoint"
                f"{'s' if needed != 1 else ''} for {'ALARM' if state == ALARM else 'OK'} -> "
                f"{state} transition)."
            )
        end = now - now % period
        data: dict[str, Any] = {"version": "1.0", "queryDate": iso(now)}
        if params.get("Unit"):
            data["unit"] = params["Unit"]
        data.update(
            statistic=params.get("Statistic") or params.get("ExtendedStatistic"),
            period=params.get("Period"),
            recentDatapoints=present,
            threshold=threshold,
            evaluatedDatapoints=[
                {"timestamp": iso(end - (index + 1) * period)}
                if value is None
                else {"timestamp": iso(end - (index + 1) * period), "value": value}
                for index, value in enumerate(reversed(values))
            ],
        )
        self.change(alarm, state, reason, json.dumps(data))

    # -- state changes -------------------------------------------------------------------------------
    def change(self, alarm: Alarm, state: str, reason: str, reason_data: str | None) -> None:
        """Move `alarm` to `state`: history, trace, EventBridge event, actions, parents."""
        service = self.service
        previous = {
            "value": alarm.state,
            "reason": alarm.reason,
            "timestamp": iso(alarm.state_changed or alarm.configured),
        }
        if alarm.reason_data:
            previous["reasonData"] = alarm.reason_data
        old_state = alarm.state
        now = service.clock.now()
        alarm.state, alarm.reason, alarm.reason_data = state, reason, reason_data
        alarm.state_changed = now
        summary = f"Alarm updated from {old_state} to {state}"
        current: dict[str, Any] = {"value": state, "reason": reason, "timestamp": iso(now)}
        if reason_data:
            current["reasonData"] = reason_data
        self.record(
            alarm,
            "StateUpdate",
            summary,
            {
                "version": "1.0",
                "oldState": {"stateValue": old_state, "stateReason": previous["reason"]},
                "newState": {"stateValue": state, "stateReason": reason},
            },
        )
        service.emit("state-changed", alarm.arn, old=old_state, new=state, reason=reason[:256])
        service.engine.spawn(
            self._announce(alarm, old_state, previous, current),
            name=f"alarm {alarm.name} {state}",
        )
        for parent in list(self.alarms.values()):
            if parent.kind == "CompositeAlarm" and alarm.name in parent.params["AlarmRule"]:
                self.evaluate_composite(parent)

    def record(self, alarm: Alarm, kind: str, summary: str, data: dict[str, Any]) -> None:
        """Add an item to the alarm's history (AWS keeps the last 30 days)."""
        alarm.history.append(
            {
                "AlarmName": alarm.name,
                "AlarmType": alarm.kind,
                "Timestamp": self.service.clock.now(),
                "HistoryItemType": kind,
                "HistorySummary": summary,
                "HistoryData": json.dumps(data),
            }
        )

    async def _announce(
        self, alarm: Alarm, old_state: str, previous: dict[str, Any], current: dict[str, Any]
    ) -> None:
        service = self.service
        await self._put_event(alarm, previous, current)
        if not alarm.actions_enabled:
            return
        key = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT: "InsufficientDataActions"}
        for action in alarm.params.get(key[alarm.state], []):
            if ":sns:" not in action:
                continue  # Auto Scaling, EC2 and SSM actions are not emulated
            message = self.message(alarm, old_state)
            region = REGION_NAMES.get(service.region, service.region)
            subject = f'{alarm.state}: "{alarm.name}" in {region}'
            try:
                await service.engine.fabric.deliver(
                    action,
                    Envelope(
                        json.dumps(message),
                        source_arn=alarm.arn,
                        options={"subject": subject[:100]},
                    ),
                )
            except (FunctionError, ServiceError) as error:
                self.record(
                    alarm,
                    "Action",
                    f"Failed to execute action {action}",
                    {"actionState": "Failed", "error": error.message},
                )
                continue
            self.record(
                alarm,
                "Action",
                f"Successfully executed action {action}",
                {"actionState": "Succeeded", "notificationResource": action},
            )

    async def _put_event(
        self, alarm: Alarm, previous: dict[str, Any], current: dict[str, Any]
    ) -> None:
        service = self.service
        detail: dict[str, Any] = {
            "alarmName": alarm.name,
            "state": current,
            "previousState": previous,
            "configuration": self.configuration(alarm),
        }
        bus = f"arn:aws:events:{service.region}:{service.account_id}:event-bus/default"
        entry = {
            "Source": "aws.cloudwatch",
            "DetailType": "CloudWatch Alarm State Change",
            "Detail": json.dumps(detail),
            "Resources": [alarm.arn],
            "Time": datetime.fromtimestamp(service.clock.now(), UTC),
        }
        try:
            await service.engine.fabric.deliver(bus, Envelope(entry, source_arn=alarm.arn))
        except ServiceError as error:
            service.emit("delivery-failed", alarm.arn, target=bus, error=error.message[:256])

    def configuration(self, alarm: Alarm) -> dict[str, Any]:
        """The `configuration` of the state-change event's detail."""
        params = alarm.params
        if alarm.kind == "CompositeAlarm":
            return {
                "alarmRule": params["AlarmRule"],
                "description": params.get("AlarmDescription", ""),
            }
        if "Metrics" in params:
            metrics = [_lower_keys(m) for m in params["Metrics"]]
        else:
            metrics = [
                {
                    "id": "m1",
                    "metricStat": {
                        "metric": {
                            "namespace": params["Namespace"],
                            "name": params["MetricName"],
                            "dimensions": {
                                d["Name"]: d["Value"] for d in params.get("Dimensions", [])
                            },
                        },
                        "period": params["Period"],
                        "stat": params.get("Statistic") or params.get("ExtendedStatistic"),
                    },
                    "returnData": True,
                }
            ]
        configuration: dict[str, Any] = {"metrics": metrics}
        if "AlarmDescription" in params:
            configuration["description"] = params["AlarmDescription"]
        return configuration

    def message(self, alarm: Alarm, old_state: str) -> dict[str, Any]:
        """AWS's alarm notification JSON (the SNS message body)."""
        service = self.service
        params = alarm.params
        trigger: dict[str, Any] = {}
        if alarm.kind == "MetricAlarm" and "Metrics" not in params:
            statistic_name = params.get("Statistic")
            trigger = {
                "MetricName": params["MetricName"],
                "Namespace": params["Namespace"],
                "StatisticType": "Statistic" if statistic_name else "ExtendedStatistic",
                "Statistic": (statistic_name or "").upper() or None,
                "Unit": params.get("Unit"),
                "Dimensions": [
                    {"value": d["Value"], "name": d["Name"]} for d in params.get("Dimensions", [])
                ],
                "Period": params["Period"],
                "EvaluationPeriods": params["EvaluationPeriods"],
                "ComparisonOperator": params.get("ComparisonOperator"),
                "Threshold": params.get("Threshold"),
                "TreatMissingData": params.get("TreatMissingData", "missing"),
                "EvaluateLowSampleCountPercentile": params.get(
                    "EvaluateLowSampleCountPercentile", ""
                ),
            }
            if not statistic_name:
                trigger["ExtendedStatistic"] = params.get("ExtendedStatistic")
            if "DatapointsToAlarm" in params:
                trigger["DatapointsToAlarm"] = params["DatapointsToAlarm"]
        message: dict[str, Any] = {
            "AlarmName": alarm.name,
            "AlarmDescription": params.get("AlarmDescription"),
            "AWSAccountId": service.account_id,
            "AlarmConfigurationUpdatedTimestamp": iso(alarm.configured),
            "NewStateValue": alarm.state,
            "NewStateReason": alarm.reason,
            "StateChangeTime": iso(alarm.state_changed),
            "Region": REGION_NAMES.get(service.region, service.region),
            "AlarmArn": alarm.arn,
            "OldStateValue": old_state,
            "OKActions": list(params.get("OKActions", [])),
            "AlarmActions": list(params.get("AlarmActions", [])),
            "InsufficientDataActions": list(params.get("InsufficientDataActions", [])),
            "Trigger": trigger,
        }
        if alarm.kind == "CompositeAlarm":
            message["AlarmRule"] = params["AlarmRule"]
            message["TriggeringChildren"] = self.triggering_children(alarm)
        return message

    def triggering_children(self, alarm: Alarm) -> list[dict[str, Any]]:
        """The child alarms a composite alarm's rule names that are in the state it now reflects."""
        wanted = ALARM if alarm.state == ALARM else OK
        found: list[Alarm] = []
        for kind, reference in rule_tokens(alarm.params["AlarmRule"]):
            child = self.alarms.get(reference.split(":alarm:", 1)[-1])
            if kind in (ALARM, OK, INSUFFICIENT) and child is not None and child.state == wanted:
                found.append(child)
        # The child that changed last is the one that triggered the composite's change.
        found.sort(key=lambda child: child.state_changed, reverse=True)
        return [
            {"Arn": c.arn, "State": {"Value": c.state, "Timestamp": iso(c.state_changed)}}
            for c in found
        ]

    # -- composite alarms ---------------------------------------------------------------------------
    def evaluate_composite(self, alarm: Alarm) -> None:
        """Evaluate a composite alarm's rule against its children's states."""
        try:
            result = evaluate_rule(alarm.params["AlarmRule"], self.alarms)
        except ValueError:
            return
        state = ALARM if result else OK
        if state != alarm.state:
            old, alarm.state = alarm.state, state  # the triggering children of the new state
            triggering = [
                {"arn": c["Arn"], "state": {"value": c["State"]["Value"], "timestamp": c["State"]["Timestamp"]}}
                for c in self.triggering_children(alarm)[:1]
            ]  # fmt: skip
            alarm.state = old
            names = ", ".join(t["arn"] for t in triggering)
            self.change(
                alarm,
                state,
                f"{names} transitioned to {state}" if names else f"Rule evaluated to {state}",
                json.dumps({"triggeringAlarms": triggering}),
            )


def _comparison_phrase(operator: str) -> str:
    return {
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "GreaterThanThreshold": "greater than",
        "LessThanThreshold": "less than",
        "LessThanOrEqualToThreshold": "less than or equal to",
    }.get(operator, operator)


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        renamed = {}
        for key, item in value.items():
            name = {"MetricName": "name", "Stat": "stat"}.get(key, key[:1].lower() + key[1:])
            if key == "Dimensions" and isinstance(item, list):
                renamed["dimensions"] = {d["Name"]: d["Value"] for d in item}
            else:
                renamed[name] = _lower_keys(item)
        return renamed
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


_RULE_TOKEN = re.compile(
    r"\s*(?:(?P<func>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?P<arg>\"[^\"]*\"|[^()\s]+)\s*\)"
    r"|(?P<word>AND|OR|NOT|TRUE|FALSE)\b|(?P<paren>[()]))"
)


def rule_tokens(rule: str) -> list[tuple[str, str]]:
    """Tokens of an AlarmRule (raises ValueError on anything else)."""
    tokens, position = [], 0
    rule = rule.strip()
    while position < len(rule):
        found = _RULE_TOKEN.match(rule, position)
        if found is None or found.end() == position:
            raise ValueError(f"Invalid alarm rule near: {rule[position : position + 30]}")
        if found.group("func"):
            tokens.append((found.group("func"), found.group("arg").strip('"')))
        elif found.group("word"):
            tokens.append(("word", found.group("word")))
        else:
            tokens.append(("paren", found.group("paren")))
        position = found.end()
    return tokens


def evaluate_rule(rule: str, alarms: dict[str, Alarm]) -> bool:
    """Evaluate an AlarmRule: ALARM("x") AND (OK(y) OR NOT INSUFFICIENT_DATA(z)), TRUE, FALSE."""
    tokens = rule_tokens(rule)
    position = 0

    def state_of(ref: str) -> str | None:
        name = ref.split(":alarm:", 1)[-1]
        alarm = alarms.get(name)
        return alarm.state if alarm else None

    def disjunction() -> bool:
        nonlocal position
        value = conjunction()
        while position < len(tokens) and tokens[position] == ("word", "OR"):
            position += 1
            value = conjunction() or value
        return value

    def conjunction() -> bool:
        nonlocal position
        value = negation()
        while position < len(tokens) and tokens[position] == ("word", "AND"):
            position += 1
            value = negation() and value
        return value

    def negation() -> bool:
        nonlocal position
        if position < len(tokens) and tokens[position] == ("word", "NOT"):
            position += 1
            return not negation()
        return atom()

    def atom() -> bool:
        nonlocal position
        if position >= len(tokens):
            raise ValueError("Unexpected end of alarm rule")
        kind, value = tokens[position]
        position += 1
        if (kind, value) == ("paren", "("):
            result = disjunction()
            position += 1
            return result
        if kind == "word" and value in ("TRUE", "FALSE"):
            return value == "TRUE"
        if kind in (ALARM, OK, INSUFFICIENT):
            return state_of(value) == kind
        raise ValueError(f"Unexpected {value}")

    return disjunction()
