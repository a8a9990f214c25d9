"""Language ID router (filters/langid.py): fastText first, lingua where lid.176 is weak; labels normalised; the
share of a page in its main language. Real text only: sentences of ../shared/data/langid/lingua (the second half
of each file, which the router's settings were not chosen on) and a real bilingual page from a crawl."""
from __future__ import annotations

import dataclasses
import statistics

import pytest

from tests.conftest import DATA, SHARED

LINGUA = SHARED / "langid" / "lingua" / "sentences"
needs_lingua_data = pytest.mark.skipif(not LINGUA.exists(), reason="../shared/data/langid/lingua not present")


@pytest.fixture(scope="module")
def lid():
    pytest.importorskip("lingua")
    from filters.langid import LanguageIdentifier
    from filters.rules import FilterConfig

    ident = LanguageIdentifier.from_config(FilterConfig.load())
    assert ident.router is not None, "config/filters.yaml: langid.router.enabled is the default under test"
    return ident


def fasttext_alone(lid):
    from filters.langid import LanguageIdentifier

    return LanguageIdentifier(lid.model_path, lid.max_chars, dataclasses.replace(lid.router, enabled=False), None,
                              lid.aliases)


def held_out(code: str, n: int) -> list[str]:
    lines = [l for l in (LINGUA / f"{code}.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    return lines[len(lines) // 2:][:n]


@needs_lingua_data
def test_router_asks_lingua_inside_a_confusable_set_and_fasttext_otherwise(lid):
    """Every text whose fastText label is confident and outside the confusable sets stays with fastText; a
    confident label inside a set goes to lingua restricted to that set, and the answer stays inside the set."""
    plain = fasttext_alone(lid)
    routes = {"fasttext": 0, "lingua_set": 0}
    for code in ("en", "de", "hr", "sr", "nn"):
        for text in held_out(code, 40):
            label, prob = plain.predict(text)
            got = lid.detect(text)
            line = plain.normalise(text[: plain.max_chars])
            r = lid.router
            if prob < (r.min_prob if len(line) < r.long_chars else r.long_min_prob) or len(line) < r.min_chars:
                assert got.route == "lingua"
            elif label in lid._sets:
                assert got.route == "lingua_set" and got.language in lid._sets[label], (text, label, got)
                routes["lingua_set"] += 1
            else:
                assert got == (label, prob, "fasttext")
                routes["fasttext"] += 1
    assert routes["fasttext"] >= 40 and routes["lingua_set"] >= 20, routes


@needs_lingua_data
def test_labels_are_normalised_to_the_codes_lingua_gives(lid):
    """lid.176 says `no` for Norwegian Bokmål, lingua `nb`: both paths give `nb`, never `no`."""
    plain = fasttext_alone(lid)
    texts = held_out("nb", 40)
    from_fasttext = [plain.predict(t)[0] for t in texts]
    routed = [lid.detect(t) for t in texts]
    assert "no" not in from_fasttext and "no" not in [d.language for d in routed]
    assert from_fasttext.count("nb") >= 20  # lid.176's own answer, renamed
    assert {"fasttext", "lingua_set"} & {d.route for d in routed if d.language == "nb"}


@needs_lingua_data
def test_lingua_route_beats_lid176_on_confusable_languages(lid):
    """Held-out sentences of languages lid.176 confuses or lacks: the router's macro accuracy is clearly above
    lid.176 alone (it can fail: a router that never asks lingua, or asks it wrongly, scores like lid.176)."""
    plain = fasttext_alone(lid)
    codes = ("bs", "hr", "nn", "af", "zu")
    acc = {}
    for name, ident in (("fasttext", plain), ("routed", lid)):
        acc[name] = statistics.mean(
            statistics.mean(ident.predict(t)[0] == code for t in held_out(code, 30)) for code in codes)
    assert acc["routed"] >= acc["fasttext"] + 0.2, acc


@needs_lingua_data
def test_main_share_counts_characters_per_paragraph_language(lid):
    """A page of real German paragraphs with English ones among them: the share is the German characters over
    all judged characters, and a paragraph too short to judge counts for neither."""
    german, english = held_out("de", lid.paragraphs.max_paragraphs - 2), held_out("en", 2)  # all judged
    judged = [t for t in german + english if len(t) >= lid.paragraphs.min_chars]
    texts = german[:3] + [english[0], "OK", None] + german[3:] + [english[1]]  # None: an image position
    language, _ = lid.predict("\n\n".join(t for t in texts if t))
    assert language == "de"
    expected = sum(len(t) for t in judged if t in german) / sum(len(t) for t in judged)
    assert lid.main_share(texts, language) == pytest.approx(expected, abs=0.05)
    assert lid.main_share(german, "de") == 1.0
    assert lid.main_share(german[:1], "de") is None  # one paragraph: no share to speak of


def test_main_share_on_a_real_bilingual_page(lid):
    """A guest house's French page with its English copyright line: mainly French, not only French; without
    the English paragraphs it is all French."""
    text = (DATA / "langid" / "bryncoed_francais.txt").read_text(encoding="utf-8")
    paragraphs = text.splitlines()
    language, _ = lid.predict(text)
    assert language == "fr"
    share = lid.main_share(paragraphs, language)
    assert 0.5 < share < 0.95
    plain = fasttext_alone(lid)
    french_only = [p for p in paragraphs if plain.predict(p)[0] != "en"]
    assert lid.main_share(french_only, language) == 1.0


def test_main_share_cost_is_bounded_on_long_pages(lid):
    """A 100k-character page reads at most max_paragraphs x sample_chars characters."""
    import time

    page = (DATA / "langid" / "bryncoed_francais.txt").read_text(encoding="utf-8").splitlines() * 400
    short = page[: len(page) // 400]
    t = time.process_time()
    for _ in range(20):
        lid.main_share(short, "fr")
    one = time.process_time() - t
    t = time.process_time()
    for _ in range(20):
        lid.main_share(page, "fr")
    assert time.process_time() - t < 10 * one + 0.05  # 400x the text, not 400x the time


def test_router_config_errors_name_the_key():
    from engine.config import ConfigError
    from filters.langid import LanguageIdentifier
    from filters.rules import FilterConfig

    cfg = FilterConfig.load()
    cfg.langid = {**cfg.langid, "router": {k: v for k, v in cfg.langid["router"].items() if k != "min_prob"}}
    with pytest.raises(ConfigError, match="filter.langid.router.min_prob"):
        LanguageIdentifier.from_config(cfg)


def test_pickles_without_its_models(lid):
    """Spark ships the identifier to workers: the loaded models stay behind and reload there."""
    import pickle

    lid.detect("Ovo je rečenica na hrvatskom jeziku o vremenu u Zagrebu, koja je dovoljno duga za fastText.")
    copy = pickle.loads(pickle.dumps(lid))
    assert copy._model is None and copy._lingua == {}
    assert copy.predict("Das ist ein ganz normaler deutscher Satz über das Wetter in Berlin.")[0] == "de"
