"""Exact stand-ins for spaCy's prefix, suffix and infix regexes, built from the same patterns.

The suffix pattern is an alternation of ~80 branches, each anchored at `$`; Python's `re.search` tries every
branch at every position, ~4 µs per chunk. Anchored at the end, every match ends at the end, so the match it
returns is the one that starts leftmost: the longest branch that matches at the end. The prefix pattern's
branches are anchored at `^`: re returns the first branch, in pattern order, that matches at position 0 (not
the longest: "^…|^……" gives "…"). Both answers can be read off a table keyed by the chunk's last (first)
character that lists the few branches able to end (start) with it. The infix pattern (finditer) is the prefix
rule applied at each position where a branch can start, found by one C-level scan.

The patterns are parsed with re's own parser (`re._parser`) and each branch is expanded into concrete forms:
a fixed run of characters (a literal or a character class per position) with fixed-width lookbehinds and
lookaheads at known offsets, or a run of one character class with a minimum and maximum length ("\\.\\.+").
A pattern that uses anything else (flags, categories such as \\d, negated classes, back-references, nullable
branches, other repeats) is not rebuilt: the `*_matcher` functions return None and the caller keeps the regex,
so a changed rules file can cost speed but never change tokens. `required_char` gives a character every match
of a pattern contains (the URL pattern's "."), a free pre-check for chunks that lack it.
"""
from __future__ import annotations

import re
import re._parser as _sre
from itertools import product
from typing import Callable

from re._constants import (ASSERT, ASSERT_NOT, AT, AT_BEGINNING, AT_BEGINNING_STRING, AT_END, AT_END_STRING,
                           ATOMIC_GROUP, BRANCH, IN, LITERAL, MAX_REPEAT, MAXREPEAT, MIN_REPEAT, POSSESSIVE_REPEAT,
                           RANGE, SRE_FLAG_UNICODE, SUBPATTERN)

_MAX_FORMS = 10_000  # a pattern that expands into more concrete branches than this stays a regex
_SIMPLE_CLASS = 64  # a class of at most this many characters is tested as a frozenset, a bigger one in a table
_LISTED_CLASS = 20_000  # a branch whose first (last) character is in a class of at most this many is indexed


class Unsupported(Exception):
    """The pattern uses a construct the matcher does not rebuild; the caller keeps the regex."""


# A character class bigger than _SIMPLE_CLASS is one bit in a table indexed by code point: 8 classes share
# 1.1 MB, and the test `table[ord(c)] & bit` runs at about the speed of a set lookup. Tables are shared by all
# matchers in the process (en and xx use the same classes).
_OR_BIT = [bytes(i | (1 << b) for i in range(256)) for b in range(8)]
_TABLES: list[bytearray] = []
_CLASS_BITS: dict[tuple[tuple[int, int], ...], tuple[bytearray, int, tuple]] = {}


def _table_bit(ranges: tuple[tuple[int, int], ...]) -> tuple[bytearray, int, tuple]:
    """(table, bit, ranges): the class's characters c are those with table[ord(c)] & bit."""
    found = _CLASS_BITS.get(ranges)
    if found is None:
        index = len(_CLASS_BITS)
        if index % 8 == 0:
            _TABLES.append(bytearray(0x110000))
        table, bit = _TABLES[-1], index % 8
        for lo, hi in ranges:
            table[lo: hi + 1] = table[lo: hi + 1].translate(_OR_BIT[bit])
        found = _CLASS_BITS[ranges] = (table, 1 << bit, ranges)
    return found


def _char_test(ranges: list[tuple[int, int]]) -> str | frozenset[str] | tuple[bytearray, int, tuple]:
    """One position's test: a single character (str), a small class (frozenset) or a big one (table, bit, _)."""
    merged = tuple(sorted(set(ranges)))
    size = sum(hi - lo + 1 for lo, hi in merged)
    if size == 1:
        return chr(merged[0][0])
    if size <= _SIMPLE_CLASS:
        return frozenset(chr(c) for lo, hi in merged for c in range(lo, hi + 1))
    return _table_bit(merged)


def _test_has(test, c: str) -> bool:
    if test.__class__ is str:
        return c == test
    if test.__class__ is frozenset:
        return c in test
    return bool(test[0][ord(c)] & test[1])


def _test_chars(test) -> frozenset[str] | None:
    """The characters a test accepts, or None when there are too many to list."""
    if test.__class__ is str:
        return frozenset(test)
    if test.__class__ is frozenset:
        return test
    ranges = test[2]
    if sum(hi - lo + 1 for lo, hi in ranges) > _LISTED_CLASS:
        return None
    return frozenset(chr(c) for lo, hi in ranges for c in range(lo, hi + 1))


# ---- parse tree -> concrete forms. An atom is ("ch", test) | ("rep", test, lo, hi, greedy) | ("at", code)
# | ("look", behind, negated, seqs) where seqs are the lookaround's concrete forms (tuples of tests).

def _class_ranges(items) -> list[tuple[int, int]]:
    ranges = []
    for kind, v in items:
        if kind is LITERAL:
            ranges.append((v, v))
        elif kind is RANGE:
            ranges.append(v)
        else:  # NEGATE, CATEGORY (\d, \w, ...)
            raise Unsupported(str(kind))
    return ranges


def _expand(items) -> list[list[tuple]]:
    """Every concrete form of a sequence of parse items, in the order re tries them (branch by branch)."""
    forms: list[list[tuple]] = [[]]
    for op, av in items:
        if op is LITERAL:
            options = [[("ch", chr(av))]]
        elif op is IN:
            options = [[("ch", _char_test(_class_ranges(av)))]]
        elif op is BRANCH:
            options = [form for alt in av[1] for form in _expand(alt.data)]
        elif op is SUBPATTERN:
            if av[1] or av[2]:  # inline flags such as (?i:...)
                raise Unsupported("flags")
            options = _expand(av[3].data)
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            lo, hi, sub = av
            inner = _expand(sub.data)
            if len(inner) != 1 or len(inner[0]) != 1 or inner[0][0][0] != "ch":
                raise Unsupported("repeat of more than one character")
            options = [[("rep", inner[0][0][1], lo, hi, op is not MIN_REPEAT)]]
        elif op is AT:
            options = [[("at", av)]]
        elif op in (ASSERT, ASSERT_NOT):
            direction, sub = av
            seqs = []
            for form in _expand(sub.data):
                if any(atom[0] != "ch" for atom in form):
                    raise Unsupported("lookaround that is not a fixed run of characters")
                seqs.append(tuple(atom[1] for atom in form))
            if direction < 0 and len({len(s) for s in seqs}) > 1:
                raise Unsupported("lookbehind of varying width")
            options = [[("look", direction < 0, op is ASSERT_NOT, tuple(seqs))]]
        else:
            raise Unsupported(str(op))
        forms = [a + b for a, b in product(forms, options)]
        if len(forms) > _MAX_FORMS:
            raise Unsupported("too many forms")
    return forms


class _Form:
    """One concrete branch: `body` is ((offset, literal str or class test), ...) of fixed `length`, with
    `looks` ((offset, behind, negated, seqs, single), ...) -- or, when `run` is set, a run of `run` = (test, lo,
    hi, greedy) characters and no lookarounds. `first`/`last`: the test of its first/last character; `text`:
    the whole body when it is one literal string."""

    __slots__ = ("body", "looks", "length", "run", "first", "last", "text", "singles")

    def __init__(self, atoms: list[tuple]):
        self.run = self.text = self.singles = None
        self.looks: tuple = ()
        chars = [a for a in atoms if a[0] == "ch"]
        reps = [a for a in atoms if a[0] == "rep"]
        if reps:
            tests = {a[1] for a in chars + reps}
            if len(tests) != 1 or len({a[4] for a in reps}) != 1 or len(chars) + len(reps) != len(atoms):
                raise Unsupported("repeat mixed with other items")
            lo = len(chars) + sum(a[2] for a in reps)
            hi = MAXREPEAT if any(a[3] == MAXREPEAT for a in reps) else len(chars) + sum(a[3] for a in reps)
            test = tests.pop()
            # a character or a small class: str.rstrip / lstrip strip exactly those characters
            strip = test if test.__class__ is str else "".join(test) if test.__class__ is frozenset else None
            self.run = (test, lo, hi, reps[0][4], strip)
            self.length, self.body = lo, ()
            self.first = self.last = self.run[0]
        else:
            body, looks, offset = [], [], 0
            for atom in atoms:
                if atom[0] == "ch":
                    test = atom[1]
                    if test.__class__ is str and body and body[-1][1].__class__ is str \
                            and body[-1][0] + len(body[-1][1]) == offset:
                        body[-1] = (body[-1][0], body[-1][1] + test)  # literal characters join into one str
                    else:
                        body.append((offset, test))
                    offset += 1
                else:  # a lookaround: one character (the common case) is tested without the general loop
                    _, behind, negated, seqs = atom
                    single = seqs[0][0] if len(seqs) == 1 and len(seqs[0]) == 1 else None
                    looks.append((offset, behind, negated, seqs, single))
            if not body:
                raise Unsupported("empty branch")
            self.body, self.looks, self.length = tuple(body), tuple(looks), offset
            self.first = body[0][1][0] if body[0][1].__class__ is str else body[0][1]
            self.last = body[-1][1][-1] if body[-1][1].__class__ is str else body[-1][1]
            if len(body) == 1 and body[0][1].__class__ is str:
                self.text = body[0][1]
            if all(look[4] is not None for look in looks):  # (index relative to the start, test, negated)
                self.singles = tuple((offset - 1 if behind else offset, single, negated)
                                     for offset, behind, negated, _, single in looks)
        if self.length == 0:
            raise Unsupported("branch that can match the empty string")

    def fixed_at(self, s: str, p: int) -> bool:
        """Does this fixed form match s[p: p + length] (0 <= p, p + length <= len(s)), lookarounds included?"""
        for offset, test in self.body:
            if test.__class__ is str:
                if not s.startswith(test, p + offset):
                    return False
            elif not _test_has(test, s[p + offset]):
                return False
        return self.looks_at(s, p)

    def looks_at(self, s: str, p: int) -> bool:
        """Do the lookarounds hold when the form starts at p?"""
        singles = self.singles
        if singles is not None:  # each lookaround tests one character: the common case, inline
            n = len(s)
            for rel, test, negated in singles:
                i = p + rel
                if 0 <= i < n:
                    c = s[i]
                    hit = (c == test if test.__class__ is str else c in test if test.__class__ is frozenset
                           else test[0][ord(c)] & test[1])
                    if bool(hit) == negated:
                        return False
                elif not negated:
                    return False
            return True
        for offset, behind, negated, seqs, single in self.looks:
            at = p + offset
            if single is not None:
                i = at - 1 if behind else at
                if 0 <= i < len(s):
                    c = s[i]
                    hit = (c == single if single.__class__ is str else c in single if single.__class__ is frozenset
                           else single[0][ord(c)] & single[1])
                else:
                    hit = False
            else:
                hit = False
                for seq in seqs:
                    if _seq_at(s, at - len(seq) if behind else at, seq):
                        hit = True
                        break
            if hit == negated:
                return False
        return True


def _seq_at(s: str, i: int, seq: tuple) -> bool:
    """Do the characters of s from i on pass the tests of seq, one each?"""
    if i < 0 or i + len(seq) > len(s):
        return False
    for test in seq:
        c = s[i]
        if not (c == test if test.__class__ is str else c in test if test.__class__ is frozenset
                else test[0][ord(c)] & test[1]):
            return False
        i += 1
    return True


def _run_length(s: str, run: tuple, i: int) -> int:
    """How many characters of s from i on pass the run's test (i = -1: at the end of s, backwards)."""
    test, strip = run[0], run[4]
    if strip is not None:
        if i < 0:
            return len(s) - len(s.rstrip(strip))
        return len(s) - i - len(s[i:].lstrip(strip)) if i else len(s) - len(s.lstrip(strip))
    n = len(s)
    k = 0
    if i < 0:
        while k < n and _test_has(test, s[n - 1 - k]):
            k += 1
    else:
        while i + k < n and _test_has(test, s[i + k]):
            k += 1
    return k


def _forms(pattern: str, anchor: tuple | None) -> list[_Form]:
    """The pattern's concrete branches in re's order, each anchored where `anchor` says (start or end), or
    none of them anchored (anchor None)."""
    parsed = _sre.parse(pattern)
    if parsed.state.flags & ~SRE_FLAG_UNICODE:
        raise Unsupported("flags")
    forms = []
    for atoms in _expand(parsed.data):
        if anchor is not None:
            edge = atoms[0] if anchor[0] == AT_BEGINNING else atoms[-1]
            if edge[0] != "at" or edge[1] not in anchor:
                raise Unsupported("a branch that is not anchored")
            atoms = atoms[1:] if anchor[0] == AT_BEGINNING else atoms[:-1]
        if any(a[0] == "at" for a in atoms):
            raise Unsupported("an anchor inside a branch")
        forms.append(_Form(atoms))
    return forms


def _index(forms: list[_Form], edge: str) -> tuple[dict[str, list[_Form]], list[_Form]]:
    """Forms by the character they start (end) with; forms whose edge class is too big to list go to `anywhere`."""
    by_char: dict[str, list[_Form]] = {}
    anywhere: list[_Form] = []
    for form in forms:
        chars = _test_chars(getattr(form, edge))
        if chars is None:
            anywhere.append(form)
        else:
            for c in chars:
                by_char.setdefault(c, []).append(form)
    return by_char, anywhere


def suffix_matcher(pattern: str) -> Callable[[str], int] | None:
    """A function s -> length of the match of `pattern` (every branch anchored at $) that re.search finds in s,
    0 when there is none; None when the pattern cannot be rebuilt exactly (keep the regex)."""
    try:
        forms = _forms(pattern, (AT_END, AT_END_STRING))
    except Unsupported:
        return None
    search = re.compile(pattern).search
    by_last, anywhere = _index(forms, "last")
    # Per last character: 1 when a one-character form without lookarounds matches and no form is longer;
    # else (runs, steps): the run forms, and per length (longest first) the fixed forms of that length as
    # {literal body: True (no lookaround) or the forms to check} plus the forms whose body is not a literal.
    index: dict[str, int | tuple | None] = {}

    def entry(cands: list[_Form]) -> int | tuple:
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
            size = min(_run_length(s, run, -1), run[2])
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


def _first_index(forms: list[_Form]) -> tuple[dict[str, int | tuple[_Form, ...]], tuple[_Form, ...]]:
    """Per first character: 1 when the first form to try is one character without lookarounds (it always
    matches), else the forms that can start with it in re's order; and the forms to try for any other one."""
    by_first, anywhere = _index(forms, "first")
    order = {id(f): i for i, f in enumerate(forms)}
    index: dict[str, int | tuple[_Form, ...]] = {}
    for c, own in by_first.items():
        cands = tuple(sorted(own + anywhere, key=lambda f: order[id(f)]))
        index[c] = 1 if cands[0].length == 1 and cands[0].run is None and not cands[0].looks else cands
    return index, tuple(anywhere)


def _first_at(s: str, i: int, forms: tuple[_Form, ...]) -> int:
    """Length of the match re finds at position i: the first form in order that matches there (a run is
    greedy or lazy as its repeat is; none is followed by anything), 0 when none does."""
    room = len(s) - i
    for form in forms:
        run = form.run
        if run is not None:
            lo, strip = run[1], run[4]
            if lo > room or (strip is not None and s[i + lo - 1] not in strip):  # "a.b": not a run of 2 dots
                continue
            size = min(_run_length(s, run, i), run[2])
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


def prefix_matcher(pattern: str) -> Callable[[str], int] | None:
    """A function s -> end of the match of `pattern` (every branch anchored at ^) that re.search finds in s,
    0 when there is none; None when the pattern cannot be rebuilt exactly (keep the regex)."""
    try:
        forms = _forms(pattern, (AT_BEGINNING, AT_BEGINNING_STRING))
    except Unsupported:
        return None
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


def infix_matcher(pattern: str) -> Callable[[str], list[tuple[int, int]]] | None:
    """A function s -> [(start, end) of each match re.finditer(pattern, s) yields]; None when the pattern
    cannot be rebuilt exactly (keep the regex). finditer tries every position from the left; at each, the first
    form in order that matches wins and the scan goes on after it (no form matches the empty string)."""
    try:
        forms = _forms(pattern, None)
    except Unsupported:
        return None
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


def _required(items) -> set[str]:
    """Characters that every match of a sequence of parse items consumes (a subset of them is always safe:
    lookarounds, classes of several characters, optional items and back-references add nothing)."""
    out: set[str] = set()
    for op, av in items:
        if op is LITERAL:
            out.add(chr(av))
        elif op is IN and len(av) == 1 and av[0][0] is LITERAL:
            out.add(chr(av[0][1]))
        elif op is BRANCH:
            out |= set.intersection(*(_required(alt.data) for alt in av[1]))
        elif op is SUBPATTERN and not (av[1] or av[2]):
            out |= _required(av[3].data)
        elif op is ATOMIC_GROUP:
            out |= _required(av.data)
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT) and av[0] >= 1:
            out |= _required(av[2].data)
    return out


def required_char(pattern: str) -> str | None:
    """A character that every match of `pattern` contains (so a string without it cannot match), or None."""
    parsed = _sre.parse(pattern)
    if parsed.state.flags & ~SRE_FLAG_UNICODE:  # IGNORECASE would make "a" match "A"
        return None
    chars = _required(parsed.data)
    return min(chars) if chars else None
