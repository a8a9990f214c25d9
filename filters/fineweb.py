"""FineWeb quality scores (Penedo et al. 2024, "The FineWeb Datasets", arXiv:2406.17557, Sec. 3.5; reference
code datatrove FineWebQualityFilter).

Published thresholds: >= 12% of lines end in terminal punctuation; <= 67% of lines are <= 30 characters;
characters in duplicated lines <= 1% of all (non-newline) characters; newlines per word <= 0.3.
Terminal punctuation is the Unicode set of sentence terminals (filters.text.TERMINAL_PUNCTUATION), so the
rule works for scripts that end sentences with 。 । ؟ etc.
"""
from __future__ import annotations

from operator import methodcaller

from filters.rules import decide_family
from filters.text import TERMINAL_PUNCTUATION, TextStats

FAMILY = "fineweb"
SHORT_LINE_CHARS = 30


def score(ts: TextStats) -> dict[str, float | None]:
    lines = ts.nonblank_lines
    if not lines:
        return {k: None for k in ("fineweb_line_punct_ratio", "fineweb_short_line_ratio",
                                  "fineweb_char_dup_ratio", "fineweb_newline_ratio")}
    n = len(lines)
    dup_chars = sum(map(len, lines)) - sum(map(len, dict.fromkeys(lines)))  # all but first occurrences
    chars = len(ts.text) - ts.text.count("\n")
    words = ts.n_words
    return {
        "fineweb_line_punct_ratio": sum(map(methodcaller("endswith", TERMINAL_PUNCTUATION), lines)) / n,
        "fineweb_short_line_ratio": sum(map(SHORT_LINE_CHARS.__ge__, map(len, lines))) / n,
        "fineweb_char_dup_ratio": dup_chars / chars if chars else None,
        "fineweb_newline_ratio": ts.text.count("\n") / words if words else None,
    }


def decide(scores: dict[str, float | None], cfg) -> tuple[bool, str | None]:
    return decide_family(scores, cfg, FAMILY)
