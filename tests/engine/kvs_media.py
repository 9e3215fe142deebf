"""Helpers for the Kinesis Video tests: real MKV made by PyAV, reshaped as producers send it."""

from __future__ import annotations

import io
from typing import Any

from ebmlite.encoding import encodeId

from engine.services.kinesisvideo.camera import frame_image, synthetic_mkv
from engine.services.kinesisvideo.mkv import (
    CLUSTER_ID,
    SEGMENT_ID,
    UNKNOWN_SIZE,
    Cluster,
    Header,
    MkvSplitter,
    element,
    placeholder_mkv,
    schema,
)

FPS = 10
WIDTH, HEIGHT = 160, 120


def camera(seconds: int, start_ms: int = 0) -> bytes:
    """An H.264 MKV from the synthetic camera (one 1 s cluster per second)."""
    return synthetic_mkv(seconds, fps=FPS, width=WIDTH, height=HEIGHT, start_ms=start_ms)


#: A small MKV of placeholder frames (no media library needed).
tiny_mkv = placeholder_mkv


def split(data: bytes) -> tuple[Header, list[Cluster]]:
    """The header and clusters of an MKV."""
    splitter = MkvSplitter()
    items = splitter.feed(data) + splitter.finish()
    header = next(i for i in items if isinstance(i, Header))
    return header, [i for i in items if isinstance(i, Cluster)]


def producer_sdk_stream(
    data: bytes, *, timecode_base_ms: int = 0, known_sizes: bool = False
) -> bytes:
    """The same media as the Producer SDK streams it: unknown-size Segment and Clusters,
    cluster timecodes moved by `timecode_base_ms` (ABSOLUTE producers use epoch ms)."""
    header, clusters = split(data)
    parts = [header.ebml, encodeId(SEGMENT_ID), UNKNOWN_SIZE, header.info, header.tracks_raw]
    for cluster in clusters:
        body = _retime(cluster.body, cluster.timecode_ms + timecode_base_ms)
        parts.append(
            element(CLUSTER_ID, body) if known_sizes else encodeId(CLUSTER_ID) + UNKNOWN_SIZE + body
        )
    return b"".join(parts)


def _retime(body: bytes, timecode_ms: int) -> bytes:
    """A cluster body with its Timecode child replaced (timecode scale 1 ms)."""
    if body[0] == 0xBF:  # FFmpeg's CRC-32 first: producers send none, and it would be stale
        body = body[6:]
    assert body[0] == 0xE7  # then the muxer writes Timecode
    size = body[1] & 0x7F
    return element(0xE7, timecode_ms.to_bytes(8, "big")) + body[2 + size :]


def chunks_of(payload: bytes) -> list[bytes]:
    """Split a GetMedia payload into its self-contained MKV chunks (each starts an EBML header)."""
    marker = bytes.fromhex("1a45dfa3")
    starts = [i for i in range(len(payload)) if payload.startswith(marker, i)]
    if not starts:
        return []
    return [payload[a:b] for a, b in zip(starts, [*starts[1:], len(payload)], strict=True)]


def tags_of(chunk: bytes) -> dict[str, str]:
    """Every SimpleTag name → value in one chunk."""
    out: dict[str, str] = {}
    for element_ in schema().loads(chunk):
        if element_.name != "Segment":
            continue
        for child in element_:
            if child.name == "Tags":
                for tag in child.dump().get("Tag", []):
                    for simple in tag.get("SimpleTag", []):
                        out[simple["TagName"]] = simple["TagString"]
    return out


def decode(data: bytes, fmt: str | None = None) -> list[Any]:
    """Every video frame in a container, as RGB numpy arrays."""
    import av

    with av.open(io.BytesIO(data), "r", format=fmt) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def looks_like(frame: Any, index: int, start_ms: int = 0) -> bool:
    """Whether a decoded frame is the camera's frame `index` (lossy codec: a mean difference)."""
    import numpy as np

    expected = frame_image(index, FPS, WIDTH, HEIGHT, start_ms)
    return float(np.abs(frame.astype(int) - expected.astype(int)).mean()) < 12.0


def still(seconds: int) -> bytes:
    """An H.264 MKV where nothing moves (one grey picture), one cluster per second."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, "w", format="matroska", options={"dash": "1"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        picture = np.full((HEIGHT, WIDTH, 3), 120, np.uint8)
        for index in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            if index % FPS == 0:
                frame.pict_type = av.video.frame.PictureType.I
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def live_pieces(data: bytes) -> list[bytes]:
    """A producer's upload in the pieces a live camera sends: the header, then one cluster each."""
    header, clusters = split(data)
    opening = header.ebml + encodeId(SEGMENT_ID) + UNKNOWN_SIZE + header.info + header.tracks_raw
    return [opening] + [element(CLUSTER_ID, c.body) for c in clusters]
