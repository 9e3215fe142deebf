"""botocore's HTML documentation as plain text, and one-line summaries of it."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from html import unescape
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "ul", "ol", "dl", "note", "important", "br", "h1", "h2", "h3", "h4"}


class _TextExtractor(HTMLParser):
    """Collects text, turning block tags into line breaks and list items into bullets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.parts.append("\n  • ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@lru_cache(maxsize=4096)
def html_to_text(html: str) -> str:
    """Plain text of a botocore documentation string: paragraphs kept, tags dropped."""
    if not html:
        return ""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # malformed HTML in a model must not break help
        text = re.sub(r"<[^>]+>", " ", unescape(html))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(line if not line.startswith("•") else "  " + line for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@cache
def first_sentence(html: str, limit: int = 160) -> str:
    """The first sentence of a documentation string, as one short line."""
    text = html_to_text(html).split("\n\n", 1)[0].replace("\n", " ")
    match = re.search(r"(?<=[.!?])\s", text)
    if match:
        text = text[: match.start()]
    return text if len(text) <= limit else text[: limit - 1] + "…"
