"""The concrete forms of spaCy's affix patterns and the character tests they are made of (filters/affixes.py
builds matchers from them).

A form is one branch of a pattern expanded into a fixed run of characters (a literal or a character class per
position) with fixed-width lookbehinds and lookaheads at known offsets, or a run of one character class with a
minimum and maximum length ("\\.\\.+"). The forms are stored as data in data/affix_tables.json (written offline
by data/make_affix_tables.py, which reads the patterns with re's parser), so nothing here parses a regex. Stored
atoms: ["ch", ranges] | ["rep", ranges, lo, hi or null (unbounded), greedy] | ["look", behind, negated,
[[ranges, ...], ...]], where ranges are [[first code point, last code point], ...].
"""
from __future__ import annotations

import sys

UNBOUNDED = sys.maxsize  # a repeat without an upper bound ("+", "*")
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


def test_chars(test) -> frozenset[str] | None:
    """The characters a test accepts, or None when there are too many to list."""
    if test.__class__ is str:
        return frozenset(test)
    if test.__class__ is frozenset:
        return test
    ranges = test[2]
    if sum(hi - lo + 1 for lo, hi in ranges) > _LISTED_CLASS:
        return None
    return frozenset(chr(c) for lo, hi in ranges for c in range(lo, hi + 1))


def _test(ranges) -> str | frozenset[str] | tuple[bytearray, int, tuple]:
    return _char_test([(lo, hi) for lo, hi in ranges])


def _atom(data: list) -> tuple:
    """A stored atom as Form reads it: ("ch", test) | ("rep", test, lo, hi, greedy) | ("look", behind, negated,
    seqs) with seqs tuples of tests."""
    kind = data[0]
    if kind == "ch":
        return "ch", _test(data[1])
    if kind == "rep":
        return "rep", _test(data[1]), data[2], UNBOUNDED if data[3] is None else data[3], data[4]
    return "look", data[1], data[2], tuple(tuple(map(_test, seq)) for seq in data[3])


def compile_forms(stored: list[list]) -> list[Form]:
    """The forms of a pattern, in re's order, from their stored atoms (raises Unsupported for a branch that
    Form cannot match exactly)."""
    return [Form([_atom(a) for a in atoms]) for atoms in stored]


class Form:
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
            hi = UNBOUNDED if any(a[3] == UNBOUNDED for a in reps) else len(chars) + sum(a[3] for a in reps)
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


def run_length(s: str, run: tuple, i: int) -> int:
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


