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
from operator import methodcaller
from pathlib import Path

import numpy as np

from filters.text import TextStats, is_cjk_language

_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
_DOC_MUL = np.uint64(0xD6E8FEB86659FD93)  # spreads document indexes over the key space

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_BULLET_START = methodcaller("startswith", ("•", "-"))
_ELLIPSIS_END = methodcaller("endswith", ("...", "…"))
# The same two tests over a whole text whose only line break is "\n" ("\r\n" ends a line too): a line starts
# after a "\n", and ends before one, where it starts in the reversed text; re jumps from one "\n" to the next in C
# instead of a Python call per line.
_BULLET_LINE = re.compile(r"\n[^\S\n]*[•-]")
_ELLIPSIS_LINE_REVERSED = re.compile(r"\n[^\S\n]*(?:\.\.\.|…)")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
NGRAMS = TOP_NGRAMS + DUP_NGRAMS  # consecutive: 2..10
QUALITY_SCORES = ("gopher_words", "gopher_mean_word_length", "gopher_hash_ratio", "gopher_ellipsis_ratio",
                  "gopher_bullet_lines_ratio", "gopher_ellipsis_lines_ratio", "gopher_alpha_words_ratio",
                  "gopher_stop_words")
REPETITION_SCORES = ("gopher_dup_para_frac", "gopher_dup_para_char_frac", "gopher_dup_line_frac",
                     "gopher_dup_line_char_frac", *(f"gopher_top_{n}gram_frac" for n in TOP_NGRAMS),
                     *(f"gopher_dup_{n}gram_frac" for n in DUP_NGRAMS))


@lru_cache(maxsize=1)
def stop_words() -> dict[str, frozenset[str]]:
    data = json.loads((Path(__file__).parent / "data" / "stopwords.json").read_text(encoding="utf-8"))
    return {lang: frozenset(words) for lang, words in data.items()}


def quality_scores(ts: TextStats) -> dict[str, float | None]:
    e = ts.encoded
    n = len(e.ids)
    n_content = ts.n_content_words
    lines = ts.lines or [""]
    text = ts.text
    scores: dict[str, float | None] = {"gopher_words": float(n_content)}
    # CJK "words" are single characters: a mean word length says nothing there.
    scores["gopher_mean_word_length"] = (
        None if not n_content or is_cjk_language(ts.language)
        else float(ts.word_lengths[ts.content].sum() / n_content)
    )
    scores["gopher_hash_ratio"] = text.count("#") / n if n else None
    scores["gopher_ellipsis_ratio"] = (text.count("...") + text.count("…")) / n if n else None
    bullets, ellipses = _bullet_and_ellipsis_lines(text, lines)
    scores["gopher_bullet_lines_ratio"] = bullets / len(lines)
    scores["gopher_ellipsis_lines_ratio"] = ellipses / len(lines)
    scores["gopher_alpha_words_ratio"] = int(np.count_nonzero(e.alpha)) / n if n else None
    stops = stop_words().get((ts.language or "en").split("_")[0])
    # distinct stop words present: the lower-case forms of the tokens that are stop words
    scores["gopher_stop_words"] = float(e.distinct_lower(ts.in_word_list(stops))) if stops else None
    return scores


def _bullet_and_ellipsis_lines(text: str, lines: list[str]) -> tuple[int, int]:
    """How many of str.splitlines()'s `lines` start with a bullet (after leading spaces) and end with an ellipsis
    (before trailing spaces)."""
    if len(lines) == text.count("\n") + (not text.endswith("\n")):  # no line break but "\n" (or "\r\n")
        return len(_BULLET_LINE.findall("\n" + text)), len(_ELLIPSIS_LINE_REVERSED.findall("\n" + text[::-1]))
    return sum(map(_BULLET_START, map(str.lstrip, lines))), sum(map(_ELLIPSIS_END, map(str.rstrip, lines)))


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated elements, their characters), counting every occurrence after the first: everything minus the
    first occurrences (a set keeps those, at C speed)."""
    first = set(items)
    return len(items) - len(first), sum(map(len, items)) - sum(map(len, first))


def _duplicate_lines(text: str) -> tuple[int, int, int]:
    """(lines, repeated lines, their characters) of the lines re.split(r"\n+", text) gives (Gopher's lines), from
    str.split("\n"): the regex drops the empty strings between consecutive newlines and keeps an empty first and
    last element."""
    parts = text.split("\n")
    lines = list(filter(None, parts))
    ends_empty = (not parts[0]) + (len(parts) > 1 and not parts[-1])  # the empty first / last element
    first = set(lines)
    n = len(lines) + ends_empty
    repeated = n - len(first) - (ends_empty > 0)  # the empty string, where present, counts once as distinct
    return n, repeated, len(text) - len(parts) + 1 - sum(map(len, first))


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key an id shared by equal keys, and each id's count (one sort)."""
    order = np.argsort(keys)
    sorted_k = keys[order]
    new_run = np.empty(len(keys), dtype=bool)
    new_run[:1] = True
    np.not_equal(sorted_k[1:], sorted_k[:-1], out=new_run[1:])
    run_id = np.cumsum(new_run) - 1
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = run_id
    return ids, np.bincount(run_id)


def _scan_duplicates(positions: np.ndarray, ids: np.ndarray, chars: np.ndarray, n: int) -> np.ndarray:
    """Gopher's sequential rule over the n-grams that occur more than once (the others never repeat): scanning
    left to right, an n-gram seen before adds its characters and the scan jumps past it. Positions are global
    over several documents; ids never match across documents and a jump never passes a document's end, so
    one scan serves them all. Returns the characters added at each position (0 where none)."""
    added = np.zeros(len(positions), dtype=np.int64)
    if len(positions) == 0:
        return added
    seen = bytearray(int(ids.max()) + 1)
    next_free = 0
    repeats = []  # indexes of the n-grams that repeat an earlier one
    for i, (pos, key) in enumerate(zip(positions.tolist(), ids.tolist())):
        if pos < next_free:
            continue
        if seen[key]:
            repeats.append(i)
            next_free = pos + n
        else:
            seen[key] = 1
    added[repeats] = chars[repeats]
    return added


def _ngram_chars_py(encoded: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
    """ngram_repetition_many's numbers, given (word hashes, word lengths) per document: per document, int64
    characters for n = 2..10, row after row, as bytes. The compiled `ngram_chars` (filters/_native.c) runs the
    same steps and returns the same bytes; the numpy work here runs over all documents' words together.

    An (n+1)-gram can only occur twice where the n-grams at i and i+1 both do, so after one sort over all
    2-grams each longer n only sorts the positions still repeating (few, on a normal page). Keys mix the
    document index into the n-gram hash, so equal n-grams of different documents never meet."""
    n_docs = len(encoded)
    out = np.zeros((n_docs, len(NGRAMS)), dtype=np.int64)  # column n - 2 holds n's characters
    if n_docs == 0:
        return out.tobytes()
    sizes = np.fromiter((len(h) for h, _ in encoded), dtype=np.int64, count=n_docs)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    words = np.concatenate([h for h, _ in encoded]).astype(np.uint64, copy=False)
    cum = np.concatenate(([0], np.cumsum(np.concatenate([w for _, w in encoded]), dtype=np.int64)))
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), sizes)
    doc_key = doc.astype(np.uint64) * _DOC_MUL
    ends = (starts + sizes)[doc]  # per word: where its document ends
    total = len(words)
    hashes = words
    repeating = None  # per global position: does the (n-1)-gram there occur more than once in its document
    done = np.zeros(n_docs, dtype=bool)  # no repeated n-gram at some n: nothing longer repeats either
    for n in NGRAMS:
        m = total - n + 1
        if m <= 0:
            break
        hashes = hashes[:m] * _HASH_MUL + words[n - 1: n - 1 + m]  # uint64 arrays wrap around silently
        fits = np.arange(m) + n <= ends[:m]  # the n-gram stays inside its document
        candidate = fits if repeating is None else fits & repeating[:m] & repeating[1: m + 1]
        positions = np.flatnonzero(candidate)
        if len(positions):
            ids, counts = _runs(hashes[positions] ^ doc_key[positions])
            count_at = counts[ids]
            pos_doc = doc[positions]
        else:
            ids = count_at = pos_doc = np.zeros(0, dtype=np.int64)
        top = np.zeros(n_docs, dtype=np.int64)
        np.maximum.at(top, pos_doc, count_at)
        # documents with no repeated n-gram: their top n-gram is their first, once, and nothing longer repeats
        newly_done = ~done & (sizes >= n) & (top < 2)
        for d in np.flatnonzero(newly_done).tolist():
            first = int(starts[d])
            for k in TOP_NGRAMS:
                if n <= k <= sizes[d]:
                    out[d, k - NGRAMS[0]] = cum[first + k] - cum[first] + k - 1
        done |= newly_done
        if len(positions) == 0:
            break
        repeat = count_at > 1
        if n in TOP_NGRAMS:
            # per document with a repeat: the first position with the document's top count
            hit = np.flatnonzero(repeat & (count_at == top[pos_doc]))
            docs_hit, first_hit = np.unique(pos_doc[hit], return_index=True)
            pos = positions[hit[first_hit]]
            out[docs_hit, n - NGRAMS[0]] = (cum[pos + n] - cum[pos] + n - 1) * top[docs_hit]
        else:
            rep_pos = positions[repeat]
            added = _scan_duplicates(rep_pos, ids[repeat], cum[rep_pos + n] - cum[rep_pos], n)
            out[:, n - NGRAMS[0]] = np.bincount(doc[rep_pos], weights=added, minlength=n_docs)
        repeating = np.zeros(m, dtype=bool)
        repeating[positions[repeat]] = True
    return out.tobytes()


try:
    from filters._native import ngram_chars as _ngram_chars
except ImportError:  # not built (no C compiler, or the code shipped as a zip): the same steps in numpy
    _ngram_chars = _ngram_chars_py


def ngram_repetition_many(encoded: list[tuple[np.ndarray, np.ndarray]]) -> list[dict[int, int]]:
    """ngram_repetition for many documents at once, given (word hashes, word lengths) per document (one call for
    a whole batch instead of one per document)."""
    try:
        table = _ngram_chars(encoded)
    except (TypeError, OverflowError):  # the compiled loop takes contiguous uint64 hashes, int64 lengths
        table = _ngram_chars_py(encoded)
    rows = np.frombuffer(table, dtype=np.int64).reshape(len(encoded), len(NGRAMS)).tolist()
    return [dict(zip(NGRAMS, row)) for row in rows]


def ngram_repetition(ts: TextStats) -> dict[int, int]:
    """n -> characters: for n in TOP_NGRAMS, the most frequent n-gram's length (words joined by spaces) times its
    count (ties: the n-gram seen first); for n in DUP_NGRAMS, characters in n-grams repeating an earlier one."""
    return ngram_repetition_many([(ts.word_hashes, ts.word_lengths)])[0]


def repetition_scores(ts: TextStats, ngram_chars: dict[int, int] | None = None) -> dict[str, float | None]:
    """`ngram_chars`: this text's ngram_repetition when a batch computed it already."""
    text = ts.text
    size = len(text)
    scores: dict[str, float | None] = {}
    if size == 0:
        return dict.fromkeys(REPETITION_SCORES)
    stripped = text.strip()
    # no run of three newlines: every paragraph break is exactly "\n\n" and str.split does what the regex does
    paragraphs = stripped.split("\n\n") if "\n\n\n" not in stripped else _PARAGRAPH_BREAK.split(stripped)
    dup_n, dup_chars = _duplicates(paragraphs)
    scores["gopher_dup_para_frac"] = dup_n / len(paragraphs)
    scores["gopher_dup_para_char_frac"] = dup_chars / size
    n_lines, dup_n, dup_chars = _duplicate_lines(text)
    scores["gopher_dup_line_frac"] = dup_n / n_lines
    scores["gopher_dup_line_char_frac"] = dup_chars / size
    chars = ngram_chars if ngram_chars is not None else ngram_repetition(ts)
    for n in TOP_NGRAMS:
        scores[f"gopher_top_{n}gram_frac"] = chars[n] / size
    for n in DUP_NGRAMS:
        scores[f"gopher_dup_{n}gram_frac"] = chars[n] / size
    return scores
