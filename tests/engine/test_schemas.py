"""Schema registry: registries, versioned schemas, exports and discovery from a bus."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


async def _put(eng: Engine, detail: dict) -> None:
    await eng.client("events").put_events(
        Entries=[{"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps(detail)}]
    )


async def test_discoverer_infers_a_schema_per_source_and_detail_type(eng: Engine) -> None:
    schemas = eng.client("schemas")
    created = await schemas.create_discoverer(SourceArn=BUS)
    assert created["DiscovererId"] == "events-event-bus-default"
    await _put(eng, {"id": "o-1", "total": 5})
    listed = await schemas.list_schemas(RegistryName="discovered-schemas")
    assert [s["SchemaName"] for s in listed["Schemas"]] == ["shop@OrderPlaced"]
    described = await schemas.describe_schema(
        RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced"
    )
    detail = json.loads(described["Content"])["components"]["schemas"]["OrderPlaced"]
    assert detail["properties"] == {"id": {"type": "string"}, "total": {"type": "integer"}}


async def test_a_wider_event_makes_a_new_version(eng: Engine) -> None:
    schemas = eng.client("schemas")
    await schemas.create_discoverer(SourceArn=BUS)
    await _put(eng, {"id": "o-1"})
    await _put(eng, {"id": "o-2"})
    await _put(eng, {"id": "o-3", "coupon": "SAVE"})
    versions = await schemas.list_schema_versions(
        RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced"
    )
    assert [v["SchemaVersion"] for v in versions["SchemaVersions"]] == ["1", "2"]


async def test_stopped_discoverer_learns_nothing(eng: Engine) -> None:
    schemas = eng.client("schemas")
    await schemas.create_discoverer(SourceArn=BUS)
    await schemas.stop_discoverer(DiscovererId="events-event-bus-default")
    await _put(eng, {"id": "o-1"})
    assert (await schemas.list_schemas(RegistryName="discovered-schemas"))["Schemas"] == []


async def test_export_gives_json_schema_draft4(eng: Engine) -> None:
    schemas = eng.client("schemas")
    await schemas.create_discoverer(SourceArn=BUS)
    await _put(eng, {"id": "o-1"})
    exported = await schemas.export_schema(
        RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced", Type="JSONSchemaDraft4"
    )
    document = json.loads(exported["Content"])
    assert document["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert document["properties"]["detail"] == {"$ref": "#/definitions/OrderPlaced"}


async def test_update_with_new_content_adds_a_version(eng: Engine) -> None:
    schemas = eng.client("schemas")
    await schemas.create_registry(RegistryName="mine")
    content = json.dumps({"openapi": "3.0.0", "components": {"schemas": {"A": {"type": "object"}}}})
    await schemas.create_schema(
        RegistryName="mine", SchemaName="a", Type="OpenApi3", Content=content
    )
    updated = await schemas.update_schema(
        RegistryName="mine", SchemaName="a", Content=content.replace("object", "string")
    )
    assert updated["SchemaVersion"] == "2"
    first = await schemas.describe_schema(RegistryName="mine", SchemaName="a", SchemaVersion="1")
    assert first["Content"] == content


async def test_missing_schema_is_not_found(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("schemas").describe_schema(RegistryName="aws.events", SchemaName="nope")
    assert caught.value.code == "NotFoundException"


async def test_discoverer_needs_an_existing_bus(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("schemas").create_discoverer(
            SourceArn="arn:aws:events:us-east-1:123456789012:event-bus/nope"
        )
    assert caught.value.code == "BadRequestException"


async def test_get_discovered_schema_infers_from_given_events(eng: Engine) -> None:
    event = {"source": "s", "detail-type": "T", "detail": {"n": 1.5}}
    result = await eng.client("schemas").get_discovered_schema(
        Events=[json.dumps(event)], Type="OpenApi3"
    )
    assert json.loads(result["Content"])["components"]["schemas"]["T"]["properties"] == {
        "n": {"type": "number"}
    }


async def test_resource_policy_checks_the_revision(eng: Engine) -> None:
    schemas = eng.client("schemas")
    first = await schemas.put_resource_policy(Policy='{"Statement": []}')
    with pytest.raises(ServiceError) as caught:
        await schemas.put_resource_policy(Policy='{"Statement": []}', RevisionId="stale")
    assert caught.value.code == "PreconditionFailedException"
    assert (await schemas.get_resource_policy())["RevisionId"] == first["RevisionId"]


async def test_dump_and_load_keep_versions(eng: Engine) -> None:
    schemas = eng.client("schemas")
    await schemas.create_discoverer(SourceArn=BUS)
    await _put(eng, {"id": "o-1"})
    await _put(eng, {"id": "o-2", "more": True})
    saved = eng.service("schemas").dump()
    async with Engine(clock=VirtualClock()) as fresh:
        fresh.service("schemas").load(saved)
        versions = await fresh.client("schemas").list_schema_versions(
            RegistryName="discovered-schemas", SchemaName="shop@OrderPlaced"
        )
    assert len(versions["SchemaVersions"]) == 2
