"""Kinesis Video Streams Archived Media (`kinesis-video-archived-media`).

ListFragments and GetMediaForFragmentList read the stored fragments as they are; GetClip,
GetImages and the HLS/DASH sessions need PyAV (`pipework[video]`) to remux and decode, and
answer one clear line without it.
"""

from __future__ import annotations

import base64
import binascii
import io
from datetime import UTC, datetime
from typing import Any

from botocore.response import StreamingBody

from engine.errors import ServiceError
from engine.service import Service

from .errors import invalid, no_retention
from .fragments import Fragment
from .playback import Sessions
from .reading import archived_chunk, epoch_ms
from .resources import VideoStream
from .video import FrameDecoder, encode_image, remux, require_av, segment_of

#: ListFragments' page size when MaxResults is not given.
DEFAULT_FRAGMENT_PAGE = 100
#: The most fragments GetClip puts in one clip.
MAX_CLIP_FRAGMENTS = 200
#: GetImages: the widest time range and the smallest sampling interval AWS allows.
MAX_IMAGE_RANGE_MS = 300_000
MIN_SAMPLING_MS = 200
DEFAULT_IMAGE_PAGE = 25
#: The codecs AWS plays back over HLS, DASH and GetClip.
PLAYABLE = ("V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC")


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def fragment_info(fragment: Fragment) -> dict[str, Any]:
    """One ListFragments entry."""
    return {
        "FragmentNumber": str(fragment.number),
        "FragmentSizeInBytes": fragment.size,
        "ProducerTimestamp": fragment.producer_time,
        "ServerTimestamp": fragment.server_time,
        "FragmentLengthInMilliseconds": fragment.length_ms,
    }


def time_range(selector: dict[str, Any] | None) -> tuple[str, int, int] | None:
    """(selector type, start ms, end ms) from a fragment selector, checked."""
    if not selector:
        return None
    window = selector.get("TimestampRange") or {}
    if "StartTimestamp" not in window or "EndTimestamp" not in window:
        return None
    start, end = epoch_ms(window["StartTimestamp"]), epoch_ms(window["EndTimestamp"])
    if start > end:
        raise invalid("StartTimestamp must be before EndTimestamp.")
    return selector.get("FragmentSelectorType", "SERVER_TIMESTAMP"), start, end


def _token(number: int) -> str:
    return base64.b64encode(str(number).encode()).decode()


def _untoken(token: str) -> int:
    try:
        return int(base64.b64decode(token, validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid("The NextToken is not valid.") from None


class KinesisVideoArchivedMediaService(Service):
    """Archived reads, clips, images and HLS/DASH playback over the stored fragments."""

    name = "kinesis-video-archived-media"
    validation_error_code = "InvalidArgumentException"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.decoder = FrameDecoder()
        self.sessions = Sessions(self)

    @property
    def control(self) -> Any:
        """The kinesisvideo service that owns the streams."""
        return self.engine.service("kinesisvideo")

    def stream(self, params: dict[str, Any]) -> VideoStream:
        """The named stream, with retention applied."""
        stream = self.control.stream_for(params)
        self.control.ingest.expire(stream)
        return stream

    def retained(self, params: dict[str, Any]) -> VideoStream:
        """The named stream, which must retain data (archived playback and images)."""
        stream = self.stream(params)
        if stream.retention_hours == 0:
            raise no_retention()
        return stream

    @staticmethod
    def playable(fragments: list[Fragment]) -> None:
        """Refuse media AWS cannot play back (track 1 must be H.264 or H.265)."""
        video = fragments[0].header.video if fragments else None
        if video is None or video.codec_id not in PLAYABLE:
            found = video.codec_id if video else "no video track"
            raise ServiceError(
                "UnsupportedStreamMediaTypeException",
                f"The media type ({found}) is not supported for playback: track 1 must be "
                "H.264 (V_MPEG4/ISO/AVC) or H.265.",
            )

    # -- ListFragments and GetMediaForFragmentList ---------------------------------------
    def list_fragments(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListFragments: retained fragments, optionally within a timestamp range, paged."""
        stream = self.stream(params)
        window = time_range(params.get("FragmentSelector"))
        token = params.get("NextToken")
        after = _untoken(token) if token else None
        page, more = stream.fragments.page(
            window, after, params.get("MaxResults", DEFAULT_FRAGMENT_PAGE)
        )
        out: dict[str, Any] = {"Fragments": [fragment_info(f) for f in page]}
        if more and page:
            out["NextToken"] = _token(page[-1].number)
        return out

    def get_media_for_fragment_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetMediaForFragmentList: the listed fragments as MKV chunks, in the order given."""
        stream = self.stream(params)
        stream.count_call("GetMediaForFragmentList", self.clock.now())
        log = stream.fragments
        chunks = []
        for number in params["Fragments"]:
            index = log.index_of_number(int(number))
            if index is None:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Fragment {number} is not in the stream.",
                    status_code=404,
                )
            chunks.append(archived_chunk(log.at(index)))
        data = b"".join(chunks)
        self.emit("received", stream.arn, fragments=len(chunks), bytes=len(data))
        return {"ContentType": "video/webm", "Payload": StreamingBody(io.BytesIO(data), len(data))}

    # -- GetClip ---------------------------------------------------------------------------
    def get_clip(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetClip: the fragments in a time range as one MP4 (remuxed, not re-encoded)."""
        stream = self.retained(params)
        window = time_range(params["ClipFragmentSelector"])
        assert window is not None
        found = _same_header(stream.fragments.in_range(*window)[:MAX_CLIP_FRAGMENTS])
        if not found:
            raise ServiceError(
                "ResourceNotFoundException",
                "No fragments found in the requested time range.",
                status_code=404,
            )
        self.playable(found)
        data = remux(segment_of(found), container="mp4", operation="GetClip")
        self.emit("received", stream.arn, fragments=len(found), bytes=len(data), clip=True)
        return {"ContentType": "video/mp4", "Payload": StreamingBody(io.BytesIO(data), len(data))}

    # -- GetImages -------------------------------------------------------------------------
    def get_images(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetImages: a JPEG or PNG per sampling interval in the range (NO_MEDIA where none)."""
        stream = self.retained(params)
        require_av("GetImages")
        kind = params["ImageSelectorType"]
        start, end = epoch_ms(params["StartTimestamp"]), epoch_ms(params["EndTimestamp"])
        if start > end:
            raise invalid("StartTimestamp must be before EndTimestamp.")
        if end - start > MAX_IMAGE_RANGE_MS:
            raise invalid(
                "The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds."
            )
        interval = params.get("SamplingInterval", 3000)
        if interval < MIN_SAMPLING_MS:
            raise invalid(f"SamplingInterval must be at least {MIN_SAMPLING_MS} milliseconds.")
        limit = params.get("MaxResults", DEFAULT_IMAGE_PAGE)
        first = start
        if params.get("NextToken"):
            first = _untoken(params["NextToken"])
        quality = (params.get("FormatConfig") or {}).get("JPEGQuality")
        images: list[dict[str, Any]] = []
        at = first
        while at <= end and len(images) < limit:
            images.append(self._image(stream, kind, at, params, quality))
            at += interval
        out: dict[str, Any] = {"Images": images}
        if at <= end:
            out["NextToken"] = _token(at)
        self.emit("received", stream.arn, images=len(images))
        return out

    def _image(
        self, stream: VideoStream, kind: str, at_ms: int, params: dict[str, Any], quality: Any
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"TimeStamp": _when(at_ms)}
        fragment = stream.fragments.covering(kind, at_ms)
        if fragment is None:
            entry["Error"] = "NO_MEDIA"
            return entry
        try:
            frames = self.decoder.frames(fragment, "GetImages")
        except ServiceError:
            raise
        except Exception:  # undecodable media: AWS marks the image, not the call
            entry["Error"] = "MEDIA_ERROR"
            return entry
        base = fragment.server_ms if kind == "SERVER_TIMESTAMP" else fragment.producer_ms
        chosen = None
        for offset, frame in frames:
            if base + offset <= at_ms:
                chosen = frame
            else:
                break
        if chosen is None:
            entry["Error"] = "NO_MEDIA"
            return entry
        data = encode_image(
            chosen,
            params["Format"],
            params.get("WidthPixels"),
            params.get("HeightPixels"),
            int(quality) if quality else None,
        )
        entry["ImageContent"] = base64.b64encode(data).decode()
        return entry

    # -- HLS and DASH ----------------------------------------------------------------------
    def get_hls_streaming_session_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetHLSStreamingSessionURL: a session serving an HLS playlist of fMP4 segments."""
        stream = self.retained(params)
        token = self.sessions.open(stream, "hls", params, params.get("HLSFragmentSelector"))
        return {"HLSStreamingSessionURL": self.sessions.url("hls", token)}

    def get_dash_streaming_session_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetDASHStreamingSessionURL: a session serving a DASH manifest of fMP4 segments."""
        stream = self.retained(params)
        token = self.sessions.open(stream, "dash", params, params.get("DASHFragmentSelector"))
        return {"DASHStreamingSessionURL": self.sessions.url("dash", token)}

    def forget_stream(self, arn: str) -> None:
        """A stream was deleted: its playback sessions and decoded frames go too."""
        self.sessions.forget(arn)
        self.decoder.clear()

    async def close(self) -> None:
        """Forget sessions and decoded frames."""
        self.sessions.clear()
        self.decoder.clear()

    def holdings(self) -> dict[str, int]:
        """Open playback sessions."""
        return {"playback_sessions": len(self.sessions)}


def _same_header(fragments: list[Fragment]) -> list[Fragment]:
    """The leading run of fragments put under one header (one codec setup can be remuxed)."""
    if not fragments:
        return []
    header = fragments[0].header
    out = []
    for fragment in fragments:
        if fragment.header is not header:
            break
        out.append(fragment)
    return out


SERVICE = KinesisVideoArchivedMediaService
