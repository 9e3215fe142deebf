"""Kinesis Video Streams: PutMedia headroom over real time, and ListFragments over a day.

Prints one JSON object:

- `put_media`: 30 fps 1280×720 H.264 at a camera's 4 Mbit/s (constant rate) from the synthetic
  camera (10 s, one fragment a second),
  uploaded as the Producer SDK does (chunked HTTP to the data endpoint, acknowledgements read
  back), and the same bytes through the in-process session. `headroom` = seconds of video per
  second of ingest; the target is ≥ 5× real time. The floor is the MKV splitter alone (the parse
  every path pays). No peer emulates the Kinesis Video data plane, so there is no peer row.
- `list_fragments`: a stream holding a day of one-second fragments (86,400), then ListFragments
  for one hour by server and by producer timestamp (1,000 a page) and the first page of the
  whole stream; median milliseconds per call, target ≤ 10 ms.

The machine may be loaded: the ratios (headroom over the floor, per-call cost) are what to read.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from engine import Engine, RealClock, VirtualClock
from engine.services.kinesisvideo.camera import synthetic_mkv
from engine.services.kinesisvideo.mkv import MkvSplitter, placeholder_mkv

TARGETS = {"put_media_headroom_min": 5.0, "list_fragments_ms_max": 10.0}
SECONDS = 10
FPS = 30
WIDTH, HEIGHT = 1280, 720
BITRATE = 4_000_000
PIECE = 64 * 1024
ROUNDS = 3
DAY = 86_400


def _upload(endpoint: str, stream: str, body: bytes) -> list[dict]:
    url = urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    pieces = (body[at : at + PIECE] for at in range(0, len(body), PIECE))
    connection.request(
        "POST",
        "/putMedia",
        body=pieces,
        headers={"x-amzn-stream-name": stream, "x-amzn-fragment-timecode-type": "RELATIVE"},
        encode_chunked=True,
    )
    answer = connection.getresponse()
    acks = [json.loads(line) for line in answer.read().decode().splitlines() if line]
    connection.close()
    return acks


async def put_media() -> dict:
    started = time.perf_counter()
    video = synthetic_mkv(SECONDS, fps=FPS, width=WIDTH, height=HEIGHT, bitrate=BITRATE)
    made = time.perf_counter() - started
    splitter_s, wire_s, inproc_s = [], [], []
    async with Engine(clock=RealClock()) as eng:
        kv = eng.client("kinesisvideo")
        service = eng.service("kinesisvideo")
        for round_ in range(ROUNDS):
            t0 = time.perf_counter()
            splitter = MkvSplitter()
            for at in range(0, len(video), PIECE):
                splitter.feed(video[at : at + PIECE])
            splitter.finish()
            splitter_s.append(time.perf_counter() - t0)

            name = f"bench-wire-{round_}"
            await kv.create_stream(StreamName=name, DataRetentionInHours=1)
            endpoint = (await kv.get_data_endpoint(StreamName=name, APIName="PUT_MEDIA"))[
                "DataEndpoint"
            ]
            t0 = time.perf_counter()
            acks = await asyncio.to_thread(_upload, endpoint, name, video)
            wire_s.append(time.perf_counter() - t0)
            assert sum(a["EventType"] == "PERSISTED" for a in acks) == SECONDS, acks[-1:]

            name = f"bench-inproc-{round_}"
            await kv.create_stream(StreamName=name, DataRetentionInHours=1)
            t0 = time.perf_counter()
            acks = await service.ingest.put_bytes(service.streams[name], video)
            inproc_s.append(time.perf_counter() - t0)
            assert sum(a["EventType"] == "PERSISTED" for a in acks) == SECONDS
    wire, inproc, floor = (statistics.median(v) for v in (wire_s, inproc_s, splitter_s))
    return {
        "video": f"{WIDTH}x{HEIGHT} H.264 {FPS} fps, {SECONDS} s, {len(video):,} bytes",
        "generate_s": round(made, 2),
        "wire_s": round(wire, 4),
        "in_process_s": round(inproc, 4),
        "floor_splitter_s": round(floor, 4),
        "headroom_wire": round(SECONDS / wire, 1),
        "headroom_in_process": round(SECONDS / inproc, 1),
        "headroom_floor": round(SECONDS / floor, 1),
        "megabits_per_s_wire": round(len(video) * 8 / wire / 1e6, 1),
    }


async def list_fragments() -> dict:
    clock = VirtualClock()
    async with Engine(clock=clock) as eng:
        await eng.client("kinesisvideo").create_stream(StreamName="day", DataRetentionInHours=48)
        service = eng.service("kinesisvideo")
        stream = service.streams["day"]
        start = clock.datetime()
        t0 = time.perf_counter()
        hour = placeholder_mkv(3600)
        for _ in range(24):  # one upload an hour, the clock moving with it
            await service.ingest.put_bytes(stream, hour, timecode_type="RELATIVE")
            await clock.advance(3600)
        filled = time.perf_counter() - t0
        assert len(stream.fragments) == DAY
        archived = eng.client("kinesis-video-archived-media")
        noon = start + timedelta(hours=12)
        cases = {
            "server_hour": {
                "FragmentSelector": {
                    "FragmentSelectorType": "SERVER_TIMESTAMP",
                    "TimestampRange": {
                        "StartTimestamp": noon,
                        "EndTimestamp": noon + timedelta(hours=1),
                    },
                },
                "MaxResults": 1000,
            },
            "producer_hour": {
                "FragmentSelector": {
                    "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                    "TimestampRange": {
                        "StartTimestamp": noon,
                        "EndTimestamp": noon + timedelta(hours=1),
                    },
                },
                "MaxResults": 1000,
            },
            "first_page_of_day": {"MaxResults": 1000},
        }
        out: dict = {"fragments": DAY, "fill_s": round(filled, 2)}
        for label, params in cases.items():
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                answer = await archived.list_fragments(StreamName="day", **params)
                times.append((time.perf_counter() - t0) * 1000)
            assert len(answer["Fragments"]) == 1000
            out[f"{label}_ms"] = round(statistics.median(times), 3)
    return out


async def main() -> None:
    result = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "put_media": await put_media(),
        "list_fragments": await list_fragments(),
        "targets": TARGETS,
        "peer": "none: no peer emulates the Kinesis Video data plane",
    }
    put = result["put_media"]
    listing = result["list_fragments"]
    result["meets_targets"] = {
        "put_media_headroom": put["headroom_wire"] >= TARGETS["put_media_headroom_min"],
        "list_fragments": max(v for k, v in listing.items() if k.endswith("_ms"))
        <= TARGETS["list_fragments_ms_max"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
