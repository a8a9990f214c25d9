"""weft's own document scores, for the `weft` preset: the questions Gopher, C4 and FineWeb ask, asked so that
they hold for prose in any script and for short but complete articles.

* `alpha_words_ratio`: share of words that contain a letter, where a word is a token that is not only
  punctuation (Gopher's own word, `gopher_words`). Gopher's 80% rule as datatrove implements it divides by all
  spaCy tokens, so every quote, dash, bracket and comma is a "word" without a letter, and ordinary prose with
  quotes and numbers falls under 80% (the Mona Lisa page, Reuters and Barron's articles). Divided by words,
  only a text of numbers, symbols or code scores low. (The same question over whitespace-separated words
  answers alike on the development set but costs a pass over the text; this is two numpy counts.)
* `sentences`: tokens that are a run of sentence terminals (`filters.text.TERMINAL_PUNCTUATION`: . ! ? … 。 । ؟
  and the others of every script), so Chinese, Hindi or Arabic text is counted as English is (C4's count is
  English-only: lines ending in ASCII . ? ! " '). spaCy's rules split a final period off its word but keep
  "3.5", "U.S." and "e.g." whole, so numbers and abbreviations are not sentence ends; the answer per distinct
  token is cached in the token vocabulary like a word list's.
"""
from __future__ import annotations

import numpy as np

from filters.text import TERMINAL_PUNCTUATION, TextStats

SCORES = ("alpha_words_ratio", "sentences")


class _TerminalRuns(frozenset):
    """Tokens made only of sentence terminals, as a 'word list' for TextStats.in_word_list: the vocabulary then
    answers once per distinct token (`in` on this set is that test, not membership of its one marker)."""

    _terminals = frozenset(TERMINAL_PUNCTUATION)

    def __contains__(self, token: str) -> bool:
        return bool(token) and self._terminals.issuperset(token)


_SENTENCE_TOKENS = _TerminalRuns(("<sentence terminal runs>",))


def score(ts: TextStats) -> dict[str, float | None]:
    n_words = ts.n_content_words
    if not n_words:
        return dict.fromkeys(SCORES)
    return {
        "alpha_words_ratio": int(np.count_nonzero(ts.encoded.alpha)) / n_words,  # a token with a letter is a word
        "sentences": float(ts.in_word_list(_SENTENCE_TOKENS).sum()),
    }
