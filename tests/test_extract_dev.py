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
from engine.html.agreement import agreement, prose_share, tokens, with_second_opinion
from engine.html.decode import decode_html
from engine.html.threads import find_thread, post_bodies, spared

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
    floor = 0.9
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


def test_comment_lists_inside_posts_are_found_without_their_authors():
    """Stack Exchange layout: the comments under the question and under each answer are a list of small
    siblings inside the post; each comment's own text block is taken, in page order, not its author or date.
    Found on the page as served, before the first pass removes blocks named "comment" (`spared` keeps them)."""
    tree = LexborHTMLParser(decode_html(_html("qa_stackexchange"))[0])
    body = tree.body
    thread = find_thread(body)
    opening, posts, comments = post_bodies(thread, body)
    texts = [_norm(c.text()) for c in comments]
    assert texts == ["Do you want to sort in place or get a new list?", "A new list is fine, thanks.",
                     'operator.itemgetter("age") is a bit faster than the lambda for large lists.',
                     "Good point, edited to mention it.", "This saved me, my data had gaps."]
    assert len(opening) == 1 and len(posts) == 3
    kept = spared(body)
    assert all(c.mem_id in kept for c in comments) and all(p.mem_id not in kept for p in posts)


def _notes_page(notes_class: str) -> str:
    def note(text, who, when):
        return (f'<li class="{notes_class}"><span class="{notes_class}-text">{text}</span> '
                f'<a class="author" href="/u/{who}">{who}</a> <span class="when">{when}</span></li>')
    posts = [("My sourdough starter smells like nail polish remover after two weeks. Is it dead, or is this a "
              "normal phase that passes with more frequent feedings?",
              [note("How often are you feeding it right now?", "kim", "Mar 2"),
               note("Twice a day, with equal weights of flour and water.", "op_baker",
                   "Mar 2")]),
             ("That smell is acetone from a hungry starter, not a dead one. Feed it more often, or use a bigger "
              "ratio of fresh flour, and it will settle within a few days.",
              [note("This fixed mine in three days, thanks!", "lee", "Mar 3")]),
             ("Also keep it somewhere a little warmer. A cold kitchen slows the yeast down more than the "
              "bacteria, so the balance shifts toward sour and solvent smells.", [])]
    items = "".join(f'<div class="entry"><div class="who"><a href="/u/{i}">user{i}</a> 3 hours ago</div>'
                    f'<div class="msg"><p>{text}</p></div>'
                    + (f'<ul class="{notes_class}s">{"".join(notes)}</ul>' if notes else "") + "</div>"
                    for i, (text, notes) in enumerate(posts))
    return ('<html><body><div id="nav"><a href="/">Home</a> <a href="/q">Questions</a> '
            '<a href="/t">Tags</a></div>'
            f'<div id="main"><div class="topic">{items}</div></div><div id="footer">(c) 2024 Bakers</div>'
            '</body></html>')


@pytest.mark.parametrize("notes_class", [
    "note",
    "comment",  # named like the comment blocks dom.py's first pass removes: threads.spared keeps them
])
def test_thread_takes_the_comments_under_each_post(notes_class):
    """Comments under posts, however they are named, come with the posts in page order, without the
    commenter's name or the date."""
    r = extract(_notes_page(notes_class), "http://example.org/t/1")
    body = _norm("\n".join(t for t in r.texts if t))
    order = ["nail polish remover", "How often are you feeding it", "Twice a day", "That smell is acetone",
             "This fixed mine in three days", "A cold kitchen slows the yeast"]
    positions = [body.find(s) for s in order]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), (positions, body)
    for chrome in ("kim", "op_baker", "Mar 2", "user1", "Home", "(c) 2024"):
        assert chrome not in body


def test_comments_below_an_article_are_not_its_text():
    """A project page with 68 reader comments under it (a real 2008 page): the comments are a thread beside a
    long article, not posts of it."""
    body = _text("ejohn_events")
    assert "This library consists of two functions" in body and "very short and simple" in body
    assert "You need to reset the `obj` variable" not in body and "Mark Wubben" not in body


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


def _dev_f1(kinds: tuple[str, ...] | None = None) -> float:
    rows = [r for r in ROWS if r["split"] == "dev" and (kinds is None or r["kind"] in kinds)]
    counts = [shingle_tp_fp_fn((DEV / f"{r['name']}.expected.txt").read_text(encoding="utf-8"), _text(r["name"]),
                               CJK_TOKEN) for r in rows]
    return prf(counts)["f1"]


def test_dev_split_scores_over_trafilatura_level_floor():
    """Regression floor on the dev split as a whole (token F1 with per-character CJK tokens; trafilatura scores
    0.76 there). The real listing pages (a shop grid, a forum board of linked topic titles) are not yet extracted
    well and keep the whole under 0.9; the article and thread kinds are held higher."""
    assert _dev_f1() >= 0.85
    assert _dev_f1(("article", "article_cjk", "forum", "docs")) >= 0.95


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


def test_confidence_is_low_where_extraction_went_wrong():
    """The confidence falls where the text was cut (a stray menu line instead of the post) and where chrome was
    kept (the same post with the site's menu, byline and tag lines around it), against the real extraction."""
    html = _html("mastodon")
    page = decode_html(html)[0]
    good = extract(html, BY_NAME["mastodon"]["url"])
    cut = Extracted()
    cut.add_text("Maria Antoniak Contact Resources Code Blog CV Publications")
    cut = with_second_opinion(cut, page, ExtractConfig(union_below=0.0))
    chrome = Extracted()
    for line in ["Maria Antoniak", "Contact", "Resources", "Code", "Blog", "CV", "Publications", "July 4, 2023"]:
        chrome.add_text(line)
    for t in good.texts:
        if t:
            chrome.add_text(t)
    for line in ["Tags", "mastodon", "social media", "Share", "Twitter", "Facebook", "Email", "Previous post",
                 "Next post", "Subscribe"]:
        chrome.add_text(line)
    chrome = with_second_opinion(chrome, page, ExtractConfig(union_below=0.0))
    assert good.agreement > 0.6 and cut.agreement < 0.1
    assert chrome.agreement < good.agreement - 0.1


def test_prose_share_counts_lines_with_a_sentence_mark():
    texts = ["A sentence. And another one.", "Home\nAbout\nBlog", "地铁十四号线今天开通。"]
    assert prose_share(texts) == 2 / 5
    assert prose_share([]) == 0.0


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


def test_spec_sheet_in_the_layout_row_above_the_description_is_kept():
    """miele_vacuum: a layout table puts the spec sheet (label/value rows) in the row above the description's row,
    so it is no sibling of the chosen body; dom._spec_above finds it through the ancestors."""
    body = _norm(_text("miele_vacuum"))
    for line in ("Floor Types:", "All Carpets & Bare Floors", "Filtration:", "Super Air Clean",
                 "7-year suction motor"):
        assert _norm(line) in body, line
    assert _norm("The STB 205-3 Turbobrush is ideal for cut pile") in body


def test_board_index_takes_the_topic_titles_not_the_footer():
    """A Discuz board index (real 2008 page): the topic table (a title link per row beside author, counts and
    last-post columns) is the content; scoring alone took the 'Powered by' footer line."""
    body = _norm(_text("shejis_bbs_zh"))
    expected = (DEV / "shejis_bbs_zh.expected.txt").read_text(encoding="utf-8").split("\n")
    assert len(expected) >= 20 and all(_norm(line) in body for line in expected)
    assert "Powered by Discuz" not in body and "lmwong" not in body and "2008-5-9" not in body


def test_product_grid_keeps_each_cards_repeated_fields():
    """A shop grid (real page): every card's truncated title, price and stock line, the repeated "In stock"
    included (a listing's rows repeat their short fields; an article's repeated lines are dropped)."""
    lines = _text("books_toscrape").split("\n")
    assert lines.count("In stock") == 20 and "Olio" in lines and "£23.88" in lines
    assert lines[0] == "A Light in the ..." and not any("Add to basket" in line for line in lines)


def test_product_grid_keeps_each_cards_picture_before_its_title():
    """The cards are the content: each cover stays, in document order, just before its card's title (the teaser
    pruning that drops other stories' cards beside an article must not apply to a listing's own rows)."""
    r = extract(_html("books_toscrape"), BY_NAME["books_toscrape"]["url"])
    items = [("img", im) if im else ("text", t) for t, im in zip(r.texts, r.images)]
    covers = [i for i, (kind, _) in enumerate(items) if kind == "img"]
    assert len(covers) == 20 and len({items[i][1] for i in covers}) == 20
    # a card: cover, title, price, stock line
    assert covers == list(range(0, 80, 4)) and all(items[i + 1][0] == "text" and items[i + 3] == ("text", "In stock")
                                                   for i in covers)
    assert items[1] == ("text", "A Light in the ...")
