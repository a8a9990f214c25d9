"""C4-style removal of bad lines before the document-level rules judge (presets with `lines:`, e.g. `weft`).

C4 (Raffel et al. 2020, Sec. 2.2) drops every line that mentions javascript or a cookie / terms-of-use /
privacy-policy phrase, and a page with "lorem ipsum"; weft removes such lines when they are short (at most
`lines.max_chars` characters: "Please enable JavaScript", "This site uses cookies", not a paragraph that
discusses JavaScript) and lines without a single letter (separators, page numbers, prices, "| | |"), in every language.
It also removes the second and later copies of a paragraph of at least `lines.dup_min_chars` characters: a photo
caption shown in the slideshow and again under the photo, a table of contents repeating the headings, a pull quote.
Left in, one such copy makes an article fail the n-gram repetition rules (Gopher's dup_5gram counts every repeated
5-gram), and the copy adds nothing a trainer should see twice. Shorter repeats ("Reply", "Home") stay: they are the
menus and link lists that the repetition rules exist to catch.
Removal goes through Document.keep_positions, so texts and images stay aligned; what was removed is counted in
the document's `paragraph_removals` (per reason, shown by --explain) and the score `lines_removed_frac`
(characters removed / characters before), so a threshold can still use it.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, compress

from engine.document import Document

SCORES = ("lines_removed_frac",)
_PHRASES = ("javascript", "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
            "use cookies", "accept cookies", "lorem ipsum")
_LETTER = re.compile(r"[^\W\d_]")


def line_reason(text: str, max_chars: int) -> str | None:
    """Why this paragraph is a bad line (a reason name), or None to keep it."""
    if not _LETTER.search(text):
        return "line_no_letter"
    if len(text) <= max_chars:
        lower = text.lower()
        if any(map(lower.__contains__, _PHRASES)):
            return "line_c4_phrase"
    return None


def _phrase_paragraphs(texts: list[str], indexes: list[int]) -> list[int]:
    """Those of `indexes` whose text contains one of _PHRASES (lower case): str.find over their texts joined,
    each hit mapped back to its text by position, so a page with no phrase costs a few C-level scans."""
    if not indexes:
        return []
    lower = "\n".join([texts[k] for k in indexes]).lower()  # no phrase has a newline: none spans two texts
    starts = None
    hits: set[int] = set()
    for phrase in _PHRASES:
        at = lower.find(phrase)
        while at >= 0:
            if starts is None:
                starts = list(accumulate((len(texts[k]) + 1 for k in indexes), initial=0))
            hits.add(indexes[bisect_right(starts, at) - 1])
            at = lower.find(phrase, at + 1)
    return sorted(hits)


def _repeats(texts: list[str], lengths: list[int], min_chars: int) -> list[int]:
    """Indexes of the texts of at least `min_chars` characters that repeat an earlier one (whitespace-trimmed)."""
    seen: set[str] = set()
    out = []
    for k, n in enumerate(lengths):
        if n >= min_chars:
            key = texts[k].strip()
            if key in seen:
                out.append(k)
            seen.add(key)
    return out


def line_mask(doc: Document, cfg: dict) -> tuple[list[bool], dict[str, int], float | None]:
    """(keep-mask over doc positions, removed paragraphs per reason, characters removed / characters before);
    `cfg`: a preset's `lines` section. Only the short paragraphs are searched for a phrase (one joined
    search), and a paragraph starting with a letter has one (a match at its first character)."""
    max_chars = int(cfg["max_chars"])
    positions = [i for i, t in enumerate(doc.texts) if t is not None]
    texts = [doc.texts[i] for i in positions]
    lengths = list(map(len, texts))
    short = list(compress(range(len(texts)), map(max_chars.__ge__, lengths)))
    candidates = set(_phrase_paragraphs(texts, short))
    candidates.update(k for k, letter in enumerate(map(_LETTER.search, texts)) if letter is None)
    keep = [True] * len(doc.texts)
    reasons: dict[str, int] = {}
    removed = 0
    whys = {k: why for k in candidates if (why := line_reason(texts[k], max_chars))}
    for k in _repeats(texts, lengths, int(cfg["dup_min_chars"])):
        whys.setdefault(k, "line_duplicate")
    for k in sorted(whys):
        keep[positions[k]] = False
        reasons[whys[k]] = reasons.get(whys[k], 0) + 1
        removed += lengths[k]
    total = sum(lengths)
    return keep, reasons, (removed / total if total else None)
