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
from itertools import filterfalse
from operator import methodcaller
from pathlib import Path

import numpy as np

from filters.rules import decide_family
from filters.text import TextStats, is_cjk_language

_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)

FAMILY = "gopher"
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAK = re.compile(r"\n+")
_BULLET_START = methodcaller("startswith", ("•", "-"))
_ELLIPSIS_END = methodcaller("endswith", ("...", "…"))
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


@lru_cache(maxsize=1)
def stop_words() -> dict[str, frozenset[str]]:
    data = json.loads((Path(__file__).parent / "data" / "stopwords.json").read_text(encoding="utf-8"))
    return {lang: frozenset(words) for lang, words in data.items()}


@lru_cache(maxsize=1 << 16)
def _has_letter(token: str) -> bool:
    return any(c.isalpha() for c in token)


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
    # map + methodcaller: C-level loops over the lines
    scores["gopher_bullet_lines_ratio"] = sum(map(_BULLET_START, map(str.lstrip, lines))) / len(lines)
    scores["gopher_ellipsis_lines_ratio"] = sum(map(_ELLIPSIS_END, map(str.rstrip, lines))) / len(lines)
    # str.isalpha() settles most tokens at C speed; only the rest need the per-character look (cached).
    not_alpha = list(filterfalse(str.isalpha, words))
    no_alpha = len(not_alpha) - sum(map(_has_letter, not_alpha))
    scores["gopher_alpha_words_ratio"] = (n - no_alpha) / n if n else None
    stops = stop_words().get((ts.language or "en").split("_")[0])
    scores["gopher_stop_words"] = float(len(stops.intersection(ts.words_lower))) if stops else None
    return scores


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated elements, their characters), counting every occurrence after the first: everything minus the
    first occurrences (dict.fromkeys keeps those, at C speed)."""
    first = dict.fromkeys(items)
    return len(items) - len(first), sum(map(len, items)) - sum(map(len, first))


def _repeats(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each hash an id shared by equal hashes, and each id's count (one sort)."""
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    new_run = np.empty(len(hashes), dtype=bool)
    new_run[:1] = True
    np.not_equal(sorted_h[1:], sorted_h[:-1], out=new_run[1:])
    run_id = np.cumsum(new_run) - 1
    ids = np.empty(len(hashes), dtype=np.int64)
    ids[order] = run_id
    return ids, np.bincount(run_id)


def _scan_duplicates(positions: np.ndarray, ids: np.ndarray, cum: np.ndarray, n: int) -> int:
    """Gopher's sequential rule over the n-grams that occur more than once (the others never repeat): scanning
    left to right, an n-gram seen before adds its characters and the scan jumps past it."""
    if len(positions) == 0:
        return 0
    seen = bytearray(int(ids.max()) + 1)
    total, next_free = 0, 0
    for pos, key, chars in zip(positions.tolist(), ids.tolist(), (cum[positions + n] - cum[positions]).tolist()):
        if pos < next_free:
            continue
        if seen[key]:
            total += chars
            next_free = pos + n
        else:
            seen[key] = 1
    return total


def ngram_repetition(ts: TextStats) -> dict[int, int]:
    """n -> characters: for n in TOP_NGRAMS, the most frequent n-gram's length (words joined by spaces) times its
    count (ties: the n-gram seen first); for n in DUP_NGRAMS, characters in n-grams repeating an earlier one.

    An (n+1)-gram can only occur twice where the n-grams at i and i+1 both do, so after one sort over all
    2-grams each longer n only sorts the positions still repeating (few, on a normal page)."""
    words = ts.word_hashes
    cum = np.concatenate(([0], np.cumsum(ts.word_lengths)))
    out = {n: 0 for n in TOP_NGRAMS + DUP_NGRAMS}
    hashes = words
    repeating = None  # over positions 0..len(hashes)-1: does the (n-1)-gram there occur more than once
    for n in range(TOP_NGRAMS[0], DUP_NGRAMS[-1] + 1):
        m = len(words) - n + 1
        if m <= 0:
            break
        hashes = hashes[:m] * _HASH_MUL + words[n - 1 : n - 1 + m]  # uint64 arrays wrap around silently
        # positions where the n-gram may repeat (all of them for 2-grams), and those n-grams' hashes
        positions = np.arange(m) if repeating is None else (repeating[:m] & repeating[1 : m + 1]).nonzero()[0]
        ids, counts = _repeats(hashes if repeating is None else hashes[positions])
        top = int(counts.max()) if len(counts) else 0
        if top < 2:  # nothing repeats at this n, so no longer n-gram repeats either:
            for k in TOP_NGRAMS:  # the top n-gram is the first one, once
                if n <= k <= len(words):
                    out[k] = int(cum[k]) + k - 1
            break
        repeat = counts[ids] > 1
        if n in TOP_NGRAMS:
            pos = int(positions[(counts[ids] == top).argmax()])  # the first position with the top count
            out[n] = (int(cum[pos + n] - cum[pos]) + n - 1) * top
        else:
            out[n] = _scan_duplicates(positions[repeat], ids[repeat], cum, n)
        repeating = np.zeros(m, dtype=bool)
        repeating[positions[repeat]] = True
    return out


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
    chars = ngram_repetition(ts)
    for n in TOP_NGRAMS:
        scores[f"gopher_top_{n}gram_frac"] = chars[n] / size
    for n in DUP_NGRAMS:
        scores[f"gopher_dup_{n}gram_frac"] = chars[n] / size
    return scores


def score(ts: TextStats) -> dict[str, float | None]:
    return {**quality_scores(ts), **repetition_scores(ts)}


def decide(scores: dict[str, float | None], cfg) -> tuple[bool, str | None]:
    return decide_family(scores, cfg, FAMILY)
