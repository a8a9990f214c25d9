"""Right-to-left and non-Latin text extract as well as Latin text in the same layout.

Two derived sets (tests/data/extraction/rtl, see SOURCE.txt there): Readability's rtl-1..4 layouts with their lorem
ipsum replaced by real Arabic/Persian/Urdu/Hebrew sentences (same replacement in the reference), and real Latin
pages turned word for word into real Arabic words (Arabic commas and question marks too). In both the layout is
unchanged, so the extractor's score must not move with the script."""
import gzip
import importlib.util
import re
from pathlib import Path

import pytest

from engine.html import extract
from benchmarks.extract import Arabizer, arabic_vocabulary, html_text, is_latin, prf, shingle_tp_fp_fn

DATA = Path(__file__).parent / "data" / "extraction"
RTL = DATA / "rtl"
LAYOUTS = ("rtl-1", "rtl-2", "rtl-3", "rtl-4")
LANGS = ("ar", "fa", "ur", "he")
FAKEHOST = "http://fakehost/test/page.html"
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def f1(expected_html: str, html: bytes | str) -> float:
    r = extract(html, FAKEHOST)
    return prf([shingle_tp_fp_fn(html_text(expected_html), "\n".join(t for t in r.texts if t))])["f1"]


def page(lang: str, layout: str) -> tuple[str, str]:
    d = RTL / lang / layout
    return (d / "source.html").read_text(encoding="utf-8"), (d / "expected.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not (SHARED / "langid" / "lingua").is_dir(), reason="shared/data not present")
def test_derived_pages_match_their_recipe():
    """The checked-in pages are exactly what derive.py makes from Readability's pages and lingua's sentences."""
    spec = importlib.util.spec_from_file_location("derive_rtl", RTL / "derive.py")
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    assert derive.main(["--check"]) == 0


@pytest.mark.parametrize("lang", LANGS)
def test_derived_page_keeps_lorem_structure(lang):
    """Same markup, other words: the real sentences replaced every lorem word, and the language's own
    punctuation is there (so scoring that counts commas and sentence ends meets it)."""
    comma, stop = {"ar": ("\u060c", "."), "fa": ("\u060c", "."), "ur": ("\u060c", "\u06d4"), "he": (",", ".")}[lang]
    for layout in LAYOUTS:
        source, expected = page(lang, layout)
        lorem_source, _ = page("lorem", layout)
        assert re.sub(r">[^<]*<", "><", source) == re.sub(r">[^<]*<", "><", lorem_source)
        text = html_text(expected)
        assert not re.search(r"[A-Za-z]{3,}", text)
        assert comma in text and stop in text


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("lang", LANGS)
def test_rtl_text_scores_like_lorem_in_the_same_layout(lang, layout):
    lorem = f1(*reversed(page("lorem", layout)))
    real = f1(*reversed(page(lang, layout)))
    assert lorem > 0.95
    assert real >= lorem - 0.01, f"{lang} {layout}: F1 {real:.3f} vs lorem {lorem:.3f}"


def _attribute_variants(source: str) -> list[str]:
    bare = re.sub(r'\s(?:dir|lang)="[^"]*"', "", source)
    return [bare, bare.replace("<html>", '<html dir="rtl" lang="ar">'), bare.replace("<body>", '<body dir="ltr">'),
            re.sub(r"<(p|h1)>", r'<\1 dir="auto">', bare)]


@pytest.mark.parametrize("lang", LANGS)
def test_dir_and_lang_attributes_do_not_change_what_is_kept(lang):
    for layout in LAYOUTS:
        source, _ = page(lang, layout)
        kept = extract(source, FAKEHOST).texts
        assert any(kept)
        variants = _attribute_variants(source)
        assert len(set(variants + [source])) == len(variants) + 1  # each one really differs
        for variant in variants:
            assert extract(variant, FAKEHOST).texts == kept


def latin_pages() -> list[tuple[str, str, str]]:
    """(name, source, expected) of the Latin-script Readability pages copied for the tests."""
    out = []
    for root in (DATA / "readability", DATA / "readability-images", RTL / "latin-pages"):
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            source = gzip.decompress((d / "source.html.gz").read_bytes()).decode("utf-8")
            exp = d / "expected.html"
            expected = exp.read_text(encoding="utf-8") if exp.exists() else \
                gzip.decompress((d / "expected.html.gz").read_bytes()).decode("utf-8")
            if is_latin(html_text(expected)):
                out.append((d.name, source, expected))
    return out


LATIN = latin_pages()


def test_arabizer_maps_words_one_to_one():
    name, source, expected = next(p for p in LATIN if p[0] == "salon-1")
    ar = Arabizer(arabic_vocabulary())
    ar.html(source)
    truth, truth_ar = html_text(expected), html_text(ar.html(expected))
    words, words_ar = re.findall(r"\w+", truth), re.findall(r"\w+", truth_ar)
    assert len(words) == len(words_ar)
    assert len(set(w.lower() for w in words)) == len(set(words_ar))
    assert not re.search(r"[A-Za-z]", truth_ar) and "\u060c" in truth_ar and "," not in truth_ar


@pytest.mark.parametrize("name,source,expected", LATIN, ids=[p[0] for p in LATIN])
def test_latin_page_in_arabic_words_scores_the_same(name, source, expected):
    """Word-for-word Arabic version of a real page: the same blocks must win (comma and sentence-end counting,
    link density and length rules see Arabic text like Latin text)."""
    ar = Arabizer(arabic_vocabulary())
    source_ar = re.sub(r"<html\b", '<html dir="rtl" lang="ar"', ar.html(source), count=1)
    expected_ar = ar.html(expected)
    original, arabic = f1(expected, source), f1(expected_ar, source_ar)
    assert abs(arabic - original) <= 0.02, f"{name}: F1 {arabic:.3f} in Arabic vs {original:.3f}"
