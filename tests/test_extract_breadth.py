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
