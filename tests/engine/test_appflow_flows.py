"""AppFlow flows from the Salesforce sandbox: triggers, incremental pulls, S3 output and runs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from engine import Engine, ServiceError, VirtualClock

pytestmark = pytest.mark.timeout(60)

MAP_ALL = [
    {
        "sourceFields": [],
        "taskType": "Map_all",
        "taskProperties": {},
        "connectorOperator": {"Salesforce": "NO_OP"},
    }
]


async def salesforce_profile(eng: Engine, name: str = "crm") -> None:
    await eng.client("appflow").create_connector_profile(
        connectorProfileName=name,
        connectorType="Salesforce",
        connectionMode="Public",
        connectorProfileConfig={
            "connectorProfileProperties": {"Salesforce": {}},
            "connectorProfileCredentials": {"Salesforce": {"accessToken": "00Dlab!token"}},
        },
    )


def s3_destination(bucket: str = "lake", **format_config) -> list[dict]:
    config = {"fileType": "JSON", **format_config}
    return [
        {
            "connectorType": "S3",
            "destinationConnectorProperties": {
                "S3": {"bucketName": bucket, "bucketPrefix": "crm", "s3OutputFormatConfig": config}
            },
        }
    ]


def source(obj: str = "Opportunity", **extra) -> dict:
    return {
        "connectorType": "Salesforce",
        "connectorProfileName": "crm",
        "sourceConnectorProperties": {"Salesforce": {"object": obj}},
        **extra,
    }


async def create_flow(
    eng: Engine, name: str, trigger: dict, tasks=None, destination=None, src=None
):
    return await eng.client("appflow").create_flow(
        flowName=name,
        triggerConfig=trigger,
        sourceFlowConfig=src or source(),
        destinationFlowConfigList=destination or s3_destination(),
        tasks=tasks or MAP_ALL,
    )


async def lake(eng: Engine) -> None:
    await eng.client("s3").create_bucket(Bucket="lake")


async def objects(eng: Engine, prefix: str = "crm/") -> list[str]:
    listed = await eng.client("s3").list_objects_v2(Bucket="lake", Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


async def read_lines(eng: Engine, key: str) -> list[dict]:
    body = await eng.client("s3").get_object(Bucket="lake", Key=key)
    return [json.loads(line) for line in body["Body"].read().decode().splitlines()]


async def test_on_demand_flow_copies_every_opportunity_to_s3(eng: Engine, clock: VirtualClock):
    await lake(eng)
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    created = await create_flow(eng, "opps", {"triggerType": "OnDemand"})
    assert created["flowStatus"] == "Active"
    started = await appflow.start_flow(flowName="opps")
    await clock.advance(1)
    records = (await appflow.describe_flow_execution_records(flowName="opps"))["flowExecutions"]
    assert records[0]["executionId"] == started["executionId"]
    assert records[0]["executionStatus"] == "Successful"
    assert records[0]["executionResult"]["recordsProcessed"] == 60
    keys = await objects(eng)
    assert len(keys) == 1 and keys[0].startswith(f"crm/opps/{started['executionId']}/")
    lines = await read_lines(eng, keys[0])
    assert len(lines) == 60 and lines[0]["Id"].startswith("006")
    described = await appflow.describe_flow(flowName="opps")
    assert described["lastRunExecutionDetails"]["mostRecentExecutionStatus"] == "Successful"


async def test_incremental_run_after_edits_picks_up_exactly_the_changed_records(
    eng: Engine, clock: VirtualClock
):
    await lake(eng)
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {"scheduleExpression": "rate(5minutes)", "dataPullMode": "Incremental"}
        },
    }
    await create_flow(
        eng,
        "opps",
        trigger,
        src=source(incrementalPullConfig={"datetimeTypeFieldName": "LastModifiedDate"}),
    )
    assert (await appflow.describe_flow(flowName="opps"))["flowStatus"] == "Draft"
    assert (await appflow.start_flow(flowName="opps"))["flowStatus"] == "Active"
    await clock.advance(300)
    first = (await appflow.describe_flow_execution_records(flowName="opps"))["flowExecutions"]
    assert [e["executionResult"]["recordsProcessed"] for e in first] == [60]

    sf = eng.service("appflow").saas.app("salesforce")
    ids = list(sf.table("Opportunity").records)[:3]
    sf.update("Opportunity", ids[0], {"StageName": "Closed Won"})
    sf.update("Opportunity", ids[2], {"Amount": "1234"})
    await clock.advance(300)
    runs = (await appflow.describe_flow_execution_records(flowName="opps"))["flowExecutions"]
    assert [e["executionResult"]["recordsProcessed"] for e in runs] == [2, 60]
    assert runs[0]["dataPullStartTime"] == first[0]["dataPullEndTime"]
    newest = [k for k in await objects(eng) if runs[0]["executionId"] in k]
    lines = await read_lines(eng, newest[0])
    assert sorted(r["Id"] for r in lines) == sorted([ids[0], ids[2]])
    assert {r["Id"]: r["IsWon"] for r in lines}[ids[0]] is True
    await clock.advance(300)  # nothing changed: the next run moves nothing
    runs = (await appflow.describe_flow_execution_records(flowName="opps"))["flowExecutions"]
    assert runs[0]["executionResult"]["recordsProcessed"] == 0


async def test_complete_pulls_move_everything_and_the_offset_delays_the_run(
    eng: Engine, clock: VirtualClock
):
    await lake(eng)
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {
                "scheduleExpression": "rate(1hours)",
                "dataPullMode": "Complete",
                "scheduleOffset": 120,
            }
        },
    }
    await create_flow(eng, "cases", trigger, src=source("Case"))
    await appflow.start_flow(flowName="cases")
    await clock.advance(3600)
    assert (await appflow.describe_flow_execution_records(flowName="cases"))["flowExecutions"] == []
    await clock.advance(120)
    await clock.advance(3600)
    runs = (await appflow.describe_flow_execution_records(flowName="cases"))["flowExecutions"]
    assert [e["executionResult"]["recordsProcessed"] for e in runs] == [30, 30]
    stopped = await appflow.stop_flow(flowName="cases")
    assert stopped["flowStatus"] == "Suspended"
    await clock.advance(7200)
    assert (
        len((await appflow.describe_flow_execution_records(flowName="cases"))["flowExecutions"])
        == 2
    )


async def test_first_execution_from_limits_the_first_incremental_pull(
    eng: Engine, clock: VirtualClock
):
    await lake(eng)
    await salesforce_profile(eng)
    cutoff = clock.now() - 70 * 86400 + 7 * 3600  # halfway through the seeded cases
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {
                "scheduleExpression": "cron(0 * * * ? *)",
                "dataPullMode": "Incremental",
                "firstExecutionFrom": datetime.fromtimestamp(cutoff, UTC),
            }
        },
    }
    await create_flow(eng, "cases", trigger, src=source("Case"))
    await eng.client("appflow").start_flow(flowName="cases")
    await clock.advance(3600)
    runs = (await eng.client("appflow").describe_flow_execution_records(flowName="cases"))[
        "flowExecutions"
    ]
    sf = eng.service("appflow").saas.app("salesforce")
    recent = [m for m in sf.table("Case").modified.values() if m > cutoff]
    assert 0 < runs[0]["executionResult"]["recordsProcessed"] == len(recent) < 30


async def test_s3_formats_prefixes_and_aggregation(eng: Engine, clock: VirtualClock):
    await lake(eng)
    await salesforce_profile(eng)
    appflow = eng.client("appflow")
    await create_flow(
        eng,
        "csv",
        {"triggerType": "OnDemand"},
        src=source("Contact"),
        destination=s3_destination(
            fileType="CSV",
            prefixConfig={"prefixType": "PATH", "prefixFormat": "DAY"},
            aggregationConfig={"aggregationType": "None"},
        ),
    )
    run = await appflow.start_flow(flowName="csv")
    await clock.advance(1)
    day = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y/%m/%d")
    keys = await objects(eng, "crm/csv/")
    assert keys and all(k.startswith(f"crm/csv/{day}/{run['executionId']}/") for k in keys)
    body = (await eng.client("s3").get_object(Bucket="lake", Key=keys[0]))["Body"].read().decode()
    assert body.splitlines()[0].startswith("Id,AccountId,FirstName")
    assert len(body.splitlines()) == 81

    await create_flow(
        eng,
        "pq",
        {"triggerType": "OnDemand"},
        destination=s3_destination(
            fileType="PARQUET", aggregationConfig={"aggregationType": "SingleFile"}
        ),
    )
    await appflow.start_flow(flowName="pq")
    await clock.advance(1)
    import pyarrow.parquet as pq

    keys = await objects(eng, "crm/pq/")
    assert len(keys) == 1 and keys[0].endswith(".parquet")
    data = (await eng.client("s3").get_object(Bucket="lake", Key=keys[0]))["Body"].read()
    table = pq.read_table(io.BytesIO(data))
    assert table.num_rows == 60
    assert str(table.schema.field("Amount").type) == "string"  # preserveSourceDataTyping off

    await create_flow(
        eng,
        "versioned",
        {"triggerType": "OnDemand"},
        destination=s3_destination(
            prefixConfig={
                "prefixType": "PATH_AND_FILENAME",
                "prefixFormat": "YEAR",
                "pathPrefixHierarchy": ["SCHEMA_VERSION", "EXECUTION_ID"],
            }
        ),
    )
    run = await appflow.start_flow(flowName="versioned")
    await clock.advance(1)
    year = datetime.fromtimestamp(clock.now(), UTC).strftime("%Y")
    [key] = await objects(eng, "crm/versioned/")
    folder = f"crm/versioned/{year}/schemaVersion_1/{run['executionId']}/{year}-part-00000"
    assert key.startswith(folder)


async def test_bad_flows_are_refused_with_one_clear_error(eng: Engine):
    await lake(eng)
    appflow = eng.client("appflow")
    with pytest.raises(ServiceError) as missing:
        await create_flow(eng, "x", {"triggerType": "OnDemand"})
    assert missing.value.code == "ResourceNotFoundException"
    await salesforce_profile(eng)
    with pytest.raises(ServiceError) as bad_object:
        await create_flow(eng, "x", {"triggerType": "OnDemand"}, src=source("Widget"))
    assert bad_object.value.code == "ValidationException"
    with pytest.raises(ServiceError) as bad_field:
        await create_flow(
            eng,
            "x",
            {"triggerType": "OnDemand"},
            tasks=[{"sourceFields": ["Nope"], "taskType": "Map", "destinationField": "Nope"}],
        )
    assert "Nope" in bad_field.value.message
    with pytest.raises(ServiceError) as bad_rate:
        await create_flow(
            eng,
            "x",
            {
                "triggerType": "Scheduled",
                "triggerProperties": {"Scheduled": {"scheduleExpression": "rate(30 seconds)"}},
            },
        )
    assert bad_rate.value.code == "ValidationException"
    with pytest.raises(ServiceError) as no_bucket:
        await create_flow(eng, "x", {"triggerType": "OnDemand"}, destination=s3_destination("nope"))
    assert no_bucket.value.code == "ValidationException"
    assert (await appflow.list_flows())["flows"] == []
    await create_flow(eng, "x", {"triggerType": "OnDemand"})
    with pytest.raises(ServiceError) as stop:
        await appflow.stop_flow(flowName="x")
    assert stop.value.code == "UnsupportedOperationException"
    with pytest.raises(ServiceError) as dup:
        await create_flow(eng, "x", {"triggerType": "OnDemand"})
    assert dup.value.code == "ConflictException"
    with pytest.raises(ServiceError) as in_use:
        await appflow.delete_connector_profile(connectorProfileName="crm")
    assert in_use.value.code == "ConflictException"
    await appflow.delete_flow(flowName="x")
    with pytest.raises(ServiceError) as gone:
        await appflow.describe_flow(flowName="x")
    assert gone.value.code == "ResourceNotFoundException"


async def test_runs_are_traced_per_run_and_batch_and_drawn_on_the_map(
    eng: Engine, clock: VirtualClock
):
    recorder = eng.trace.record()
    await lake(eng)
    await salesforce_profile(eng)
    arn = (await create_flow(eng, "opps", {"triggerType": "OnDemand"}))["flowArn"]
    started = await eng.client("appflow").start_flow(flowName="opps")
    await clock.advance(1)
    journey = recorder.journey(started["executionId"])
    kinds = [e.kind for e in journey]
    assert kinds[:3] == ["execution-started", "pulled", "written"]
    assert "execution-succeeded" in kinds
    written = next(e for e in journey if e.kind == "written")
    assert written.detail["records"] == 60 and written.detail["destination"] == "arn:aws:s3:::lake"
    # the run's trace id carries on to the end-of-run report on the default bus
    assert any(e.kind == "put" and e.service == "events" for e in journey)
    topology = eng.topology()
    assert topology.node(arn).kind == "flow" and topology.node(arn).counters["records"] == 60
    assert topology.node("saas:salesforce").kind == "saas-app"
    edges = {(e.source, e.target, e.kind) for e in topology.edges}
    assert ("saas:salesforce", arn, "source") in edges
    assert (arn, "arn:aws:s3:::lake", "destination") in edges


async def test_a_saved_lab_keeps_profiles_flows_bookmarks_and_sandbox_edits(
    eng: Engine, clock: VirtualClock, tmp_path
):
    from engine.persistence.labfile import read_file, restore, save_file

    await lake(eng)
    await salesforce_profile(eng)
    trigger = {
        "triggerType": "Scheduled",
        "triggerProperties": {
            "Scheduled": {"scheduleExpression": "rate(5minutes)", "dataPullMode": "Incremental"}
        },
    }
    await create_flow(eng, "opps", trigger)
    await eng.client("appflow").start_flow(flowName="opps")
    await clock.advance(300)  # the first run takes all 60
    sf = eng.service("appflow").saas.app("salesforce")
    edited = list(sf.table("Opportunity").records)[5]
    sf.update("Opportunity", edited, {"StageName": "Closed Won"})
    path = tmp_path / "lab.json"
    save_file(eng, path)

    async with Engine(clock=VirtualClock(start=clock.now())) as fresh:
        await restore(fresh, read_file(path, fresh.available_services()))
        appflow = fresh.client("appflow")
        assert (await appflow.describe_flow(flowName="opps"))["flowStatus"] == "Active"
        [profile] = (await appflow.describe_connector_profiles())["connectorProfileDetails"]
        secret = await fresh.client("secretsmanager").get_secret_value(
            SecretId=profile["credentialsArn"]
        )
        assert json.loads(secret["SecretString"])["accessToken"] == "00Dlab!token"
        copy = fresh.service("appflow").saas.app("salesforce")
        assert copy.table("Opportunity").records[edited]["IsWon"] is True
        await fresh.clock.advance(300)  # the bookmark survived: only the edit moves
        runs = (await appflow.describe_flow_execution_records(flowName="opps"))["flowExecutions"]
        assert [r["executionResult"]["recordsProcessed"] for r in runs] == [1]


async def test_a_file_the_writer_refuses_fails_the_run_with_its_reason(
    eng: Engine, clock: VirtualClock
):
    await lake(eng)
    await salesforce_profile(eng)
    sf = eng.service("appflow").saas.app("salesforce")
    sf.ensure_seeded()
    first = next(iter(sf.table("Opportunity").records.values()))
    first["Amount"] = "a lot"  # a text value among numbers: no single Parquet column type
    await create_flow(
        eng,
        "typed",
        {"triggerType": "OnDemand"},
        destination=s3_destination(fileType="PARQUET", preserveSourceDataTyping=True),
    )
    await eng.client("appflow").start_flow(flowName="typed")
    await clock.advance(1)
    [run] = (await eng.client("appflow").describe_flow_execution_records(flowName="typed"))[
        "flowExecutions"
    ]
    assert run["executionStatus"] == "Error"
    assert "Amount" in run["executionResult"]["errorInfo"]["executionMessage"] or run[
        "executionResult"
    ]["errorInfo"]["executionMessage"].startswith(("ArrowInvalid", "ArrowTypeError"))


async def test_load_picks_records_without_copying_the_table(eng: Engine):
    sf = eng.service("appflow").saas.app("salesforce")
    table = sf.table("Opportunity")
    first = table.pick(sf.random)
    ids = table._ids
    sf.update("Opportunity", first, {"Amount": "5"})
    table.pick(sf.random)
    assert table._ids is ids  # an update keeps the id list; only a create or delete rebuilds it
    sf.create("Opportunity", {"Name": "New", "StageName": "Prospecting", "CloseDate": "2026-03-01"})
    table.pick(sf.random)
    assert table._ids is not ids and len(table._ids) == 61
