"""Word tokeniser with the same output as spaCy's rule-based tokeniser (what datatrove's Gopher and FineWeb
filters count words with), without spaCy at run time.

spaCy's rules are data: prefix, suffix and infix patterns and a table of special cases ("don't" -> do + n't,
"U.S." stays whole, ":)" stays whole), read from data/tokenizer_rules.json (regenerate with
data/make_tokenizer_rules.py). The algorithm that applies them, per whitespace-separated chunk:
  1. a chunk that is a special case becomes its listed tokens;
  2. otherwise peel prefixes from the front and suffixes from the back, one match at a time, until neither
     matches (stopping early when the rest is a special case or a URL);
  3. what is left is one URL token, a special case, or is cut at its infixes (a-b, a/b, x.Y, "...").
Chunks repeat a lot in text ("the", "it.", "(see"), so each chunk's tokens are cached per process: most
chunks cost one dict lookup, and only new chunks with punctuation run the regexes.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

RULES_PATH = Path(__file__).parent / "data" / "tokenizer_rules.json"
_CACHE_LIMIT = 300_000
_SUFFIX_WINDOW = 12  # longer than any fixed-length suffix (units, currencies, "'s") and its lookbehind  # distinct chunks kept per tokeniser before the cache starts over


class AffixTokenizer:
    def __init__(self, rules: dict):
        self.special: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rules["special"].items()}
        self._prefix = re.compile(rules["prefix"]).search
        self._suffix_re = re.compile(rules["suffix"])
        self._infix = re.compile(rules["infix"]).finditer
        self._url: Callable = re.compile(rules["url"]).match if rules.get("url") else (lambda s: None)
        self._token: Callable = (re.compile(rules["token_match"]).match if rules.get("token_match")
                                 else (lambda s: None))
        self._cache: dict[str, str | tuple[str, ...]] = {}
        self._spans: dict[tuple[str, ...], tuple[str, ...]] = {}
        # special cases that the affix rules would split: their split form -> their tokens
        for orth, toks in self.special.items():
            split = tuple(self._split(orth, with_specials=False))
            if len(split) > 1 and split != toks:
                self._spans[split] = toks
        self._span_widths = sorted({len(k) for k in self._spans}, reverse=True)

    def __call__(self, text: str) -> list[str]:
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        get = cache.get
        out: list[str] = []
        append, extend = out.append, out.extend
        for chunk in text.split():
            toks = get(chunk)
            if toks is None:
                toks = cache[chunk] = self._chunk(chunk)
            if toks.__class__ is str:
                append(toks)
            else:
                extend(toks)
        return out

    def clear_cache(self) -> None:
        self._cache.clear()

    def _chunk(self, chunk: str) -> str | tuple[str, ...]:
        """Tokens of one whitespace-free chunk: a str when it is one token (the common case), else a tuple."""
        special = self.special.get(chunk)
        if special is not None:
            return special[0] if len(special) == 1 else special
        if chunk.isalpha():  # no prefix, suffix or infix pattern matches letters only
            return chunk
        toks = self._split(chunk)
        return toks[0] if len(toks) == 1 else tuple(toks)  # () for a chunk of only odd whitespace

    def _split(self, s: str, with_specials: bool = True) -> list[str]:
        special = self.special if with_specials else {}
        prefix, suffix = self._prefix, self._suffix
        head: list[str] = []
        tail: list[str] = []
        last = -1
        # Peel affixes; a prefix and a suffix found in the same round are both taken (when they do not overlap).
        while s and len(s) != last and not self._token(s) and s not in special:
            if s.isalpha():  # every prefix and suffix pattern needs a character that is not a letter
                break
            last = len(s)
            m = prefix(s)
            pre = m.end() if m else 0
            if pre and s[pre:] in special:
                head.append(s[:pre])
                s = s[pre:]
                break
            m = suffix(s[pre:])
            suf = len(s) - pre - m.start() if m else 0
            if suf and s[:-suf] in special:
                tail.append(s[-suf:])
                s = s[:-suf]
                break
            if pre and suf and pre + suf <= len(s):
                head.append(s[:pre])
                tail.append(s[-suf:])
                s = s[pre:-suf]
            elif pre:
                head.append(s[:pre])
                s = s[pre:]
            elif suf:
                tail.append(s[-suf:])
                s = s[:-suf]
            if s in special:
                break
        if s:
            if s in special:
                head.extend(special[s])
            elif self._token(s) or self._url(s):
                head.append(s)
            elif s[1:].isalnum():  # infixes are punctuation or symbols; one at position 0 does not count
                head.append(s)
            else:
                start = 0
                for m in self._infix(s):
                    if m.start() == 0:
                        continue
                    if m.start() != start:
                        head.append(s[start: m.start()])
                    if m.end() != m.start():
                        head.append(s[m.start(): m.end()])
                    start = m.end()
                if s[start:]:
                    head.append(s[start:])
        head.extend(reversed(tail))
        # spaCy emits whitespace-only tokens for odd spacing; datatrove strips them (so do we)
        toks = [t for t in head if t.strip()]
        return self._merge_specials(toks) if with_specials else toks

    def _suffix(self, s: str) -> re.Match | None:
        """The suffix pattern is anchored at the end ($), but re tries it at every position: look at the last
        characters only (lookbehinds still see the text before), and at the whole string only when the match
        starts at the edge of that window (a long run such as an ellipsis of many dots)."""
        pos = len(s) - _SUFFIX_WINDOW
        if pos <= 0:
            return self._suffix_re.search(s)
        m = self._suffix_re.search(s, pos)
        return self._suffix_re.search(s) if m is not None and m.start() == pos else m

    def _merge_specials(self, toks: list[str]) -> list[str]:
        """Special cases that contain affix characters (":)", "):", "St.") are found again after splitting, as
        spaCy's special-case matcher does: a run of tokens that spells one becomes that special's tokens."""
        if len(toks) < 2:
            return toks
        out, i, n = [], 0, len(toks)
        while i < n:
            for width in self._span_widths:
                if i + width <= n:
                    hit = self._spans.get(tuple(toks[i: i + width]))
                    if hit is not None:
                        out.extend(hit)
                        i += width
                        break
            else:
                out.append(toks[i])
                i += 1
        return out


@lru_cache(maxsize=4)
def tokenizer(table: str = "en") -> AffixTokenizer:
    """'en': English rules (contractions, abbreviations); 'xx': spaCy's language-independent rules."""
    return AffixTokenizer(json.loads(RULES_PATH.read_text(encoding="utf-8"))[table])
