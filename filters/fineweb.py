"""FineWeb quality scores (Penedo et al. 2024, "The FineWeb Datasets", arXiv:2406.17557, Sec. 3.5; reference
code datatrove FineWebQualityFilter).

Published thresholds: >= 12% of lines end in terminal punctuation; <= 67% of lines are <= 30 characters;
characters in duplicated lines <= 1% of all (non-newline) characters; newlines per word <= 0.3.
Terminal punctuation is the Unicode set of sentence terminals (filters.text.TERMINAL_PUNCTUATION), so the
rule works for scripts that end sentences with 。 । ؟ etc.
"""
from __future__ import annotations

from operator import itemgetter

from filters.text import TERMINAL_PUNCTUATION, TextStats

SHORT_LINE_CHARS = 30
_TERMINAL = frozenset(TERMINAL_PUNCTUATION)  # single characters
SCORES = ("fineweb_line_punct_ratio", "fineweb_short_line_ratio", "fineweb_char_dup_ratio", "fineweb_newline_ratio")


def score(ts: TextStats) -> dict[str, float | None]:
    lines = ts.nonblank_lines
    if not lines:
        return dict.fromkeys(SCORES)
    n = len(lines)
    lengths = list(map(len, lines))
    dup_chars = sum(lengths) - sum(map(len, set(lines)))  # all but first occurrences
    newlines = ts.text.count("\n")
    chars = len(ts.text) - newlines
    words = ts.n_words
    return {
        # a blank line is not in `lines`, so each has a last character: one set lookup instead of endswith
        "fineweb_line_punct_ratio": sum(map(_TERMINAL.__contains__, map(itemgetter(-1), lines))) / n,
        "fineweb_short_line_ratio": sum(map(SHORT_LINE_CHARS.__ge__, lengths)) / n,
        "fineweb_char_dup_ratio": dup_chars / chars if chars else None,
        "fineweb_newline_ratio": newlines / words if words else None,
    }
