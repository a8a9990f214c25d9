"""Breadth of extraction on real pages beyond news articles: listings and multi-post pages keep every post,
FAQ pages every answer, non-Latin pages their text, tables/code/lists stay readable, chrome stays out.
Labels are hand-written (tests/data/extraction/breadth/labels.json, see SOURCE.txt there)."""
import gzip
import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from engine.html import extract
from engine.html.decode import decode_html

DATA = Path(__file__).parent / "data" / "extraction" / "breadth"
LABELS = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(LABELS))
def test_breadth_page_keeps_content_and_drops_chrome(name):
    label = LABELS[name]
    html = gzip.decompress((DATA / f"{name}.html.gz").read_bytes())
    page_text = _norm(LexborHTMLParser(decode_html(html)[0]).root.text(separator=""))
    r = extract(html, label["url"])
    texts = [t for t in r.texts if t]
    body = _norm("\n".join(texts))
    lines = [_norm(line) for t in texts for line in t.split("\n")]
    for s in label["must_keep"] + label["must_not"]:
        assert _norm(s) in page_text, f"label not quoted from the page: {s!r}"
    missing = [s for s in label["must_keep"] if _norm(s) not in body]
    assert not missing, f"{name} ({label['kind']}): main text lost {missing}"
    leaked = [s for s in label["must_not"] if _norm(s) in body]
    assert not leaked, f"{name}: boilerplate extracted {leaked}"
    for group in label.get("must_keep_lines", []):
        assert any(all(_norm(s) in line for s in group) for line in lines), \
            f"{name}: {group} not kept together on one line"


def test_code_keeps_its_line_breaks():
    label = LABELS["code-blog"]
    r = extract(gzip.decompress((DATA / "code-blog.html.gz").read_bytes()), label["url"])
    code = next(t for t in r.texts if t and "setuptools.setup(" in t)
    assert "import setuptools\n" in code and "\n    long_description = fh.read()" in code


def test_shop_page_keeps_product_photo_and_drops_button_images():
    """The product photo beside the spec table is content; the quantity arrows, wishlist/mail buttons, an
    inline badge (legacy align="absmiddle") and the add-to-cart image are shop controls, not pictures."""
    label = LABELS["ja-shop"]
    html = gzip.decompress((DATA / "ja-shop.html.gz").read_bytes())
    r = extract(html, label["url"])
    images = [i for i in r.images if i]
    controls = ["basket_up.gif", "basket_down.gif", "0gae.gif", "wishlist_store.gif", "recomand_mail_button.gif",
                "shoppingcart.gif"]
    assert all(c.encode() in html for c in controls) and b"0010050000052.jpg" in html
    assert images == ["http://www.uraharajuku.st/shopimages/porter/0010050000052.jpg"]
    photo = r.images.index(images[0])
    spec = next(i for i, t in enumerate(r.texts) if t and "商品コード" in t)
    assert photo < spec  # in reading order: photo, spec table, description


# ------------------------------------------------------------------------------------------------ listing mode
_TOPICS = ["Replacing the pressure relief valve on an old boiler", "Which PEX crimp tool do you trust for 3/4 inch",
           "Sump pump keeps cycling after the heavy rain last week", "Venting a tankless heater through a side wall",
           "Best way to find a slow leak under a slab floor", "Galvanized to copper transition without a dielectric",
           "Water hammer only when the washing machine fills", "Sizing an expansion tank for a closed loop system"]


def _board(rows: str) -> str:
    return f"""<html><head><title>Plumbing - Board</title></head><body>
<div id="hd"><a href="/">Home</a> <a href="/forums">Forums</a> <a href="/search">Search</a></div>
<div class="board"><h1>Plumbing</h1><table class="topics"><thead><tr><th>Topic</th><th>Author</th>
<th>Replies</th><th>Last post</th></tr></thead>{rows}</table></div>
<div class="pages"><a href="?p=1">1</a> <a href="?p=2">2</a> <a href="?p=3">3</a> <a href="?p=2">Next</a></div>
<div id="ft"><p>Powered by BoardSoft 2.1. All times are GMT. This page was generated in 0.052 seconds with
12 queries, and the board software is released under the terms of the GPL.</p></div></body></html>"""


def test_listing_of_linked_titles_is_taken_over_a_footer():
    """A forum board's topic table (one title link per row beside author, count and last-post columns) is the
    page's content; scoring alone takes the footer's plain sentences. The title cells are kept, not the
    metadata columns nor the pager."""
    rows = "".join(f'<tbody id="thread_{i}"><tr><th><a href="/t/{i}">{t}</a> <span class="pages"><a href="/t/{i}/2">'
                   f'2</a></span></th><td class="author"><a href="/u/{i}">user{i}</a> <em>2024-03-0{i % 9 + 1}</em>'
                   f'</td><td class="nums">{i * 3} / {i * 40}</td><td><a href="/t/{i}#last">2024-03-1{i % 9}'
                   f' 10:0{i % 9}</a></td></tr></tbody>' for i, t in enumerate(_TOPICS))
    r = extract(_board(rows), "http://example.com/forum-12.html")
    lines = [_norm(t) for x in r.texts if x for t in x.split("\n")]
    assert lines == _TOPICS
    assert not any("Powered by" in x or "user1" in x for x in lines)


@pytest.mark.parametrize("paragraphs, repeats", [(12, 1), (3, 4)])
def test_article_with_a_long_related_list_keeps_the_article_only(paragraphs, repeats):
    """Related links under a real article are a listing by shape (title links with a date beside each), but
    the article wins: the listing never replaces a long body, nor a short one of a few sentences above a list
    that is longer than the story (32 related links under three paragraphs)."""
    story = "".join(f"<p>Paragraph {i} of the story tells how the city council voted on the new water budget, "
                    f"what it costs each household. The vote was close this year.</p>" for i in range(paragraphs))
    related = "".join(f'<li class="item"><a href="/news/{i}">{t}</a> <span>May {i % 28 + 1}, 2024</span></li>'
                      for i, t in enumerate(_TOPICS * repeats))
    html = (f"<html><body><article><h1>Council passes water budget</h1>{story}</article>"
            f'<div class="more"><h3>More from the city desk</h3><ul>{related}</ul></div></body></html>')
    body = _norm("\n".join(t for t in extract(html, "http://example.com/news/budget").texts if t))
    assert body.startswith("Paragraph 0 of the story") and f"Paragraph {paragraphs - 1} of the story" in body
    if paragraphs > 3:  # beside three paragraphs, the sibling step keeps the list below the story (as before)
        assert not any(t in body for t in _TOPICS)


def test_menu_of_long_links_is_not_a_listing():
    """A navigation menu whose entries are long (section names of a government site) has no text beside its
    links: the short body that scoring chose stays the body."""
    menu = "".join(f'<li class="menu-item"><a href="/s/{i}">{t}</a></li>' for i, t in enumerate(_TOPICS))
    html = (f'<html><body><div class="site-nav"><ul class="links">{menu}</ul></div>'
            f"<div class=\"page\"><h1>Opening hours</h1><p>The office is open from nine to five on weekdays, "
            f"and closed on public holidays. Appointments can be booked by phone.</p></div></body></html>")
    body = _norm("\n".join(t for t in extract(html, "http://example.com/hours").texts if t))
    assert "The office is open from nine to five" in body
    assert not any(t in body for t in _TOPICS)
