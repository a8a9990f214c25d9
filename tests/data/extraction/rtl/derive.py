"""Derives the right-to-left test pages in this folder (see SOURCE.txt): Readability's rtl-1..4 layouts with their
lorem-ipsum sentences replaced by real sentences of Arabic, Persian, Urdu and Hebrew from lingua's labelled
sentence samples. The same replacement is applied to source.html and expected.html, so the ground truth stays exact.

    python tests/data/extraction/rtl/derive.py [--check]

--check: derive into memory and fail if any file here differs (the test suite runs this when shared/ is present).
"""
from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[3] / ".." / "shared" / "data"
PAGES = SHARED / "extraction" / "mozilla-readability" / "pages"
LINGUA = SHARED / "langid" / "lingua"
LAYOUTS = ("rtl-1", "rtl-2", "rtl-3", "rtl-4")

# each lorem sentence of the four layouts, in the order they first appear; "?" marks the one slot that becomes a
# question (the lorem has none) so the language's question mark is exercised too
LOREM = (
    ("Lorem ipsum dolor sit amet.", ""),
    ("Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et "
     "dolore magna aliqua.", ""),
    ("Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
     "consequat.", ""),
    ("Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.", "?"),
    ("Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est "
     "laborum.", ""),
    ("Tempor incididunt ut labore et dolore magna aliqua.", ""),
)
HEADING = "Lorem"  # the <h1> (source) / <h2> (expected) text

# the language's own comma, full stop and question mark (Urdu ends sentences with U+06D4; Arabic-script
# languages use U+060C and U+061F; Hebrew uses the Latin marks)
PUNCT = {
    "ar": ("\u060c", ".", "\u061f"),
    "fa": ("\u060c", ".", "\u061f"),
    "ur": ("\u060c", "\u06d4", "\u061f"),
    "he": (",", ".", "?"),
}
LETTERS = {"ar": "\u0621-\u064a\u0671-\u06d3", "fa": "\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\u200c",
           "ur": "\u0621-\u064a\u0679\u067e\u0686\u0688\u0691\u0698\u06a9\u06af\u06ba\u06be\u06c1-\u06c3\u06cc\u06d2",
           "he": "\u05d0-\u05ea"}


def clean_sentences(lang: str) -> list[str]:
    """lingua's sentences of `lang` made only of the script's letters (with their diacritics), spaces and the
    language's own punctuation: no digits, Latin words, brackets or quotes that the lorem slots do not have."""
    comma, stop, question = PUNCT[lang]
    allowed = re.compile(f"[{LETTERS[lang]}\u064b-\u0652\u0670\u05b0-\u05c7 {re.escape(comma + stop + question)}]+")
    lines = (LINGUA / "sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    return [s for s in (" ".join(line.split()) for line in lines) if allowed.fullmatch(s)]


def pick(lang: str, lorem: str, mark: str, used: set[str]) -> str:
    """The sentence closest in word count to `lorem` with a comma where the lorem has one (none where it has
    none) and the language's full stop (or, for a '?' slot, its question mark where the sample has such a
    sentence) at its end; file order breaks ties."""
    comma, stop, question = PUNCT[lang]
    want_comma = "," in lorem
    pool = []
    for end in ((question, stop) if mark == "?" else (stop,)):  # Hebrew's sample has no clean question
        pool = [s for s in clean_sentences(lang) if s not in used and s.endswith(end) and not s[:-1].endswith(" ")
                and (comma in s) == want_comma and end not in s[:-1] and (end == stop or stop not in s)]
        if pool:
            break
    if not pool:
        raise SystemExit(f"{lang}: no sentence fits {lorem!r}")
    n = len(lorem.split())
    best = min(pool, key=lambda s: abs(len(s.split()) - n))
    used.add(best)
    return best


def heading_word(lang: str) -> str:
    letters = re.compile(f"[{LETTERS[lang]}]+")
    words = (LINGUA / "single-words" / f"{lang}.txt").read_text(encoding="utf-8").split()
    return next(w for w in words if letters.fullmatch(w))


def substitutions(lang: str) -> list[tuple[str, str]]:
    used: set[str] = set()
    pairs = [(lorem, pick(lang, lorem, mark, used)) for lorem, mark in LOREM]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: no lorem sentence is replaced inside another


def derive(html: str, pairs: list[tuple[str, str]], heading: str) -> str:
    for lorem, real in pairs:
        html = html.replace(lorem, real)
    html = re.sub(rf"(<h[12]>){HEADING}(</h[12]>)", rf"\g<1>{heading}\g<2>", html)
    left = re.sub(r"<[^>]*>", "", html.replace("<title>RTL Test</title>", ""))
    if re.search(r"[A-Za-z]{3,}", left):
        raise SystemExit(f"lorem text left after substitution: {left!r}")
    return html


def arabic_words() -> str:
    """Every distinct Arabic word of lingua's Arabic samples (sentences, single words, word pairs), in order of
    first appearance: the vocabulary of the bench's word-for-word Arabic version of the Latin pages. Words
    written with vowel marks are left out: a mark is no `\\w` character, so it would split one word into
    several tokens of the scoring."""
    word = re.compile(f"[{LETTERS['ar']}]+")
    seen: dict[str, None] = {}
    for name in ("sentences", "single-words", "word-pairs"):
        for w in re.findall(r"\S+", (LINGUA / name / "ar.txt").read_text(encoding="utf-8")):
            w = w.strip(".,:;!?()[]\"'\u060c\u061b\u061f\u00ab\u00bb-")
            if word.fullmatch(w):
                seen.setdefault(w)
    return "\n".join(seen) + "\n"


def outputs() -> dict[Path, str]:
    files: dict[Path, str] = {HERE / "arabic-words.txt": arabic_words()}
    for layout in LAYOUTS:
        source = gzip.decompress((PAGES / layout / "source.html.gz").read_bytes()).decode("utf-8")
        expected = (PAGES / layout / "expected.html").read_text(encoding="utf-8")
        files[HERE / "lorem" / layout / "source.html"] = source
        files[HERE / "lorem" / layout / "expected.html"] = expected
    for lang in PUNCT:
        pairs, heading = substitutions(lang), heading_word(lang)
        for layout in LAYOUTS:
            for name in ("source.html", "expected.html"):
                files[HERE / lang / layout / name] = derive(files[HERE / "lorem" / layout / name], pairs, heading)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the files here instead of writing")
    args = ap.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(HERE)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("differs from a fresh derivation:", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
