"""PutMedia, GetMedia, ListFragments, retention and the archived reads, with real H.264 MKV."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from engine import ServiceError

from .kvs_media import (
    FPS,
    HEIGHT,
    WIDTH,
    camera,
    chunks_of,
    decode,
    looks_like,
    producer_sdk_stream,
    tags_of,
    tiny_mkv,
)

pytest.importorskip("av")


pytestmark = pytest.mark.timeout(60)

START = datetime(2026, 1, 1, tzinfo=UTC)


async def _stream(eng, name="door", hours=1):
    await eng.client("kinesisvideo").create_stream(StreamName=name, DataRetentionInHours=hours)
    service = eng.service("kinesisvideo")
    return service, service.streams[name]


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


async def test_put_media_acknowledges_each_fragment(eng):
    service, stream = await _stream(eng)
    acks = await service.ingest.put_bytes(stream, camera(3), timecode_type="RELATIVE")
    kinds = [a["EventType"] for a in acks]
    assert kinds == ["BUFFERING", "RECEIVED", "PERSISTED"] * 3
    assert [a["FragmentTimecode"] for a in acks[::3]] == [0, 1000, 2000]
    numbers = [a["FragmentNumber"] for a in acks[::3]]
    assert len(set(numbers)) == 3 and sorted(numbers, key=int) == numbers
    listed = (await eng.client("kinesis-video-archived-media").list_fragments(StreamName="door"))[
        "Fragments"
    ]
    assert [f["FragmentNumber"] for f in listed] == numbers
    assert [f["FragmentLengthInMilliseconds"] for f in listed] == [1000, 1000, 1000]
    assert [f["ProducerTimestamp"] for f in listed] == [
        START + timedelta(seconds=s) for s in range(3)
    ]
    assert all(f["ServerTimestamp"] == START and f["FragmentSizeInBytes"] > 0 for f in listed)


async def test_producer_sdk_stream_in_small_pieces_reads_back_with_aws_tags(eng, clock):
    service, stream = await _stream(eng)
    epoch_ms = int(START.timestamp() * 1000) - 60_000
    data = producer_sdk_stream(camera(3), timecode_base_ms=epoch_ms)
    acks = [a async for a in service.ingest.put_media(stream, _pieces(data, 700))]
    assert [a["FragmentTimecode"] for a in acks if a["EventType"] == "PERSISTED"] == [
        epoch_ms,
        epoch_ms + 1000,
        epoch_ms + 2000,
    ]
    await clock.advance(2)
    media = eng.client("kinesis-video-media")
    answer = await media.get_media(
        StreamName="door", StartSelector={"StartSelectorType": "EARLIEST"}
    )
    assert answer["ContentType"] == "video/webm"
    chunks = chunks_of(answer["Payload"].read())
    assert len(chunks) == 3
    tags = [tags_of(c) for c in chunks]
    assert tags[0]["AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"] == f"{epoch_ms // 1000}.000"
    assert tags[0]["AWS_KINESISVIDEO_SERVER_TIMESTAMP"] == f"{int(START.timestamp())}.000"
    assert tags[0]["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"] == "0"
    assert (
        tags[1]["AWS_KINESISVIDEO_CONTINUATION_TOKEN"]
        == tags[1]["AWS_KINESISVIDEO_FRAGMENT_NUMBER"]
    )
    frames = [frame for chunk in chunks for frame in decode(chunk, "matroska")]
    assert len(frames) == 3 * FPS
    assert frames[0].shape == (HEIGHT, WIDTH, 3)
    assert all(looks_like(frames[i], i) for i in (0, 7, 15, 29))


async def test_get_media_start_selectors(eng, clock):
    service, stream = await _stream(eng)
    for second in range(3):
        await service.ingest.put_bytes(
            stream, camera(1, start_ms=second * 1000), timecode_type="RELATIVE"
        )
        await clock.advance(1)
    numbers = [f.number for f in stream.fragments.all()]
    media = eng.client("kinesis-video-media")

    async def read(**selector):
        await clock.advance(0.25)  # GetMedia allows five calls a second per stream
        answer = await media.get_media(StreamName="door", StartSelector=selector)
        return [
            int(tags_of(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"])
            for c in chunks_of(answer["Payload"].read())
        ]

    assert await read(StartSelectorType="EARLIEST") == numbers
    assert await read(StartSelectorType="NOW") == []
    assert (
        await read(StartSelectorType="FRAGMENT_NUMBER", AfterFragmentNumber=str(numbers[1]))
        == numbers[1:]
    )
    assert (
        await read(StartSelectorType="CONTINUATION_TOKEN", ContinuationToken=str(numbers[0]))
        == numbers[1:]
    )
    assert (
        await read(
            StartSelectorType="SERVER_TIMESTAMP", StartTimestamp=START + timedelta(seconds=1.5)
        )
        == numbers[1:]
    )
    producer = stream.fragments.at(2).producer_ms / 1000
    assert (
        await read(StartSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=producer) == numbers[2:]
    )
    with pytest.raises(ServiceError) as caught:
        await read(StartSelectorType="FRAGMENT_NUMBER")
    assert caught.value.code == "InvalidArgumentException"


async def test_list_fragments_by_range_and_pages(eng, clock):
    service, stream = await _stream(eng)
    for _ in range(5):
        await service.ingest.put_bytes(stream, camera(1), timecode_type="RELATIVE")
        await clock.advance(1)
    archived = eng.client("kinesis-video-archived-media")
    window = {
        "FragmentSelectorType": "SERVER_TIMESTAMP",
        "TimestampRange": {
            "StartTimestamp": START + timedelta(seconds=1),
            "EndTimestamp": START + timedelta(seconds=3),
        },
    }
    found = (await archived.list_fragments(StreamName="door", FragmentSelector=window))["Fragments"]
    assert [f["ServerTimestamp"] for f in found] == [
        START + timedelta(seconds=s) for s in (1, 2, 3)
    ]
    first = await archived.list_fragments(StreamName="door", MaxResults=2)
    second = await archived.list_fragments(
        StreamName="door", MaxResults=2, NextToken=first["NextToken"]
    )
    third = await archived.list_fragments(
        StreamName="door", MaxResults=2, NextToken=second["NextToken"]
    )
    seen = [f["FragmentNumber"] for page in (first, second, third) for f in page["Fragments"]]
    assert seen == [str(f.number) for f in stream.fragments.all()] and "NextToken" not in third
    backwards = {
        **window,
        "TimestampRange": {"StartTimestamp": START + timedelta(seconds=3), "EndTimestamp": START},
    }
    with pytest.raises(ServiceError) as caught:
        await archived.list_fragments(StreamName="door", FragmentSelector=backwards)
    assert caught.value.code == "InvalidArgumentException"


async def test_retention_expires_fragments_on_the_clock(eng, clock):
    service, stream = await _stream(eng, hours=1)
    recorder = eng.trace.record()
    await service.ingest.put_bytes(stream, camera(2), timecode_type="RELATIVE")
    await clock.advance(1800)
    await service.ingest.put_bytes(stream, camera(1), timecode_type="RELATIVE")
    assert service.holdings()["fragments"] == 3
    await clock.advance(1801)  # the first two pass their hour; the timer drops them unasked
    assert service.holdings()["fragments"] == 1
    assert stream.fragments.bytes == stream.fragments.all()[0].size
    await clock.advance(1800)
    assert service.holdings() | {"listeners": 1} == {
        "streams": 1,
        "channels": 0,
        "fragments": 0,
        "fragment_bytes": 0,
        "listeners": 1,
    }
    expired = [e for e in recorder.recent() if e.kind == "expired"]
    assert sum(e.detail["fragments"] for e in expired) == 3


async def test_put_media_errors_carry_aws_error_ids(eng):
    service, stream = await _stream(eng)
    acks = await service.ingest.put_bytes(stream, b"\x1a\x45\xdf\xa3\x81\x00garbage-not-mkv" * 3)
    assert acks[-1]["EventType"] == "ERROR"
    assert (acks[-1]["ErrorId"], acks[-1]["ErrorCode"]) == (4006, "INVALID_MKV_DATA")
    late = producer_sdk_stream(camera(1), timecode_base_ms=5000)
    early = producer_sdk_stream(camera(1), timecode_base_ms=1000)
    # One session whose second segment's fragment goes back in time.
    acks = await service.ingest.put_bytes(stream, late + early)
    assert [a["EventType"] for a in acks] == ["BUFFERING", "RECEIVED", "PERSISTED", "ERROR"]
    assert (
        acks[-1]["ErrorId"] == 4004
        and acks[-1]["ErrorCode"] == "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"
    )
    assert len(stream.fragments) == 1 and stream.errors == 2

    async def slow() -> AsyncIterator[bytes]:
        yield late[:100]
        with pytest.raises(ServiceError) as caught:
            await service.ingest.put_bytes(stream, camera(1))
        assert caught.value.code == "ConnectionLimitExceededException"
        yield late[100:]

    assert [a async for a in service.ingest.put_media(stream, slow())][-1][
        "EventType"
    ] == "PERSISTED"


async def test_stream_without_retention_is_live_only(eng):
    service, stream = await _stream(eng, hours=0)
    acks = await service.ingest.put_bytes(stream, camera(2), timecode_type="RELATIVE")
    assert [a["EventType"] for a in acks] == ["BUFFERING", "RECEIVED"] * 2
    archived = eng.client("kinesis-video-archived-media")
    with pytest.raises(ServiceError) as caught:
        await archived.get_clip(
            StreamName="door",
            ClipFragmentSelector={
                "FragmentSelectorType": "SERVER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": START, "EndTimestamp": START},
            },
        )
    assert caught.value.code == "NoDataRetentionException"


async def test_get_clip_is_an_mp4_of_the_range(eng, clock):
    service, stream = await _stream(eng)
    await service.ingest.put_bytes(stream, camera(3), timecode_type="RELATIVE")
    archived = eng.client("kinesis-video-archived-media")
    answer = await archived.get_clip(
        StreamName="door",
        ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {
                "StartTimestamp": START,
                "EndTimestamp": START + timedelta(seconds=1),
            },
        },
    )
    assert answer["ContentType"] == "video/mp4"
    data = answer["Payload"].read()
    assert data[4:8] == b"ftyp"
    frames = decode(data)
    assert len(frames) == 2 * FPS
    assert looks_like(frames[0], 0) and looks_like(frames[15], 15)
    with pytest.raises(ServiceError) as caught:
        await archived.get_clip(
            StreamName="door",
            ClipFragmentSelector={
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {
                    "StartTimestamp": START + timedelta(hours=1),
                    "EndTimestamp": START + timedelta(hours=2),
                },
            },
        )
    assert caught.value.code == "ResourceNotFoundException"


async def test_get_media_for_fragment_list(eng):
    service, stream = await _stream(eng)
    await service.ingest.put_bytes(stream, camera(3), timecode_type="RELATIVE")
    numbers = [str(f.number) for f in stream.fragments.all()]
    archived = eng.client("kinesis-video-archived-media")
    answer = await archived.get_media_for_fragment_list(
        StreamName="door", Fragments=[numbers[2], numbers[0]]
    )
    chunks = chunks_of(answer["Payload"].read())
    assert [tags_of(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == [
        numbers[2],
        numbers[0],
    ]
    assert "AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP" in tags_of(chunks[0])
    assert len(decode(chunks[0], "matroska")) == FPS
    with pytest.raises(ServiceError) as caught:
        await archived.get_media_for_fragment_list(StreamName="door", Fragments=["1"])
    assert caught.value.code == "ResourceNotFoundException"


async def test_get_images_samples_frames(eng):
    service, stream = await _stream(eng)
    await service.ingest.put_bytes(stream, camera(2), timecode_type="RELATIVE")
    archived = eng.client("kinesis-video-archived-media")
    answer = await archived.get_images(
        StreamName="door",
        ImageSelectorType="PRODUCER_TIMESTAMP",
        StartTimestamp=START,
        EndTimestamp=START + timedelta(seconds=3),
        SamplingInterval=500,
        Format="PNG",
        WidthPixels=80,
    )
    images = answer["Images"]
    assert [i["TimeStamp"] for i in images] == [
        START + timedelta(milliseconds=500 * k) for k in range(7)
    ]
    assert [i.get("Error") for i in images] == [None] * 4 + ["NO_MEDIA"] * 3
    png = base64.b64decode(images[1]["ImageContent"])
    assert png.startswith(b"\x89PNG")
    (frame,) = decode(png)
    assert frame.shape == (60, 80, 3)
    jpeg = await archived.get_images(
        StreamName="door",
        ImageSelectorType="PRODUCER_TIMESTAMP",
        StartTimestamp=START,
        EndTimestamp=START + timedelta(seconds=1),
        SamplingInterval=1000,
        Format="JPEG",
        MaxResults=1,
    )
    assert base64.b64decode(jpeg["Images"][0]["ImageContent"]).startswith(b"\xff\xd8")
    assert jpeg["NextToken"]
    with pytest.raises(ServiceError) as caught:
        await archived.get_images(
            StreamName="door",
            ImageSelectorType="PRODUCER_TIMESTAMP",
            StartTimestamp=START,
            EndTimestamp=START + timedelta(seconds=301),
            SamplingInterval=1000,
            Format="JPEG",
        )
    assert caught.value.code == "InvalidArgumentException"


async def test_without_pyav_fragments_still_flow_and_media_calls_say_what_to_install(
    eng, monkeypatch
):
    service, stream = await _stream(eng)
    data = camera(2)
    monkeypatch.setitem(sys.modules, "av", None)  # as if `pipework[video]` were not installed
    acks = await service.ingest.put_bytes(stream, data, timecode_type="RELATIVE")
    assert [a["EventType"] for a in acks].count("PERSISTED") == 2
    archived = eng.client("kinesis-video-archived-media")
    assert len((await archived.list_fragments(StreamName="door"))["Fragments"]) == 2
    media = await eng.client("kinesis-video-media").get_media(
        StreamName="door", StartSelector={"StartSelectorType": "EARLIEST"}
    )
    assert len(chunks_of(media["Payload"].read())) == 2
    with pytest.raises(ServiceError) as caught:
        await archived.get_clip(
            StreamName="door",
            ClipFragmentSelector={
                "FragmentSelectorType": "SERVER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": START, "EndTimestamp": START},
            },
        )
    assert (
        caught.value.message
        == "GetClip needs the media library: pip install 'pipework[video]' (PyAV)."
    )


async def test_image_generation_writes_to_s3_on_a_schedule_and_notifies(eng, clock):
    service, stream = await _stream(eng)
    s3 = eng.client("s3")
    await s3.create_bucket(Bucket="frames")
    sns, sqs = eng.client("sns"), eng.client("sqs")
    topic = (await sns.create_topic(Name="frames"))["TopicArn"]
    queue = (await sqs.create_queue(QueueName="frames"))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    kv = eng.client("kinesisvideo")
    await kv.update_image_generation_configuration(
        StreamName="door",
        ImageGenerationConfiguration={
            "Status": "ENABLED",
            "ImageSelectorType": "PRODUCER_TIMESTAMP",
            "DestinationConfig": {"Uri": "s3://frames/door", "DestinationRegion": "us-east-1"},
            "SamplingInterval": 1000,
            "Format": "JPEG",
            "WidthPixels": 80,
        },
    )
    await kv.update_notification_configuration(
        StreamName="door",
        NotificationConfiguration={"Status": "ENABLED", "DestinationConfig": {"Uri": topic}},
    )
    await clock.advance(3)  # nothing ingested yet: no images
    assert (await s3.list_objects_v2(Bucket="frames")).get("KeyCount") == 0
    await service.ingest.put_bytes(stream, camera(1), timecode_type="RELATIVE")
    await clock.advance(1)
    await service.ingest.put_bytes(stream, camera(1), timecode_type="RELATIVE")
    await clock.advance(3)
    keys = [o["Key"] for o in (await s3.list_objects_v2(Bucket="frames"))["Contents"]]
    assert len(keys) == 2 and all(
        k.startswith("door/123456789012/door/2026/01/01/") and k.endswith(".jpg") for k in keys
    )
    image = (await s3.get_object(Bucket="frames", Key=keys[0]))["Body"].read()
    (frame,) = decode(image)
    assert frame.shape == (60, 80, 3)
    messages = (await sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10))["Messages"]
    assert len(messages) == 2 and '"S3Destination": "s3://frames/' in messages[0]["Body"]
    nodes, edges = service.topology()
    assert nodes[0].kind == "video-stream" and nodes[0].counters["fragments"] == 2
    assert [(e.target, e.kind) for e in edges] == [("arn:aws:s3:::frames", "delivery")]
    await kv.update_image_generation_configuration(StreamName="door")
    await clock.advance(5)
    assert stream.image_timer is None


async def test_detect_motion_demo_reads_get_images(eng, clock):
    from .kvs_media import live_pieces, still

    service, stream = await _stream(eng)
    lam = eng.client("lambda")
    for name, video in (("moving", camera(6)), ("quiet", still(6))):
        await eng.client("kinesisvideo").create_stream(StreamName=name, DataRetentionInHours=1)
        await lam.create_function(
            FunctionName=f"motion-{name}",
            Runtime="python3.12",
            Role="arn:aws:iam::123456789012:role/demo",
            Handler="pipework.demos.detect-motion",
            Code={},
            Environment={"Variables": {"STREAM_NAME": name}},
        )

        # A live producer: each second's fragment arrives as that second passes.
        async def live(pieces=live_pieces(video)):
            for piece in pieces:
                yield piece
                await clock.sleep(1)

        target = service.streams[name]
        eng.spawn(_drain(service.ingest.put_media(target, live(), timecode_type="RELATIVE")))
    await clock.advance(7)
    moving = await lam.invoke(FunctionName="motion-moving")
    quiet = await lam.invoke(FunctionName="motion-quiet")
    moving, quiet = (json.loads(r["Payload"].read()) for r in (moving, quiet))
    assert moving["motion"] is True and moving["score"] > 4
    assert quiet["motion"] is False and quiet["score"] < 1
    assert moving["frames"] == quiet["frames"] == 6


async def _drain(acks) -> None:
    async for _ in acks:
        pass


async def test_a_sixth_call_within_a_second_is_throttled(eng, clock):
    service, stream = await _stream(eng)
    await service.ingest.put_bytes(stream, tiny_mkv(1))
    media = eng.client("kinesis-video-media")
    selector = {"StartSelectorType": "EARLIEST"}
    for _ in range(5):
        await media.get_media(StreamName="door", StartSelector=selector)
    with pytest.raises(ServiceError) as caught:
        await media.get_media(StreamName="door", StartSelector=selector)
    assert caught.value.code == "ClientLimitExceededException"
    await clock.advance(1)
    await media.get_media(StreamName="door", StartSelector=selector)
    for _ in range(5):  # PutMedia connections too
        await service.ingest.put_bytes(stream, tiny_mkv(1))
    with pytest.raises(ServiceError) as caught:
        await service.ingest.put_bytes(stream, tiny_mkv(1))
    assert caught.value.code == "ClientLimitExceededException"
