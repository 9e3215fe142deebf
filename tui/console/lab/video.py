"""`video put|fragments|image`: the lab's Kinesis Video tools beside the AWS operations.

`video put STREAM --file clip.mkv` uploads a Matroska file as one PutMedia session;
`video put STREAM --camera-sim [--fps N] [--for DURATION]` starts a synthetic camera (moving
shapes and a timestamp overlay, H.264) that puts one fragment a second on the lab clock;
`video fragments STREAM` lists the retained fragments; `video image STREAM --at TIME --out F`
writes the frame at a time as JPEG or PNG (GetImages).
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.errors import ServiceError

from ..render import records_table
from ..result import CommandResult
from ..timefmt import parse_duration

if TYPE_CHECKING:
    from ..console import Console

USAGE = {
    "put": "video put STREAM --file clip.mkv | --camera-sim [--fps N] [--for DURATION]",
    "fragments": "video fragments STREAM [--max N]",
    "image": "video image STREAM [--at TIME] --out FILE.jpg|.png",
}
OPTIONS = {
    "put": ("--file", "--camera-sim", "--fps", "--for"),
    "fragments": ("--max",),
    "image": ("--at", "--out"),
}
FLAGS = {"--camera-sim"}
#: The camera simulator's picture size.
CAMERA_SIZE = (320, 240)


class Usage(Exception):
    """A malformed video lab command (the message is the one line to show)."""


def _parse(sub: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("--"):
            if word not in OPTIONS[sub]:
                raise Usage(f"video {sub}: unknown option {word} — usage: {USAGE[sub]}")
            if word in FLAGS:
                options[word] = ""
                i += 1
                continue
            if i + 1 >= len(args):
                raise Usage(f"video {sub}: {word} needs a value — usage: {USAGE[sub]}")
            options[word] = args[i + 1]
            i += 2
            continue
        positional.append(word)
        i += 1
    if len(positional) != 1:
        raise Usage(f"usage: {USAGE[sub]}")
    return positional, options


def _stream(console: Console, name: str) -> Any:
    service = console.engine.service("kinesisvideo")
    try:
        return service.stream_for(
            {"StreamARN": name} if name.startswith("arn:") else {"StreamName": name}
        )
    except ServiceError:
        raise Usage(
            f"video: no Kinesis video stream named {name} (kinesisvideo create-stream …)"
        ) from None


async def put(console: Console, args: list[str]) -> CommandResult:
    """Upload an MKV file, or start the camera simulator."""
    (name,), options = _parse("put", args)
    stream = _stream(console, name)
    service = console.engine.service("kinesisvideo")
    if ("--file" in options) == ("--camera-sim" in options):
        raise Usage(f"video put: give --file or --camera-sim — usage: {USAGE['put']}")
    if "--file" in options:
        path = Path(options["--file"]).expanduser()
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Usage(f"video put: cannot read {path}: {error.strerror}") from None
        acks = await service.ingest.put_bytes(stream, data, timecode_type="RELATIVE")
        errors = [a for a in acks if a["EventType"] == "ERROR"]
        if errors:
            first = errors[0]
            return CommandResult.fail(
                f"video put: {first['ErrorCode']} (ErrorId {first['ErrorId']}) after "
                f"{sum(a['EventType'] == 'RECEIVED' for a in acks)} fragments"
            )
        received = [a for a in acks if a["EventType"] == "RECEIVED"]
        value = {"Stream": stream.name, "Fragments": len(received), "Bytes": len(data)}
        return CommandResult(
            ok=True,
            value=value,
            output=Text(f"put {len(received)} fragments from {path} on {stream.name}"),
        )
    return await _camera(console, stream, options)


async def _camera(console: Console, stream: Any, options: dict[str, str]) -> CommandResult:
    try:
        fps = int(options.get("--fps", "15"))
        seconds = parse_duration(options.get("--for", "30s"))
    except ValueError:
        raise Usage(
            "video put: --fps wants a whole number and --for a duration (30s, 2m)"
        ) from None
    if not 1 <= fps <= 60 or not 1 <= seconds <= 3600:
        raise Usage("video put: --fps must be 1…60 and --for 1s…1h")
    from ebmlite.encoding import encodeId

    from engine.services.kinesisvideo.camera import synthetic_mkv
    from engine.services.kinesisvideo.mkv import (
        CLUSTER_ID,
        SEGMENT_ID,
        UNKNOWN_SIZE,
        MkvSplitter,
        element,
    )
    from engine.services.kinesisvideo.mkv import Cluster as MkvCluster
    from engine.services.kinesisvideo.mkv import Header as MkvHeader

    engine = console.engine
    start_ms = int(engine.clock.now() * 1000)
    width, height = CAMERA_SIZE
    try:
        # Encoding takes real seconds: off the event loop, so the lab (and the app) keep going.
        data = await engine.clock.outside(
            asyncio.to_thread(
                synthetic_mkv, int(seconds), fps=fps, width=width, height=height, start_ms=start_ms
            )
        )
    except ServiceError as error:
        raise Usage(f"video put: {error.message}") from None
    splitter = MkvSplitter()
    items = splitter.feed(data) + splitter.finish()
    header = next(i for i in items if isinstance(i, MkvHeader))
    clusters = [i for i in items if isinstance(i, MkvCluster)]
    opening = header.ebml + encodeId(SEGMENT_ID) + UNKNOWN_SIZE + header.info + header.tracks_raw
    service = engine.service("kinesisvideo")
    service.ingest.check(stream, "RELATIVE")  # a second producer fails now, not in the background

    async def camera() -> Any:
        yield opening
        for index, cluster in enumerate(clusters):
            if stream.status != "ACTIVE":
                return
            # A live camera: each one-second fragment is sent when its second has passed.
            await engine.clock.sleep_until(start_ms / 1000 + index + 1)
            yield element(CLUSTER_ID, cluster.body)

    async def run() -> None:
        try:
            async for _ in service.ingest.put_media(
                stream,
                camera(),
                timecode_type="RELATIVE",
                producer_start_ms=start_ms,
                checked=True,
            ):
                pass
        except ServiceError as error:  # another producer got there first
            service.emit("failed", stream.arn, error=error.code, detail=error.message)

    engine.spawn(run(), name=f"video-camera:{stream.name}")
    value = {"Stream": stream.name, "Fps": fps, "Seconds": int(seconds), "Fragments": len(clusters)}
    text = Text(
        f"camera-sim streaming {width}x{height} at {fps} fps to {stream.name} for "
        f"{int(seconds)}s (one fragment a second)"
    )
    return CommandResult(ok=True, value=value, output=text)


async def fragments(console: Console, args: list[str]) -> CommandResult:
    """The stream's retained fragments (ListFragments)."""
    (name,), options = _parse("fragments", args)
    stream = _stream(console, name)
    try:
        limit = int(options.get("--max", "100"))
    except ValueError:
        raise Usage("video fragments: --max wants a number") from None
    archived = console.engine.client("kinesis-video-archived-media")
    answer = await archived.list_fragments(
        StreamARN=stream.arn, MaxResults=max(1, min(limit, 1000))
    )
    rows = [
        {
            "FragmentNumber": f["FragmentNumber"],
            "ProducerTimestamp": f["ProducerTimestamp"].isoformat(timespec="milliseconds"),
            "ServerTimestamp": f["ServerTimestamp"].isoformat(timespec="milliseconds"),
            "LengthMs": f["FragmentLengthInMilliseconds"],
            "Bytes": f["FragmentSizeInBytes"],
        }
        for f in answer["Fragments"]
    ]
    if not rows:
        return CommandResult(ok=True, value=[], output=Text(f"{stream.name} holds no fragments."))
    return CommandResult(
        ok=True, value=rows, output=records_table(rows, f"Fragments of {stream.name}")
    )


def parse_time(text: str, now: float) -> datetime:
    """`latest`, `now`, `-10s` (before now), epoch seconds or an ISO 8601 time, as UTC."""
    if text in ("latest", "now"):
        return datetime.fromtimestamp(now, UTC)
    if text.startswith("-"):
        return datetime.fromtimestamp(now - parse_duration(text[1:]), UTC)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def image(console: Console, args: list[str]) -> CommandResult:
    """Write the frame at a time (server timestamp) as JPEG or PNG."""
    (name,), options = _parse("image", args)
    stream = _stream(console, name)
    if "--out" not in options:
        raise Usage(f"video image: --out is required — usage: {USAGE['image']}")
    out = Path(options["--out"]).expanduser()
    suffix = out.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        raise Usage("video image: --out must end in .jpg, .jpeg or .png")
    newest = stream.fragments.newest()
    at_text = options.get("--at", "latest")
    if at_text == "latest" and newest is not None:
        # The last frame of the newest fragment, on the server's clock.
        when = datetime.fromtimestamp((newest.server_ms + max(0, newest.length_ms - 1)) / 1000, UTC)
    else:
        try:
            when = parse_time(at_text, console.engine.clock.now())
        except ValueError:
            raise Usage(
                "video image: --at wants latest, now, -10s, epoch seconds or an ISO time"
            ) from None
    archived = console.engine.client("kinesis-video-archived-media")
    answer = await archived.get_images(
        StreamARN=stream.arn,
        ImageSelectorType="SERVER_TIMESTAMP",
        StartTimestamp=when,
        EndTimestamp=when + timedelta(milliseconds=1),
        SamplingInterval=200,
        Format="PNG" if suffix == ".png" else "JPEG",
        MaxResults=1,
    )
    first = answer["Images"][0]
    if "ImageContent" not in first:
        return CommandResult.fail(
            f"video image: {first.get('Error', 'NO_MEDIA')} at {when.isoformat()}"
        )
    data = base64.b64decode(first["ImageContent"])
    try:
        out.write_bytes(data)
    except OSError as error:
        raise Usage(f"video image: cannot write {out}: {error.strerror}") from None
    value = {"Stream": stream.name, "At": when.isoformat(), "File": str(out), "Bytes": len(data)}
    return CommandResult(
        ok=True, value=value, output=Text(f"wrote {out} ({len(data)} bytes, {when.isoformat()})")
    )


def _wrap(handler: Any) -> Any:
    async def run(console: Console, args: list[str]) -> CommandResult:
        try:
            return await handler(console, args)
        except Usage as error:
            return CommandResult.fail(str(error))
        except ServiceError as error:
            return CommandResult.fail(f"video: {error.code}: {error.message}")

    return run


def register(console: Console) -> None:
    """Register `video put`, `video fragments` and `video image`."""
    handlers = {"put": put, "fragments": fragments, "image": image}
    for sub, handler in handlers.items():
        console.register_command(
            f"video {sub}", _wrap(handler), f"{USAGE[sub]} — Kinesis Video lab tools", OPTIONS[sub]
        )
