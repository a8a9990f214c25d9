"""`TextStats`: the per-document analysis every filter family shares (lines, words, word hashes).

Tokenising and splitting once per document instead of once per family is where the filter stage gets its
speed; each property is computed lazily, so a family that never asks for n-gram hashes does not pay for them.

Words follow the shape of datatrove's default (spaCy) English tokeniser closely enough for the Gopher/FineWeb
rules to agree with it: runs of word characters, clitics such as "'s" / "'t" as their own token, runs of
punctuation as separate tokens. Chinese, Japanese (kana/kanji) and Thai have no spaces between words: each
CJK character is one token (the usual character-level proxy), so word counts and n-gram rules stay meaningful;
Thai falls back to whitespace tokens.
"""
from __future__ import annotations

import re
import string
import unicodedata
from functools import cached_property

import numpy as np

_CJK_CLASS = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
# Combining marks that Python's \w does not match but that are part of words (Indic vowel signs, Arabic and
# Hebrew points, Latin combining diacritics, zero-width (non-)joiners); without them Hindi or Bengali words
# would be cut into pieces.
_MARKS = (
    r"\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0963\u0966-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u0f00-\u0fff\u1000-\u109f\u17b4-\u17d3\u200c\u200d"
)
_W = f"[\\w{_MARKS}]"
_W_NOT_CJK = f"(?:(?![{_CJK_CLASS}]){_W})"
_PUNCT_RUN = f"[^\\w\\s{_MARKS}]+"
_CJK = re.compile(f"[{_CJK_CLASS}]")
# As in spaCy's English tokeniser: URLs, numbers with separators (11/9/2006, 10:30, 1,000.5) and dotted names
# (Node.js, robots.txt, a@b.com) are one token; clitics after ' or ’ ('s, n't-style 't) are their own token.
_URL_OR_NUMBER = r"(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'’”]|\d+(?:[/.:,]\d+)+"
_WORDS = re.compile(f"{_URL_OR_NUMBER}|['’]{_W}+|{_W}+(?:[.@]{_W}+)*|{_PUNCT_RUN}")
_WORDS_CJK = re.compile(
    f"{_URL_OR_NUMBER}|[{_CJK_CLASS}]|['’]{_W_NOT_CJK}+|{_W_NOT_CJK}+(?:[.@]{_W_NOT_CJK}+)*|{_PUNCT_RUN}"
)
_SPACE_LANGS_WITHOUT_WORDS = frozenset({"th", "lo", "km", "my", "bo"})  # scripts written without spaces

# Characters that make a token a "symbol" rather than a word (Gopher counts words that are not only these).
PUNCTUATION = frozenset(
    string.punctuation
    + "‘’“”„«»‹›—–―…•·►◄■□▪●○★☆、。，；：？！（）【】《》〈〉「」『』〔〕・．％＃＆＊＋－／＝＠＼＾＿｀｜～¡¿§¶†‡"
    + "".join(map(chr, [*range(0, 32), *range(127, 160)]))
)


def _sentence_terminals() -> tuple[str, ...]:
    """Characters that end a sentence in some script (., !, ?, 。, ।, ؟, ...), from Unicode character names."""
    keys = ("FULL STOP", "QUESTION MARK", "EXCLAMATION MARK", "DANDA", "INTERROBANG")
    out = []
    for cp in range(0x110000):
        name = unicodedata.name(chr(cp), "")
        if any(k in name for k in keys) and "INVERTED" not in name and "ORNAMENT" not in name:
            if unicodedata.category(chr(cp)).startswith("P"):
                out.append(chr(cp))
    return tuple(sorted(set(out)))


TERMINAL_PUNCTUATION: tuple[str, ...] = _sentence_terminals()
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


def is_cjk_language(language: str | None) -> bool:
    return language in ("zh", "ja", "yue", "wuu")


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Words and punctuation tokens (see module doc). CJK characters become one token each when the language is
    Chinese/Japanese, or unknown and the text contains them; a text identified as another language is tokenised
    like that language (a Japanese product name inside an English page stays one word)."""
    if is_cjk_language(language) or (language is None and _CJK.search(text) is not None):
        return _WORDS_CJK.findall(text)
    return _WORDS.findall(text)


class TextStats:
    """Lazily computed views of one text, shared by all filter families."""

    def __init__(self, text: str, language: str | None = None):
        self.text = text
        self.language = language

    # -- lines --------------------------------------------------------------------------------------------
    @cached_property
    def lines(self) -> list[str]:
        """str.splitlines(): Gopher quality and C4 line rules."""
        return self.text.splitlines()

    @cached_property
    def nonblank_lines(self) -> list[str]:
        """'\\n'-separated lines that are not blank (FineWeb)."""
        return [line for line in self.text.split("\n") if line.strip()]

    # -- words --------------------------------------------------------------------------------------------
    @cached_property
    def words(self) -> list[str]:
        if self.language in _SPACE_LANGS_WITHOUT_WORDS:
            return self.text.split()
        return tokenize(self.text, self.language)

    @cached_property
    def words_lower(self) -> list[str]:
        return [w.lower() for w in self.words]

    @cached_property
    def content_words(self) -> list[str]:
        """Tokens that contain a character other than punctuation (Gopher's 'non-symbol words')."""
        return [w for w in self.words if not PUNCTUATION.issuperset(w)]

    @cached_property
    def word_lengths(self) -> np.ndarray:
        return np.fromiter(map(len, self.words), dtype=np.int64, count=len(self.words))

    @cached_property
    def word_hashes(self) -> np.ndarray:
        """64-bit hash per word (Python's string hash: cached on the str objects, C speed)."""
        return np.fromiter(map(hash, self.words), dtype=np.int64, count=len(self.words)).view(np.uint64)

    def ngram_hashes(self, n: int) -> np.ndarray:
        """Polynomial hash of each n-gram of words (len(words) - n + 1 values; empty when too few words)."""
        h = self.word_hashes
        m = len(h) - n + 1
        if m <= 0:
            return np.empty(0, dtype=np.uint64)
        with np.errstate(over="ignore"):
            out = h[:m].copy()
            for k in range(1, n):
                out = out * _HASH_MUL + h[k : k + m]
        return out

    def ngram_char_lengths(self, n: int) -> np.ndarray:
        """Characters of each n-gram's words (no separators), aligned with ngram_hashes(n)."""
        cs = np.concatenate(([0], np.cumsum(self.word_lengths)))
        m = len(self.words) - n + 1
        return cs[n : n + m] - cs[:m] if m > 0 else np.empty(0, dtype=np.int64)
