"""The extraction development set (tests/data/extract_dev) and what it checks: thread pages keep every post and
no user panel, data tables stay, and the per-document confidence (`extraction_agreement`) behaves.

Expected texts are hand-written (SOURCE.txt there): real pages labelled by choosing, from the page's own text,
the lines a reader calls its content; written pages modelled on common forum/Q&A/portal markup, their content
written by hand apart from their chrome. Only the `dev` split is asserted here; the `held` split is measured by
`make bench-extract` and never tuned on.
"""
import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from benchmarks.metrics import CJK_TOKEN, prf, shingle_tp_fp_fn
from engine.html import ExtractConfig, Extracted, extract
from engine.html.agreement import agreement, tokens, with_second_opinion
from engine.html.decode import decode_html

DEV = Path(__file__).parent / "data" / "extract_dev"
ROWS = list(csv.DictReader((DEV / "kinds.tsv").open(encoding="utf-8"), delimiter="\t"))
BY_NAME = {r["name"]: r for r in ROWS}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _html(name: str) -> bytes:
    return gzip.decompress((DEV / f"{name}.html.gz").read_bytes())


def _text(name: str) -> str:
    r = extract(_html(name), BY_NAME[name]["url"])
    return "\n".join(t for t in r.texts if t)


def test_set_is_complete_split_by_kind_and_small():
    assert len(ROWS) >= 25 and {r["split"] for r in ROWS} == {"dev", "held"}
    kinds = Counter(r["kind"] for r in ROWS)
    held = Counter(r["kind"] for r in ROWS if r["split"] == "held")
    # every kind with two pages or more keeps some back, and the thread kinds are in both parts
    assert all(held[k] >= 1 for k, n in kinds.items() if n >= 2)
    assert {"forum", "qa", "article_cjk"} <= {r["kind"] for r in ROWS if r["split"] == "dev"}
    size = 0
    for r in ROWS:
        for suffix in (".html.gz", ".expected.txt"):
            size += (DEV / f"{r['name']}{suffix}").stat().st_size
    assert size < 3_000_000


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_expected_text_is_quoted_from_the_page(name):
    """Every expected line is text of the page itself (labels are selections, not paraphrases)."""
    tree = LexborHTMLParser(decode_html(_html(name))[0])
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    page = _norm(tree.root.text(separator=" "))
    page_squeezed = page.replace(" ", "")
    lines = [ln for ln in (DEV / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert lines
    for line in lines:
        # table rows are written "cell | cell"; cells and words may sit in separate elements on the page
        for cell in line.removeprefix("- ").split(" | "):  # list items are written "- item" like weft's
            assert _norm(cell).replace(" ", "") in page_squeezed, f"{name}: not on the page: {cell!r}"


# ---------------------------------------------------------------------------------------------------- threads
THREADS = [r["name"] for r in ROWS if r["kind"] in ("forum", "qa") and r["split"] == "dev"]


@pytest.mark.parametrize("name", THREADS)
def test_thread_keeps_every_post(name):
    """Every post (each expected paragraph of a thread page is one post's text) is extracted: the opening post,
    short replies and nested replies alike."""
    body = _norm(_text(name))
    expected = [ln for ln in (DEV / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    kept = [ln for ln in expected if _norm(ln) in body]
    # Q&A comments under the question and answers are a second kind of post inside the posts, not yet taken
    floor = 0.6 if BY_NAME[name]["kind"] == "qa" else 0.9
    assert len(kept) >= floor * len(expected), f"{name}: lost {[p for p in expected if p not in kept]}"


def test_forum_posts_come_without_user_panels_or_buttons():
    """phpBB layout: the post bodies replace the page frame; profile panels, signatures, buttons, the
    'who is online' box and the jump list are not posts."""
    body = _text("forum_phpbb")
    for chrome in ("Joined:", "Posts:", "Who is online", "Return to", "Post Reply", "Ride more, worry less"):
        assert chrome not in body
    assert "Same here, worked for me too." in body  # the shortest reply, last on the page


def test_nested_replies_and_the_submission_are_kept_in_page_order():
    """reddit layout: the submission is laid out apart from the comment tree (and its class names mark the
    comments 'unlikely' content); nested replies sit inside their parents."""
    body = _text("forum_reddit_old")
    order = ["always spread flat in the oven", "Sounds like under-shaping", "This. Also try a 30 minute rest",
             "Thanks, will try 70 this weekend", "Cold retard overnight"]
    positions = [body.find(s) for s in order]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    assert "A community for bakers" not in body  # the sidebar's own text block is not a post


def test_cards_of_one_kind_are_all_kept():
    """A page of same-kind cards (research areas): scoring picks one card, the run brings the others."""
    body = _text("kyleclo_research")
    for title_text in ("co-leading the data effort for OLMo", "developer of SciBERT",
                       "key limitations in today", "Semantic Reader project"):
        assert title_text in body


def test_articles_split_in_repeated_containers_keep_their_frame():
    """Repeated containers that are one story (paragraph wrappers) are not a thread: the lead above them and
    what stands between them stay."""
    body = _text("ja_news_split")
    assert "政府は１５日" in body and "同省は今月中に" in body


def test_data_table_with_linked_cells_is_kept():
    """A download table (size | linked file name | description) has more link text than prose but is the
    page's data, not a link list."""
    body = _text("webgraph")
    assert "cc-main-2023-24-sep-nov-feb-host-vertices.paths.gz" in body
    assert any("5.6 GiB" in line and "graph in BVGraph format" in line for line in body.splitlines())


def test_dev_split_scores_over_trafilatura_level_floor():
    """Regression floor on the dev split as a whole (token F1 with per-character CJK tokens)."""
    counts = [shingle_tp_fp_fn((DEV / f"{r['name']}.expected.txt").read_text(encoding="utf-8"), _text(r["name"]),
                               CJK_TOKEN) for r in ROWS if r["split"] == "dev"]
    assert prf(counts)["f1"] >= 0.9


# ------------------------------------------------------------------------------------------------- confidence
def test_agreement_is_a_dice_overlap_of_tokens():
    a, b = Counter(tokens("the cat sat on the mat")), Counter(tokens("The cat sat."))
    assert agreement(a, a) == 1.0 and agreement(a, Counter()) == 0.0 and agreement(Counter(), Counter()) is None
    assert agreement(a, b) == pytest.approx(2 * 3 / (6 + 3))
    assert tokens("地铁十四号线 opens") == ["地", "铁", "十", "四", "号", "线", "opens"]  # Han: one token a character


@pytest.mark.parametrize("name", ["mastodon", "zh_news_portal", "forum_discuz_zh"])
def test_every_extraction_carries_its_agreement(name):
    r = extract(_html(name), BY_NAME[name]["url"])
    assert r.agreement is not None and 0.0 <= r.agreement <= 1.0 and not r.unioned


def test_second_opinion_takes_text_that_cannot_be_encoded():
    r = extract("\ud800 <html><body><article><p>A lone surrogate before a sentence of the story.</p></article>"
                "</body></html>", "http://example.org/")
    assert r.agreement is not None and "sentence of the story" in r.texts[0]


def test_agreement_is_low_where_extraction_went_wrong():
    """A page cut to one stray paragraph agrees less with the second opinion than the page's real extraction."""
    html = _html("mastodon")
    good = extract(html, BY_NAME["mastodon"]["url"])
    cut = Extracted()
    cut.add_text("Maria Antoniak Contact Resources Code Blog CV Publications")
    cut = with_second_opinion(cut, decode_html(html)[0], ExtractConfig(union_below=0.0))
    assert good.agreement > 0.8 and cut.agreement < 0.2


def test_union_fallback_adds_missing_paragraphs_in_place():
    """Below the threshold, the second opinion's prose paragraphs that weft lacks are added, after the weft
    paragraph they follow on the page; weft's own paragraphs and images stay where they were."""
    paras = ["The first paragraph explains what the bridge vote was about, in plain words.",
             "The second paragraph quotes the council member who voted against the plan today.",
             "The third paragraph says when construction starts and how long it will take."]
    html = ("<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article><footer>(c) 2024</footer></body></html>")
    out = Extracted()
    out.add_text(paras[0])
    out.add_image("http://example.org/a.jpg", None)
    out.add_text(paras[2])
    out = with_second_opinion(out, html, ExtractConfig(union_below=0.99))
    assert out.unioned
    assert out.texts == [paras[0], None, paras[1], paras[2]] or out.texts == [paras[0], paras[1], None, paras[2]]
    assert out.images.count("http://example.org/a.jpg") == 1
    assert len(out.texts) == len(out.images) == len(out.alts)
