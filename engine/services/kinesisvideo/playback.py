"""HLS and DASH streaming sessions: playlists, manifests and fMP4 segments on the data endpoint.

GetHLSStreamingSessionURL / GetDASHStreamingSessionURL open a session (a token that expires on
the lab clock) and return its URL on the data listener. The session serves, as AWS names them,
`getHLSMasterPlaylist.m3u8`, `getHLSMediaPlaylist.m3u8`, `getDASHManifest.mpd`,
`getMP4InitFragment.mp4` and `getMP4MediaFragment.mp4`. LIVE lists the newest fragments,
LIVE_REPLAY those from a start time on, ON_DEMAND those in a closed range (with an end tag).
Segments are the fragments remuxed (not re-encoded) to fragmented MP4 by PyAV.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from engine.errors import ServiceError

from .errors import invalid
from .fragments import Fragment
from .reading import epoch_ms
from .video import remux, segment_of, split_fmp4, timescale_of, with_decode_time

if TYPE_CHECKING:
    from .archived_api import KinesisVideoArchivedMediaService
    from .resources import VideoStream
    from .service import KinesisVideoService

#: Default playlist sizes: LIVE keeps a short window, the others a long list.
LIVE_DEFAULT = 5
ARCHIVE_DEFAULT = 1000
#: Remuxed segments kept for players that fetch them again.
SEGMENT_CACHE = 32


@dataclass(slots=True)
class Session:
    """One streaming session: which stream, which fragments, until when."""

    token: str
    kind: str  # "hls" or "dash"
    stream_name: str
    stream_arn: str
    mode: str
    selector: str
    start_ms: int | None
    end_ms: int | None
    limit: int
    expires: float
    show_timestamps: bool
    container: str = "FRAGMENTED_MP4"  # HLS: FRAGMENTED_MP4 or MPEG_TS


class Sessions:
    """The open HLS/DASH sessions of one lab, and their remuxed segments."""

    def __init__(self, service: KinesisVideoArchivedMediaService) -> None:
        self.service = service
        self._open: dict[str, Session] = {}
        self._segments: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def clear(self) -> None:
        """Forget every session and segment."""
        self._open.clear()
        self._segments.clear()

    def forget(self, stream_arn: str) -> None:
        """Drop the sessions of a deleted stream, and every cached segment."""
        for token in [t for t, s in self._open.items() if s.stream_arn == stream_arn]:
            del self._open[token]
        self._segments.clear()

    def open(
        self, stream: VideoStream, kind: str, params: dict[str, Any], selector: dict | None
    ) -> str:
        """Check the request, make the session and return its token."""
        now = self.service.clock.now()
        for token in [t for t, s in self._open.items() if s.expires <= now]:
            del self._open[token]
        mode = params.get("PlaybackMode", "LIVE")
        selector = selector or {}
        window = selector.get("TimestampRange") or {}
        start = epoch_ms(window["StartTimestamp"]) if "StartTimestamp" in window else None
        end = epoch_ms(window["EndTimestamp"]) if "EndTimestamp" in window else None
        if mode == "LIVE" and window:
            raise invalid("TimestampRange must not be set when PlaybackMode is LIVE.")
        if mode == "LIVE_REPLAY" and start is None:
            raise invalid("StartTimestamp is required when PlaybackMode is LIVE_REPLAY.")
        if mode == "ON_DEMAND" and (start is None or end is None):
            raise invalid(
                "StartTimestamp and EndTimestamp are required when PlaybackMode is ON_DEMAND."
            )
        if start is not None and end is not None and start > end:
            raise invalid("StartTimestamp must be before EndTimestamp.")
        limit_key = (
            "MaxMediaPlaylistFragmentResults" if kind == "hls" else "MaxManifestFragmentResults"
        )
        limit = params.get(limit_key) or (LIVE_DEFAULT if mode == "LIVE" else ARCHIVE_DEFAULT)
        session = Session(
            self.service.ids.token(32).replace("+", "A").replace("/", "B").replace("=", "C"),
            kind,
            stream.name,
            stream.arn,
            mode,
            selector.get("FragmentSelectorType", "SERVER_TIMESTAMP"),
            start,
            end,
            limit,
            now + params.get("Expires", 300),
            params.get("DisplayFragmentTimestamp", "NEVER") == "ALWAYS",
            params.get("ContainerFormat", "FRAGMENTED_MP4"),
        )
        fragments = self.fragments(stream, session)
        if not fragments:
            raise ServiceError(
                "ResourceNotFoundException",
                "No fragments found in the stream for the streaming request.",
                status_code=404,
            )
        self.service.playable(fragments)
        self._open[session.token] = session
        self.service.emit("session-opened", stream.arn, playback=kind, mode=mode)
        return session.token

    def url(self, kind: str, token: str) -> str:
        """The session URL on the data endpoint."""
        base = self.service.control.listener.url
        if kind == "hls":
            return f"{base}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken={token}"
        return f"{base}/dash/v1/getDASHManifest.mpd?SessionToken={token}"

    def session(self, token: str | None) -> Session:
        """The live session for a token (expired and unknown tokens are refused)."""
        session = self._open.get(token or "")
        if session is None:
            raise ServiceError(
                "ResourceNotFoundException", "The streaming session was not found.", status_code=404
            )
        if session.expires <= self.service.clock.now():
            del self._open[session.token]
            raise ServiceError(
                "NotAuthorizedException", "The streaming session has expired.", status_code=403
            )
        return session

    def fragments(self, stream: VideoStream, session: Session) -> list[Fragment]:
        """The fragments a session's playlist lists right now."""
        log = stream.fragments
        if session.mode == "LIVE":
            return log.all()[-session.limit :]
        end = session.end_ms if session.end_ms is not None else 2**62
        found = log.in_range(session.selector, session.start_ms or 0, end)
        if session.mode == "LIVE_REPLAY":
            return found[: session.limit] if session.end_ms is not None else found[-session.limit :]
        return found[: session.limit]

    # -- media ---------------------------------------------------------------------------
    def ts_segment(self, fragment: Fragment) -> bytes:
        """A fragment as an MPEG-TS segment (HLS with ContainerFormat MPEG_TS)."""
        key = ("ts", fragment.number)
        cached = self._segments.get(key)
        if cached is None:
            cached = remux(segment_of([fragment]), container="mpegts", operation="HLS playback")
            self._keep(key, cached)
        return cached

    def _keep(self, key: tuple[str, int], data: bytes) -> None:
        self._segments[key] = data
        while len(self._segments) > SEGMENT_CACHE:
            self._segments.popitem(last=False)

    def init_segment(self, fragment: Fragment) -> bytes:
        """The fMP4 initialisation segment (ftyp + moov) for a fragment's header."""
        return self._fmp4(fragment)[0]

    def media_segment(self, fragment: Fragment) -> bytes:
        """A fragment as an fMP4 media segment (moof + mdat)."""
        return self._fmp4(fragment)[1]

    def _fmp4(self, fragment: Fragment) -> tuple[bytes, bytes]:
        key = ("frag", fragment.number)
        cached = self._segments.get(key)
        if cached is None:
            cached = remux(segment_of([fragment]), container="fmp4", operation="HLS/DASH playback")
            self._keep(key, cached)
        init, media = split_fmp4(cached)
        start = fragment.header.first_producer_ms or fragment.producer_ms
        ticks = (fragment.producer_ms - start) * timescale_of(init) // 1000
        return init, with_decode_time(media, ticks)


# -- rendering -------------------------------------------------------------------------------
def master_playlist(session: Session, fragments: list[Fragment]) -> str:
    """The HLS master playlist: one variant, the media playlist of track 1."""
    video = fragments[0].header.video
    assert video is not None
    seconds = max(sum(f.length_ms for f in fragments) / 1000, 0.001)
    bandwidth = int(sum(f.size for f in fragments) * 8 / seconds)
    return (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        f"#EXT-X-STREAM-INF:BANDWIDTH={max(bandwidth, 1)},RESOLUTION={video.width}x{video.height},"
        f'CODECS="{video.rfc6381}"\n'
        f"getHLSMediaPlaylist.m3u8?SessionToken={session.token}&TrackNumber={video.number}\n"
    )


def media_playlist(session: Session, fragments: list[Fragment], first_sequence: int) -> str:
    """The HLS media playlist: the init map, then one fMP4 segment per fragment."""
    video = fragments[0].header.video
    assert video is not None
    target = max(1, math.ceil(max(f.length_ms for f in fragments) / 1000))
    ts = session.container == "MPEG_TS"
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{3 if ts else 7}", f"#EXT-X-TARGETDURATION:{target}"]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first_sequence}")
    if session.mode == "ON_DEMAND":
        lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    track = f"TrackNumber={video.number}"
    header = None
    for fragment in fragments:
        if fragment.header is not header:
            if header is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            header = fragment.header
            if not ts:  # MPEG-TS segments carry their own codec setup
                lines.append(
                    f'#EXT-X-MAP:URI="getMP4InitFragment.mp4?SessionToken={session.token}'
                    f'&FragmentNumber={fragment.number}&{track}"'
                )
        if session.show_timestamps:
            stamp = (
                fragment.server_ms
                if session.selector == "SERVER_TIMESTAMP"
                else fragment.producer_ms
            )
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_iso(stamp)}")
        lines.append(f"#EXTINF:{fragment.length_ms / 1000:.3f},")
        segment = "getTSFragment.ts" if ts else "getMP4MediaFragment.mp4"
        lines.append(
            f"{segment}?SessionToken={session.token}&FragmentNumber={fragment.number}&{track}"
        )
    if session.mode == "ON_DEMAND":
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def dash_manifest(session: Session, fragments: list[Fragment]) -> bytes:
    """The DASH MPD: one video representation with a SegmentList of fMP4 segments."""
    video = fragments[0].header.video
    assert video is not None
    total_ms = sum(f.length_ms for f in fragments)
    ns = "urn:mpeg:dash:schema:mpd:2011"
    mpd = ElementTree.Element(
        "MPD",
        {
            "xmlns": ns,
            "profiles": "urn:mpeg:dash:profile:isoff-live:2011",
            "type": "static" if session.mode == "ON_DEMAND" else "dynamic",
            "minBufferTime": "PT2S",
            "mediaPresentationDuration": f"PT{total_ms / 1000:.3f}S",
        },
    )
    period = ElementTree.SubElement(mpd, "Period", {"id": "0", "start": "PT0S"})
    adaptation = ElementTree.SubElement(
        period, "AdaptationSet", {"mimeType": "video/mp4", "segmentAlignment": "true"}
    )
    seconds = max(total_ms / 1000, 0.001)
    representation = ElementTree.SubElement(
        adaptation,
        "Representation",
        {
            "id": str(video.number),
            "codecs": video.rfc6381,
            "width": str(video.width),
            "height": str(video.height),
            "bandwidth": str(max(1, int(sum(f.size for f in fragments) * 8 / seconds))),
        },
    )
    segments = ElementTree.SubElement(
        representation,
        "SegmentList",
        {"timescale": "1000", "duration": str(max(f.length_ms for f in fragments))},
    )
    token, track = session.token, f"TrackNumber={video.number}"
    ElementTree.SubElement(
        segments,
        "Initialization",
        {
            "sourceURL": f"getMP4InitFragment.mp4?SessionToken={token}&FragmentNumber={fragments[0].number}&{track}"
        },
    )
    for fragment in fragments:
        ElementTree.SubElement(
            segments,
            "SegmentURL",
            {
                "media": f"getMP4MediaFragment.mp4?SessionToken={token}&FragmentNumber={fragment.number}&{track}"
            },
        )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(mpd)


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


# -- serving -----------------------------------------------------------------------------------
async def serve_playback(
    control: KinesisVideoService, path: str, query: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """Answer one GET under /hls/v1/ or /dash/v1/ (errors raise ServiceError)."""
    archived: KinesisVideoArchivedMediaService = control.engine.service(
        "kinesis-video-archived-media"
    )  # type: ignore[assignment]
    sessions = archived.sessions
    session = sessions.session(query.get("SessionToken"))
    stream = control.streams.get(session.stream_name)
    if stream is None or stream.arn != session.stream_arn:
        raise ServiceError("ResourceNotFoundException", "The stream was deleted.", status_code=404)
    control.ingest.expire(stream)
    name = path.rsplit("/", 1)[-1]
    if name in ("getMP4InitFragment.mp4", "getMP4MediaFragment.mp4", "getTSFragment.ts"):
        number = query.get("FragmentNumber", "")
        index = stream.fragments.index_of_number(int(number)) if number.isdigit() else None
        if index is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"Fragment {number} is not in the stream.",
                status_code=404,
            )
        fragment = stream.fragments.at(index)
        if name == "getTSFragment.ts":
            body = sessions.ts_segment(fragment)
            return 200, {"content-type": "video/MP2T"}, body
        if name == "getMP4InitFragment.mp4":
            body = sessions.init_segment(fragment)
        else:
            body = sessions.media_segment(fragment)
            archived.emit(
                "received", stream.arn, message_id=str(fragment.number), playback=session.kind
            )
        return 200, {"content-type": "video/mp4"}, body
    fragments = sessions.fragments(stream, session)
    if not fragments:
        raise ServiceError(
            "ResourceNotFoundException",
            "No fragments found in the stream for the streaming request.",
            status_code=404,
        )
    if session.kind == "hls" and name == "getHLSMasterPlaylist.m3u8":
        text = master_playlist(session, fragments)
        return 200, {"content-type": "application/vnd.apple.mpegurl"}, text.encode()
    if session.kind == "hls" and name == "getHLSMediaPlaylist.m3u8":
        sequence = fragments[0].number - control.ingest.base
        text = media_playlist(session, fragments, sequence)
        return 200, {"content-type": "application/vnd.apple.mpegurl"}, text.encode()
    if session.kind == "dash" and name == "getDASHManifest.mpd":
        return 200, {"content-type": "application/dash+xml"}, dash_manifest(session, fragments)
    raise ServiceError(
        "ResourceNotFoundException", f"No playback resource {name}.", status_code=404
    )
