"""Turns a stream of inline text, block boundaries and images into aligned paragraphs + images.

The DOM walk calls this; the rendering rules (what is a paragraph, how lists,
tables and code read as text) live here once."""
from __future__ import annotations

import re

from engine.html.types import Extracted

_WS = re.compile(r"\s+")
# a run of line whitespace (newlines inside a line included) that is not already one plain space: replacing only
# those gives the same line as replacing every run, and most runs in text are one space
_LINE_WS = re.compile(r"[ \t\n\r\f\v\u00a0]{2,}|[\t\n\r\f\v\u00a0]")


class BlockWriter:
    """Collects inline pieces into the current paragraph; `flush()` closes it. Lines inside a paragraph
    (list items, table rows, <br>) are kept as '\n'-separated lines; whitespace inside a line is collapsed
    except in preformatted text."""

    __slots__ = ("out", "lines", "line", "min_chars")

    def __init__(self, out: Extracted, min_chars: int = 1):
        self.out = out
        self.lines: list[str] = []
        self.line: list[str] = []
        self.min_chars = min_chars

    def text(self, s: str | None) -> None:
        if s:
            self.line.append(s)

    def pre(self, s: str | None) -> None:
        """Preformatted text (code): whitespace and line breaks are kept as they are."""
        if s and s.strip():
            self.newline()
            self.lines.append("\x00" + s.strip("\n"))

    def newline(self, prefix: str = "") -> None:
        if self.line:
            # empty cells at the end of a table row (form controls that were dropped) leave bare separators
            joined = _LINE_WS.sub(" ", "".join(self.line)).strip()
            while joined.endswith(" |"):
                joined = joined[:-2].rstrip()
            if joined:
                self.lines.append(joined)
            self.line = []
        if prefix:
            self.line.append(prefix)

    def flush(self) -> None:
        if not self.lines and not self.line:  # most block ends: nothing open (the walk flushes at every one)
            return
        self.newline()
        if not self.lines:
            return
        lines = [ln[1:] if ln.startswith("\x00") else ln for ln in self.lines]
        self.lines = []
        # a list bullet or table separator with nothing after it is not content
        lines = [ln for ln in lines if ln.strip(" -|") or "\n" in ln]
        paragraph = "\n".join(lines).strip("\n")
        if len(paragraph.strip()) >= self.min_chars:
            self.out.add_text(paragraph)

    def image(self, url: str | None, alt: str | None) -> None:
        if not url:
            return
        self.flush()
        alt = _WS.sub(" ", alt).strip() if alt else None
        self.out.add_image(url, alt or None)
