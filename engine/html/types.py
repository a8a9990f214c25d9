"""The extractor's shared types: the result (`Extracted`), the settings (`ExtractConfig`, defaults from
config/defaults.yaml `extract.html`), the refusal (`ExtractionRejected`) and the time `Budget`.

The leaf of engine.html: every module of the package may import it, it imports none of them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.config import defaults_from


@dataclass(slots=True)
class Extracted:
    """Aligned lists: at each position exactly one of texts[i] / images[i] is set; alts[i] goes with images[i]."""
    texts: list[str | None] = field(default_factory=list)
    images: list[str | None] = field(default_factory=list)
    alts: list[str | None] = field(default_factory=list)
    title: str | None = None
    date: str | None = None  # ISO 8601
    html_lang: str | None = None
    agreement: float | None = None  # token agreement with a second extractor (engine.html.agreement), 0..1
    unioned: bool = False  # the second extractor's missing paragraphs were added (low agreement)

    def add_text(self, text: str) -> None:
        self.texts.append(text)
        self.images.append(None)
        self.alts.append(None)

    def add_image(self, url: str, alt: str | None) -> None:
        self.texts.append(None)
        self.images.append(url)
        self.alts.append(alt or None)


class ExtractionRejected(Exception):
    """A page the extractor refuses: `reason` is one of 'html_too_large', 'timeout', 'parse_error',
    'too_deep', counted by the stage like any other drop reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
@defaults_from("extract.html")
class ExtractConfig:
    """Per-page limits and thresholds; every default (and what it means) is in config/defaults.yaml `extract.html`."""
    max_html_bytes: int
    timeout_s: float
    min_paragraph_chars: int
    max_tiny_image_px: int
    min_image_px: int
    max_depth: int
    agreement: bool
    union_below: float
    union_min_new_share: float
    union_min_new_tokens: int


class Budget:
    """Wall-clock budget (no signals: works in any thread). `check` between phases; `tick` inside long loops,
    which reads the clock only every `every` calls so a loop over 100k nodes pays for ~100 clock reads."""

    __slots__ = ("deadline", "limit", "_left")

    def __init__(self, seconds: float):
        self.limit = seconds
        self.deadline = time.monotonic() + seconds
        self._left = 0

    def check(self, phase: str) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionRejected("timeout", f"over {self.limit:g}s after {phase}")

    def tick(self, phase: str, every: int = 64) -> None:
        self._left -= 1
        if self._left <= 0:
            self._left = every
            self.check(phase)
