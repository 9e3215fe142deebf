"""Matroska (MKV) as Kinesis Video Streams carries it: split a producer's upload into fragments.

A PutMedia body is one MKV stream: an EBML header, a Segment (usually of unknown size), its
Info and Tracks, then one Cluster per fragment. `MkvSplitter.feed(data)` takes bytes as they
arrive and yields a `Header` when a new segment starts and a `Cluster` each time one is complete
(a known-size cluster when its last byte arrives, an unknown-size one when the next top-level
element begins). Element ids and sizes are decoded with `ebmlite` (the EBML library), and Info,
Tracks and cluster contents are read through its Matroska schema. `chunk(...)` writes a fragment
back out as the self-contained MKV "chunk" GetMedia returns, with AWS's tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import ebmlite
from ebmlite.decoding import decodeIDLength, decodeIntLength
from ebmlite.encoding import encodeId, encodeSize

EBML_ID = 0x1A45DFA3
SEGMENT_ID = 0x18538067
CLUSTER_ID = 0x1F43B675
INFO_ID = 0x1549A966
TRACKS_ID = 0x1654AE6B
TAGS_ID = 0x1254C367
#: Elements that sit directly in a Segment: one of them ends an unknown-size cluster.
LEVEL_ONE = {
    0x114D9B74,  # SeekHead
    INFO_ID,
    TRACKS_ID,
    CLUSTER_ID,
    0x1C53BB6B,  # Cues
    TAGS_ID,
    0x1043A770,  # Chapters
    0x1941A469,  # Attachments
    EBML_ID,
}
SIMPLE_BLOCK_ID = 0xA3
BLOCK_GROUP_ID = 0xA0
TIMECODE_ID = 0xE7
#: An EBML size of all ones: "unknown", as live producers write Segment and Cluster.
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"
#: The largest element the splitter buffers (AWS rejects fragments over 50 MB).
MAX_ELEMENT = 50 * 1024 * 1024


class MkvError(ValueError):
    """The bytes are not the Matroska a producer sends (AWS: INVALID_MKV_DATA)."""


@cache
def schema() -> Any:
    """ebmlite's Matroska schema (loaded once)."""
    return ebmlite.loadSchema("matroska.xml")


@dataclass(slots=True)
class Track:
    """One TrackEntry: number, codec and (video) picture size."""

    number: int
    codec_id: str
    kind: int
    width: int = 0
    height: int = 0
    codec_private: bytes = b""

    @property
    def rfc6381(self) -> str:
        """The codec string HLS and DASH name (avc1.PPCCLL from the avcC record)."""
        data = self.codec_private
        if self.codec_id == "V_MPEG4/ISO/AVC" and len(data) >= 4:
            return f"avc1.{data[1]:02x}{data[2]:02x}{data[3]:02x}"
        if self.codec_id == "V_MPEGH/ISO/HEVC":
            return "hev1.1.6.L93.B0"
        return "avc1.42e01e"


@dataclass(slots=True)
class Header:
    """What precedes the clusters of one MKV segment, kept raw to write chunks back out."""

    ebml: bytes
    info: bytes = b""
    tracks_raw: bytes = b""
    timecode_scale: int = 1_000_000  # nanoseconds per cluster/block timecode unit
    tracks: list[Track] = field(default_factory=list)
    #: The producer time (ms) of the first fragment put under this header: where playback's
    #: decode timeline starts.
    first_producer_ms: int | None = None

    @property
    def video(self) -> Track | None:
        """The first video track (TrackType 1), if any."""
        return next((t for t in self.tracks if t.kind == 1), None)


@dataclass(slots=True)
class Cluster:
    """One complete cluster: its timecode (ms), frames, span and raw children."""

    timecode_ms: int
    body: bytes  # the cluster's children, re-wrapped with a known size when written out
    frames: int
    keyframe_first: bool
    duration_ms: int
    track_numbers: frozenset[int]


def _vint_length(first: int) -> int:
    return decodeIntLength(first)[0]


def _read_id(buf: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """(element id, length of the id) at `pos`, or None when more bytes are needed."""
    if pos >= len(buf):
        return None
    try:
        length = decodeIDLength(buf[pos])[0]
    except OSError as error:
        raise MkvError(f"invalid EBML element id at byte {pos}") from error
    if pos + length > len(buf):
        return None
    return int.from_bytes(buf[pos : pos + length], "big"), length


def _read_size(buf: bytes | bytearray, pos: int) -> tuple[int | None, int] | None:
    """(size or None for unknown, length of the size) at `pos`, or None when incomplete."""
    if pos >= len(buf):
        return None
    length, first = decodeIntLength(buf[pos])
    if pos + length > len(buf):
        return None
    value = first
    for byte in buf[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if value == (1 << (7 * length)) - 1:
        return None, length  # all ones: unknown size
    return value, length


def element(eid: int, payload: bytes) -> bytes:
    """One EBML element with a known size."""
    return encodeId(eid) + encodeSize(len(payload)) + payload


def parse_header_parts(header: Header) -> None:
    """Fill the timecode scale and tracks from the raw Info and Tracks elements."""
    if header.info:
        info = _load_one(header.info)
        header.timecode_scale = int(info.get("TimecodeScale", 1_000_000)) or 1_000_000
    if header.tracks_raw:
        entries = _load_one(header.tracks_raw).get("TrackEntry", [])
        header.tracks = [
            Track(
                int(e.get("TrackNumber", 0)),
                str(e.get("CodecID", "")),
                int(e.get("TrackType", 0)),
                int(e.get("Video", {}).get("PixelWidth", 0)),
                int(e.get("Video", {}).get("PixelHeight", 0)),
                bytes(e.get("CodecPrivate", b"")),
            )
            for e in entries
        ]


def _load_one(raw: bytes) -> dict:
    try:
        doc = schema().loads(raw)
        return next(iter(doc)).dump()
    except Exception as error:  # ebmlite raises many kinds on garbage
        raise MkvError(f"cannot read a Matroska element: {error}") from error


def read_cluster(body: bytes, scale: int) -> Cluster:
    """Timecode, frames and span of one cluster from its children's bytes."""
    pos = 0
    timecode: int | None = None
    relatives: list[int] = []
    tracks: set[int] = set()
    keyframe_first = False
    while pos < len(body):
        head = _read_id(body, pos)
        if head is None:
            raise MkvError("a cluster ends inside an element")
        eid, id_len = head
        size_info = _read_size(body, pos + id_len)
        if size_info is None or size_info[0] is None:
            raise MkvError("a cluster child has no size")
        size, size_len = size_info
        start = pos + id_len + size_len
        end = start + size
        if end > len(body):
            raise MkvError("a cluster child runs past the cluster")
        if eid == TIMECODE_ID:
            timecode = int.from_bytes(body[start:end], "big")
        elif eid == SIMPLE_BLOCK_ID:
            track, rel, flags = _block(body, start, end)
            if not relatives:
                keyframe_first = bool(flags & 0x80)
            relatives.append(rel)
            tracks.add(track)
        elif eid == BLOCK_GROUP_ID:
            inner = _block_in_group(body, start, end)
            if inner is not None:
                track, rel, has_reference = inner
                if not relatives:
                    keyframe_first = not has_reference
                relatives.append(rel)
                tracks.add(track)
        pos = end
    if timecode is None:
        raise MkvError("a cluster has no Timecode")
    to_ms = scale / 1_000_000
    span = (max(relatives) - min(relatives)) if relatives else 0
    step = span / (len(relatives) - 1) if len(relatives) > 1 else 0
    return Cluster(
        round(timecode * to_ms),
        bytes(body),
        len(relatives),
        keyframe_first,
        round((span + step) * to_ms),
        frozenset(tracks),
    )


def _block(body: bytes, start: int, end: int) -> tuple[int, int, int]:
    """(track number, relative timecode, flags) of a (Simple)Block payload."""
    length, first = decodeIntLength(body[start])
    track = first
    for byte in body[start + 1 : start + length]:
        track = (track << 8) | byte
    at = start + length
    if at + 3 > end:
        raise MkvError("a block is too short")
    rel = int.from_bytes(body[at : at + 2], "big", signed=True)
    return track, rel, body[at + 2]


def _block_in_group(body: bytes, start: int, end: int) -> tuple[int, int, bool] | None:
    pos, block, reference = start, None, False
    while pos < end:
        head = _read_id(body, pos)
        size_info = _read_size(body, pos + head[1]) if head else None
        if head is None or size_info is None or size_info[0] is None:
            raise MkvError("a block group is malformed")
        child_start = pos + head[1] + size_info[1]
        child_end = child_start + size_info[0]
        if head[0] == 0xA1:
            block = _block(body, child_start, child_end)
        elif head[0] == 0xFB:
            reference = True
        pos = child_end
    if block is None:
        return None
    return block[0], block[1], reference


class MkvSplitter:
    """Incremental MKV reader: bytes in, headers and complete clusters out."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._header: Header | None = None
        self._cluster_start: int | None = None  # offset of an open unknown-size cluster body
        self._scan = 0  # how far into the buffer an open cluster's children were walked
        self.bytes_in = 0

    @property
    def header(self) -> Header | None:
        """The header of the segment being read."""
        return self._header

    def feed(self, data: bytes) -> list[Header | Cluster]:
        """Take more bytes; return what became complete (raises MkvError on bad data)."""
        self._buf += data
        self.bytes_in += len(data)
        out: list[Header | Cluster] = []
        buf = self._buf
        pos = self._scan if self._cluster_start is not None else 0
        while True:
            if self._cluster_start is not None:
                step = self._continue_cluster(buf, pos, out)
                if step is None:
                    break
                pos = step
                continue
            head = _read_id(buf, pos)
            if head is None:
                break
            eid, id_len = head
            size_info = _read_size(buf, pos + id_len)
            if size_info is None:
                break
            size, size_len = size_info
            body_at = pos + id_len + size_len
            if eid == SEGMENT_ID:
                if self._header is None:
                    raise MkvError("a Segment comes before the EBML header")
                pos = body_at  # descend: its children are read as top-level elements
                continue
            if eid == CLUSTER_ID and size is None:
                if self._header is None or not self._header.tracks:
                    raise MkvError("a Cluster comes before the Tracks")
                self._cluster_start = body_at
                pos = body_at
                continue
            if size is None:
                raise MkvError(f"element 0x{eid:X} has an unknown size")
            if size > MAX_ELEMENT:
                raise MkvError(f"element 0x{eid:X} is larger than 50 MB")
            if body_at + size > len(buf):
                break
            self._element(
                eid, bytes(buf[pos : body_at + size]), bytes(buf[body_at : body_at + size]), out
            )
            pos = body_at + size
        # Keep an open cluster's bytes; remember how far its children were walked.
        cut = pos if self._cluster_start is None else self._cluster_start
        del buf[:cut]
        if self._cluster_start is not None:
            self._cluster_start -= cut
            self._scan = pos - cut
        return out

    def _continue_cluster(self, buf: bytearray, pos: int, out: list) -> int | None:
        """Walk an unknown-size cluster's children; close it at the next top-level element."""
        assert self._cluster_start is not None
        head = _read_id(buf, pos)
        if head is None:
            return None
        if head[0] in LEVEL_ONE:
            self._close_cluster(bytes(buf[self._cluster_start : pos]), out)
            self._cluster_start = None
            return pos
        size_info = _read_size(buf, pos + head[1])
        if size_info is None:
            return None
        if size_info[0] is None:
            raise MkvError(f"cluster child 0x{head[0]:X} has an unknown size")
        end = pos + head[1] + size_info[1] + size_info[0]
        if end - self._cluster_start > MAX_ELEMENT:
            raise MkvError("a cluster is larger than 50 MB")
        if end > len(buf):
            return None
        return end

    def finish(self) -> list[Header | Cluster]:
        """The upload ended: close an open unknown-size cluster (raises on leftover bytes)."""
        out: list[Header | Cluster] = []
        if self._cluster_start is not None:
            self._close_cluster(bytes(self._buf[self._cluster_start :]), out)
            self._cluster_start = None
            self._buf.clear()
        if self._buf:
            left = len(self._buf)
            self._buf.clear()
            raise MkvError(f"the upload ended inside an element ({left} bytes left over)")
        return out

    def _element(self, eid: int, raw: bytes, body: bytes, out: list) -> None:
        if eid == EBML_ID:
            self._header = Header(raw)
            out.append(self._header)
        elif self._header is None:
            raise MkvError("the stream does not start with an EBML header")
        elif eid == INFO_ID:
            self._header.info = raw
            parse_header_parts(self._header)
        elif eid == TRACKS_ID:
            self._header.tracks_raw = raw
            parse_header_parts(self._header)
        elif eid == CLUSTER_ID:
            if not self._header.tracks:
                raise MkvError("a Cluster comes before the Tracks")
            self._close_cluster(body, out)

    def _close_cluster(self, body: bytes, out: list) -> None:
        assert self._header is not None
        out.append(read_cluster(body, self._header.timecode_scale))


def tags(pairs: list[tuple[str, str]]) -> bytes:
    """A Matroska Tags element of SimpleTags (how AWS labels fragments in GetMedia)."""
    simple = [{"TagName": name, "TagString": value} for name, value in pairs]
    return schema().encodes({"Tags": {"Tag": [{"SimpleTag": simple}]}})


def chunk(
    header: Header,
    cluster_body: bytes,
    before: list[tuple[str, str]],
    after: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> bytes:
    """One self-contained MKV chunk: EBML header, Segment, Info, Tracks, tags, Cluster, tags."""
    parts = [
        header.ebml,
        encodeId(SEGMENT_ID),
        UNKNOWN_SIZE,
        header.info,
        header.tracks_raw,
    ]
    if before:
        parts.append(tags(before))
    parts.append(element(CLUSTER_ID, cluster_body))
    if after:
        parts.append(tags(after))
    return b"".join(parts)


def placeholder_mkv(seconds: int, *, codec: str = "V_MPEG4/ISO/AVC") -> bytes:
    """A small MKV whose frames are placeholder bytes: one cluster a second, two blocks each.

    Storage, ListFragments and GetMedia never decode, so tests and benchmarks use it to fill a
    stream fast (and without the media library); playback and images need real media.
    """
    ebml = schema().encodes({"EBML": {"DocType": "matroska", "DocTypeVersion": 4}})
    info = schema().encodes({"Info": {"TimecodeScale": 1_000_000}})
    entry = {"TrackNumber": 1, "TrackUID": 1, "TrackType": 1, "CodecID": codec}
    tracks = schema().encodes({"Tracks": {"TrackEntry": [entry]}})
    parts = [ebml, encodeId(SEGMENT_ID), UNKNOWN_SIZE, info, tracks]
    key = element(SIMPLE_BLOCK_ID, b"\x81\x00\x00\x80frame")
    delta = element(SIMPLE_BLOCK_ID, b"\x81\x01\xf4\x00frame")  # +500 ms
    for second in range(seconds):
        timecode = element(TIMECODE_ID, (second * 1000).to_bytes(8, "big"))
        parts.append(element(CLUSTER_ID, timecode + key + delta))
    return b"".join(parts)
