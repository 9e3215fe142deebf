"""`video put|fragments|image`: the camera simulator, a file upload, the fragment list, a frame."""

from __future__ import annotations

import pytest

from engine import Engine
from tests.engine.kvs_media import camera, decode
from tui.console import Console

pytest.importorskip("av")

pytestmark = pytest.mark.timeout(60)


async def test_camera_sim_streams_a_fragment_a_second(
    eng: Engine, console: Console, clock, tmp_path
) -> None:
    made = await console.execute(
        "kinesisvideo create-stream --stream-name porch --data-retention-in-hours 1"
    )
    assert made.ok, made.error
    started = await console.execute("video put porch --camera-sim --fps 5 --for 4s")
    assert started.ok, started.error
    assert started.value["Fragments"] == 4
    await clock.advance(2.5)
    listed = await console.execute("video fragments porch")
    assert len(listed.value) == 2 and listed.value[0]["LengthMs"] == 1000
    await clock.advance(5)
    listed = await console.execute("video fragments porch")
    assert len(listed.value) == 4
    again = await console.execute("video put porch --camera-sim --for 2s")
    assert again.ok  # the first session has ended
    busy = await console.execute("video put porch --camera-sim")
    assert not busy.ok and "ConnectionLimitExceededException" in busy.error
    out = tmp_path / "frame.png"
    wrote = await console.execute(f"video image porch --out {out}")
    assert wrote.ok, wrote.error
    (frame,) = decode(out.read_bytes())
    assert frame.shape == (240, 320, 3)


async def test_file_upload_and_bad_commands(eng: Engine, console: Console, tmp_path) -> None:
    await console.execute(
        "kinesisvideo create-stream --stream-name porch --data-retention-in-hours 1"
    )
    clip = tmp_path / "clip.mkv"
    clip.write_bytes(camera(2))
    done = await console.execute(f"video put porch --file {clip}")
    assert done.ok and done.value["Fragments"] == 2
    junk = tmp_path / "junk.mkv"
    junk.write_bytes(b"not a video")
    failed = await console.execute(f"video put porch --file {junk}")
    assert not failed.ok and "INVALID_MKV_DATA (ErrorId 4006)" in failed.error
    for line, words in [
        ("video put nope --file x.mkv", "no Kinesis video stream named nope"),
        ("video put porch", "give --file or --camera-sim"),
        ("video put porch --camera-sim --fps 0", "--fps must be"),
        (f"video put porch --file {tmp_path / 'missing.mkv'}", "cannot read"),
        ("video image porch --out f.gif", "must end in .jpg"),
        ("video image porch --at yesterday --out f.jpg", "--at wants"),
        ("video fragments", "usage: video fragments"),
        ("video fragments porch --bogus 1", "unknown option --bogus"),
    ]:
        result = await console.execute(line)
        assert not result.ok and words in result.error, (line, result.error)
    far = await console.execute(f"video image porch --at 0 --out {tmp_path / 'f.jpg'}")
    assert not far.ok and "NO_MEDIA" in far.error
