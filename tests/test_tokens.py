"""The affix matchers (filters/affixes.py) must give exactly what spaCy's prefix, suffix and infix regexes give,
and the tokeniser built on them exactly what the same rules give through the regexes; the stored tables
(filters/data/affix_tables.json) must be what data/make_affix_tables.py builds from the stored rules, and the
stored rules what spaCy has, where spaCy is installed."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from filters.affixes import TABLES_PATH, infix_matcher, prefix_matcher, stored, suffix_matcher
from filters.data import make_affix_tables as build
from filters.data.make_affix_tables import BRANCH, IN, LITERAL, MAX_REPEAT, RANGE, SUBPATTERN, required_char
from filters.data.make_affix_tables import sre_parse as sre
from filters.tokens import RULES_PATH, AffixTokenizer, _regex_prefix, _regex_spans, _regex_suffix

DATA = Path(__file__).resolve().parent / "data" / "text"
TABLES = ("en", "xx")


@lru_cache(maxsize=None)
def rules(table: str) -> dict:
    return json.loads(RULES_PATH.read_text(encoding="utf-8"))[table]


@lru_cache(maxsize=None)
def fixture_chunks() -> tuple[str, ...]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(DATA.glob("*/*.txt")) if p.name != "SOURCE.txt")
    return tuple(sorted(set(text.split())))


def _pieces(items, out: set[str], classes: list[list[tuple[int, int]]]) -> None:
    """Literal runs and character classes of a parse tree (read with re's parser, not with the code under test)."""
    run = ""
    for op, av in items:
        if op is LITERAL:
            run += chr(av)
            continue
        if run:
            out.add(run)
            run = ""
        if op is IN:
            classes.append([v if kind is RANGE else (v, v) for kind, v in av if kind in (LITERAL, RANGE)])
        elif op is BRANCH:
            for alt in av[1]:
                _pieces(alt.data, out, classes)
        elif op is SUBPATTERN:
            _pieces(av[3].data, out, classes)
        elif op is MAX_REPEAT:
            _pieces(av[2].data, out, classes)
        elif isinstance(av, tuple) and len(av) == 2 and hasattr(av[1], "data"):  # lookarounds
            _pieces(av[1].data, out, classes)
    if run:
        out.add(run)


@lru_cache(maxsize=None)
def adversarial(table: str) -> tuple[str, ...]:
    """Every literal of the three patterns glued to letters, digits, capitals, other scripts, dots and the other
    literals; digit + unit; runs of dots; samples of every character class; one-character and empty strings."""
    literals: set[str] = set()
    classes: list[list[tuple[int, int]]] = []
    for key in ("prefix", "suffix", "infix"):
        _pieces(sre.parse(rules(table)[key]).data, literals, classes)
    samples = set()
    for ranges in classes:
        for lo, hi in ranges[:: max(1, len(ranges) // 40)]:  # the ends and the middle of some ranges of each
            samples.update(chr(c) for c in {lo, hi, (lo + hi) // 2})
    contexts = ["", "a", "ab", "A", "AB", "aB", "1", "10", "2.5", "ж", "Ж", "中文", "ب", "é", "°", "°C", "°f", ".",
                "..", "...", "'", "’", "-", "a-", "(", ")", "a.", "A.", "x@y"]
    pieces = sorted(literals | samples)
    out = set(pieces) | set(contexts) | {"", "\n", "a\n", "a.\n", "1km\n"}
    for lit in pieces:
        for ctx in contexts:
            out.update((ctx + lit, lit + ctx, ctx + lit + ctx, "a" + lit + "b", "1" + lit + "2", "A" + lit + "B"))
    for a in sorted(literals)[::3]:
        for b in sorted(literals)[1::3]:
            out.update((a + b, "a" + a + b, a + b + "a", "1" + a + b))
    for k in range(1, 8):
        dots = "." * k
        out.update((dots, "a" + dots, dots + "a", "1" + dots, "a" + dots + "b", "°C" + dots, "(" + dots + ")"))
    return tuple(sorted(out))


def _regex_answers(table: str, strings) -> tuple[list, list, list]:
    pre, suf, inf = (re.compile(rules(table)[k]) for k in ("prefix", "suffix", "infix"))
    return ([m.end() if (m := pre.search(s)) else 0 for s in strings],
            [len(s) - m.start() if (m := suf.search(s)) else 0 for s in strings],
            [[m.span() for m in inf.finditer(s)] for s in strings])


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("source", ["fixtures", "adversarial"])
def test_affix_matchers_equal_the_regexes(table, source):
    strings = fixture_chunks() if source == "fixtures" else adversarial(table)
    if source == "fixtures":  # and every chunk's halves: what the affix loop leaves of it
        strings = sorted({part for c in strings for part in (c, c[: len(c) // 2], c[len(c) // 2:])})
    assert len(strings) > 5000
    r = rules(table)
    prefix = prefix_matcher(stored("prefix", r["prefix"])["forms"])
    suffix = suffix_matcher(r["suffix"], stored("suffix", r["suffix"])["forms"])
    infix = infix_matcher(stored("infix", r["infix"])["forms"])
    assert prefix and suffix and infix  # the shipped rules are rebuilt, not left to the regexes
    want_pre, want_suf, want_inf = _regex_answers(table, strings)
    assert [prefix(s) for s in strings] == want_pre
    assert [suffix(s) for s in strings] == want_suf
    assert [infix(s) for s in strings] == want_inf
    assert sum(map(bool, want_pre)) > 100 and sum(map(bool, want_suf)) > 100 and sum(map(bool, want_inf)) > 100


@pytest.mark.parametrize("table", TABLES)
def test_tokeniser_equals_the_same_rules_through_the_regexes(table):
    fast = AffixTokenizer(rules(table))
    slow = AffixTokenizer(rules(table))
    slow._prefix_len, slow._suffix_len = _regex_prefix(slow._prefix_re), _regex_suffix(slow._suffix_re)
    slow._infix_spans = _regex_spans(slow._infix_re)
    slow._url = re.compile(rules(table)["url"]).match  # without the required-character pre-check
    chunks = fixture_chunks() + adversarial(table)[::4]
    assert [fast.chunk(c) for c in chunks] == [slow.chunk(c) for c in chunks]
    assert fast.chunk("(U.S.)") == ("(", "U.S.", ")") and fast.chunk("10km.") == ("10", "km", ".")


@pytest.mark.parametrize("pattern", [r"\d$|a$", r"(?i)x$|y$", r"[^a]$", r"(a|b)\1$", r"a*$", r"(?:ab)+$"])
def test_a_pattern_the_matcher_cannot_rebuild_is_left_to_the_regex(pattern):
    assert build.forms(pattern, "suffix") is None and suffix_matcher(pattern, None) is None
    tok = AffixTokenizer(dict(rules("en"), suffix=pattern))  # falls back to the regex
    search = re.compile(pattern).search
    for s in ("wordz1", "ba", "X", "abab", "aa"):
        assert tok._suffix_len(s) == (len(s) - m.start() if (m := search(s)) else 0)


def test_the_url_pattern_needs_a_dot_and_no_url_lacks_one():
    url = rules("en")["url"]
    assert required_char(url) == "."
    match = re.compile(url).match
    assert all("." in c for c in fixture_chunks() + adversarial("en") if match(c))
    assert required_char(r"a|b") is None and required_char(r"ab|cb") == "b" and required_char(r"(?i)a") is None
    assert required_char(r"x?y*") is None and required_char(r"(?:x){2}") == "x"


def test_matchers_follow_re_order_where_it_is_not_the_longest_match():
    # prefix: the first branch in order wins ("…" before "……"); suffix: the leftmost start (the longest)
    suffix_pattern = r"…$|……$|\.\.+$|(?<=[0-9])km$|m$"
    prefix = prefix_matcher(build.forms(r"^…|^……|^\.\.+", "prefix"))
    suffix = suffix_matcher(suffix_pattern, build.forms(suffix_pattern, "suffix"))
    assert prefix("……x") == 1 and prefix("....x") == 4 and prefix("x") == 0
    assert suffix("x……") == 2 and suffix("x....") == 4 and suffix("10km") == 2 and suffix("akm") == 1
    infix = infix_matcher(build.forms(r"-|--(?=a)|(?<=[0-9])x", "infix"))
    assert infix("b--a1x2") == [(1, 2), (2, 3), (5, 6)] == [m.span() for m in re.finditer(r"-|--(?=a)|(?<=[0-9])x",
                                                                                          "b--a1x2")]


def test_stored_affix_tables_are_what_the_build_script_makes_from_the_stored_rules():
    rebuilt = build.render(build.build(json.loads(RULES_PATH.read_text(encoding="utf-8"))))
    assert rebuilt == TABLES_PATH.read_text(encoding="utf-8"), "run: python -m filters.data.make_affix_tables"
    for table in TABLES:  # every shipped pattern is rebuilt, none is left to its regex
        tok = AffixTokenizer(rules(table))
        assert all(f.__module__ == "filters.affixes" for f in (tok._prefix_len, tok._suffix_len, tok._infix_spans))


def test_stored_rules_are_spacys_where_spacy_is_installed():
    spacy = pytest.importorskip("spacy")
    from filters.data.make_tokenizer_rules import rules as spacy_rules

    stored_rules = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    if stored_rules["source"] != f"spaCy {spacy.__version__} (MIT)":
        pytest.skip(f"rules stored from {stored_rules['source']}, spaCy {spacy.__version__} installed")
    for table in TABLES:
        assert spacy_rules(table) == stored_rules[table]
