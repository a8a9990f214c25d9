"""The errors of opening an input, shared by engine.io.sources (which opens it) and engine.warc.records (which reads
it). A leaf: it imports nothing from engine, so both sides can import it without importing each other."""
from __future__ import annotations

__all__ = ["WarcOpenError", "SourceError"]


class WarcOpenError(Exception):
    """The input cannot be opened or is not a WARC/ARC file; `reason` is a short machine reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class SourceError(WarcOpenError):
    """The source cannot be opened or read: reason is 'not_found', 'access_denied', 'unavailable', ..."""
