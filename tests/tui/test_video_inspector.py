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
