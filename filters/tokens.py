"""Word tokeniser with the same output as spaCy's rule-based tokeniser (what datatrove's Gopher and FineWeb
filters count words with), without spaCy at run time.

spaCy's rules are data: prefix, suffix and infix patterns and a table of special cases ("don't" -> do + n't,
"U.S." stays whole, ":)" stays whole), read from data/tokenizer_rules.json (regenerate with
data/make_tokenizer_rules.py). The algorithm that applies them, per whitespace-separated chunk:
  1. a chunk that is a special case becomes its listed tokens;
  2. otherwise peel prefixes from the front and suffixes from the back, one match at a time, until neither
     matches (stopping early when the rest is a special case or a URL);
  3. what is left is one URL token, a special case, or is cut at its infixes (a-b, a/b, x.Y, "...").
Chunks repeat a lot in text ("the", "it.", "(see"): filters/vocab.py keeps each chunk's tokens per process,
so only new chunks come here. The prefix, suffix and infix regexes are not run: filters/affixes.py rebuilds each
from its forms (stored in data/affix_tables.json) as a table keyed by a chunk's first (last) character, with the
same answers (the regexes stay as the fallback for rules it cannot rebuild). A chunk's first (last) character is
also checked against the characters that can begin (end) a prefix (suffix) match (stored there too), so "2019"
tries none.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Callable

from filters.affixes import affix_tables, infix_matcher, prefix_matcher, stored, suffix_matcher

RULES_PATH = Path(__file__).parent / "data" / "tokenizer_rules.json"


class _Everything:
    """Stands in for a character set that cannot be listed: every character may match."""

    def __contains__(self, _: str) -> bool:
        return True


def _edge_set(entry: dict | None) -> frozenset[str] | _Everything:
    """The characters that can start (end) a prefix (suffix) match, from the pattern's stored entry: a chunk whose
    first/last character is not among them cannot match, so the regex need not run."""
    return _Everything() if entry is None or entry["edge"] is None else frozenset(entry["edge"])


class AffixTokenizer:
    def __init__(self, rules: dict):
        self.special: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rules["special"].items()}
        self._prefix_re = re.compile(rules["prefix"])
        self._suffix_re = re.compile(rules["suffix"])
        self._infix_re = re.compile(rules["infix"])
        # Exact stand-ins for the three regexes (filters/affixes.py), or the regexes themselves for rules they
        # cannot rebuild: s -> end of the prefix match, length of the suffix match (0: none), infix spans.
        # (filters/data/affix_tables.json holds their forms, per pattern; a pattern not there keeps its regex)
        pre, suf, inf = (stored(kind, rules[kind]) for kind in ("prefix", "suffix", "infix"))
        self._prefix_len: Callable[[str], int] = (pre and prefix_matcher(pre["forms"])) or _regex_prefix(
            self._prefix_re)
        self._suffix_len: Callable[[str], int] = (suf and suffix_matcher(rules["suffix"], suf["forms"])) or \
            _regex_suffix(self._suffix_re)
        self._infix_spans: Callable[[str], list[tuple[int, int]]] = (inf and infix_matcher(inf["forms"])) or \
            _regex_spans(self._infix_re)
        self._url: Callable | None = _needing(rules["url"]) if rules.get("url") else None
        self._token: Callable | None = _needing(rules["token_match"]) if rules.get("token_match") else None
        self._may_prefix = _edge_set(pre)  # every alternative is anchored at ^
        self._may_suffix = _edge_set(suf)  # ... and every suffix at $
        self._spans: dict[tuple[str, ...], tuple[str, ...]] = {}
        # special cases that the affix rules would split: their split form -> their tokens
        for orth, toks in self.special.items():
            split = tuple(self._split(orth, with_specials=False))
            if len(split) > 1 and split != toks:
                self._spans[split] = toks
        self._span_widths = sorted({len(k) for k in self._spans}, reverse=True)
        self._span_first = frozenset(k[0] for k in self._spans)  # a run can only start at one of these

    def __call__(self, text: str) -> list[str]:
        return list(chain.from_iterable(map(self.chunk, text.split())))

    def chunk(self, chunk: str) -> tuple[str, ...]:
        """Tokens of one whitespace-free chunk (() for a chunk of only odd whitespace)."""
        specials = self.special
        special = specials.get(chunk)
        if special is not None:
            return special
        if chunk.isalpha():  # no prefix, suffix or infix pattern matches letters only
            return (chunk,)
        if not chunk:
            return ()
        # Shortcuts for the commonest shapes, each with the same result as _split (tests compare them on every
        # chunk of the fixtures): after one affix is cut, what is left is letters (or ASCII digits), which no
        # pattern matches, unless it is a special case; and the pieces must not spell a special case again.
        pre = self._prefix_len(chunk) if chunk[0] in self._may_prefix else 0
        if not pre:  # nothing to peel at the front
            if chunk[-1] in self._may_suffix:
                suf = self._suffix_len(chunk)
            elif chunk[1:].isalnum():  # "2019", "mp3": nothing to cut
                return (chunk,)
            else:
                suf = 0
            if suf:  # "word," "word." "2019," "Boar's" "are...": one suffix after letters or digits
                core = chunk[:-suf]
                if core and (core.isalpha() or (core.isascii() and core.isdigit())) and core not in specials \
                        and (core, chunk[-suf:]) not in self._spans:
                    return core, chunk[-suf:]
            else:
                head, dash, tail = chunk.partition("-")  # "e-mail": an infix hyphen between ASCII words
                if dash and head.isascii() and tail.isascii() and head.isalpha() and tail.isalpha() \
                        and tail not in specials and (head, dash, tail) not in self._spans:
                    return head, dash, tail
                # "1.5", "a/b", "--x": no affix at all, so _split's loop would peel nothing
                return tuple(self._rest(chunk, [], [], True))
        else:  # "(see", "“Iron", "$US": one prefix, then letters only; "(BMI)", "(2013)": and one suffix
            first, rest = chunk[:pre], chunk[pre:]
            if rest.isalpha():
                if rest not in specials and (first, rest) not in self._spans:
                    return first, rest
            elif not rest:  # "!", "(": the whole chunk is one prefix, _split's loop takes it in one round
                return tuple(self._rest(rest, [first], [], True))
            elif rest not in specials and rest[-1] in self._may_suffix:
                suf = self._suffix_len(rest)
                if suf and suf < len(rest):
                    core, end = rest[:-suf], rest[-suf:]
                    if self._plain(core) and chunk[:-suf] not in specials \
                            and (first, core, end) not in self._spans:
                        return first, core, end
        return tuple(self._split(chunk))

    def _plain(self, core: str) -> bool:
        """Letters or ASCII digits only, and not a special case: no affix or infix rule applies to it."""
        return (core.isalpha() or (core.isascii() and core.isdigit())) and core not in self.special

    def _split(self, s: str, with_specials: bool = True) -> list[str]:
        special = self.special if with_specials else {}
        prefix, suffix, token = self._prefix_len, self._suffix_len, self._token
        may_prefix, may_suffix = self._may_prefix, self._may_suffix
        head: list[str] = []
        tail: list[str] = []
        # Peel affixes until nothing is peeled, at a special case, or at letters only (every prefix and suffix
        # pattern needs a character that is not a letter). A prefix and a suffix found in the same round are
        # both taken (when they do not overlap).
        while s and s not in special and not s.isalpha() and not (token and token(s)):
            pre = prefix(s) if s[0] in may_prefix else 0
            if pre and s[pre:] in special:
                head.append(s[:pre])
                s = s[pre:]
                break
            suf = suffix(s[pre:]) if pre < len(s) and s[-1] in may_suffix else 0
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
            else:
                break
        return self._rest(s, head, tail, with_specials)

    def _rest(self, s: str, head: list[str], tail: list[str], with_specials: bool) -> list[str]:
        """The tokens once the affixes are peeled: `head`, then what is left of s (one URL token, a special
        case, or cut at its infixes), then `tail` in reverse."""
        if s:
            if with_specials and s in self.special:
                head.extend(self.special[s])
            elif (self._token and self._token(s)) or (self._url and self._url(s)):
                head.append(s)
            elif s[1:].isalnum():  # infixes are punctuation or symbols; one at position 0 does not count
                head.append(s)
            else:
                start = 0
                for a, b in self._infix_spans(s):
                    if a == 0:
                        continue
                    if a != start:
                        head.append(s[start:a])
                    if b != a:
                        head.append(s[a:b])
                    start = b
                if s[start:]:
                    head.append(s[start:])
        head.extend(reversed(tail))
        # spaCy emits whitespace-only tokens for odd spacing; datatrove strips them (so do we)
        toks = [t for t in head if t.strip()]
        if with_specials and len(toks) > 1 and not self._span_first.isdisjoint(toks[:-1]):
            return self._merge_specials(toks)
        return toks

    def _merge_specials(self, toks: list[str]) -> list[str]:
        """Special cases that contain affix characters (":)", "):", "St.") are found again after splitting, as
        spaCy's special-case matcher does: a run of tokens that spells one becomes that special's tokens."""
        if len(toks) < 2 or self._span_first.isdisjoint(toks[:-1]):
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


def _needing(pattern: str) -> Callable[[str], object]:
    """pattern.match, skipped (falsy) when s lacks a character that every match of the pattern contains
    ("." for spaCy's URL pattern: most chunks that reach it have none)."""
    match = re.compile(pattern).match
    need = affix_tables()["required"].get(pattern)  # None also for a pattern the tables do not know
    return match if need is None else (lambda s: need in s and match(s))


def _regex_prefix(pattern: re.Pattern) -> Callable[[str], int]:
    """The regex itself, for rules the affix matcher cannot rebuild."""
    return lambda s: m.end() if (m := pattern.search(s)) else 0


def _regex_suffix(pattern: re.Pattern) -> Callable[[str], int]:
    return lambda s: len(s) - m.start() if (m := pattern.search(s)) else 0


def _regex_spans(pattern: re.Pattern) -> Callable[[str], list[tuple[int, int]]]:
    return lambda s: [m.span() for m in pattern.finditer(s)]


@lru_cache(maxsize=4)
def tokenizer(table: str = "en") -> AffixTokenizer:
    """'en': English rules (contractions, abbreviations); 'xx': spaCy's language-independent rules."""
    return AffixTokenizer(json.loads(RULES_PATH.read_text(encoding="utf-8"))[table])
