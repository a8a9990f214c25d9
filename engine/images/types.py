"""Types shared by the image modules (a leaf: imports nothing of weft)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Fetched:
    """One image URL's download outcome: `content` on success, else `reason` (a counted failure reason such as
    'dns', 'connect', 'timeout', 'status_4xx', 'status_5xx', 'too_large', 'not_an_image', 'opted_out',
    'refused_address', 'bad_url', 'redirect_loop')."""

    url: str
    content: bytes | None = None
    reason: str | None = None
    final_url: str | None = None
    content_type: str | None = None
    status: int | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.content is not None


@dataclass(slots=True)
class Decoded:
    """A validated image: facts about the encoded file plus a small RGB copy for hashing and scoring.
    `reason` is set (and the other fields may be empty) when validation rejected it."""

    sha256: str
    bytes: int
    width: int = 0
    height: int = 0
    format: str | None = None
    reason: str | None = None
    thumbnail: object | None = None  # PIL.Image.Image in RGB, longest side <= the configured thumbnail size
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None
