"""Kinesis Video Streams control plane: streams, retention, tags, data endpoints, channels."""

from __future__ import annotations

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


async def test_create_describe_list_delete(eng):
    kv = eng.client("kinesisvideo")
    arn = (
        await kv.create_stream(StreamName="door", DataRetentionInHours=24, MediaType="video/h264")
    )["StreamARN"]
    assert arn.startswith("arn:aws:kinesisvideo:us-east-1:123456789012:stream/door/")
    info = (await kv.describe_stream(StreamARN=arn))["StreamInfo"]
    assert info["Status"] == "ACTIVE"
    assert info["DataRetentionInHours"] == 24
    assert info["KmsKeyId"].endswith(":alias/aws/kinesisvideo")
    await kv.create_stream(StreamName="dock")
    names = [s["StreamName"] for s in (await kv.list_streams())["StreamInfoList"]]
    assert names == ["dock", "door"]
    only = await kv.list_streams(
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "doo"}
    )
    assert [s["StreamName"] for s in only["StreamInfoList"]] == ["door"]
    page = await kv.list_streams(MaxResults=1)
    assert page["NextToken"] and len(page["StreamInfoList"]) == 1
    await kv.delete_stream(StreamARN=arn)
    with pytest.raises(ServiceError) as caught:
        await kv.describe_stream(StreamName="door")
    assert caught.value.code == "ResourceNotFoundException"


async def test_duplicate_name_and_both_identifiers(eng):
    kv = eng.client("kinesisvideo")
    arn = (await kv.create_stream(StreamName="door"))["StreamARN"]
    with pytest.raises(ServiceError) as caught:
        await kv.create_stream(StreamName="door")
    assert caught.value.code == "ResourceInUseException"
    with pytest.raises(ServiceError) as caught:
        await kv.describe_stream(StreamName="door", StreamARN=arn)
    assert caught.value.code == "InvalidArgumentException"
    with pytest.raises(ServiceError) as caught:
        await kv.describe_stream()
    assert caught.value.code == "InvalidArgumentException"


async def test_versions_guard_updates_and_retention(eng):
    kv = eng.client("kinesisvideo")
    await kv.create_stream(StreamName="door", DataRetentionInHours=2)
    version = (await kv.describe_stream(StreamName="door"))["StreamInfo"]["Version"]
    with pytest.raises(ServiceError) as caught:
        await kv.update_stream(StreamName="door", CurrentVersion="stale", DeviceName="cam1")
    assert caught.value.code == "VersionMismatchException"
    await kv.update_stream(StreamName="door", CurrentVersion=version, DeviceName="cam1")
    info = (await kv.describe_stream(StreamName="door"))["StreamInfo"]
    assert info["DeviceName"] == "cam1" and info["Version"] != version
    await kv.update_data_retention(
        StreamName="door",
        CurrentVersion=info["Version"],
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=10,
    )
    info = (await kv.describe_stream(StreamName="door"))["StreamInfo"]
    assert info["DataRetentionInHours"] == 12
    with pytest.raises(ServiceError) as caught:
        await kv.update_data_retention(
            StreamName="door",
            CurrentVersion=info["Version"],
            Operation="DECREASE_DATA_RETENTION",
            DataRetentionChangeInHours=13,
        )
    assert caught.value.code == "InvalidArgumentException"
    assert (await kv.describe_stream(StreamName="door"))["StreamInfo"]["DataRetentionInHours"] == 12


async def test_tags_on_streams_and_channels(eng):
    kv = eng.client("kinesisvideo")
    arn = (await kv.create_stream(StreamName="door", Tags={"team": "ops"}))["StreamARN"]
    await kv.tag_stream(StreamName="door", Tags={"site": "lab"})
    assert (await kv.list_tags_for_stream(StreamARN=arn))["Tags"] == {"team": "ops", "site": "lab"}
    await kv.untag_stream(StreamName="door", TagKeyList=["team"])
    assert (await kv.list_tags_for_resource(ResourceARN=arn))["Tags"] == {"site": "lab"}
    with pytest.raises(ServiceError) as caught:
        await kv.tag_stream(StreamName="door", Tags={f"k{i}": "v" for i in range(50)})
    assert caught.value.code == "TagsPerResourceExceededLimitException"
    assert (await kv.list_tags_for_stream(StreamARN=arn))["Tags"] == {"site": "lab"}
    channel = (await kv.create_signaling_channel(ChannelName="bell"))["ChannelARN"]
    await kv.tag_resource(ResourceARN=channel, Tags=[{"Key": "a", "Value": "b"}])
    assert (await kv.list_tags_for_resource(ResourceARN=channel))["Tags"] == {"a": "b"}


async def test_data_endpoint_is_the_lab_listener(eng):
    kv = eng.client("kinesisvideo")
    await kv.create_stream(StreamName="door")
    urls = {
        api: (await kv.get_data_endpoint(StreamName="door", APIName=api))["DataEndpoint"]
        for api in ("PUT_MEDIA", "GET_MEDIA", "GET_HLS_STREAMING_SESSION_URL", "GET_IMAGES")
    }
    assert len(set(urls.values())) == 1
    url = urls["PUT_MEDIA"]
    assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0
    with pytest.raises(ServiceError) as caught:
        await kv.get_data_endpoint(StreamName="nope", APIName="GET_MEDIA")
    assert caught.value.code == "ResourceNotFoundException"
    await kv.delete_stream(
        StreamARN=(await kv.describe_stream(StreamName="door"))["StreamInfo"]["StreamARN"]
    )
    assert eng.service("kinesisvideo").holdings()["listeners"] == 0


async def test_image_and_notification_configurations(eng):
    kv = eng.client("kinesisvideo")
    await kv.create_stream(StreamName="keeps", DataRetentionInHours=1)
    await kv.create_stream(StreamName="live")
    config = {
        "Status": "ENABLED",
        "ImageSelectorType": "SERVER_TIMESTAMP",
        "DestinationConfig": {"Uri": "s3://frames/door", "DestinationRegion": "us-east-1"},
        "SamplingInterval": 1000,
        "Format": "JPEG",
    }
    assert "ImageGenerationConfiguration" not in await kv.describe_image_generation_configuration(
        StreamName="keeps"
    )
    await kv.update_image_generation_configuration(
        StreamName="keeps", ImageGenerationConfiguration=config
    )
    got = await kv.describe_image_generation_configuration(StreamName="keeps")
    assert got["ImageGenerationConfiguration"] == config
    with pytest.raises(ServiceError) as caught:
        await kv.update_image_generation_configuration(
            StreamName="live", ImageGenerationConfiguration=config
        )
    assert caught.value.code == "InvalidArgumentException"
    with pytest.raises(ServiceError):
        await kv.update_image_generation_configuration(
            StreamName="keeps", ImageGenerationConfiguration={**config, "SamplingInterval": 50}
        )
    note = {
        "Status": "ENABLED",
        "DestinationConfig": {"Uri": "arn:aws:sns:us-east-1:123456789012:frames"},
    }
    await kv.update_notification_configuration(StreamName="keeps", NotificationConfiguration=note)
    assert (await kv.describe_notification_configuration(StreamName="keeps"))[
        "NotificationConfiguration"
    ] == note


async def test_signaling_channels_are_control_plane(eng):
    kv = eng.client("kinesisvideo")
    arn = (
        await kv.create_signaling_channel(
            ChannelName="bell", SingleMasterConfiguration={"MessageTtlSeconds": 30}
        )
    )["ChannelARN"]
    info = (await kv.describe_signaling_channel(ChannelARN=arn))["ChannelInfo"]
    assert (
        info["ChannelType"] == "SINGLE_MASTER"
        and info["SingleMasterConfiguration"]["MessageTtlSeconds"] == 30
    )
    endpoints = await kv.get_signaling_channel_endpoint(
        ChannelARN=arn,
        SingleMasterChannelEndpointConfiguration={"Protocols": ["WSS", "HTTPS"], "Role": "MASTER"},
    )
    assert [e["Protocol"] for e in endpoints["ResourceEndpointList"]] == ["WSS", "HTTPS"]
    assert all("127.0.0.1" in e["ResourceEndpoint"] for e in endpoints["ResourceEndpointList"])
    await kv.update_signaling_channel(
        ChannelARN=arn,
        CurrentVersion=info["Version"],
        SingleMasterConfiguration={"MessageTtlSeconds": 60},
    )
    assert [c["ChannelName"] for c in (await kv.list_signaling_channels())["ChannelInfoList"]] == [
        "bell"
    ]
    await kv.delete_signaling_channel(ChannelARN=arn)
    with pytest.raises(ServiceError) as caught:
        await kv.describe_signaling_channel(ChannelName="bell")
    assert caught.value.code == "ResourceNotFoundException"


async def test_bad_parameters_are_refused_by_the_model(eng):
    kv = eng.client("kinesisvideo")
    with pytest.raises(ServiceError):
        await kv.create_stream(StreamName="bad name!")
    assert (await kv.list_streams())["StreamInfoList"] == []


async def test_deleting_a_stream_frees_fragments_sessions_and_timers(eng, clock):
    from tests.engine.kvs_media import tiny_mkv

    kv = eng.client("kinesisvideo")
    arn = (await kv.create_stream(StreamName="door", DataRetentionInHours=1))["StreamARN"]
    service = eng.service("kinesisvideo")
    await service.ingest.put_bytes(service.streams["door"], tiny_mkv(3))
    archived = eng.client("kinesis-video-archived-media")
    await archived.get_hls_streaming_session_url(StreamName="door", PlaybackMode="LIVE")
    assert eng.service("kinesis-video-archived-media").holdings() == {"playback_sessions": 1}
    pending = clock.pending_timers()
    await kv.delete_stream(StreamARN=arn)
    assert eng.service("kinesis-video-archived-media").holdings() == {"playback_sessions": 0}
    assert service.holdings()["fragments"] == 0 and clock.pending_timers() < pending


async def test_every_control_plane_operation_is_emulated(eng):
    from engine.model import operations

    service = eng.service("kinesisvideo")
    missing = [op for op in operations("kinesisvideo") if not hasattr(service, op)]
    assert missing == []


async def test_edge_and_media_storage_configurations(eng):
    kv = eng.client("kinesisvideo")
    arn = (await kv.create_stream(StreamName="door", DataRetentionInHours=1))["StreamARN"]
    with pytest.raises(ServiceError) as caught:
        await kv.describe_edge_configuration(StreamName="door")
    assert caught.value.code == "StreamEdgeConfigurationNotFoundException"
    hub = "arn:aws:iot:us-east-1:123456789012:thing/hub"
    edge = {
        "HubDeviceArn": hub,
        "RecorderConfig": {
            "MediaSourceConfig": {
                "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cam",
                "MediaUriType": "RTSP_URI",
            }
        },
    }
    started = await kv.start_edge_configuration_update(StreamName="door", EdgeConfig=edge)
    assert started["SyncStatus"] == "SYNCING" and started["EdgeConfig"]["HubDeviceArn"] == hub
    listed = await kv.list_edge_agent_configurations(HubDeviceArn=hub)
    assert [c["StreamName"] for c in listed["EdgeConfigs"]] == ["door"]
    await kv.delete_edge_configuration(StreamARN=arn)
    assert (await kv.list_edge_agent_configurations(HubDeviceArn=hub))["EdgeConfigs"] == []
    channel = (await kv.create_signaling_channel(ChannelName="bell"))["ChannelARN"]
    assert (await kv.describe_media_storage_configuration(ChannelARN=channel))[
        "MediaStorageConfiguration"
    ] == {"Status": "DISABLED"}
    await kv.update_media_storage_configuration(
        ChannelARN=channel, MediaStorageConfiguration={"StreamARN": arn, "Status": "ENABLED"}
    )
    mapped = await kv.describe_mapped_resource_configuration(StreamARN=arn)
    assert mapped["MappedResourceConfigurationList"] == [
        {"Type": "KinesisVideoSignalingChannel", "ARN": channel}
    ]


def test_pyav_and_numpy_load_only_when_media_work_needs_them() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import asyncio, sys, engine\n"
        "from engine import Engine, VirtualClock\n"
        "from engine.services.kinesisvideo.mkv import placeholder_mkv\n"
        "async def main():\n"
        "    async with Engine(clock=VirtualClock()) as eng:\n"
        "        await eng.client('kinesisvideo').create_stream(StreamName='s', DataRetentionInHours=1)\n"
        "        service = eng.service('kinesisvideo')\n"
        "        await service.ingest.put_bytes(service.streams['s'], placeholder_mkv(2))\n"
        "        await eng.client('kinesis-video-archived-media').list_fragments(StreamName='s')\n"
        "asyncio.run(main())\n"
        "bad = [m for m in ('av', 'numpy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": ""},
    )


async def test_save_and_open_keeps_streams_fragments_and_channels(eng, clock, tmp_path):
    from engine import Engine, VirtualClock
    from engine.persistence.labfile import read_file, restore, save_file
    from tests.engine.kvs_media import tiny_mkv

    kv = eng.client("kinesisvideo")
    await kv.create_stream(StreamName="door", DataRetentionInHours=1, Tags={"site": "lab"})
    await kv.create_signaling_channel(ChannelName="bell")
    service = eng.service("kinesisvideo")
    await service.ingest.put_bytes(service.streams["door"], tiny_mkv(3))
    archived = eng.client("kinesis-video-archived-media")
    before = (await archived.list_fragments(StreamName="door"))["Fragments"]
    described = (await kv.describe_stream(StreamName="door"))["StreamInfo"]
    path = tmp_path / "lab.json"
    save_file(eng, path)
    fresh_clock = VirtualClock(start=clock.now() + 1800)
    async with Engine(clock=fresh_clock) as fresh:
        await restore(fresh, read_file(path, fresh.available_services()))
        fkv = fresh.client("kinesisvideo")
        assert (await fkv.describe_stream(StreamName="door"))["StreamInfo"] == described
        assert (await fkv.list_tags_for_stream(StreamName="door"))["Tags"] == {"site": "lab"}
        assert [
            c["ChannelName"] for c in (await fkv.list_signaling_channels())["ChannelInfoList"]
        ] == ["bell"]
        after = await fresh.client("kinesis-video-archived-media").list_fragments(StreamName="door")
        assert after["Fragments"] == before
        endpoint = (await fkv.get_data_endpoint(StreamName="door", APIName="GET_MEDIA"))[
            "DataEndpoint"
        ]
        assert endpoint.startswith("http://127.0.0.1:")
        fresh_service = fresh.service("kinesisvideo")
        acks = await fresh_service.ingest.put_bytes(fresh_service.streams["door"], tiny_mkv(1))
        assert int(acks[0]["FragmentNumber"]) > int(before[-1]["FragmentNumber"])
        await fresh_clock.advance(1801)  # the saved fragments reach their hour
        assert len(fresh_service.streams["door"].fragments) == 1
