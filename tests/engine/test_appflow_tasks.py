"""AppFlow's task types on Salesforce records: Projection, Filter operators, Map, Map_all, Mask,
Truncate, Validate (drop or terminate), Arithmetic and Merge."""

from __future__ import annotations

import json

import pytest

from engine import Engine, VirtualClock

from .test_appflow_flows import create_flow, lake, objects, read_lines, salesforce_profile, source

pytestmark = pytest.mark.timeout(60)


def task(kind: str, fields: list[str], operator: str = "NO_OP", dest: str | None = None, **props):
    spec = {
        "taskType": kind,
        "sourceFields": fields,
        "connectorOperator": {"Salesforce": operator},
        "taskProperties": props,
    }
    if dest is not None:
        spec["destinationField"] = dest
    return spec


def projection(*fields: str) -> dict:
    return task("Filter", list(fields), "PROJECTION")


def mapped(*fields: str) -> list[dict]:
    return [task("Map", [f], dest=f) for f in fields]


async def run(eng: Engine, clock: VirtualClock, tasks: list[dict], obj: str = "Opportunity"):
    """Run an on-demand flow with these tasks; returns (records written, execution record)."""
    await lake(eng)
    await salesforce_profile(eng)
    await create_flow(eng, "t", {"triggerType": "OnDemand"}, tasks=tasks, src=source(obj))
    await eng.client("appflow").start_flow(flowName="t")
    await clock.advance(1)
    execution = (await eng.client("appflow").describe_flow_execution_records(flowName="t"))[
        "flowExecutions"
    ][0]
    lines = []
    for key in await objects(eng):
        lines += await read_lines(eng, key)
    return lines, execution


def opportunities(eng: Engine) -> list[dict]:
    return list(eng.service("appflow").saas.app("salesforce").table("Opportunity").records.values())


async def test_projection_and_map_rename_and_retype(eng: Engine, clock: VirtualClock):
    tasks = [
        projection("Id", "Amount", "StageName"),
        task("Map", ["Id"], dest="opportunity_id"),
        task("Map", ["Amount"], dest="amount_cents", DESTINATION_DATA_TYPE="int"),
        task("Map", ["StageName"], dest="stage"),
    ]
    lines, _ = await run(eng, clock, tasks)
    assert len(lines) == 60
    assert set(lines[0]) == {"opportunity_id", "amount_cents", "stage"}
    assert isinstance(lines[0]["amount_cents"], int)


@pytest.mark.parametrize(
    ("operator", "props", "keep"),
    [
        (
            "GREATER_THAN",
            {"VALUE": "250000", "DATA_TYPE": "double"},
            lambda r: r["Amount"] > 250000,
        ),
        ("LESS_THAN", {"VALUE": "50000", "DATA_TYPE": "double"}, lambda r: r["Amount"] < 50000),
        (
            "BETWEEN",
            {"LOWER_BOUND": "100000", "UPPER_BOUND": "200000", "DATA_TYPE": "double"},
            lambda r: 100000 <= r["Amount"] <= 200000,
        ),
        (
            "GREATER_THAN_OR_EQUAL_TO",
            {"VALUE": "300000", "DATA_TYPE": "double"},
            lambda r: r["Amount"] >= 300000,
        ),
        (
            "LESS_THAN_OR_EQUAL_TO",
            {"VALUE": "20000", "DATA_TYPE": "double"},
            lambda r: r["Amount"] <= 20000,
        ),
    ],
)
async def test_numeric_filters_keep_exactly_the_matching_records(
    eng: Engine, clock: VirtualClock, operator, props, keep
):
    tasks = [
        projection("Id", "Amount"),
        task("Filter", ["Amount"], operator, **props),
        *mapped("Id", "Amount"),
    ]
    lines, execution = await run(eng, clock, tasks)
    expected = sorted(r["Id"] for r in opportunities(eng) if keep(r))
    assert sorted(r["Id"] for r in lines) == expected
    assert execution["executionResult"]["recordsProcessed"] == 60


async def test_text_filters_equal_not_equal_contains(eng: Engine, clock: VirtualClock):
    tasks = [
        projection("Id", "StageName", "Name"),
        task("Filter", ["StageName"], "NOT_EQUAL_TO", VALUE="Prospecting", DATA_TYPE="string"),
        task("Filter", ["Name"], "CONTAINS", VALUE="a", DATA_TYPE="string"),
        *mapped("Id", "StageName"),
    ]
    lines, _ = await run(eng, clock, tasks)
    expected = [
        r["Id"] for r in opportunities(eng) if r["StageName"] != "Prospecting" and "a" in r["Name"]
    ]
    assert sorted(r["Id"] for r in lines) == sorted(expected)
    assert all(r["StageName"] != "Prospecting" for r in lines)


async def test_datetime_filter_on_created_date(eng: Engine, clock: VirtualClock):
    records = opportunities(eng)
    middle = sorted(r["CreatedDate"] for r in records)[30]
    tasks = [
        projection("Id", "CreatedDate"),
        task(
            "Filter",
            ["CreatedDate"],
            "GREATER_THAN_OR_EQUAL_TO",
            VALUE=middle,
            DATA_TYPE="datetime",
        ),
        *mapped("Id"),
    ]
    lines, _ = await run(eng, clock, tasks)
    assert len(lines) == 30


async def test_mask_truncate_arithmetic_and_merge(eng: Engine, clock: VirtualClock):
    tasks = [
        projection("Id", "FirstName", "LastName", "Email", "Phone", "Title"),
        *mapped("Id", "Email", "Phone", "Title"),
        task("Mask", ["Email"], "MASK_ALL", MASK_VALUE="*"),
        task("Mask", ["Phone"], "MASK_FIRST_N", MASK_VALUE="#", MASK_LENGTH="6"),
        task("Truncate", ["Title"], TRUNCATE_LENGTH="5"),
        task(
            "Merge",
            ["FirstName", "LastName"],
            dest="FullName",
            CONCAT_FORMAT="${LastName}, ${FirstName}",
        ),
    ]
    lines, _ = await run(eng, clock, tasks, "Contact")
    contacts = {
        r["Id"]: r
        for r in eng.service("appflow").saas.app("salesforce").table("Contact").records.values()
    }
    line = lines[0]
    original = contacts[line["Id"]]
    assert line["Email"] == "*" * len(original["Email"])
    assert line["Phone"] == "######" + original["Phone"][6:]
    assert line["Title"] == original["Title"][:5]
    assert line["FullName"] == f"{original['LastName']}, {original['FirstName']}"


async def test_arithmetic_and_mask_last_n(eng: Engine, clock: VirtualClock):
    tasks = [
        projection("Id", "Amount", "Probability"),
        *mapped("Id"),
        task("Arithmetic", ["Amount", "Probability"], "MULTIPLICATION", dest="Weighted"),
        task("Map", ["Id"], dest="Masked"),
        task("Mask", ["Masked"], "MASK_LAST_N", MASK_VALUE="x", MASK_LENGTH="3"),
    ]
    lines, _ = await run(eng, clock, tasks)
    by_id = {r["Id"]: r for r in opportunities(eng)}
    for line in lines:
        source_record = by_id[line["Id"]]
        assert line["Weighted"] == source_record["Amount"] * source_record["Probability"]
        assert line["Masked"] == line["Id"][:-3] + "xxx"


async def test_map_all_excludes_fields(eng: Engine, clock: VirtualClock):
    tasks = [
        {
            "taskType": "Map_all",
            "sourceFields": [],
            "taskProperties": {
                "EXCLUDE_SOURCE_FIELDS_LIST": json.dumps(["Description", "Subject"])
            },
        }
    ]
    lines, _ = await run(eng, clock, tasks, "Case")
    assert len(lines) == 30
    assert "Subject" not in lines[0] and "CaseNumber" in lines[0]


async def test_validate_drops_bad_records(eng: Engine, clock: VirtualClock):
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    blank = sf.create("Lead", {"LastName": "Nobody", "Company": "Acme"})  # no email
    tasks = [
        projection("Id", "Email"),
        task("Validate", ["Email"], "VALIDATE_NON_NULL", VALIDATION_ACTION="DropRecord"),
        *mapped("Id", "Email"),
    ]
    lines, execution = await run(eng, clock, tasks, "Lead")
    assert len(lines) == 40 and blank["Id"] not in {r["Id"] for r in lines}
    assert execution["executionStatus"] == "Successful"


async def test_validate_terminate_fails_the_run(eng: Engine, clock: VirtualClock):
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    sf.create(
        "Opportunity", {"Name": "Free", "StageName": "Prospecting", "CloseDate": "2026-02-01"}
    )
    tasks = [
        projection("Id", "Amount"),
        task("Validate", ["Amount"], "VALIDATE_NUMERIC", VALIDATION_ACTION="TerminateFlow"),
        *mapped("Id", "Amount"),
    ]
    lines, execution = await run(eng, clock, tasks)
    assert lines == []
    assert execution["executionStatus"] == "Error"
    assert "Amount" in execution["executionResult"]["errorInfo"]["executionMessage"]


@pytest.mark.parametrize(
    ("tasks", "words"),
    [
        (
            [{"taskType": "Truncate", "sourceFields": ["Name"], "taskProperties": {}}],
            "TRUNCATE_LENGTH",
        ),
        (
            [
                {
                    "taskType": "Filter",
                    "sourceFields": ["Amount"],
                    "connectorOperator": {"Salesforce": "GREATER_THAN"},
                }
            ],
            "VALUE",
        ),
        (
            [
                {
                    "taskType": "Validate",
                    "sourceFields": ["Amount"],
                    "connectorOperator": {"Salesforce": "VALIDATE_NUMERIC"},
                    "taskProperties": {"VALIDATION_ACTION": "Explode"},
                }
            ],
            "VALIDATION_ACTION",
        ),
        (
            [
                {
                    "taskType": "Arithmetic",
                    "sourceFields": ["Amount"],
                    "connectorOperator": {"Salesforce": "ADDITION"},
                }
            ],
            "two source fields",
        ),
    ],
)
async def test_malformed_tasks_are_refused(eng: Engine, tasks, words):
    from engine import ServiceError

    await lake(eng)
    await salesforce_profile(eng)
    with pytest.raises(ServiceError) as error:
        await create_flow(eng, "t", {"triggerType": "OnDemand"}, tasks=tasks)
    assert error.value.code == "ValidationException" and words in error.value.message


async def test_equal_to_with_a_list_of_values_and_passthrough(eng: Engine, clock: VirtualClock):
    tasks = [
        projection("Id", "StageName"),
        task(
            "Filter",
            ["StageName"],
            "EQUAL_TO",
            VALUES="Prospecting,Qualification",
            DATA_TYPE="string",
        ),
        task("Passthrough", ["Id"], dest="Id"),
        *mapped("StageName"),
    ]
    lines, _ = await run(eng, clock, tasks)
    expected = [
        r["Id"] for r in opportunities(eng) if r["StageName"] in ("Prospecting", "Qualification")
    ]
    assert lines and sorted(r["Id"] for r in lines) == sorted(expected)
