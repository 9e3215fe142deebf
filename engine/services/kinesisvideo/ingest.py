"""PutMedia: a producer's MKV upload becomes numbered fragments, each acknowledged as AWS does.

For every cluster the producer completes the session answers BUFFERING, RECEIVED and (when the
stream retains data) PERSISTED, each a JSON object `{"EventType", "FragmentTimecode",
"FragmentNumber"}`. A fault ends the session with one ERROR acknowledgement carrying AWS's
`ErrorId` and `ErrorCode` (4006 INVALID_MKV_DATA, 4004 FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS,
4002 MAX_FRAGMENT_DURATION_REACHED, 4001 MAX_FRAGMENT_SIZE_REACHED, 4005
MORE_THAN_ALLOWED_TRACKS_FOUND, 4010 TRACK_NUMBER_MISMATCH, 4008 STREAM_NOT_ACTIVE).
Retention trims fragments on the engine clock: lazily on every put and read, and by one timer
set for the oldest fragment's expiry.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .fragments import Fragment
from .mkv import Cluster, Header, MkvError, MkvSplitter
from .resources import VideoStream

if TYPE_CHECKING:
    from .service import KinesisVideoService

#: AWS's PutMedia error ids and codes.
ERRORS = {
    4001: "MAX_FRAGMENT_SIZE_REACHED",
    4002: "MAX_FRAGMENT_DURATION_REACHED",
    4004: "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
    4005: "MORE_THAN_ALLOWED_TRACKS_FOUND",
    4006: "INVALID_MKV_DATA",
    4008: "STREAM_NOT_ACTIVE",
    4010: "TRACK_NUMBER_MISMATCH",
}
#: The longest fragment AWS accepts, in milliseconds.
MAX_FRAGMENT_MS = 10_000
#: Tracks a fragment may carry.
MAX_TRACKS = 3


class PutMediaFault(Exception):
    """A fragment AWS would refuse: ends the session with an ERROR acknowledgement."""

    def __init__(self, error_id: int, detail: str, timecode: int = 0) -> None:
        super().__init__(detail)
        self.error_id = error_id
        self.timecode = timecode


class Ingest:
    """PutMedia sessions, fragment numbering and retention for the service's streams."""

    def __init__(self, service: KinesisVideoService) -> None:
        self.service = service
        self.base = int("91343852333" + service.ids.digits(12)) * 10**24

    # -- sessions ------------------------------------------------------------------------
    async def put_media(
        self,
        stream: VideoStream,
        source: AsyncIterable[bytes],
        *,
        timecode_type: str = "ABSOLUTE",
        producer_start_ms: int | None = None,
        checked: bool = False,
    ) -> AsyncIterator[dict[str, Any]]:
        """Read one upload to its end, yielding acknowledgements as fragments complete
        (`checked`: the caller already ran `check`, which counts the connection)."""
        if not checked:
            self.check(stream, timecode_type)
        if timecode_type == "RELATIVE" and producer_start_ms is None:
            producer_start_ms = int(self.service.clock.now() * 1000)
        offset = producer_start_ms if timecode_type == "RELATIVE" else 0
        splitter = MkvSplitter()
        stream.sessions += 1
        previous: list[int] = []
        header: Header | None = None
        try:
            async for data in _with_end(source):
                try:
                    items = splitter.feed(data) if data is not None else splitter.finish()
                    for item in items:
                        if isinstance(item, Header):
                            header = item
                            continue
                        for ack in self._store(stream, header, item, offset, previous):
                            yield ack
                except MkvError as error:
                    yield self._fault(stream, PutMediaFault(_mkv_error_id(error), str(error)))
                    return
                except PutMediaFault as fault:
                    yield self._fault(stream, fault)
                    return
        finally:
            stream.sessions -= 1

    def check(self, stream: VideoStream, timecode_type: str) -> None:
        """Refuse a session before it starts: a second producer, a sixth connection within a
        second, or a bad timecode type."""
        stream.count_call("PutMedia", self.service.clock.now())
        if stream.sessions:
            raise ServiceError(
                "ConnectionLimitExceededException",
                "A PutMedia connection to this stream is already open.",
                status_code=400,
            )
        if timecode_type not in ("ABSOLUTE", "RELATIVE"):
            raise ServiceError(
                "InvalidArgumentException",
                "x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE.",
            )

    async def put_bytes(
        self,
        stream: VideoStream,
        data: bytes,
        *,
        timecode_type: str = "ABSOLUTE",
        producer_start_ms: int | None = None,
    ) -> list[dict[str, Any]]:
        """A whole upload at once (the lab's `video put`); every acknowledgement."""

        async def once() -> AsyncIterator[bytes]:
            yield data

        return [
            ack
            async for ack in self.put_media(
                stream, once(), timecode_type=timecode_type, producer_start_ms=producer_start_ms
            )
        ]

    def _store(
        self,
        stream: VideoStream,
        header: Header | None,
        cluster: Cluster,
        offset: int,
        previous: list[int],
    ) -> list[dict[str, Any]]:
        assert header is not None
        timecode = cluster.timecode_ms
        if self.service.streams.get(stream.name) is not stream:
            raise PutMediaFault(4008, "The stream was deleted.", timecode)
        if len(header.tracks) > MAX_TRACKS:
            raise PutMediaFault(4005, f"More than {MAX_TRACKS} tracks.", timecode)
        if not cluster.track_numbers <= {t.number for t in header.tracks}:
            raise PutMediaFault(4010, "A block names a track the Tracks do not.", timecode)
        if previous and timecode < previous[0]:
            raise PutMediaFault(4004, "The fragment timecode went back.", timecode)
        if cluster.duration_ms > MAX_FRAGMENT_MS:
            raise PutMediaFault(4002, "The fragment is longer than 10 seconds.", timecode)
        previous[:] = [timecode]
        now_ms = int(self.service.clock.now() * 1000)
        number = self.base + stream.next_number
        stream.next_number += 1
        fragment = Fragment(
            number,
            timecode + offset,
            now_ms,
            cluster.duration_ms,
            header,
            cluster.body,
            cluster.frames,
        )
        if header.first_producer_ms is None:
            header.first_producer_ms = fragment.producer_ms
        stream.fragments.append(fragment)
        stream.put_fragments += 1
        stream.put_bytes += fragment.size
        self.expire(stream)
        for wake in list(stream.waiters):
            wake()
        text = str(number)
        self.service.emit(
            "put",
            stream.arn,
            message_id=text,
            fragment_number=text,
            producer_timestamp=fragment.producer_ms,
            bytes=fragment.size,
            frames=fragment.frames,
            length_ms=fragment.length_ms,
        )
        acks = [
            {"EventType": "BUFFERING", "FragmentTimecode": timecode, "FragmentNumber": text},
            {"EventType": "RECEIVED", "FragmentTimecode": timecode, "FragmentNumber": text},
        ]
        if stream.retention_hours > 0:
            acks.append(
                {"EventType": "PERSISTED", "FragmentTimecode": timecode, "FragmentNumber": text}
            )
        return acks

    def _fault(self, stream: VideoStream, fault: PutMediaFault) -> dict[str, Any]:
        stream.errors += 1
        code = ERRORS[fault.error_id]
        self.service.emit(
            "failed", stream.arn, error_id=fault.error_id, error=code, detail=str(fault)
        )
        return {
            "EventType": "ERROR",
            "FragmentTimecode": fault.timecode,
            "ErrorId": fault.error_id,
            "ErrorCode": code,
        }

    # -- retention -----------------------------------------------------------------------
    def expire(self, stream: VideoStream) -> None:
        """Drop what retention no longer keeps and set the timer for the next expiry."""
        log = stream.fragments
        now_ms = int(self.service.clock.now() * 1000)
        if stream.retention_hours == 0:
            # Nothing persists: only the newest fragment stays, for live readers.
            newest = log.newest()
            dropped = log.trim_before(newest.server_ms) if newest else 0
        else:
            dropped = log.trim_before(now_ms - stream.retention_hours * 3_600_000 + 1)
        if dropped and stream.retention_hours:  # with retention 0 nothing was persisted
            stream.expired += dropped
            self.service.emit("expired", stream.arn, fragments=dropped)
        self._arm(stream)

    def _arm(self, stream: VideoStream) -> None:
        oldest = stream.fragments.oldest()
        if stream.retention_hours == 0 or oldest is None:
            if stream.expiry is not None:
                stream.expiry.cancel()
                stream.expiry = None
            return
        due = (oldest.server_ms + stream.retention_hours * 3_600_000) / 1000
        if stream.expiry is not None and getattr(stream.expiry, "when", None) == due:
            return
        if stream.expiry is not None:
            stream.expiry.cancel()
        stream.expiry = self.service.clock.call_at(due, self._expire_due, stream)

    def _expire_due(self, stream: VideoStream) -> None:
        stream.expiry = None
        if self.service.streams.get(stream.name) is stream:
            self.expire(stream)


def _mkv_error_id(error: MkvError) -> int:
    return 4001 if "50 MB" in str(error) else 4006


async def _with_end(source: AsyncIterable[bytes]) -> AsyncIterator[bytes | None]:
    """The source's chunks, then None for its end."""
    async for data in source:
        if data:
            yield data
    yield None
