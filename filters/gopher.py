"""Gopher quality and repetition scores (Rae et al. 2021, "Scaling Language Models: Methods, Analysis &
Insights from Training Gopher", arXiv:2112.11446, Appendix A.1.1 and Table A1).

Published thresholds (the defaults in config/filters.yaml):
  quality:    50 <= words <= 100,000; 3 <= mean word length <= 10; '#' and ellipsis per word <= 0.1;
              <= 90% of lines start with a bullet; <= 30% of lines end with an ellipsis;
              >= 80% of words contain a letter; >= 2 of the stop words the/be/to/of/and/that/have/with.
  repetition: duplicate line / paragraph fraction <= 0.30; their character fractions <= 0.20;
              top 2/3/4-gram character fraction <= 0.20/0.18/0.16;
              duplicated 5..10-gram character fraction <= 0.15/0.14/0.13/0.12/0.11/0.10.
Definitions follow datatrove's GopherQualityFilter / GopherRepetitionFilter (the implementation FineWeb used),
so that decisions agree with it; see README "Filters" for where and why we differ.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from filters.rules import decide_family
from filters.text import TextStats, is_cjk_language

FAMILY = "gopher"
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAK = re.compile(r"\n+")
_NO_LETTER = re.compile(r"[\W\d_]*")  # a token without any letter
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


@lru_cache(maxsize=1)
def stop_words() -> dict[str, frozenset[str]]:
    data = json.loads((Path(__file__).parent / "data" / "stopwords.json").read_text(encoding="utf-8"))
    return {lang: frozenset(words) for lang, words in data.items()}


def quality_scores(ts: TextStats) -> dict[str, float | None]:
    words = ts.words
    n = len(words)
    content = ts.content_words
    lines = ts.lines or [""]
    text = ts.text
    scores: dict[str, float | None] = {"gopher_words": float(len(content))}
    # CJK "words" are single characters: a mean word length says nothing there.
    scores["gopher_mean_word_length"] = (
        None if not content or is_cjk_language(ts.language) else float(sum(map(len, content)) / len(content))
    )
    scores["gopher_hash_ratio"] = text.count("#") / n if n else None
    scores["gopher_ellipsis_ratio"] = (text.count("...") + text.count("…")) / n if n else None
    stripped_left = [line.lstrip() for line in lines]
    scores["gopher_bullet_lines_ratio"] = sum(s.startswith(("•", "-")) for s in stripped_left) / len(lines)
    scores["gopher_ellipsis_lines_ratio"] = sum(line.rstrip().endswith(("...", "…")) for line in lines) / len(lines)
    # str.isalpha() settles most tokens at C speed; only the rest need the per-character look.
    no_alpha = sum(1 for w in words if not w.isalpha() and _NO_LETTER.fullmatch(w))
    scores["gopher_alpha_words_ratio"] = (n - no_alpha) / n if n else None
    stops = stop_words().get((ts.language or "en").split("_")[0])
    scores["gopher_stop_words"] = float(len(stops.intersection(ts.words_lower))) if stops else None
    return scores


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated elements, their characters), counting every occurrence after the first."""
    seen: set[str] = set()
    dup_n = dup_chars = 0
    for item in items:
        if item in seen:
            dup_n += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup_n, dup_chars


def _top_ngram_chars(ts: TextStats, n: int) -> int:
    """Characters covered by the most frequent n-gram (words joined by spaces) times its count; ties go to the
    n-gram seen first."""
    hashes = ts.ngram_hashes(n)
    if len(hashes) == 0:
        return 0
    _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    best = counts.max()
    if best == 1:
        pos = 0
    else:
        pos = int(first[counts == best].min())
    length = int(ts.ngram_char_lengths(n)[pos]) + n - 1
    return length * int(best)


def _duplicated_ngram_chars(ts: TextStats, n: int) -> int:
    """Characters in n-grams that repeat an earlier n-gram, scanning left to right and jumping over a repeat so
    overlapping repeats are not counted twice (Gopher's 'duplicate n-gram character fraction')."""
    hashes = ts.ngram_hashes(n)
    if len(hashes) < 2:
        return 0
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    candidates = np.flatnonzero(counts[inverse] > 1)  # only n-grams that occur twice can ever repeat
    if len(candidates) == 0:
        return 0
    lengths = ts.ngram_char_lengths(n)
    seen: set[int] = set()
    total, next_free = 0, 0
    for pos in candidates.tolist():
        if pos < next_free:
            continue
        key = int(inverse[pos])
        if key in seen:
            total += int(lengths[pos])
            next_free = pos + n
        else:
            seen.add(key)
    return total


def repetition_scores(ts: TextStats) -> dict[str, float | None]:
    text = ts.text
    size = len(text)
    scores: dict[str, float | None] = {}
    if size == 0:
        keys = ["dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac"]
        keys += [f"top_{n}gram_frac" for n in TOP_NGRAMS] + [f"dup_{n}gram_frac" for n in DUP_NGRAMS]
        return {f"gopher_{k}": None for k in keys}
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    dup_n, dup_chars = _duplicates(paragraphs)
    scores["gopher_dup_para_frac"] = dup_n / len(paragraphs)
    scores["gopher_dup_para_char_frac"] = dup_chars / size
    lines = _LINE_BREAK.split(text)
    dup_n, dup_chars = _duplicates(lines)
    scores["gopher_dup_line_frac"] = dup_n / len(lines)
    scores["gopher_dup_line_char_frac"] = dup_chars / size
    for n in TOP_NGRAMS:
        scores[f"gopher_top_{n}gram_frac"] = _top_ngram_chars(ts, n) / size
    for n in DUP_NGRAMS:
        chars = _duplicated_ngram_chars(ts, n)
        scores[f"gopher_dup_{n}gram_frac"] = chars / size
        if chars == 0:  # no repeated n-gram means no repeated longer n-gram either
            for m in DUP_NGRAMS[DUP_NGRAMS.index(n) + 1:]:
                scores[f"gopher_dup_{m}gram_frac"] = 0.0
            break
    return scores


def score(ts: TextStats) -> dict[str, float | None]:
    return {**quality_scores(ts), **repetition_scores(ts)}


def decide(scores: dict[str, float | None], cfg) -> tuple[bool, str | None]:
    return decide_family(scores, cfg, FAMILY)
