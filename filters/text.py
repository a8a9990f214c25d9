"""`TextStats`: the per-document analysis every filter family shares (lines, words, word hashes).

Tokenising and splitting once per document instead of once per family is where the filter stage gets its
speed; each property is computed lazily, so a family that never asks for n-gram hashes does not pay for them.

Words are spaCy's rule-based tokens (filters/tokens.py re-applies spaCy's English rules without spaCy), the
tokens datatrove's Gopher/FineWeb filters count, so word counts and n-grams agree with them. Languages other
than English use spaCy's language-independent rules (no English contractions). Chinese and Japanese (kana,
kanji) have no spaces between words: each CJK character is one token (the usual character-level proxy), so
word counts and n-gram rules stay meaningful; Thai, Lao, Khmer, Burmese and Tibetan use whitespace tokens.
"""
from __future__ import annotations

import re
import string
import unicodedata
from functools import cached_property
from itertools import filterfalse

import numpy as np

from filters.tokens import tokenizer

_CJK_CLASS = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana, kanji
_CJK = re.compile(f"[{_CJK_CLASS}]")
# Chinese/Japanese: one token per CJK character (kana, kanji, CJK and full-width punctuation), and the other
# runs (Latin words, numbers) by the language-independent rules: spaces around each such character, then the
# usual tokeniser (which caches one-character chunks).
_CJK_SPLIT = re.compile(f"([{_CJK_CLASS}\u3000-\u303f\ufe30-\ufe4f\uff00-\uffef])")
_SPACE_LANGS_WITHOUT_WORDS = frozenset({"th", "lo", "km", "my", "bo"})  # scripts written without spaces

# Tokens made only of these are "symbols", not words (Gopher's word count and mean word length). The same
# characters as datatrove's PUNCTUATION_SET (ASCII punctuation, common CJK/full-width marks, dashes, quotes,
# control characters, plus every sentence terminal below), so that Gopher word counts agree with it.
PUNCTUATION = frozenset(
    string.punctuation
    + "—”％〈、━【「」，】；“《„’∶´．（–？！：～«〉》）。…►»"
    + "".join(map(chr, [*range(0, 9), *range(11, 32), *range(127, 160)]))
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
PUNCTUATION = PUNCTUATION | frozenset(TERMINAL_PUNCTUATION)


def is_cjk_language(language: str | None) -> bool:
    return language in ("zh", "ja", "yue", "wuu")


def tokenize(text: str, language: str | None = None) -> list[str]:
    """Word and punctuation tokens (see module doc). CJK characters become one token each when the language is
    Chinese/Japanese, or unknown and the text contains them; a text identified as another language is tokenised
    like that language (a Japanese product name inside an English page stays one word)."""
    if is_cjk_language(language) or (language is None and _CJK.search(text) is not None):
        return tokenizer("xx")(_CJK_SPLIT.sub(r" \1 ", text))
    if language in _SPACE_LANGS_WITHOUT_WORDS:
        return text.split()
    return tokenizer("en" if language in (None, "en") else "xx")(text)


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
        return tokenize(self.text, self.language)

    @cached_property
    def words_lower(self) -> list[str]:
        return list(map(str.lower, self.words))

    @cached_property
    def content_words(self) -> list[str]:
        """Tokens that contain a character other than punctuation (Gopher's 'non-symbol words')."""
        return list(filterfalse(PUNCTUATION.issuperset, self.words))  # C-level loop

    @cached_property
    def word_lengths(self) -> np.ndarray:
        return np.fromiter(map(len, self.words), dtype=np.int64, count=len(self.words))

    @cached_property
    def word_hashes(self) -> np.ndarray:
        """64-bit hash per word (Python's string hash: cached on the str objects, C speed)."""
        return np.fromiter(map(hash, self.words), dtype=np.int64, count=len(self.words)).view(np.uint64)
