"""Save/open for Kinesis Video: streams with their fragments, and signaling channels.

A session's MKV header is shared by its fragments, so headers are saved once, in a table, and
each fragment names its header by index. Timers (retention, image generation) and the data
listener start afresh on open; the listener opens at the next call that needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .fragments import Fragment
from .mkv import Header, parse_header_parts
from .resources import SignalingChannel, VideoStream

#: Stream settings saved as they are (JSON-able already).
_SETTINGS = (
    "name",
    "arn",
    "created",
    "version",
    "retention_hours",
    "kms_key_id",
    "device_name",
    "media_type",
    "tags",
    "image_generation",
    "notification",
    "storage_tier",
    "next_number",
)


def dump_video(streams: dict[str, VideoStream], channels: dict[str, SignalingChannel]) -> dict:
    """Every stream (settings, headers, fragments) and channel as JSON-able data."""
    return {
        "streams": [_dump_stream(s) for s in streams.values()],
        "channels": [
            {
                "name": c.name,
                "arn": c.arn,
                "created": c.created,
                "version": c.version,
                "channel_type": c.channel_type,
                "message_ttl": c.message_ttl,
                "tags": dict(c.tags),
                "media_storage": dict(c.media_storage),
            }
            for c in channels.values()
        ],
    }


def _dump_stream(stream: VideoStream) -> dict[str, Any]:
    headers: dict[int, int] = {}
    table: list[dict[str, Any]] = []
    fragments = []
    for fragment in stream.fragments.all():
        key = id(fragment.header)
        if key not in headers:
            headers[key] = len(table)
            header = fragment.header
            table.append(
                {
                    "ebml": header.ebml,
                    "info": header.info,
                    "tracks": header.tracks_raw,
                    "first_producer_ms": header.first_producer_ms,
                }
            )
        fragments.append(
            [
                str(fragment.number),
                fragment.producer_ms,
                fragment.server_ms,
                fragment.length_ms,
                headers[key],
                fragment.body,
                fragment.frames,
            ]
        )
    settings = {name: getattr(stream, name) for name in _SETTINGS}
    settings["edge"] = _edge(stream.edge)
    return {**settings, "headers": table, "fragments": fragments}


def _edge(edge: dict[str, Any] | None) -> dict[str, Any] | None:
    if edge is None:
        return None
    return {
        **edge,
        "CreationTime": edge["CreationTime"].isoformat(),
        "LastUpdatedTime": edge["LastUpdatedTime"].isoformat(),
    }


def load_video(data: dict[str, Any]) -> tuple[dict[str, VideoStream], dict[str, SignalingChannel]]:
    """Streams and channels rebuilt from `dump_video` output."""
    streams: dict[str, VideoStream] = {}
    for item in data.get("streams", []):
        stream = VideoStream(**{name: item[name] for name in _SETTINGS if name != "next_number"})
        stream.next_number = item["next_number"]
        edge = item.get("edge")
        if edge:
            stream.edge = {
                **edge,
                "CreationTime": datetime.fromisoformat(edge["CreationTime"]),
                "LastUpdatedTime": datetime.fromisoformat(edge["LastUpdatedTime"]),
            }
        headers = []
        for raw in item.get("headers", []):
            header = Header(bytes(raw["ebml"]), bytes(raw["info"]), bytes(raw["tracks"]))
            parse_header_parts(header)
            header.first_producer_ms = raw.get("first_producer_ms")
            headers.append(header)
        for number, producer, server, length, index, body, frames in item.get("fragments", []):
            stream.fragments.append(
                Fragment(int(number), producer, server, length, headers[index], bytes(body), frames)
            )
        streams[stream.name] = stream
    channels = {
        c["name"]: SignalingChannel(
            c["name"],
            c["arn"],
            c["created"],
            c["version"],
            c["channel_type"],
            c["message_ttl"],
            dict(c["tags"]),
            dict(c["media_storage"]),
        )
        for c in data.get("channels", [])
    }
    return streams, channels
