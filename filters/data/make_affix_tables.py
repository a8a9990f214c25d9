"""Rebuild affix_tables.json from tokenizer_rules.json (run by hand after regenerating the rules; the output is
committed, and tests/test_tokens.py rebuilds it and checks that it is unchanged):

    python -m filters.data.make_affix_tables

The only code that parses a regex: each prefix / suffix / infix pattern of the rules is read with re's parser
and expanded into its concrete forms (filters/affix_forms.py says what they are), stored as data so that the
tokeniser never imports re's private parser at run time. A pattern the forms cannot express exactly is stored
as null (the tokeniser keeps the regex for it). Also stored: the characters that can begin a prefix match / end
a suffix match (null: too many to list), and a character every match of the URL pattern contains.
"""
from __future__ import annotations

import json
from itertools import product
from pathlib import Path

try:  # Python 3.11+: re's parser and its constants moved under re (private modules; offline use only)
    import re._parser as sre_parse
    from re._constants import (ASSERT, ASSERT_NOT, AT, AT_BEGINNING, AT_BEGINNING_STRING, AT_END, AT_END_STRING,
                               ATOMIC_GROUP, BRANCH, IN, LITERAL, MAX_REPEAT, MAXREPEAT, MIN_REPEAT,
                               POSSESSIVE_REPEAT, RANGE, SRE_FLAG_UNICODE, SUBPATTERN)
except ImportError:  # Python <= 3.10
    import sre_parse
    from sre_constants import (ASSERT, ASSERT_NOT, AT, AT_BEGINNING, AT_BEGINNING_STRING, AT_END,  # type: ignore
                               AT_END_STRING, BRANCH, IN, LITERAL, MAX_REPEAT, MAXREPEAT, MIN_REPEAT, RANGE,
                               SRE_FLAG_UNICODE, SUBPATTERN)
    ATOMIC_GROUP = POSSESSIVE_REPEAT = object()  # not in that parser

from filters.affix_forms import Unsupported, compile_forms

HERE = Path(__file__).parent
RULES = HERE / "tokenizer_rules.json"
OUT = HERE / "affix_tables.json"
MAX_FORMS = 10_000  # a pattern that expands into more concrete branches than this stays a regex
ANCHORS = {"prefix": (AT_BEGINNING, AT_BEGINNING_STRING), "suffix": (AT_END, AT_END_STRING), "infix": None}


def _class_ranges(items) -> list[list[int]]:
    ranges = []
    for kind, v in items:
        if kind is LITERAL:
            ranges.append([v, v])
        elif kind is RANGE:
            ranges.append(list(v))
        else:  # NEGATE, CATEGORY (\d, \w, ...)
            raise Unsupported(str(kind))
    return ranges


def _expand(items) -> list[list]:
    """Every concrete form of a sequence of parse items, in the order re tries them (branch by branch), as stored
    atoms (see filters/affix_forms.py), plus ["at", code] for anchors."""
    forms: list[list] = [[]]
    for op, av in items:
        if op is LITERAL:
            options = [[["ch", [[av, av]]]]]
        elif op is IN:
            options = [[["ch", _class_ranges(av)]]]
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
            options = [[["rep", inner[0][0][1], lo, None if hi == MAXREPEAT else hi, op is not MIN_REPEAT]]]
        elif op is AT:
            options = [[["at", av]]]
        elif op in (ASSERT, ASSERT_NOT):
            direction, sub = av
            seqs = []
            for form in _expand(sub.data):
                if any(atom[0] != "ch" for atom in form):
                    raise Unsupported("lookaround that is not a fixed run of characters")
                seqs.append([atom[1] for atom in form])
            if direction < 0 and len({len(s) for s in seqs}) > 1:
                raise Unsupported("lookbehind of varying width")
            options = [[["look", direction < 0, op is ASSERT_NOT, seqs]]]
        else:
            raise Unsupported(str(op))
        forms = [a + b for a, b in product(forms, options)]
        if len(forms) > MAX_FORMS:
            raise Unsupported("too many forms")
    return forms


def forms(pattern: str, kind: str) -> list | None:
    """The stored forms of `pattern` used as `kind` ("prefix": every branch anchored at ^, "suffix": at $,
    "infix": none anchored), anchors removed; None when they cannot express the pattern exactly."""
    anchor = ANCHORS[kind]
    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & ~SRE_FLAG_UNICODE:
        return None
    try:
        out = []
        for atoms in _expand(parsed.data):
            if anchor is not None:
                edge = atoms[0] if anchor[0] == AT_BEGINNING else atoms[-1]
                if edge[0] != "at" or edge[1] not in anchor:
                    raise Unsupported("a branch that is not anchored")
                atoms = atoms[1:] if anchor[0] == AT_BEGINNING else atoms[:-1]
            if any(a[0] == "at" for a in atoms):
                raise Unsupported("an anchor inside a branch")
            out.append(atoms)
        compile_forms(out)  # what Form cannot match exactly (mixed repeats, empty branches) stays a regex too
    except Unsupported:
        return None
    return out


class _Unbounded(Exception):
    """The characters a pattern item can match are not a finite list (a category, a negated class, '.')."""


def _edge(items, last: bool) -> tuple[set[str], bool]:
    """(characters the first -- or last -- consumed character of a match can be, whether it can be empty).
    Lookarounds and anchors consume nothing and are skipped, which only makes the set larger (safe)."""
    out: set[str] = set()
    for op, av in reversed(items) if last else items:
        nullable = False
        if op is LITERAL:
            chars = {chr(av)}
        elif op is IN:
            chars = set()
            for kind, v in av:
                if kind is LITERAL:
                    chars.add(chr(v))
                elif kind is RANGE:
                    chars.update(map(chr, range(v[0], v[1] + 1)))
                else:
                    raise _Unbounded
        elif op is BRANCH:
            chars = set()
            for alt in av[1]:
                c, n = _edge(alt.data, last)
                chars |= c
                nullable |= n
        elif op is SUBPATTERN:
            chars, nullable = _edge(av[3].data, last)
        elif op is ATOMIC_GROUP:
            chars, nullable = _edge(av.data, last)
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            chars, nullable = _edge(av[2].data, last)
            nullable |= av[0] == 0
        elif op in (AT, ASSERT, ASSERT_NOT):
            chars, nullable = set(), True
        else:
            raise _Unbounded
        out |= chars
        if not nullable:
            return out, False
    return out, True


def edge_chars(pattern: str, last: bool) -> str | None:
    """Characters that can start (last=False) or end (last=True) a non-empty match of an anchored pattern, as one
    sorted string (a chunk whose first/last character is not among them cannot match, so the regex need not
    run); None when they cannot be listed."""
    try:
        return "".join(sorted(_edge(sre_parse.parse(pattern).data, last)[0]))
    except _Unbounded:
        return None


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
    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & ~SRE_FLAG_UNICODE:  # IGNORECASE would make "a" match "A"
        return None
    chars = _required(parsed.data)
    return min(chars) if chars else None


def build(rules: dict) -> dict:
    """The tables for every rule set of tokenizer_rules.json ({"en": {...}, "xx": {...}, "source": ...})."""
    out: dict = {"source": f"built from tokenizer_rules.json ({rules.get('source')}) by make_affix_tables.py",
                 "prefix": {}, "suffix": {}, "infix": {}, "required": {}}
    for table in sorted(k for k, v in rules.items() if isinstance(v, dict)):
        r = rules[table]
        for kind in ("prefix", "suffix", "infix"):
            entry = {"forms": forms(r[kind], kind)}
            if kind != "infix":
                entry["edge"] = edge_chars(r[kind], last=kind == "suffix")
            out[kind][r[kind]] = entry
        for key in ("url", "token_match"):
            if r.get(key):
                out["required"][r[key]] = required_char(r[key])
    return out


def render(tables: dict) -> str:
    return json.dumps(tables, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(build(json.loads(RULES.read_text(encoding="utf-8")))), encoding="utf-8")
    print(f"wrote {OUT}")
