"""Kinesis Video Streams over real sockets: boto3 on the control plane, a chunked PutMedia
upload to the data endpoint GetDataEndpoint names, boto3's data plane clients, and HLS read
with a real playlist parser."""

from __future__ import annotations

import asyncio
import http.client
import json
from datetime import timedelta
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from tests.engine.kvs_media import (
    FPS,
    camera,
    chunks_of,
    decode,
    looks_like,
    producer_sdk_stream,
    tags_of,
)

pytest.importorskip("av")
m3u8 = pytest.importorskip("m3u8")


pytestmark = pytest.mark.timeout(60)


def _put_media(
    endpoint: str, stream: str, body: bytes, piece: int = 4096, **headers: str
) -> list[dict]:
    """PutMedia as the Producer SDK does it: chunked upload, acknowledgements read per line."""
    url = urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    pieces = (body[at : at + piece] for at in range(0, len(body), piece))
    connection.request(
        "POST",
        "/putMedia",
        body=pieces,
        headers={
            "x-amzn-stream-name": stream,
            "x-amzn-fragment-timecode-type": "ABSOLUTE",
            **headers,
        },
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 200, response.read()
    acks = [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]
    connection.close()
    return acks


def _get(url: str) -> bytes:
    with urlopen(url, timeout=30) as answer:
        return answer.read()


async def test_put_media_then_read_with_boto3_and_hls(lab):
    kv = lab.client("kinesisvideo")
    await lab.call(kv.create_stream, StreamName="porch", DataRetentionInHours=2)
    endpoint = (await lab.call(kv.get_data_endpoint, StreamName="porch", APIName="PUT_MEDIA"))[
        "DataEndpoint"
    ]
    assert endpoint.startswith("http://127.0.0.1:") and endpoint != lab.url
    base_ms = int(lab.engine.clock.now() * 1000) - 10_000
    acks = await lab.call(
        _put_media, endpoint, "porch", producer_sdk_stream(camera(3), timecode_base_ms=base_ms)
    )
    assert [a["EventType"] for a in acks] == ["BUFFERING", "RECEIVED", "PERSISTED"] * 3
    assert [a["FragmentTimecode"] for a in acks[::3]] == [base_ms, base_ms + 1000, base_ms + 2000]

    archived = lab.client_for("kinesis-video-archived-media", endpoint)
    fragments = (await lab.call(archived.list_fragments, StreamName="porch"))["Fragments"]
    assert [f["FragmentNumber"] for f in fragments] == [a["FragmentNumber"] for a in acks[::3]]

    lab.engine.service("kinesisvideo").listener.live_idle_seconds = 0.2
    media = lab.client_for("kinesis-video-media", endpoint)
    answer = await lab.call(
        media.get_media, StreamName="porch", StartSelector={"StartSelectorType": "EARLIEST"}
    )
    payload = await lab.call(answer["Payload"].read)
    chunks = chunks_of(payload)
    assert [tags_of(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == [
        f["FragmentNumber"] for f in fragments
    ]
    assert len(decode(chunks[1], "matroska")) == FPS

    session = await lab.call(
        archived.get_hls_streaming_session_url, StreamName="porch", PlaybackMode="LIVE"
    )
    url = session["HLSStreamingSessionURL"]
    assert url.startswith(endpoint + "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
    master = m3u8.loads((await lab.call(_get, url)).decode(), uri=url)
    assert master.is_variant and master.playlists[0].stream_info.resolution == (160, 120)
    playlist_url = master.playlists[0].absolute_uri
    playlist = m3u8.loads((await lab.call(_get, playlist_url)).decode(), uri=playlist_url)
    assert len(playlist.segments) == 3 and playlist.target_duration == 1
    init = await lab.call(_get, playlist.segment_map[0].absolute_uri)
    segments = [await lab.call(_get, s.absolute_uri) for s in playlist.segments]
    frames = decode(init + b"".join(segments), "mp4")
    assert len(frames) == 3 * FPS
    assert looks_like(frames[0], 0) and looks_like(frames[25], 25)

    dash = await lab.call(
        archived.get_dash_streaming_session_url, StreamName="porch", PlaybackMode="LIVE"
    )
    manifest = (await lab.call(_get, dash["DASHStreamingSessionURL"])).decode()
    assert "<MPD" in manifest and manifest.count("<SegmentURL") == 3


async def test_data_endpoint_errors_are_aws_errors(lab):
    kv = lab.client("kinesisvideo")
    await lab.call(kv.create_stream, StreamName="porch", DataRetentionInHours=1)
    endpoint = (await lab.call(kv.get_data_endpoint, StreamName="porch", APIName="LIST_FRAGMENTS"))[
        "DataEndpoint"
    ]
    archived = lab.client_for("kinesis-video-archived-media", endpoint)
    with pytest.raises(archived.exceptions.ResourceNotFoundException):
        await lab.call(archived.list_fragments, StreamName="nope")
    with pytest.raises(archived.exceptions.ResourceNotFoundException):
        await lab.call(
            archived.get_hls_streaming_session_url, StreamName="porch", PlaybackMode="LIVE"
        )
    acks = await lab.call(_put_media, endpoint, "porch", b"\x1a\x45\xdf\xa3\x84junk" + b"x" * 64)
    assert acks[-1]["EventType"] == "ERROR" and acks[-1]["ErrorId"] == 4006
    status, kind = await lab.call(_put_to_missing_stream, endpoint)
    assert (status, kind) == (404, "ResourceNotFoundException")


def _put_to_missing_stream(endpoint: str) -> tuple[int, str | None]:
    url = urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("POST", "/putMedia", body=b"", headers={"x-amzn-stream-name": "nope"})
    answer = connection.getresponse()
    connection.close()
    return answer.status, answer.getheader("x-amzn-errortype")


async def test_get_media_now_streams_fragments_as_they_land(lab):
    kv = lab.client("kinesisvideo")
    await lab.call(kv.create_stream, StreamName="gate", DataRetentionInHours=1)
    endpoint = (await lab.call(kv.get_data_endpoint, StreamName="gate", APIName="GET_MEDIA"))[
        "DataEndpoint"
    ]
    service = lab.engine.service("kinesisvideo")
    service.listener.live_idle_seconds = 1.0
    await service.ingest.put_bytes(service.streams["gate"], camera(1), timecode_type="RELATIVE")
    media = lab.client_for("kinesis-video-media", endpoint)

    def read_live() -> bytes:
        answer = media.get_media(StreamName="gate", StartSelector={"StartSelectorType": "NOW"})
        return answer["Payload"].read()

    reader = asyncio.ensure_future(lab.call(read_live))
    while not service.streams["gate"].waiters:  # the reader is waiting for new fragments
        await asyncio.sleep(0.02)
    for second in range(2):
        await service.ingest.put_bytes(
            service.streams["gate"], camera(1, start_ms=second * 1000), timecode_type="RELATIVE"
        )
        await asyncio.sleep(0.1)
    chunks = chunks_of(await reader)
    numbers = [str(f.number) for f in service.streams["gate"].fragments.all()]
    assert [tags_of(c)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in chunks] == numbers[1:]


def _raw(endpoint: str, data: bytes) -> bytes:
    import socket

    url = urlsplit(endpoint)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


async def test_malformed_requests_get_one_clear_answer(lab):
    kv = lab.client("kinesisvideo")
    await lab.call(kv.create_stream, StreamName="porch", DataRetentionInHours=1)
    endpoint = (await lab.call(kv.get_data_endpoint, StreamName="porch", APIName="GET_MEDIA"))[
        "DataEndpoint"
    ]
    garbage = await lab.call(_raw, endpoint, b"NOT HTTP AT ALL\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400") and b"Malformed HTTP request" in garbage
    body = b"{not json"
    request = (
        b"POST /getMedia HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = await lab.call(_raw, endpoint, request)
    assert (
        answer.startswith(b"HTTP/1.1 400") and b"x-amzn-errortype: SerializationException" in answer
    )
    request = (
        b"POST /listFragments HTTP/1.1\r\nhost: x\r\nconnection: close\r\n"
        b"content-length: 2\r\n\r\n{}"
    )
    answer = await lab.call(_raw, endpoint, request)
    assert b"InvalidArgumentException" in answer  # neither StreamName nor StreamARN


async def test_hls_on_demand_as_mpeg_ts(lab):
    kv = lab.client("kinesisvideo")
    await lab.call(kv.create_stream, StreamName="dock", DataRetentionInHours=1)
    endpoint = (
        await lab.call(
            kv.get_data_endpoint, StreamName="dock", APIName="GET_HLS_STREAMING_SESSION_URL"
        )
    )["DataEndpoint"]
    service = lab.engine.service("kinesisvideo")
    # Whole-second producer times: botocore sends this API whole-second timestamps by default.
    base_ms = int(lab.engine.clock.now()) * 1000 - 10_000
    await service.ingest.put_bytes(
        service.streams["dock"], producer_sdk_stream(camera(3), timecode_base_ms=base_ms)
    )
    first = service.streams["dock"].fragments.all()[0].producer_time
    archived = lab.client_for("kinesis-video-archived-media", endpoint)
    session = await lab.call(
        archived.get_hls_streaming_session_url,
        StreamName="dock",
        PlaybackMode="ON_DEMAND",
        ContainerFormat="MPEG_TS",
        HLSFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {
                "StartTimestamp": first,
                "EndTimestamp": first + timedelta(seconds=1),
            },
        },
    )
    url = session["HLSStreamingSessionURL"]
    master = m3u8.loads((await lab.call(_get, url)).decode(), uri=url)
    media_url = master.playlists[0].absolute_uri
    playlist = m3u8.loads((await lab.call(_get, media_url)).decode(), uri=media_url)
    assert playlist.is_endlist and playlist.playlist_type == "vod"
    assert not playlist.segment_map and len(playlist.segments) == 2
    assert all("getTSFragment.ts" in s.uri for s in playlist.segments)
    data = b"".join([await lab.call(_get, s.absolute_uri) for s in playlist.segments])
    assert data[0] == 0x47  # MPEG-TS sync byte
    frames = decode(data, "mpegts")
    assert len(frames) == 2 * FPS and looks_like(frames[FPS + 3], FPS + 3)
    with pytest.raises(archived.exceptions.InvalidArgumentException):
        await lab.call(
            archived.get_hls_streaming_session_url, StreamName="dock", PlaybackMode="ON_DEMAND"
        )


async def test_ice_server_config_from_the_channels_https_endpoint(lab):
    # Signaling is control plane only, but a viewer's first steps work as on AWS: the channel's
    # HTTPS endpoint answers GetIceServerConfig with TURN servers and temporary credentials.
    kv = lab.client("kinesisvideo")
    arn = (await lab.call(kv.create_signaling_channel, ChannelName="doorbell"))["ChannelARN"]
    endpoints = await lab.call(
        kv.get_signaling_channel_endpoint,
        ChannelARN=arn,
        SingleMasterChannelEndpointConfiguration={"Protocols": ["HTTPS"], "Role": "VIEWER"},
    )
    https = endpoints["ResourceEndpointList"][0]["ResourceEndpoint"]
    assert https.startswith("http://127.0.0.1:")
    signaling = lab.client_for("kinesis-video-signaling", https)
    config = await lab.call(signaling.get_ice_server_config, ChannelARN=arn, ClientId="viewer-1")
    (server,) = config["IceServerList"]
    assert server["Ttl"] == 300 and server["Username"] and server["Password"]
    assert all(uri.startswith(("turn:", "turns:")) for uri in server["Uris"])
    missing = arn.replace("doorbell", "nope")
    with pytest.raises(signaling.exceptions.ResourceNotFoundException):
        await lab.call(signaling.get_ice_server_config, ChannelARN=missing)
