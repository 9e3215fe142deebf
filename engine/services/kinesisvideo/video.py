"""Media work with PyAV (FFmpeg): remux fragments to MP4 and fMP4, decode frames to images.

PyAV is the optional extra `pipework[video]`, imported only here and only when a call needs it;
`require_av(operation)` raises one clear line when it is missing.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from fractions import Fraction
from typing import Any

from ebmlite.encoding import encodeId

from .errors import needs_video_extra
from .fragments import Fragment
from .mkv import CLUSTER_ID, SEGMENT_ID, UNKNOWN_SIZE, element

#: Decoded fragments kept for repeated image sampling (frames are large: keep few).
DECODED_CACHE = 4


def require_av(operation: str) -> Any:
    """The `av` module, or the error that names the extra to install."""
    try:
        import av
    except ImportError:
        raise needs_video_extra(operation) from None
    return av


def segment_of(fragments: list[Fragment]) -> bytes:
    """One MKV segment holding these fragments' clusters, under the first one's header."""
    header = fragments[0].header
    parts = [header.ebml, encodeId(SEGMENT_ID), UNKNOWN_SIZE, header.info, header.tracks_raw]
    parts.extend(element(CLUSTER_ID, f.body) for f in fragments)
    return b"".join(parts)


#: Output containers: FFmpeg's format name and muxer options.
CONTAINERS = {
    "mp4": ("mp4", {}),
    "fmp4": ("mp4", {"movflags": "frag_keyframe+empty_moov+default_base_moof"}),
    # FFmpeg converts H.264 from MKV's AVCC form to the Annex B form MPEG-TS carries by itself.
    "mpegts": ("mpegts", {}),
}


def remux(mkv: bytes, *, container: str, operation: str) -> bytes:
    """The video track of an MKV segment in MP4, fragmented MP4 or MPEG-TS, not re-encoded."""
    av = require_av(operation)
    out_buf = io.BytesIO()
    fmt, options = CONTAINERS[container]
    with av.open(io.BytesIO(mkv), "r", format="matroska") as source:
        video = source.streams.video[0]
        with av.open(out_buf, "w", format=fmt, options=dict(options)) as target:
            out = target.add_stream_from_template(video)
            for packet in source.demux(video):
                if packet.dts is None:
                    continue
                packet.stream = out
                target.mux(packet)
    return out_buf.getvalue()


def split_fmp4(data: bytes) -> tuple[bytes, bytes]:
    """(initialization segment: ftyp+moov, media segment: the moof/mdat boxes) of an fMP4."""
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"moof":
            return data[:pos], data[pos:]
        if size < 8:
            break
        pos += size
    return data, b""


def _box(
    data: bytes, kind: bytes, start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """(offset, size) of the first box of this type among the boxes in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == kind:
            return pos, size
        if size < 8:
            return None
        pos += size
    return None


def timescale_of(init: bytes) -> int:
    """The video track's timescale from the init segment's moov/trak/mdia/mdhd."""
    at = init.find(b"mdhd")
    if at < 4:
        return 1000
    version = init[at + 4]
    offset = at + 4 + 4 + (16 if version == 1 else 8)
    return int.from_bytes(init[offset : offset + 4], "big") or 1000


def with_decode_time(media: bytes, ticks: int) -> bytes:
    """A media segment whose tfdt (baseMediaDecodeTime) says where it sits on the timeline.

    FFmpeg starts every remuxed fragment at 0; a player needs consecutive segments to follow
    one another, so the decode time of the fragment within its producer session is written in.
    """
    moof = _box(media, b"moof")
    if moof is None:
        return media
    traf = _box(media, b"traf", moof[0] + 8, moof[0] + moof[1])
    if traf is None:
        return media
    tfdt = _box(media, b"tfdt", traf[0] + 8, traf[0] + traf[1])
    if tfdt is None:
        return media
    at = tfdt[0] + 8
    out = bytearray(media)
    if media[at] == 1:
        out[at + 4 : at + 12] = (ticks % 2**64).to_bytes(8, "big")
    else:
        out[at + 4 : at + 8] = (ticks % 2**32).to_bytes(4, "big")
    return bytes(out)


class FrameDecoder:
    """Decodes fragments to RGB frames with their offsets (ms), keeping the last few."""

    def __init__(self) -> None:
        self._cache: OrderedDict[int, list[tuple[int, Any]]] = OrderedDict()

    def frames(self, fragment: Fragment, operation: str) -> list[tuple[int, Any]]:
        """(offset from the fragment's start in ms, av.VideoFrame) for every frame."""
        cached = self._cache.get(fragment.number)
        if cached is not None:
            self._cache.move_to_end(fragment.number)
            return cached
        av = require_av(operation)
        out: list[tuple[int, Any]] = []
        with av.open(io.BytesIO(segment_of([fragment])), "r", format="matroska") as source:
            first: float | None = None
            for frame in source.decode(video=0):
                when = float(frame.time or 0.0)
                if first is None:
                    first = when
                out.append((round((when - first) * 1000), frame))
        self._cache[fragment.number] = out
        while len(self._cache) > DECODED_CACHE:
            self._cache.popitem(last=False)
        return out

    def clear(self) -> None:
        """Forget decoded frames."""
        self._cache.clear()


def encode_image(
    frame: Any, fmt: str, width: int | None, height: int | None, quality: int | None
) -> bytes:
    """One frame as JPEG or PNG, scaled to the asked size (aspect kept when one side is given)."""
    av = require_av("GetImages")
    if width and not height:
        height = max(2, round(frame.height * width / frame.width))
    elif height and not width:
        width = max(2, round(frame.width * height / frame.height))
    width = width or frame.width
    height = height or frame.height
    codec = "mjpeg" if fmt == "JPEG" else "png"
    pix_fmt = "yuvj420p" if fmt == "JPEG" else "rgb24"
    context = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = width, height, pix_fmt
    context.time_base = Fraction(1, 25)
    if fmt == "JPEG" and quality:
        # FFmpeg's qscale: 2 (best) … 31; AWS's JPEGQuality is 1 … 100 (best).
        context.qmin = context.qmax = max(2, min(31, round(31 - quality * 29 / 100)))
    image = frame.reformat(width=width, height=height, format=pix_fmt)
    image.pts = 0
    packets = context.encode(image) + context.encode(None)
    return b"".join(bytes(p) for p in packets)
