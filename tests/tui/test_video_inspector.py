"""The flow map's video stream: its glyph, and the panel's fragment timeline."""

from __future__ import annotations

import pytest

from engine import Engine
from tests.console.conftest import plain
from tests.engine.kvs_media import tiny_mkv
from tui.app.flow_canvas import KIND_GLYPHS
from tui.app.inspectors import inspect
from tui.app.widgets.inspection_view import render_inspection

pytestmark = pytest.mark.timeout(30)


async def test_video_stream_panel_shows_the_fragment_timeline(eng: Engine, clock) -> None:
    await eng.client("kinesisvideo").create_stream(StreamName="door", DataRetentionInHours=2)
    service = eng.service("kinesisvideo")
    stream = service.streams["door"]
    await service.ingest.put_bytes(stream, tiny_mkv(3))
    await clock.advance(5)
    await service.ingest.put_bytes(stream, tiny_mkv(2), timecode_type="RELATIVE")
    node = next(n for n in eng.topology().nodes if n.kind == "video-stream")
    assert "video-stream" in KIND_GLYPHS
    data = inspect(eng, node)
    assert data is not None and data["fragments"] == 5 and data["retention_hours"] == 2
    assert data["gaps"] == 1  # the producer's clock jumped between the two uploads
    text = plain(render_inspection(data))
    assert "5 fragments" in text and "retention 2 h" in text and "gaps 1" in text


async def test_the_panel_draws_a_thumbnail_of_the_latest_frame(eng: Engine) -> None:
    pytest.importorskip("av")
    from tests.engine.kvs_media import camera

    await eng.client("kinesisvideo").create_stream(StreamName="yard", DataRetentionInHours=1)
    service = eng.service("kinesisvideo")
    await service.ingest.put_bytes(service.streams["yard"], camera(1), timecode_type="RELATIVE")
    node = next(n for n in eng.topology().nodes if n.kind == "video-stream")
    data = inspect(eng, node)
    assert data is not None
    pixels = data["thumbnail"]
    assert len(pixels) == 18 and len(pixels[0]) == 32
    rendered = render_inspection(data)
    assert "▀" * 32 in plain(rendered)
