"""The bulk (whole-text) forms of the C4, FineWeb and Gopher line rules equal the rules applied line by line.

Each reference below is the published definition written the plain way (a Python loop over lines, as in the
module docstrings and in the reference code they cite); the module's fast path must give exactly the same
numbers (floats equal, not approximately) on real fixtures and on adversarial text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from filters import c4, fineweb, gopher
from filters.text import TERMINAL_PUNCTUATION, TextStats

DATA = Path(__file__).resolve().parent / "data" / "text"
FIXTURES = sorted(p for p in DATA.rglob("*.txt") if p.name != "SOURCE.txt")

ADVERSARIAL = [
    "", " ", "\n", "\n\n\n", "x" * 5_000, "word " * 3_000, "😀" * 50, "😀 🎉 🔥\n" * 30,
    "Hello мир 世界 مرحبا नमस्ते.\n" * 20,
    "same line here.\n" * 200 + "same line here.",
    "a\n\n\nb\n\n", "\n a \n", "\n\nlead\n\n\n\ntrail\n\n", "one\n\n\n\n\none\n\n\none",
    # line breaks other than "\n", trailing spaces, bullets and ellipses after spaces
    "- item one\r\n  • item two\r\n...\r\nend...  \r\nwait…\t\n", "a\rb\x0bc\x0cd\x1ce\u2028f\u2029g\x85h",
    "  - dash\n\t• bullet\nnot - a bullet\nlast line ...   \nfinal …", "\u3000- ideographic space bullet...\u3000",
    "x...\r", "a\n\r", "- a\x0b", "a\n\x0b...", "b...\r\n- c\r", "\r- a\n...",
    # C4: citations, javascript / policy lines, curly brackets, lorem ipsum, long words, sentence ends
    "A line with a citation.[1]\nAnother one [edit] here.\nCited [citation needed].\n[2]",
    "Please enable JavaScript to view this page.\nWe use cookies on this site, ok.\nThe {curly} line is here.\n"
    "Lorem ipsum dolor sit amet.\nRead our Privacy Policy {now} please.\nIt ends. Then more! Really? \"Yes.\" Ok.",
    "x " * 600 + "y" * 1_001 + " end.\n" + "short line.\n" + "Three words here.",
    "Dots... never end...\nThis one ends!\n'Quoted end.'\n\"Also quoted.\"\nΣΑΣ ΑΣ Σ. ok then.",
]


def _texts() -> list[tuple[str, str]]:
    texts = [(p.read_text(encoding="utf-8"), p.stem) for p in FIXTURES]
    # one paragraph per line, paragraphs joined by blank lines: what the filter step scores
    texts += [("\n\n".join(t.split("\n")), f"{name}-paragraphs") for t, name in texts]
    return texts + [(t, f"adversarial-{i}") for i, t in enumerate(ADVERSARIAL)]


TEXTS = _texts()


def _same(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


# -- references: the rules line by line --------------------------------------------------------------------
_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=\S)")
_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


def _c4_reference(text: str) -> dict:
    sentences = kept = javascript = policy = total = 0
    lorem = curly = 0.0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        total += 1
        words = line.split()
        if any(len(w) > 1000 for w in words):
            continue
        line = _CITATION.sub("", line)
        if not line.endswith((".", "?", "!", '"', "'")) or line.endswith("..."):
            continue
        if len(words) < 3:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            lorem = 1.0
        if "javascript" in lower:
            javascript += 1
            continue
        if "{" in line:
            curly = 1.0
        if any(p in lower for p in _POLICY):
            policy += 1
            continue
        kept += 1
        sentences += 1 + len(_SENTENCE_END.findall(line))
    return {"c4_sentences": float(sentences), "c4_lorem_ipsum": lorem, "c4_curly_bracket": curly,
            "c4_javascript_lines": float(javascript), "c4_policy_lines": float(policy),
            "c4_kept_lines_frac": kept / total if total else None}


def _fineweb_reference(ts: TextStats) -> dict:
    lines = [line for line in ts.text.split("\n") if line.strip()]
    if not lines:
        return {k: None for k in ("fineweb_line_punct_ratio", "fineweb_short_line_ratio",
                                  "fineweb_char_dup_ratio", "fineweb_newline_ratio")}
    seen, dup_chars = set(), 0
    for line in lines:
        if line in seen:
            dup_chars += len(line)
        seen.add(line)
    chars = len(ts.text.replace("\n", ""))
    return {
        "fineweb_line_punct_ratio": sum(line.endswith(TERMINAL_PUNCTUATION) for line in lines) / len(lines),
        "fineweb_short_line_ratio": sum(len(line) <= 30 for line in lines) / len(lines),
        "fineweb_char_dup_ratio": dup_chars / chars if chars else None,
        "fineweb_newline_ratio": ts.text.count("\n") / ts.n_words if ts.n_words else None,
    }


def _duplicates_reference(items: list[str]) -> tuple[int, int]:
    seen, n, chars = set(), 0, 0
    for item in items:
        if item in seen:
            n, chars = n + 1, chars + len(item)
        seen.add(item)
    return n, chars


# -- tests --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [t for t, _ in TEXTS], ids=[name for _, name in TEXTS])
def test_c4_equals_the_line_by_line_rules(text):
    assert _same(c4.score(TextStats(text, "en")), _c4_reference(text))


@pytest.mark.parametrize("text", [t for t, _ in TEXTS], ids=[name for _, name in TEXTS])
def test_fineweb_equals_the_line_by_line_rules(text):
    assert _same(fineweb.score(TextStats(text, "en")), _fineweb_reference(TextStats(text, "en")))


@pytest.mark.parametrize("text", [t for t, _ in TEXTS], ids=[name for _, name in TEXTS])
def test_gopher_line_counts_equal_the_line_by_line_rules(text):
    ts = TextStats(text, "en")
    lines = text.splitlines() or [""]
    quality = gopher.quality_scores(ts)
    assert quality["gopher_bullet_lines_ratio"] == sum(
        line.lstrip().startswith(("•", "-")) for line in lines) / len(lines)
    assert quality["gopher_ellipsis_lines_ratio"] == sum(
        line.rstrip().endswith(("...", "…")) for line in lines) / len(lines)
    rep = gopher.repetition_scores(ts)
    if not text:
        assert all(v is None for v in rep.values())
        return
    paragraphs = re.split(r"\n{2,}", text.strip())
    lines = re.split(r"\n+", text)
    n, chars = _duplicates_reference(paragraphs)
    assert (rep["gopher_dup_para_frac"], rep["gopher_dup_para_char_frac"]) == (n / len(paragraphs), chars / len(text))
    n, chars = _duplicates_reference(lines)
    assert (rep["gopher_dup_line_frac"], rep["gopher_dup_line_char_frac"]) == (n / len(lines), chars / len(text))


def test_references_see_what_the_rules_are_about():
    # the adversarial texts exercise every branch: otherwise the equalities above would prove little
    scores = [_c4_reference(t) for t in ADVERSARIAL]
    assert any(s["c4_javascript_lines"] for s in scores) and any(s["c4_policy_lines"] for s in scores)
    assert any(s["c4_curly_bracket"] for s in scores) and any(s["c4_lorem_ipsum"] for s in scores)
    ts = TextStats(ADVERSARIAL[14], "en")
    quality = gopher.quality_scores(ts)
    assert quality["gopher_bullet_lines_ratio"] > 0 and quality["gopher_ellipsis_lines_ratio"] > 0
    assert gopher.repetition_scores(TextStats(ADVERSARIAL[13], "en"))["gopher_dup_para_frac"] > 0
