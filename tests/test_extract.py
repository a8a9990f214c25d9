"""Extraction invariants and robustness on real pages (tests/data/extraction, copies of shared/data)."""
import gzip
import json
import time
from pathlib import Path

import pytest

from engine.html import ExtractConfig, Extracted, ExtractionRejected, extract
from benchmarks.extract import expected_images, html_text, prf, shingle_tp_fp_fn
from engine.html.urls import normalise

DATA = Path(__file__).parent / "data" / "extraction"
FAKEHOST = "http://fakehost/test/page.html"


def fixture_pages() -> list[tuple[str, bytes, str | None]]:
    pages = []
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text())
    for k, v in truth.items():
        pages.append((k, gzip.decompress((DATA / "scrapinghub" / f"{k}.html.gz").read_bytes()), v["url"]))
    for d in sorted([*(DATA / "readability").iterdir(), *(DATA / "readability-images").iterdir()]):
        if d.is_dir():
            pages.append((d.name, gzip.decompress((d / "source.html.gz").read_bytes()), FAKEHOST))
    demo = DATA / "omnicorpus-demo"
    pages.append(("omnicorpus", (demo / "demo_origin_page.html").read_bytes(),
                  (demo / "demo_url.txt").read_text().strip()))
    return pages


PAGES = fixture_pages()


def check_aligned(r: Extracted) -> None:
    assert len(r.texts) == len(r.images) == len(r.alts)
    for t, i, a in zip(r.texts, r.images, r.alts):
        assert (t is None) != (i is None), "each position is a paragraph xor an image"
        if t is not None:
            assert t.strip() and a is None
        else:
            assert i.startswith(("http://", "https://")) and " " not in i


@pytest.mark.parametrize("name,html,url", PAGES, ids=[p[0][:20] for p in PAGES])
def test_alignment_invariants(name, html, url):
    r = extract(html, url)
    check_aligned(r)
    assert any(r.texts), f"{name}: no main text"
    assert r.title
    r2 = extract(html.decode("utf-8", "replace"), url)  # str input behaves like bytes input
    assert [t for t in r2.texts if t] and len(r2.texts) == len(r2.alts)


def test_quality_floor_scrapinghub():
    """Regression guard: token-shingle F1 on copied benchmark pages stays far above a broken extractor."""
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text())
    counts = []
    for k, v in truth.items():
        r = extract(gzip.decompress((DATA / "scrapinghub" / f"{k}.html.gz").read_bytes()), v["url"])
        counts.append(shingle_tp_fp_fn(v["articleBody"], "\n".join(t for t in r.texts if t)))
    assert prf(counts)["f1"] > 0.85


def test_quality_floor_readability_images():
    expected_n = matched = 0
    overlaps = []
    for d in sorted((DATA / "readability").iterdir()):
        if not d.is_dir():
            continue
        expected = (d / "expected.html").read_text()
        r = extract(gzip.decompress((d / "source.html.gz").read_bytes()), FAKEHOST)
        got = [normalise(i) for i in r.images if i]
        want = expected_images(expected)
        expected_n += len(want)
        matched += sum(1 for keys in want if keys & set(got))
        overlaps.append(shingle_tp_fp_fn(html_text(expected), "\n".join(t for t in r.texts if t))[0])
        assert overlaps[-1] > 0.2, d.name
    assert sum(overlaps) / len(overlaps) > 0.6
    assert matched / expected_n > 0.6


def test_omnicorpus_demo_images_and_text():
    """Our extraction of the origin page holds the images and main text OmniCorpus (magic-html) kept."""
    from selectolax.lexbor import LexborHTMLParser
    demo = DATA / "omnicorpus-demo"
    url = (demo / "demo_url.txt").read_text().strip()
    r = extract((demo / "demo_origin_page.html").read_bytes(), url)
    theirs = LexborHTMLParser((demo / "demo_magic-html_extraction.html").read_text())
    their_imgs = {normalise(u) for u in (img.attributes.get("src") for img in theirs.css("img")) if u}
    ours = {normalise(i) for i in r.images if i}
    assert their_imgs and their_imgs <= ours
    tp, fp, fn = shingle_tp_fp_fn(html_text(theirs.html), "\n".join(t for t in r.texts if t))
    assert tp / (tp + fn) > 0.8  # recall of their main text


def test_size_budget_rejects_before_parsing():
    html = "<html><body>" + "<p>x</p>" * (12 * 2**20 // 8) + "</body></html>"
    start = time.monotonic()
    with pytest.raises(ExtractionRejected) as e:
        extract(html)
    assert e.value.reason == "html_too_large"
    assert time.monotonic() - start < 1.0


def test_deep_nesting_is_handled_within_budget():
    html = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "</body></html>"
    start = time.monotonic()
    try:
        r = extract(html, config=ExtractConfig(timeout_s=5.0))
    except ExtractionRejected as e:
        assert e.reason in ("timeout", "parse_error", "too_deep")
    else:
        check_aligned(r)
    assert time.monotonic() - start < 10.0


@pytest.mark.parametrize("html", [
    b"", b"\x00\x01\x02 binary \xff\xfe", "<html><body><p>unclosed <b><i>tags<table><td>cell",
    "<<<>>><p>>>text</p", "<html><body>" + "<span>" * 5000 + "x", "<img src=>" * 100,
])
def test_malformed_html_never_crashes(html):
    try:
        check_aligned(extract(html, "https://ex.com/"))
    except ExtractionRejected as e:
        assert e.reason


def _char_trigrams(text: str):
    from collections import Counter
    import re
    t = re.sub(r"\s+", "", text)
    return Counter(t[i:i + 3] for i in range(len(t) - 2))


@pytest.mark.parametrize("name", ["pixnet", "yahoo-4", "qq"])
def test_non_latin_pages_extract_like_english(name):
    """Chinese / Japanese pages: `\\w+` tokens clump CJK text, so compare character trigrams instead."""
    d = DATA / "readability" / name
    r = extract(gzip.decompress((d / "source.html.gz").read_bytes()), FAKEHOST)
    want = _char_trigrams(html_text((d / "expected.html").read_text()))
    got = _char_trigrams("\n".join(t for t in r.texts if t))
    common = sum((want & got).values())
    assert common / sum(want.values()) > 0.75 and common / sum(got.values()) > 0.75
    assert r.html_lang == json.loads((d / "expected-metadata.json").read_text()).get("lang") or r.html_lang is None


def test_short_cjk_sentence_is_body_text_not_a_stub():
    """Length rules count a Han character like three Latin ones (a Chinese sentence is about a third as many
    characters as its English translation): pixnet's opening sentence, 34 characters with no closing mark, is
    body text as its ~20-word English version would be. The tag list after the story (tag links behind a tag
    icon) stays out: an icon does not make a link list worth keeping."""
    d = DATA / "readability" / "pixnet"
    r = extract(gzip.decompress((d / "source.html.gz").read_bytes()), FAKEHOST)
    lines = [" ".join(line.split()) for t in r.texts if t for line in t.split("\n")]
    assert "一波波接續性低溫寒流報到 已將新竹尖石鄉後山一帶層層山巒披上嫣紅的彩衣" in lines
    assert not any("上宇老觀景台" in line for line in lines)


def test_unpunctuated_dateline_at_the_edge_is_dropped():
    """A one-line paragraph with a clock time or numeric date and no sentence end, above or below the body, is a
    dateline ("Published November 20th, 2019 - 07:50 GMT", "来源：... 时间：2020年06月16日 02:31"), even when
    it is longer than a label; the human-verified body starts after it."""
    key = "dc7ccccc1f34eb2928cb238739aaf18c712d59d8d34b41acfb29178aeba65356"
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text())[key]
    r = extract(gzip.decompress((DATA / "scrapinghub" / f"{key}.html.gz").read_bytes()), truth["url"])
    text = "\n".join(t for t in r.texts if t)
    assert "Published November 20th, 2019" in gzip.decompress(
        (DATA / "scrapinghub" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
    assert "Published November 20th, 2019" not in text and "Published" not in truth["articleBody"]
    assert truth["articleBody"].split("\n")[0] in text


# ------------------------------------------------------------------------- images that are not the story's
def _readability_page(name: str) -> tuple[Extracted, list[set[str]], str]:
    d = DATA / "readability-images" / name
    d = d if d.is_dir() else DATA / "readability" / name
    expected = (d / "expected.html").read_text()
    html = gzip.decompress((d / "source.html.gz").read_bytes())
    return extract(html, FAKEHOST), expected_images(expected), html.decode("utf-8", "replace")


def _imgs_under(html: str, selector: str) -> set[str]:
    """Every URL carried by the <img> elements under `selector` in the source page."""
    from selectolax.lexbor import LexborHTMLParser
    from engine.html.urls import parse_srcset, resolve
    urls = set()
    for img in LexborHTMLParser(html).css(f"{selector} img"):
        for name, value in img.attributes.items():
            if value and (name == "src" or name.startswith("data-")):
                candidates = [u for u, _ in parse_srcset(value)] if "srcset" in name else [value]
                urls.update(normalise(u) for u in (resolve(c, FAKEHOST) for c in candidates) if u)
    return urls


@pytest.mark.parametrize("name,teaser_items", [
    ("citylab-1", "li.c-article-most-popular__item"),  # "most popular" list inside the main column
    ("lifehacker-working", ".referenced-item"),  # "read next" boxes between the paragraphs
])
def test_teaser_images_of_other_stories_are_dropped(name, teaser_items):
    r, want, html = _readability_page(name)
    got = {normalise(i) for i in r.images if i}
    teasers = _imgs_under(html, teaser_items)
    assert teasers, "the fixture has teaser images to drop"
    assert not got & teasers
    assert all(keys & got for keys in want), "every image of the story is kept"


@pytest.mark.parametrize("name,teaser_items", [
    ("citylab-1", "li.c-article-most-popular__item"),
    ("lifehacker-working", ".referenced-item"),
])
def test_teaser_headlines_of_other_stories_are_dropped(name, teaser_items):
    """The teaser items whose pictures go (a run of same-shaped items, each a picture, a link to another story
    and little text) go whole: their headlines and summaries are not this story's text either."""
    from selectolax.lexbor import LexborHTMLParser
    r, _, html = _readability_page(name)
    text = " ".join(" ".join(t.split()) for t in r.texts if t)
    items = [" ".join(n.text().split()) for n in LexborHTMLParser(html).css(teaser_items)]
    headlines = [" ".join(a.text().split()) for n in LexborHTMLParser(html).css(teaser_items)
                 for a in n.css("a[href]") if len(a.text().strip()) >= 20]
    assert items and headlines, "the fixture has teaser items with headlines"
    assert not [h for h in headlines if h in text]
    assert sum(len(t) for t in r.texts if t) > 2000  # the story itself stays


def test_ticker_of_other_stories_does_not_pull_in_the_page():
    """A "breaking news" ticker above the story (a list whose items each open with a headline link to another
    story, then a summary) scores like prose; it must not be taken for a split-off part of the body, which
    would pull the whole column (ticker, polls, ads) into the extraction."""
    key = "5f9c5ed5d64dfe682d9bde13b9b4f032a3ebdbf165c06ec49c0705bcbe106e3b"
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text())[key]
    html = gzip.decompress((DATA / "scrapinghub" / f"{key}.html.gz").read_bytes())
    r = extract(html, truth["url"])
    text = "\n".join(t for t in r.texts if t)
    ticker = "USCIRF expresses concern over NRC"
    assert ticker in html.decode("utf-8", "replace") and ticker not in truth["articleBody"]
    assert ticker not in text
    tp, fp, fn = shingle_tp_fp_fn(truth["articleBody"], text)
    assert tp / (tp + fp) > 0.9 and tp / (tp + fn) > 0.9


def test_bylines_do_not_leave_fragments_behind():
    """Only the last author of "Por Steven Lee Myers, Keith Bradsher y Tariq Panja" is marked as a byline
    ("last-byline"); once marked metadata goes, the short unpunctuated rest of its line ("By", "Por ... y")
    goes with it."""
    r, _, html = _readability_page("nytimes-5")
    assert "last-byline" in html
    lines = [" ".join(line.split()) for t in r.texts if t for line in t.split("\n")]
    leftovers = [ln for ln in lines
                 if ln in ("By", "Por") or (ln.startswith(("By ", "Por ")) and ln.endswith(" y"))]
    assert not leftovers
    assert sum(len(ln) for ln in lines) > 3000  # the listing's teasers stay


def test_listing_page_keeps_its_teasers():
    """A page that is itself a list of stories: the teasers are its content (Readability keeps them)."""
    r, want, _ = _readability_page("nytimes-5")
    got = {normalise(i) for i in r.images if i}
    assert sum(1 for keys in want if keys & got) >= 0.9 * len(want)


@pytest.mark.parametrize("name,phrase", [
    ("yahoo-2", "MOSCOW (AP)"),  # the story opens in a "modal" overlay above a stream of teasers
    ("medicalnewstoday", "Neuroscience tells us"),  # the whole page sits in a div classed "site_header"
])
def test_story_inside_a_chrome_named_wrapper_is_found(name, phrase):
    r, want, _ = _readability_page(name)
    text = "\n".join(t for t in r.texts if t)
    assert phrase in text
    got = {normalise(i) for i in r.images if i}
    assert len(got) == len(want) and all(keys & got for keys in want)


@pytest.mark.parametrize("name", ["telegraph", "gitlab-blog", "yahoo-4", "yahoo-2", "folha"])
def test_no_images_when_the_story_has_none(name):
    """Lead/hero art above the body, a co-branding banner, a teaser stream, a card promoting a photo gallery
    between the paragraphs (picture and caption link to the gallery): none is the story's picture."""
    r, want, html = _readability_page(name)
    assert not want and "<img" in html  # the reference has no image although the page has some
    assert [i for i in r.images if i] == []
    assert sum(len(t) for t in r.texts if t) > 500


def _scrapinghub_page(key: str) -> tuple[Extracted, dict, str]:
    truth = json.loads((DATA / "scrapinghub" / "ground-truth.json").read_text())[key]
    html = gzip.decompress((DATA / "scrapinghub" / f"{key}.html.gz").read_bytes())
    return extract(html, truth["url"]), truth, html.decode("utf-8", "replace")


def test_related_boxes_and_story_links_inside_the_body_are_dropped():
    """Express.co.uk puts, between the paragraphs: a "Related articles" box (class "two-related-articles": the
    word "articles" must not save it), a "SEE MORE: <headline>" line, a "DON'T MISS" label over a paragraph of
    three story headlines, and caption spans (class "newsCaption") under each photo. None is the story's text.
    The photos sit behind a "preloaderbig.gif" placeholder."""
    r, truth, html = _scrapinghub_page("624fcd903d56fc7055fa7097b330629450c095ad6937318deb027be7803bbf35")
    text = "\n".join(t for t in r.texts if t)
    leaks = ["Related articles", "SEE MORE", "DON'T MISS", "China furious at Macron for Hong Kong protest jibe",
             "Protestors send defiant warning to China", "The protests kicked off in June and have strengthened"]
    assert all(s in html and s not in truth["articleBody"] for s in leaks)
    assert [s for s in leaks if s in text] == []
    assert all(p in text for p in truth["articleBody"].split("\n\n"))
    images = [i for i in r.images if i]
    assert len(images) == 5 and not [i for i in images if "preloader" in i]


def test_hover_cards_inside_paragraphs_are_dropped():
    """The Hill hangs a hidden card (picture, three latest headlines, "MORE") on each person's name inside a
    sentence; only the name is the story's."""
    r, truth, html = _scrapinghub_page("6ebac05f637ece8aa57c298a2a5e3a8047f546f855d0f29cc683cea60ce85c85")
    text = "\n".join(t for t in r.texts if t)
    assert "rollover-people-block" in html and "Hillicon Valley" not in truth["articleBody"]
    assert "Hillicon Valley" not in text and "MORE (D-" not in text
    assert "threatened to kill Rep. Ilhan Omar (D-Minn.)" in text
    assert [i for i in r.images if i and "thumb_100" in i] == []
    tp, fp, fn = shingle_tp_fp_fn(truth["articleBody"], text)
    assert tp / (tp + fp) > 0.95 and tp / (tp + fn) > 0.95
