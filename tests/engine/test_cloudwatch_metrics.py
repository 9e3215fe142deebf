"""CloudWatch metrics: PutMetricData validation, statistics, percentiles, metric math, ListMetrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


def at(clock, offset: float = 0.0) -> datetime:
    return datetime.fromtimestamp(clock.now() + offset, UTC)


async def test_put_and_get_statistics_with_percentiles(eng, clock):
    cw = eng.client("cloudwatch")
    dims = [{"Name": "Service", "Value": "checkout"}]
    await cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": dims,
                "Values": [float(v) for v in range(1, 101)],
                "Unit": "Milliseconds",
            }
        ],
    )
    await cw.put_metric_data(
        Namespace="Shop",
        MetricData=[
            {
                "MetricName": "Latency",
                "Dimensions": dims,
                "StatisticValues": {"SampleCount": 2, "Sum": 300, "Minimum": 100, "Maximum": 200},
                "Unit": "Milliseconds",
            }
        ],
    )
    result = await cw.get_metric_statistics(
        Namespace="Shop",
        MetricName="Latency",
        Dimensions=dims,
        StartTime=at(clock, -300),
        EndTime=at(clock, 300),
        Period=60,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        ExtendedStatistics=["p50", "p99"],
    )
    [point] = result["Datapoints"]
    assert point["SampleCount"] == 102 and point["Sum"] == 5050 + 300
    assert point["Minimum"] == 1 and point["Maximum"] == 200
    assert point["ExtendedStatistics"]["p50"] == 50
    assert point["Unit"] == "Milliseconds"
    listed = await cw.list_metrics(Namespace="Shop")
    assert listed["Metrics"] == [{"Namespace": "Shop", "MetricName": "Latency", "Dimensions": dims}]


async def test_put_metric_data_validation_is_aws(eng, clock):
    cw = eng.client("cloudwatch")
    cases = [
        ({"MetricName": "m", "Value": 1, "Values": [1.0]}, "InvalidParameterCombination"),
        ({"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}, "InvalidParameterValue"),
        (
            {
                "MetricName": "m",
                "Value": 1,
                "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1},
            },
            "InvalidParameterCombination",
        ),
        (
            {"MetricName": "m", "Value": 1, "Timestamp": at(clock, -15 * 86400)},
            "InvalidParameterValue",
        ),
    ]
    for datum, code in cases:
        with pytest.raises(ServiceError) as error:
            await cw.put_metric_data(Namespace="N", MetricData=[datum])
        assert error.value.code == code
    with pytest.raises(ServiceError) as error:
        await cw.put_metric_data(Namespace="AWS/SQS", MetricData=[{"MetricName": "m", "Value": 1}])
    assert error.value.code == "InvalidParameterValue"
    with pytest.raises(ServiceError) as error:
        await cw.get_metric_statistics(
            Namespace="N",
            MetricName="m",
            StartTime=at(clock, -86400),
            EndTime=at(clock),
            Period=1,
            Statistics=["Sum"],
        )
    assert "exceeds the limit of 1440" in error.value.message
    assert (await cw.list_metrics())["Metrics"] == []


async def test_get_metric_data_math_and_order(eng, clock):
    cw = eng.client("cloudwatch")
    for minute in range(3):
        await cw.put_metric_data(
            Namespace="App",
            MetricData=[
                {
                    "MetricName": "Errors",
                    "Value": float(minute),
                    "Timestamp": at(clock, 60 * minute),
                },
                {"MetricName": "Requests", "Value": 10.0, "Timestamp": at(clock, 60 * minute)},
            ],
        )
    await clock.advance(240)

    def stat(name):
        return {
            "Metric": {"Namespace": "App", "MetricName": name},
            "Period": 60,
            "Stat": "Sum",
        }  # noqa: E731

    result = await cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "e", "MetricStat": stat("Errors"), "ReturnData": False},
            {"Id": "r", "MetricStat": stat("Requests"), "ReturnData": False},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate"},
            {"Id": "total", "Expression": "SUM(METRICS())"},
        ],
        StartTime=at(clock, -600),
        EndTime=at(clock),
        ScanBy="TimestampAscending",
    )
    rate, total = result["MetricDataResults"]
    assert rate["Label"] == "Error rate" and rate["Values"] == [0.0, 10.0, 20.0]
    assert total["Values"] == [10.0, 11.0, 12.0]
    assert rate["Timestamps"] == sorted(rate["Timestamps"])


async def test_get_metric_data_pages_by_max_datapoints(eng, clock):
    cw = eng.client("cloudwatch")
    for minute in range(20):
        await cw.put_metric_data(
            Namespace="P",
            MetricData=[
                {"MetricName": "m", "Value": float(minute), "Timestamp": at(clock, 60 * minute)}
            ],
        )
    query = {
        "MetricDataQueries": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "P", "MetricName": "m"},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        "StartTime": at(clock),
        "EndTime": at(clock, 1200),
        "MaxDatapoints": 10,
        "ScanBy": "TimestampAscending",
    }
    first = await cw.get_metric_data(**query)
    assert first["MetricDataResults"][0]["Values"] == [float(v) for v in range(10)]
    second = await cw.get_metric_data(**query, NextToken=first["NextToken"])
    assert second["MetricDataResults"][0]["Values"] == [float(v) for v in range(10, 20)]
    assert "NextToken" not in second


async def test_values_with_different_units_are_never_combined(eng, clock):
    cw = eng.client("cloudwatch")
    await cw.put_metric_data(
        Namespace="U",
        MetricData=[
            {"MetricName": "m", "Value": 1, "Unit": "Seconds"},
            {"MetricName": "m", "Value": 5, "Unit": "Count"},
            {"MetricName": "m", "Value": 10},
        ],
    )
    window = dict(
        Namespace="U", MetricName="m", StartTime=at(clock, -60), EndTime=at(clock, 60), Period=60
    )
    points = (await cw.get_metric_statistics(**window, Statistics=["Average"]))["Datapoints"]
    assert sorted((p["Unit"], p["Average"]) for p in points) == [
        ("Count", 5),
        ("None", 10),
        ("Seconds", 1),
    ]
    only = (await cw.get_metric_statistics(**window, Statistics=["Sum"], Unit="Count"))[
        "Datapoints"
    ]
    assert [(p["Unit"], p["Sum"]) for p in only] == [("Count", 5)]
