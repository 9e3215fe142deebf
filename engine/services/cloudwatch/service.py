"""Amazon CloudWatch: metrics (PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics),
alarms (metric and composite), dashboards, and the metrics the emulated services publish.

Internal API (CloudWatch Logs metric filters, the app, the console):
`cloudwatch.record(namespace, name, dimensions: dict, value, *, timestamp=None, unit=None)`
adds one datapoint in O(1); `cloudwatch.statistics(namespace, name, dimensions, start, end,
period, stat) -> [(timestamp, value)]` reads a series; `cloudwatch.store` is the MetricStore;
`cloudwatch.collector` samples the services' counters once a minute (`collector.enabled`).
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from ...errors import ServiceError
from ...service import Service
from ...topology import Edge, Node
from .alarms import ALARM, INSUFFICIENT, OK, Alarm, Alarms, evaluate_rule, rule_tokens
from .collector import Collector
from .expressions import ExpressionError, evaluate
from .store import MetricStore, dimensions_key, statistic

MAX_DATAPOINTS = 1440
MAX_DIMENSIONS = 30
TWO_WEEKS = 14 * 86400
TWO_HOURS = 2 * 3600
STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_EXTENDED = re.compile(r"^(p|tm|wm|tc|ts)(\d{1,2}(\.\d{1,10})?|100)$|^(IQM)$")
_DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _error(
    code: str, message: str, query_code: str | None = None, status: int = 400
) -> ServiceError:
    """A CloudWatch error: boto3's code, and the shape name the JSON/CBOR protocols carry."""
    return ServiceError(
        code,
        message,
        status_code=status,
        extra={"QueryErrorCode": query_code or f"{code}Exception", "Type": "Sender"},
    )


def invalid_value(message: str) -> ServiceError:
    """InvalidParameterValue."""
    return _error("InvalidParameterValue", message)


def invalid_combination(message: str) -> ServiceError:
    """InvalidParameterCombination."""
    return _error("InvalidParameterCombination", message)


ALARM_STATES = (INSUFFICIENT, ALARM, OK)
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold", "GreaterThanUpperThreshold",
)  # fmt: skip


def _check_enum(params: dict, key: str, allowed: tuple[str, ...]) -> None:
    """AWS's ValidationError for a value outside an enum (in CloudWatch's own order)."""
    value = params.get(key)
    if value is not None and value not in allowed:
        raise _error(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at '{key[:1].lower()}{key[1:]}' failed "
            f"to satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]",
            "ValidationException",
        )


def _metric_label(query: dict, queries: list[dict]) -> str:
    """AWS's default label: the metric name, plus the stat and period where queries differ."""
    stat = query["MetricStat"]
    name = stat["Metric"]["MetricName"]
    peers = [
        q["MetricStat"]
        for q in queries
        if "MetricStat" in q and q["MetricStat"]["Metric"]["MetricName"] == name
    ]
    label = name
    if len({p["Stat"] for p in peers}) > 1:
        label += f" {stat['Stat']}"
    if len({p["Period"] for p in peers}) > 1:
        label += f" {stat['Period']}"
    return label


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=UTC).timestamp()
    return float(value)


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class CloudWatchService(Service):
    """CloudWatch metrics and alarms on the engine clock."""

    name = "cloudwatch"
    #: The model's constraint failures: AWS's ValidationError (query code ValidationException).
    validation_error_code = "ValidationError"
    #: CloudWatch lists an enum's values in its own order: the operations check their enums.
    check_enums = False

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.store = MetricStore()
        self.alarms = Alarms(self)
        self.collector = Collector(self)
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.collector.enabled = engine.settings.get("cloudwatch.collect", True)
        self.collector.start()

    async def close(self) -> None:
        self.collector.stop()
        self.alarms.cancel()

    # -- internal API ---------------------------------------------------------------------------
    def record(
        self,
        namespace: str,
        name: str,
        dimensions: dict[str, str] | None,
        value: float,
        *,
        timestamp: float | None = None,
        unit: str | None = None,
    ) -> None:
        """Add one datapoint (for metric filters and services): O(1)."""
        when = self.clock.now() if timestamp is None else timestamp
        self.store.record(namespace, name, dimensions_key(dimensions), value, when, unit=unit)

    def statistics(
        self,
        namespace: str,
        name: str,
        dimensions: dict[str, str] | None,
        start: float,
        end: float,
        period: int,
        stat: str,
    ) -> list[tuple[int, float]]:
        """One statistic of a series per period in [start, end), oldest first."""
        series = self.store.get(namespace, name, dimensions_key(dimensions))
        if series is None:
            return []
        buckets = series.aggregate(start, end, period)
        points = []
        for slot in sorted(buckets):
            value = statistic(buckets[slot], stat)
            if value is not None:
                points.append((slot, value))
        return points

    # -- PutMetricData --------------------------------------------------------------------------
    def put_metric_data(self, params: dict) -> dict:
        namespace = params["Namespace"]
        if namespace.startswith("AWS/"):
            raise invalid_value("The value AWS/ for parameter Namespace is invalid.")
        now = self.clock.now()
        prepared = []
        for index, datum in enumerate(params.get("MetricData", []), start=1):
            where = f"MetricData.member.{index}"
            has_value = "Value" in datum
            if has_value and "StatisticValues" in datum:
                raise invalid_combination(
                    f"The parameters {where}.Value and {where}.StatisticValues are mutually "
                    "exclusive and you have specified both."
                )
            if has_value and "Values" in datum:
                raise invalid_combination(
                    f"The parameters {where}.Value and {where}.Values are mutually exclusive "
                    "and you have specified both."
                )
            if "Counts" in datum and len(datum["Counts"]) != len(datum.get("Values", [])):
                raise invalid_value(
                    f"The parameters {where}.Values and {where}.Counts must be of the same size."
                )
            values = [datum["Value"]] if has_value else list(datum.get("Values", []))
            for value in values:
                if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                    raise invalid_value(
                        f"The value {value} for parameter {where}.Value is invalid."
                    )
            if len(datum.get("Dimensions", [])) > MAX_DIMENSIONS:
                raise invalid_value(
                    f"The collection {where}.Dimensions must not have a size greater than 30."
                )
            when = _epoch(datum["Timestamp"]) if "Timestamp" in datum else now
            if when < now - TWO_WEEKS:
                raise invalid_value(
                    f"The parameter {where}.Timestamp must specify a time no more than two "
                    "weeks in the past."
                )
            if when > now + TWO_HOURS:
                raise invalid_value(
                    f"The parameter {where}.Timestamp must specify a time no more than two "
                    "hours in the future."
                )
            prepared.append((datum, values, when))
        for datum, values, when in prepared:
            key = dimensions_key(datum.get("Dimensions"))
            resolution = 1 if datum.get("StorageResolution") == 1 else 60
            series = self.store.series_for(namespace, datum["MetricName"], key, resolution)
            bucket = series.bucket(when)
            series.last_write = max(series.last_write, when)
            if "Unit" in datum:
                series.unit = datum["Unit"]
            unit_bucket = series.unit_bucket(when, datum.get("Unit", "None"))
            for target in (bucket, unit_bucket):
                if "StatisticValues" in datum:
                    stats = datum["StatisticValues"]
                    target.add_set(
                        stats["SampleCount"], stats["Sum"], stats["Minimum"], stats["Maximum"]
                    )
                else:
                    counts = datum.get("Counts") or [1.0] * len(values)
                    for value, count in zip(values, counts, strict=True):
                        target.add(float(value), float(count))
        if self.trace.enabled and prepared:
            self.emit("put", f"metric:{namespace}", count=len(prepared))
        return {}

    # -- reading ------------------------------------------------------------------------------------
    def _check_window(self, start: float, end: float, period: int) -> None:
        if start >= end:
            raise invalid_value("The parameter StartTime must be less than the parameter EndTime.")
        if (
            period <= 0
            or (period < 60 and period not in (1, 5, 10, 20, 30))
            or (period >= 60 and period % 60)
        ):
            raise invalid_value(
                "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60."
            )

    def get_metric_statistics(self, params: dict) -> dict:
        start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
        period = params["Period"]
        stats = params.get("Statistics", [])
        extended = params.get("ExtendedStatistics", [])
        if not stats and not extended:
            raise _error(
                "MissingParameter",
                "Must specify either statistics or extended statistics.",
                "MissingRequiredParameterException",
            )
        for name in extended:
            if not _EXTENDED.match(name):
                raise invalid_value(
                    f"The value {name} for parameter ExtendedStatistics is invalid."
                )
        self._check_window(start, end, period)
        requested = math.ceil((end - start) / period)
        if requested > MAX_DATAPOINTS:
            raise invalid_combination(
                f"You have requested up to {requested} datapoints, which exceeds the limit of "
                f"{MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, "
                "or decreasing the time range."
            )
        series = self.store.get(
            params["Namespace"], params["MetricName"], dimensions_key(params.get("Dimensions"))
        )
        datapoints = []
        if series is not None:
            aligned = start - start % period
            wanted = params.get("Unit")
            units = series.units_between(aligned, end)
            # Values put with different units are never combined: one datapoint per unit.
            if wanted is not None:
                chosen = [(wanted, series.aggregate(aligned, end, period, wanted))]
            elif len(units) > 1:
                chosen = [(u, series.aggregate(aligned, end, period, u)) for u in sorted(units)]
            else:
                unit = next(iter(units), series.unit or "None")
                chosen = [(unit, series.aggregate(aligned, end, period))]
            for unit, buckets in chosen:
                for slot, bucket in sorted(buckets.items()):
                    point: dict[str, Any] = {"Timestamp": _stamp(slot)}
                    for name in stats:
                        point[name] = statistic(bucket, name)
                    if extended:
                        point["ExtendedStatistics"] = {
                            name: statistic(bucket, name) for name in extended
                        }
                    point["Unit"] = unit
                    datapoints.append(point)
        return {"Label": params["MetricName"], "Datapoints": datapoints}

    def list_metrics(self, params: dict) -> dict:
        namespace, name = params.get("Namespace"), params.get("MetricName")
        wanted = params.get("Dimensions", [])
        recent = params.get("RecentlyActive") == "PT3H"
        cutoff = self.clock.now() - 3 * 3600
        metrics = []
        for (ns, metric, dims), series in sorted(self.store.series.items()):
            if namespace is not None and ns != namespace:
                continue
            if name is not None and metric != name:
                continue
            if recent and series.last_write < cutoff:
                continue
            have = dict(dims)
            if any(
                f["Name"] not in have or ("Value" in f and have[f["Name"]] != f["Value"])
                for f in wanted
            ):
                continue
            metrics.append(
                {
                    "Namespace": ns,
                    "MetricName": metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                }
            )
        start = int(params["NextToken"]) if str(params.get("NextToken", "")).isdigit() else 0
        page = metrics[start : start + 500]
        result: dict[str, Any] = {"Metrics": page}
        if start + 500 < len(metrics):
            result["NextToken"] = str(start + 500)
        return result

    def get_metric_data(self, params: dict) -> dict:
        start, end = _epoch(params["StartTime"]), _epoch(params["EndTime"])
        if start >= end:
            raise invalid_value("The parameter StartTime must be less than the parameter EndTime.")
        queries = params["MetricDataQueries"]
        ids = [q["Id"] for q in queries]
        if len(set(ids)) != len(ids):
            raise invalid_value("The values for parameter id in MetricDataQueries are not unique.")
        results: dict[str, dict[int, float]] = {}
        labels: dict[str, str] = {}
        messages: dict[str, list[dict[str, str]]] = {}
        for query in queries:
            if "MetricStat" in query and "Expression" in query:
                raise invalid_combination(
                    "The parameters MetricStat and Expression are mutually exclusive."
                )
        for query in queries:
            if "MetricStat" not in query:
                continue
            stat = query["MetricStat"]
            metric = stat["Metric"]
            period = stat["Period"]
            self._check_window(start, end, period)
            series = self.store.get(
                metric["Namespace"], metric["MetricName"], dimensions_key(metric.get("Dimensions"))
            )
            values: dict[int, float] = {}
            if series is not None:
                aligned = start - start % period
                unit_filter = stat.get("Unit")
                units_seen = series.units_between(aligned, end)
                if unit_filter is None and len(units_seen) > 1:
                    shown = ", ".join(sorted(units_seen))
                    messages[query["Id"]] = [
                        {"Code": "MultipleUnits", "Value": f"Multiple units returned: '[{shown}]'"}
                    ]
                if unit_filter is not None and unit_filter not in units_seen:
                    # Service metrics carry one unit for the whole series.
                    unit_filter = None if unit_filter == series.unit else unit_filter
                if unit_filter is None or unit_filter in units_seen:
                    buckets = series.aggregate(aligned, end, period, unit_filter)
                    for slot, bucket in buckets.items():
                        value = statistic(bucket, stat["Stat"])
                        if value is not None and slot < end:
                            values[slot] = value
            results[query["Id"]] = values
            labels[query["Id"]] = query.get("Label") or _metric_label(query, queries)
        default_period = next(
            (q["MetricStat"]["Period"] for q in queries if "MetricStat" in q),
            next((q["Period"] for q in queries if "Period" in q), 60),
        )
        stamps = sorted({t for series in results.values() for t in series})
        metric_labels = dict(labels)  # METRICS() names the MetricStat queries only
        for query in queries:
            if "Expression" not in query:
                continue
            try:
                value = evaluate(
                    query["Expression"],
                    results,
                    metric_labels,
                    query.get("Period", default_period),
                    stamps,
                )
            except ExpressionError as error:
                raise _error("ValidationError", str(error), "ValidationException") from None
            if isinstance(value, list):
                value = value[0] if value else {}
            if not isinstance(value, dict):
                value = {t: value for t in stamps} if stamps else {}
            results[query["Id"]] = value
            labels[query["Id"]] = query.get("Label") or query["Id"]
        descending = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        out = []
        for query in queries:
            if not query.get("ReturnData", True):
                continue
            series = results.get(query["Id"], {})
            order = sorted(series, reverse=descending)
            values = [series[t] for t in order]
            out.append(
                {
                    "Id": query["Id"],
                    "Label": labels.get(query["Id"], query["Id"]),
                    "Timestamps": [_stamp(t) for t in order],
                    "Values": values,
                    "StatusCode": "Complete",
                }
            )
            if messages.get(query["Id"]):
                out[-1]["Messages"] = messages[query["Id"]]
        return self._page_datapoints(out, params)

    @staticmethod
    def _page_datapoints(out: list[dict[str, Any]], params: dict) -> dict:
        """At most MaxDatapoints datapoints per page; NextToken resumes inside a result."""
        max_points = params.get("MaxDatapoints", 100_800)
        token = str(params.get("NextToken", ""))
        offset = int(token) if token.isdigit() else 0
        skipped = taken = 0
        paged = []
        more = False
        for entry in out:
            count = len(entry["Values"])
            start = min(count, max(0, offset - skipped))
            skipped += start
            room = max_points - taken
            chosen = min(count - start, room)
            if count - start > chosen:
                more = True
            if chosen or (count == 0 and offset == 0):
                paged.append(
                    {
                        **entry,
                        "Timestamps": entry["Timestamps"][start : start + chosen],
                        "Values": entry["Values"][start : start + chosen],
                    }
                )
            taken += chosen
        result: dict[str, Any] = {"MetricDataResults": paged, "Messages": []}
        if more:
            result["NextToken"] = str(offset + taken)
        return result

    def alarm_math(self, alarm: Alarm, now: float, periods: int) -> list[float | None]:
        """Datapoints of a metric-math alarm (the query with ReturnData true)."""
        metrics = alarm.params["Metrics"]
        period = next(
            (m["MetricStat"]["Period"] for m in metrics if "MetricStat" in m),
            next((m.get("Period") for m in metrics if m.get("Period")), 60),
        )
        end = now - now % period
        start = end - periods * period
        try:
            result = self.get_metric_data(
                {
                    "MetricDataQueries": metrics,
                    "StartTime": start,
                    "EndTime": end,
                    "ScanBy": "TimestampAscending",
                }
            )
        except ServiceError:
            return [None] * periods
        returned = result["MetricDataResults"][:1]
        values = dict(
            zip(
                [t.timestamp() for t in returned[0]["Timestamps"]] if returned else [],
                returned[0]["Values"] if returned else [],
                strict=True,
            )
        )
        return [values.get(start + i * period) for i in range(periods)]

    # -- alarms ---------------------------------------------------------------------------------
    def _alarm_arn(self, name: str) -> str:
        return self.arn(f"alarm:{name}")

    def put_metric_alarm(self, params: dict) -> dict:
        name = params["AlarmName"]
        has_metric = "MetricName" in params
        _check_enum(params, "ComparisonOperator", COMPARISON_OPERATORS)
        _check_enum(params, "Statistic", STANDARD_STATISTICS)
        _check_enum(params, "TreatMissingData", ("breaching", "notBreaching", "ignore", "missing"))
        if has_metric and "Metrics" in params:
            raise invalid_combination(
                "The parameters MetricName and Metrics are mutually exclusive and you have "
                "specified both."
            )
        if not has_metric and "Metrics" not in params:
            raise _error(
                "ValidationError",
                "Either MetricName or Metrics must be specified.",
                "ValidationException",
            )
        if has_metric:
            if ("Statistic" in params) == ("ExtendedStatistic" in params):
                raise invalid_combination(
                    "Exactly one of Statistic or ExtendedStatistic must be specified."
                )
            if "Period" not in params:
                raise _error("ValidationError", "Period must not be null", "ValidationException")
        if params.get("DatapointsToAlarm", 0) > params["EvaluationPeriods"]:
            raise _error(
                "ValidationError",
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
                "ValidationException",
            )
        existing = self.alarms.alarms.get(name)
        now = self.clock.now()
        params = dict(params)
        if "Threshold" in params:
            params["Threshold"] = float(params["Threshold"])
        alarm = Alarm(
            name,
            self._alarm_arn(name),
            json.loads(json.dumps(params, default=str)),
            "MetricAlarm",
            now,
            actions_enabled=params.get("ActionsEnabled", True),
            tags=[dict(t) for t in params.get("Tags", [])],
        )
        if existing is not None:
            alarm.state, alarm.reason, alarm.reason_data = (
                existing.state,
                existing.reason,
                existing.reason_data,
            )
            alarm.state_changed = existing.state_changed
            alarm.history = existing.history
            alarm.tags = existing.tags + [t for t in alarm.tags if t not in existing.tags]
        else:
            alarm.state_changed = now
        alarm.params.pop("Tags", None)
        self.alarms.alarms[name] = alarm
        self.alarms.record(
            alarm,
            "ConfigurationUpdate",
            f'Alarm "{name}" {"updated" if existing else "created"}',
            {"version": "1.0", "type": "Update" if existing else "Create"},
        )
        self.emit("created", alarm.arn)
        self.alarms.ensure_timer()
        return {}

    def put_composite_alarm(self, params: dict) -> dict:
        name = params["AlarmName"]
        try:
            rule_tokens(params["AlarmRule"])
            evaluate_rule(params["AlarmRule"], self.alarms.alarms)
        except ValueError as error:
            raise _error("ValidationError", str(error), "ValidationException") from None
        existing = self.alarms.alarms.get(name)
        now = self.clock.now()
        alarm = Alarm(
            name,
            self._alarm_arn(name),
            json.loads(json.dumps(params, default=str)),
            "CompositeAlarm",
            now,
            actions_enabled=params.get("ActionsEnabled", True),
            tags=[dict(t) for t in params.get("Tags", [])],
        )
        alarm.params.pop("Tags", None)
        if existing is not None:
            alarm.state, alarm.reason, alarm.history = (
                existing.state,
                existing.reason,
                existing.history,
            )
            alarm.state_changed = existing.state_changed
        else:
            alarm.state_changed = now
        self.alarms.alarms[name] = alarm
        self.alarms.record(
            alarm,
            "ConfigurationUpdate",
            f'Alarm "{name}" {"updated" if existing else "created"}',
            {"version": "1.0", "type": "Update" if existing else "Create"},
        )
        self.alarms.evaluate_composite(alarm)
        return {}

    def _alarm_view(self, alarm: Alarm) -> dict[str, Any]:
        params = alarm.params
        view: dict[str, Any] = {
            "AlarmName": alarm.name,
            "AlarmArn": alarm.arn,
            "AlarmConfigurationUpdatedTimestamp": _stamp(alarm.configured),
            "ActionsEnabled": alarm.actions_enabled,
            "OKActions": list(params.get("OKActions", [])),
            "AlarmActions": list(params.get("AlarmActions", [])),
            "InsufficientDataActions": list(params.get("InsufficientDataActions", [])),
            "StateValue": alarm.state,
            "StateReason": alarm.reason,
            "StateUpdatedTimestamp": _stamp(alarm.state_changed),
        }
        if alarm.reason_data:
            view["StateReasonData"] = alarm.reason_data
        if "AlarmDescription" in params:
            view["AlarmDescription"] = params["AlarmDescription"]
        if alarm.kind == "CompositeAlarm":
            view["AlarmRule"] = params["AlarmRule"]
            view["StateTransitionedTimestamp"] = _stamp(alarm.state_changed)
            return view
        for key in (
            "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit",
            "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
            "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId",
        ):  # fmt: skip
            if key in params:
                view[key] = params[key]
        view["Dimensions"] = list(params.get("Dimensions", []))
        view["StateTransitionedTimestamp"] = _stamp(alarm.state_changed)
        return view

    def describe_alarms(self, params: dict) -> dict:
        _check_enum(params, "StateValue", ALARM_STATES)
        names = params.get("AlarmNames")
        prefix = params.get("AlarmNamePrefix")
        if names and prefix:
            raise invalid_combination(
                "AlarmNamePrefix and AlarmNames are mutually exclusive and you have specified both."
            )
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        state = params.get("StateValue")
        action_prefix = params.get("ActionPrefix")
        chosen = []
        for name in sorted(self.alarms.alarms):
            alarm = self.alarms.alarms[name]
            if names and name not in names:
                continue
            if prefix and not name.startswith(prefix):
                continue
            if state and alarm.state != state:
                continue
            if action_prefix and not any(
                a.startswith(action_prefix)
                for key in ("AlarmActions", "OKActions", "InsufficientDataActions")
                for a in alarm.params.get(key, [])
            ):
                continue
            if alarm.kind not in types:
                continue
            chosen.append(alarm)
        start = int(params["NextToken"]) if str(params.get("NextToken", "")).isdigit() else 0
        size = params.get("MaxRecords", 50)
        page = chosen[start : start + size]
        result: dict[str, Any] = {
            "MetricAlarms": [self._alarm_view(a) for a in page if a.kind == "MetricAlarm"],
            "CompositeAlarms": [self._alarm_view(a) for a in page if a.kind == "CompositeAlarm"],
        }
        if start + size < len(chosen):
            result["NextToken"] = str(start + size)
        return result

    def describe_alarms_for_metric(self, params: dict) -> dict:
        wanted = dimensions_key(params.get("Dimensions"))
        alarms = [
            self._alarm_view(a)
            for a in self.alarms.alarms.values()
            if a.kind == "MetricAlarm"
            and a.params.get("MetricName") == params["MetricName"]
            and a.params.get("Namespace") == params["Namespace"]
            and (not wanted or dimensions_key(a.params.get("Dimensions")) == wanted)
            and params.get("Statistic") in (None, a.params.get("Statistic"))
            and params.get("Period") in (None, a.params.get("Period"))
        ]
        return {"MetricAlarms": alarms}

    def delete_alarms(self, params: dict) -> dict:
        missing = [n for n in params["AlarmNames"] if n not in self.alarms.alarms]
        if missing:
            raise _error("ResourceNotFound", f"{missing[0]} was not found", "ResourceNotFound", 404)
        for name in params["AlarmNames"]:
            alarm = self.alarms.alarms.pop(name)
            self.emit("deleted", alarm.arn)
        if not self.alarms.alarms:
            self.alarms.cancel()
        return {}

    def set_alarm_state(self, params: dict) -> dict:
        _check_enum(params, "StateValue", ALARM_STATES)
        alarm = self.alarms.alarms.get(params["AlarmName"])
        if alarm is None:
            raise _error("ResourceNotFound", "", "ResourceNotFound", 404)
        if "StateReasonData" in params:
            try:
                json.loads(params["StateReasonData"])
            except ValueError:
                raise invalid_value("The value for StateReasonData must be valid JSON.") from None
        if alarm.state != params["StateValue"]:
            self.alarms.change(
                alarm, params["StateValue"], params["StateReason"], params.get("StateReasonData")
            )
        else:
            alarm.reason = params["StateReason"]
        return {}

    def describe_alarm_history(self, params: dict) -> dict:
        name = params.get("AlarmName")
        kind = params.get("HistoryItemType")
        types = params.get("AlarmTypes") or ["MetricAlarm", "CompositeAlarm"]
        start = _epoch(params["StartDate"]) if "StartDate" in params else None
        end = _epoch(params["EndDate"]) if "EndDate" in params else None
        items = []
        for alarm in self.alarms.alarms.values():
            if name and alarm.name != name:
                continue
            for item in alarm.history:
                if kind and item["HistoryItemType"] != kind:
                    continue
                if item["AlarmType"] not in types:
                    continue
                if start is not None and item["Timestamp"] < start:
                    continue
                if end is not None and item["Timestamp"] > end:
                    continue
                items.append(item)
        items.sort(
            key=lambda i: i["Timestamp"], reverse=params.get("ScanBy") != "TimestampAscending"
        )
        size = params.get("MaxRecords", 100)
        offset = int(params["NextToken"]) if str(params.get("NextToken", "")).isdigit() else 0
        page = items[offset : offset + size]
        result: dict[str, Any] = {
            "AlarmHistoryItems": [{**i, "Timestamp": _stamp(i["Timestamp"])} for i in page]
        }
        if offset + size < len(items):
            result["NextToken"] = str(offset + size)
        return result

    def enable_alarm_actions(self, params: dict) -> dict:
        for name in params["AlarmNames"]:
            if name in self.alarms.alarms:
                self.alarms.alarms[name].actions_enabled = True
        return {}

    def disable_alarm_actions(self, params: dict) -> dict:
        for name in params["AlarmNames"]:
            if name in self.alarms.alarms:
                self.alarms.alarms[name].actions_enabled = False
        return {}

    # -- tags ---------------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> list[dict[str, str]]:
        name = arn.split(":alarm:", 1)[-1] if ":alarm:" in arn else None
        alarm = self.alarms.alarms.get(name or "")
        if alarm is None:
            raise _error(
                "ResourceNotFoundException", "The specified resource does not exist.",
                "ResourceNotFoundException", 404,
            )  # fmt: skip
        return alarm.tags

    def tag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceARN"])
        for tag in params["Tags"]:
            tags[:] = [t for t in tags if t["Key"] != tag["Key"]] + [dict(tag)]
        return {}

    def untag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceARN"])
        tags[:] = [t for t in tags if t["Key"] not in params["TagKeys"]]
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        arn = params["ResourceARN"]
        name = arn.split(":alarm:", 1)[-1] if ":alarm:" in arn else ""
        if name not in self.alarms.alarms:
            return {"Tags": []}  # AWS answers an unknown (or deleted) alarm with no tags
        return {"Tags": [dict(t) for t in self._tagged(arn)]}

    # -- dashboards -----------------------------------------------------------------------------------
    def put_dashboard(self, params: dict) -> dict:
        name = params["DashboardName"]
        if not _DASHBOARD_NAME.match(name):
            raise invalid_value(
                "The value for field DashboardName contains invalid characters. It can only "
                "contain alphanumerics, dash (-) and underscore (_).\n"
            )
        try:
            json.loads(params["DashboardBody"])
        except ValueError:
            raise invalid_value("The field DashboardBody must be a valid JSON object") from None
        self.dashboards[name] = {
            "DashboardName": name,
            "DashboardArn": f"arn:aws:cloudwatch::{self.account_id}:dashboard/{name}",
            "DashboardBody": params["DashboardBody"],
            "LastModified": _stamp(self.clock.now()),
            "Size": len(params["DashboardBody"].encode()),
        }
        return {"DashboardValidationMessages": []}

    def get_dashboard(self, params: dict) -> dict:
        dashboard = self.dashboards.get(params["DashboardName"])
        if dashboard is None:
            raise _error(
                "ResourceNotFound", "Dashboard does not exist", "ResourceNotFoundException", 404
            )
        return {k: dashboard[k] for k in ("DashboardArn", "DashboardBody", "DashboardName")}

    def list_dashboards(self, params: dict) -> dict:
        prefix = params.get("DashboardNamePrefix", "")
        return {
            "DashboardEntries": [
                {k: v for k, v in d.items() if k != "DashboardBody"}
                for n, d in sorted(self.dashboards.items())
                if n.startswith(prefix)
            ]
        }

    def delete_dashboards(self, params: dict) -> dict:
        missing = [n for n in params["DashboardNames"] if n not in self.dashboards]
        if missing:
            raise _error(
                "ResourceNotFound",
                "The specified dashboard does not exist.",
                "DashboardNotFoundError",
                404,
            )
        for name in params["DashboardNames"]:
            del self.dashboards[name]
        return {}

    # -- save / open -----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Alarms (their definitions, states and tags) and dashboards; datapoints are not kept."""
        if not self.alarms.alarms and not self.dashboards:
            return None
        return {
            "alarms": [
                {
                    "kind": a.kind,
                    "params": a.params,
                    "state": a.state,
                    "reason": a.reason,
                    "tags": a.tags,
                    "actions_enabled": a.actions_enabled,
                }  # fmt: skip
                for a in self.alarms.alarms.values()
            ],
            "dashboards": [
                {"name": d["DashboardName"], "body": d["DashboardBody"]}
                for d in self.dashboards.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what dump() produced."""
        now = self.clock.now()
        for saved in data.get("alarms", []):
            name = saved["params"]["AlarmName"]
            alarm = Alarm(name, self._alarm_arn(name), saved["params"], saved["kind"], now)
            alarm.state, alarm.reason = saved.get("state", INSUFFICIENT), saved.get("reason", "")
            alarm.tags = saved.get("tags", [])
            alarm.actions_enabled = saved.get("actions_enabled", True)
            alarm.state_changed = now
            self.alarms.alarms[name] = alarm
        for saved in data.get("dashboards", []):
            self.put_dashboard({"DashboardName": saved["name"], "DashboardBody": saved["body"]})
        self.alarms.ensure_timer()

    # -- views ----------------------------------------------------------------------------------------
    def topology(self) -> tuple[list[Node], list[Edge]]:
        nodes, edges = [], []
        for alarm in self.alarms.alarms.values():
            nodes.append(
                Node(
                    alarm.arn,
                    "alarm",
                    alarm.name,
                    self.name,
                    {"alarm": int(alarm.state == ALARM), "ok": int(alarm.state == OK)},
                )
            )
            for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
                for action in alarm.params.get(key, []):
                    edges.append(Edge(alarm.arn, action, "notification", key))
        return nodes, edges
