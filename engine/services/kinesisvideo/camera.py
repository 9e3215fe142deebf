"""A synthetic camera: H.264 in MKV, made with PyAV and numpy, so lessons and tests have real frames.

Each frame shows a square moving across, a ball bouncing and the producer time (HH:MM:SS.mmm)
drawn in a 3×5 pixel font, scaled. A keyframe starts every second, so each cluster (one
Kinesis Video fragment) is one second long.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from .video import require_av

#: 3×5 glyphs, one string of 15 cells per character ("#" lit).
_FONT = {
    "0": "####.##.##.####",
    "1": ".#.##..#..#.###",
    "2": "###..#####..###",
    "3": "###..####..####",
    "4": "#.##.####..#..#",
    "5": "####..###..####",
    "6": "####..####.####",
    "7": "###..#..#..#..#",
    "8": "####.#####.####",
    "9": "####.####..####",
    ":": "....#.....#....",
    ".": "............#..",
}


def draw_text(image: Any, text: str, x: int, y: int, scale: int) -> None:
    """Write `text` in white on an RGB numpy image, top-left at (x, y)."""
    for i, char in enumerate(text):
        glyph = _FONT.get(char)
        if glyph is None:
            continue
        for cell, lit in enumerate(glyph):
            if lit == "#":
                row, col = divmod(cell, 3)
                top = y + row * scale
                left = x + (i * 4 + col) * scale
                image[top : top + scale, left : left + scale] = 255


def frame_image(index: int, fps: int, width: int, height: int, start_ms: int) -> Any:
    """The RGB picture of frame `index`."""
    import numpy as np

    image = np.zeros((height, width, 3), np.uint8)
    image[:, :, 2] = 40  # a dark blue background
    size = max(8, height // 6)
    x = (index * max(1, width // (fps * 4))) % max(1, width - size)
    image[height // 3 : height // 3 + size, x : x + size] = (220, 60, 60)
    period = fps * 2
    phase = abs((index % period) - period / 2) / (period / 2)
    cy = int(height * 0.45 + phase * height * 0.35)
    cx = width - width // 4
    yy, xx = np.ogrid[:height, :width]
    image[(yy - cy) ** 2 + (xx - cx) ** 2 <= (size // 2) ** 2] = (60, 200, 90)
    when = datetime.fromtimestamp((start_ms + index * 1000 / fps) / 1000, UTC)
    text = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"
    draw_text(image, text, 8, 8, max(2, height // 90))
    return image


def synthetic_mkv(
    seconds: float,
    *,
    fps: int = 15,
    width: int = 320,
    height: int = 240,
    start_ms: int = 0,
    bitrate: int | None = None,
    operation: str = "video put --camera-sim",
) -> bytes:
    """An H.264 MKV of `seconds` of synthetic camera video, one keyframe (cluster) per second.

    Flat synthetic pictures compress far below a real camera's rate; `bitrate` (bits/s) makes
    x264 pad to a constant rate, as a camera's encoder would send.
    """
    av = require_av(operation)
    out = io.BytesIO()
    # Without `dash`, FFmpeg starts a cluster at a keyframe only once the cluster passes 4 KB.
    with av.open(out, "w", format="matroska", options={"dash": "1"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        options = {
            "g": str(fps),
            "keyint_min": str(fps),
            "preset": "ultrafast",
            "tune": "zerolatency",
        }
        if bitrate:
            rate = str(bitrate)
            options.update({"b": rate, "minrate": rate, "maxrate": rate, "bufsize": rate})
            options["x264-params"] = "nal-hrd=cbr:force-cfr=1"
        stream.options = options
        for index in range(max(1, round(seconds * fps))):
            frame = av.VideoFrame.from_ndarray(
                frame_image(index, fps, width, height, start_ms), format="rgb24"
            )
            if index % fps == 0:  # a keyframe each second: each fragment starts with one
                frame.pict_type = av.video.frame.PictureType.I
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
