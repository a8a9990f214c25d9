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

import json
import re
import string
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from filters.tokens import tokenizer
from filters.vocab import Encoded, TokenVocab

# Kana and kanji (Han) ranges; then CJK and full-width punctuation.
_CJK_LETTERS = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_CJK_PUNCTUATION = ((0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_LETTERS) + "]")
_SPACE_LANGS_WITHOUT_WORDS = frozenset({"th", "lo", "km", "my", "bo"})  # scripts written without spaces

# Tokens made only of these are "symbols", not words (Gopher's word count and mean word length). The same
# characters as datatrove's PUNCTUATION_SET (ASCII punctuation, common CJK/full-width marks, dashes, quotes,
# control characters, plus every sentence terminal below), so that Gopher word counts agree with it.
PUNCTUATION = frozenset(
    string.punctuation
    + "—”％〈、━【「」，】；“《„’∶´．（–？！：～«〉》）。…►»"
    + "".join(map(chr, [*range(0, 9), *range(11, 32), *range(127, 160)]))
)


# Characters that end a sentence in some script (., !, ?, 。, ।, ؟, ...), from Unicode character names: a table
# written by data/make_terminal_punctuation.py (its scan of every code point would add ~0.5 s to each worker start).
TERMINAL_PUNCTUATION: tuple[str, ...] = tuple(json.loads(
    (Path(__file__).parent / "data" / "terminal_punctuation.json").read_text(encoding="utf-8"))["characters"])
PUNCTUATION = PUNCTUATION | frozenset(TERMINAL_PUNCTUATION)


def is_cjk_language(language: str | None) -> bool:
    return language in ("zh", "ja", "yue", "wuu")


@lru_cache(maxsize=4)
def vocabulary(table: str) -> TokenVocab:
    """The process's token vocabulary for one rule table: 'en', 'xx' (language-independent), 'ws' (whitespace)."""
    if table == "ws":
        return TokenVocab(lambda chunk: (chunk,), PUNCTUATION.issuperset)
    tok = tokenizer(table)
    return TokenVocab(tok.chunk, PUNCTUATION.issuperset, special=(k for k, v in tok.special.items() if v != (k,)))


def clear_token_caches() -> None:
    """Start every vocabulary over (benchmarks measure a fresh worker this way)."""
    for table in ("en", "xx", "ws"):
        vocabulary(table).clear()


@lru_cache(maxsize=1)
def _cjk_spacing() -> dict[int, str]:
    """Chinese/Japanese: one token per CJK character (kana, kanji, CJK and full-width punctuation), the other runs
    (Latin words, numbers) by the language-independent rules: spaces around each such character (one
    str.translate, C speed), then the usual tokeniser (which keeps one-character chunks in its vocabulary)."""
    return {cp: f" {chr(cp)} " for lo, hi in _CJK_LETTERS + _CJK_PUNCTUATION for cp in range(lo, hi + 1)}


def encode(text: str, language: str | None = None) -> Encoded:
    """Word and punctuation tokens (see module doc). CJK characters become one token each when the language is
    Chinese/Japanese, or unknown and the text contains them; a text identified as another language is tokenised
    like that language (a Japanese product name inside an English page stays one word)."""
    if is_cjk_language(language) or (language is None and _CJK.search(text) is not None):
        return vocabulary("xx").encode(text.translate(_cjk_spacing()))
    if language in _SPACE_LANGS_WITHOUT_WORDS:
        return vocabulary("ws").encode(text)
    return vocabulary("en" if language in (None, "en") else "xx").encode(text)


def tokenize(text: str, language: str | None = None) -> list[str]:
    return encode(text, language).words()


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
    def encoded(self) -> Encoded:
        return encode(self.text, self.language)

    @cached_property
    def words(self) -> list[str]:
        return self.encoded.words()

    @property
    def n_words(self) -> int:
        return len(self.encoded.ids)

    @cached_property
    def content(self) -> np.ndarray:
        """bool per token: it contains a character other than punctuation (Gopher's 'non-symbol words')."""
        return self.encoded.content

    @cached_property
    def n_content_words(self) -> int:
        return int(np.count_nonzero(self.content))

    @cached_property
    def word_lengths(self) -> np.ndarray:
        """characters per token (Gopher's mean word length, n-gram characters)"""
        return self.encoded.lengths

    @property
    def word_hashes(self) -> np.ndarray:
        """A 64-bit value per distinct word (a mix of its id): equal words, equal values; n-gram keys use them."""
        return self.encoded.hashes

    def in_word_list(self, words: frozenset[str]) -> np.ndarray:
        """bool per token: its lower-case form is in `words` (stop words, flagged words)."""
        return self.encoded.in_word_list(words)
