"""Motion by pixel differencing: the score the `detect-motion` demo function computes from GetImages.

No ML service: each image is decoded to grey levels, and the score of a pair is the mean absolute
difference of their pixels (0 … 255). Motion is a score above a threshold.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .video import require_av


def grey(image: bytes) -> Any:
    """A JPEG/PNG as a 2-D numpy array of grey levels."""
    av = require_av("detect-motion")
    with av.open(io.BytesIO(image), "r") as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="gray").astype("int16")


def scores(images: list[dict[str, Any]]) -> list[float]:
    """The difference between each pair of consecutive images that have content."""
    pictures = [grey(base64.b64decode(i["ImageContent"])) for i in images if "ImageContent" in i]
    out = []
    for before, after in zip(pictures, pictures[1:], strict=False):
        if before.shape == after.shape:
            out.append(float(abs(after - before).mean()))
    return out
