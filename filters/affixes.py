"""Exact stand-ins for spaCy's prefix, suffix and infix regexes, built from the same patterns.

The suffix pattern is an alternation of ~80 branches, each anchored at `$`; Python's `re.search` tries every
branch at every position, ~4 µs per chunk. Anchored at the end, every match ends at the end, so the match it
returns is the one that starts leftmost: the longest branch that matches at the end. The prefix pattern's
branches are anchored at `^`: re returns the first branch, in pattern order, that matches at position 0 (not
the longest: "^…|^……" gives "…"). Both answers can be read off a table keyed by the chunk's last (first)
character that lists the few branches able to end (start) with it. The infix pattern (finditer) is the prefix
rule applied at each position where a branch can start, found by one C-level scan.

Each pattern's branches come as concrete forms (filters/affix_forms.py) from data/affix_tables.json, written
offline from the same patterns by data/make_affix_tables.py (the only code that parses a regex, with re's
parser; tests rebuild the file and compare). A pattern that is not in that file, or that uses anything the forms
cannot express (flags, categories such as \\d, negated classes, back-references, nullable branches, other
repeats: stored as null), gets no matcher: the `*_matcher` functions return None and the caller keeps the regex,
so a changed rules file can cost speed but never change tokens. The file also holds, per pattern, the characters
that can begin (end) a prefix (suffix) match and a character every URL match contains (filters/tokens.py).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Callable

from filters.affix_forms import Form, compile_forms, run_length, test_chars

TABLES_PATH = Path(__file__).parent / "data" / "affix_tables.json"


@lru_cache(maxsize=1)
def affix_tables() -> dict:
    """data/affix_tables.json: {"prefix" | "suffix" | "infix": {pattern: {"forms": [...] or null, "edge": ...}},
    "required": {pattern: character or null}}."""
    return json.loads(TABLES_PATH.read_text(encoding="utf-8"))


def stored(kind: str, pattern: str) -> dict | None:
    """The stored entry of `pattern` used as `kind` ("prefix", "suffix", "infix"), None when the file lacks it."""
    return affix_tables()[kind].get(pattern)


def _index(forms: list[Form], edge: str) -> tuple[dict[str, list[Form]], list[Form]]:
    """Forms by the character they start (end) with; forms whose edge class is too big to list go to `anywhere`."""
    by_char: dict[str, list[Form]] = {}
    anywhere: list[Form] = []
    for form in forms:
        chars = test_chars(getattr(form, edge))
        if chars is None:
            anywhere.append(form)
        else:
            for c in chars:
                by_char.setdefault(c, []).append(form)
    return by_char, anywhere


def suffix_matcher(pattern: str, stored_forms: list | None) -> Callable[[str], int] | None:
    """A function s -> length of the match of `pattern` (every branch anchored at $) that re.search finds in s,
    0 when there is none, from the pattern's forms (anchors removed); None when there are none (keep the regex)."""
    if stored_forms is None:
        return None
    forms = compile_forms(stored_forms)
    search = re.compile(pattern).search
    by_last, anywhere = _index(forms, "last")
    # Per last character: 1 when a one-character form without lookarounds matches and no form is longer;
    # else (runs, steps): the run forms, and per length (longest first) the fixed forms of that length as
    # {literal body: True (no lookaround) or the forms to check} plus the forms whose body is not a literal.
    index: dict[str, int | tuple | None] = {}

    def entry(cands: list[Form]) -> int | tuple:
        fixed = [f for f in cands if f.run is None]
        if len(fixed) == len(cands) and all(f.length == 1 for f in fixed) \
                and any(f.text is not None and not f.looks for f in fixed):
            return 1
        steps = []
        for length in sorted({f.length for f in fixed}, reverse=True):
            keyed: dict[str, object] = {}
            for f in sorted(fixed, key=lambda f: f.singles is None):  # one-character lookarounds are cheap: first
                if f.length == length and f.text is not None:
                    if not f.looks:
                        keyed[f.text] = True
                    elif keyed.get(f.text) is not True:
                        keyed[f.text] = keyed.get(f.text, ()) + (f,)
            other = tuple(f for f in fixed if f.length == length and f.text is None)
            steps.append((length, keyed, other))
        return tuple(f.run for f in cands if f.run is not None), tuple(steps)

    for c, own in by_last.items():
        index[c] = entry(own + anywhere)
    index["\n"] = None  # $ also matches before a final newline: leave that to re
    default = entry(anywhere) if anywhere else 0

    def general(s: str, plan: tuple | None) -> int:
        if plan is None:
            m = search(s)
            return len(s) - m.start() if m else 0
        runs, steps = plan
        n, best = len(s), 0
        for run in runs:
            lo, strip = run[1], run[4]
            if lo > n or (strip is not None and s[n - lo] not in strip):  # "word.": not a run of 2 dots
                continue
            size = min(run_length(s, run, -1), run[2])
            if size >= lo and size > best:
                best = size
        for length, keyed, other in steps:
            if length <= best:
                break
            if length > n:
                continue
            p = n - length
            hit = keyed.get(s[p:])
            if hit is True:
                return length
            if hit is not None:
                for form in hit:
                    if form.looks_at(s, p):
                        return length
            for form in other:
                if form.fixed_at(s, p):
                    return length
        return best

    def match(s: str) -> int:
        plan = index.get(s[-1:], default)
        return plan if plan.__class__ is int else general(s, plan)

    return match


def _first_index(forms: list[Form]) -> tuple[dict[str, int | tuple[Form, ...]], tuple[Form, ...]]:
    """Per first character: 1 when the first form to try is one character without lookarounds (it always
    matches), else the forms that can start with it in re's order; and the forms to try for any other one."""
    by_first, anywhere = _index(forms, "first")
    order = {id(f): i for i, f in enumerate(forms)}
    index: dict[str, int | tuple[Form, ...]] = {}
    for c, own in by_first.items():
        cands = tuple(sorted(own + anywhere, key=lambda f: order[id(f)]))
        index[c] = 1 if cands[0].length == 1 and cands[0].run is None and not cands[0].looks else cands
    return index, tuple(anywhere)


def _first_at(s: str, i: int, forms: tuple[Form, ...]) -> int:
    """Length of the match re finds at position i: the first form in order that matches there (a run is
    greedy or lazy as its repeat is; none is followed by anything), 0 when none does."""
    room = len(s) - i
    for form in forms:
        run = form.run
        if run is not None:
            lo, strip = run[1], run[4]
            if lo > room or (strip is not None and s[i + lo - 1] not in strip):  # "a.b": not a run of 2 dots
                continue
            size = min(run_length(s, run, i), run[2])
            if size >= lo:
                return size if run[3] else lo
        elif form.length <= room:
            text = form.text
            if text is None:
                if form.fixed_at(s, i):
                    return form.length
            elif s.startswith(text, i) and form.looks_at(s, i):
                return form.length
    return 0


def prefix_matcher(stored_forms: list | None) -> Callable[[str], int] | None:
    """A function s -> end of the match of a pattern (every branch anchored at ^) that re.search finds in s,
    0 when there is none, from the pattern's forms (anchors removed); None when there are none (keep the regex)."""
    if stored_forms is None:
        return None
    forms = compile_forms(stored_forms)
    index, anywhere = _first_index(forms)
    default = anywhere or 0

    def match(s: str) -> int:
        entry = index.get(s[:1], default)
        return entry if entry.__class__ is int else _first_at(s, 0, entry)

    return match


def _candidate_class(chars) -> str:
    """A regex character class of at least `chars`: their BMP part as ranges, and every astral character
    (re tests a class's astral ranges one by one, which is slow for the many in spaCy's symbol class)."""
    ranges: list[list[int]] = []
    for code in sorted(ord(c) for c in chars if ord(c) < 0x10000):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    ranges.append([0x10000, 0x10FFFF])
    return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]"


def infix_matcher(stored_forms: list | None) -> Callable[[str], list[tuple[int, int]]] | None:
    """A function s -> [(start, end) of each match re.finditer(pattern, s) yields], from the pattern's forms;
    None when there are none (keep the regex). finditer tries every position from the left; at each, the first
    form in order that matches wins and the scan goes on after it (no form matches the empty string)."""
    if stored_forms is None:
        return None
    forms = compile_forms(stored_forms)
    index, anywhere = _first_index(forms)
    # the positions worth trying: every one when a form can start with almost any character, else those of
    # the characters that may start a form (one C-level scan; `index` has the last word on each)
    scan = re.compile("(?s:.)" if anywhere else _candidate_class(index)).finditer

    def spans(s: str) -> list[tuple[int, int]]:
        out = []
        end = 0  # the scan goes on after the last match
        for m in scan(s):
            i = m.start()
            if i < end:
                continue
            entry = index.get(s[i], anywhere)
            size = entry if entry.__class__ is int else _first_at(s, i, entry)
            if size:
                end = i + size
                out.append((i, end))
        return out

    return spans
