"""Image URL choice and resolution: <base>, relative paths, srcset, lazy-load attributes, <picture>."""
from engine.html import extract
from engine.html.urls import best_srcset, choose_img_src, links_to_story, page_base, resolve


def test_relative_and_base_resolution():
    assert resolve("img/a.png", "https://ex.com/dir/page.html") == "https://ex.com/dir/img/a.png"
    assert resolve("/a.png", "https://ex.com/dir/page.html") == "https://ex.com/a.png"
    assert resolve("//cdn.ex.com/a.png", "https://ex.com/") == "https://cdn.ex.com/a.png"
    assert resolve("a.png#frag", "https://ex.com/") == "https://ex.com/a.png"
    base = page_base("https://ex.com/dir/page.html", "../static/")
    assert resolve("a.png", base) == "https://ex.com/static/a.png"
    assert page_base("https://ex.com/p", None) == "https://ex.com/p"
    for bad in ("data:image/gif;base64,R0lGOD", "javascript:void(0)", "", None):
        assert resolve(bad, "https://ex.com/") is None
    assert resolve("a.png", None) is None  # relative with nothing to resolve against


def test_srcset_best_candidate():
    assert best_srcset("a.jpg 320w, b.jpg 1024w, c.jpg 640w") == "b.jpg"
    assert best_srcset("a.jpg 1x, b.jpg 2x") == "b.jpg"
    assert best_srcset("https://x/y.jpg?w=1,2 480w, https://x/z.jpg 960w") == "https://x/z.jpg"
    assert best_srcset("") is None


def test_lazy_attributes_beat_placeholders():
    gif = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    for attr in ("data-src", "data-lazy-src", "data-original"):
        assert choose_img_src({"src": gif, attr: "/real.jpg"}) == "/real.jpg"
    assert choose_img_src({"src": "/img/blank.gif", "data-src": "/real.jpg"}) == "/real.jpg"
    assert choose_img_src({"data-srcset": "s.jpg 100w, l.jpg 900w"}) == "l.jpg"
    assert choose_img_src({"src": "/shown.jpg", "data-src": "/other.jpg"}) == "/shown.jpg"
    assert choose_img_src({}, [{"srcset": "p1.webp 400w, p2.webp 800w"}]) == "p2.webp"
    assert choose_img_src({"src": gif}) is None
    # loading spinners parked in src while a script swaps the real picture in
    for spinner in ("/img/page/preloaderbig.gif", "/designimages/nbc-ajax-loader.gif", "/loader.svg"):
        assert choose_img_src({"src": spinner, "data-src": "/real.jpg"}) == "/real.jpg"
    assert choose_img_src({"src": "/photos/uploader-portrait.jpg"}) == "/photos/uploader-portrait.jpg"


def _page(body: str, head: str = "") -> str:
    filler = " ".join(["This is a long paragraph of real article text that should be kept."] * 8)
    return (f"<html><head><title>T</title>{head}</head><body><article><h1>Title</h1><p>{filler}</p>{body}"
            f"<p>{filler}</p></article></body></html>")


def test_extract_resolves_images_in_page():
    html = _page('<figure><img src="pics/one.jpg" alt="first"></figure>'
                 '<p>Some more article text, long enough to count as a paragraph of content here.</p>'
                 '<picture><source srcset="two-400.webp 400w, two-800.webp 800w"><img src="two.jpg"></picture>'
                 '<p>Yet another article paragraph with enough words to be treated as body text.</p>'
                 '<img data-src="three.jpg" src="data:image/gif;base64,AAAA" alt="third">',
                 head='<base href="https://cdn.example.org/a/">')
    r = extract(html, "https://www.example.org/story/1.html")
    images = [i for i in r.images if i]
    assert images[0] == "https://cdn.example.org/a/pics/one.jpg"
    assert "https://cdn.example.org/a/two.jpg" in images
    assert images[-1] == "https://cdn.example.org/a/three.jpg"
    assert r.alts[r.images.index(images[0])] == "first"


def test_non_content_images_are_dropped():
    html = _page('<img src="/px.gif" width="1" height="1">'
                 '<img src="data:image/png;base64,iVBORw0KGgo=">'
                 '<img src="/static/icons/share.svg">'
                 '<img src="/photos/real.jpg" width="640" alt="real">')
    r = extract(html, "https://ex.com/a/b.html")
    assert [i for i in r.images if i] == ["https://ex.com/photos/real.jpg"]


def test_button_and_inline_images_are_dropped():
    """Shop and form controls (cart, basket, "btn"/"button" file names) and images set on a line of text with a
    legacy inline align (bullets, badges, dividers) are furniture; a photo whose name only contains such a word
    inside another word (a cartoon, a basketball game) stays."""
    html = _page('<img src="/img/shoppingcart.gif" width="120" height="40">'
                 '<img src="/img/basket_up.gif"><img src="/img/btn_order.png"><img src="/img/send-button.jpg">'
                 '<img src="/img/0gae.gif" align="absmiddle"><img src="/img/dot.gif" align=middle>'
                 '<img src="/photos/cartoon-strip.jpg" alt="a"><img src="/photos/basketball-final.jpg" alt="b">')
    r = extract(html, "https://ex.com/a/b.html")
    assert [i for i in r.images if i] == ["https://ex.com/photos/cartoon-strip.jpg",
                                         "https://ex.com/photos/basketball-final.jpg"]


def test_caption_beside_a_picture_becomes_its_alt():
    """A caption element (any class naming a caption) is not body text; where its picture has no alt, it
    becomes the alt, as a <figcaption> does."""
    html = _page('<div class="photo"><p><img src="/photos/harbour.jpg"></p>'
                 '<span class="imageCaption">Boats in the harbour at dawn</span></div>')
    r = extract(html, "https://ex.com/a/b.html")
    assert r.alts[r.images.index("https://ex.com/photos/harbour.jpg")] == "Boats in the harbour at dawn"
    assert not [t for t in r.texts if t and "Boats in the harbour" in t]


def test_links_to_story_tells_teasers_from_picture_links():
    page = "https://news.ex.com/2024/05/01/this-story.html"
    img = "https://cdn.ex.com/photos/harbour-at-dawn_640.jpg"
    # another article: a dated path or a headline slug
    assert links_to_story("/2024/04/30/other-story.html", img, page)
    assert links_to_story("https://news.ex.com/how-stores-manipulate-your-senses-1234", img, page)
    # the picture itself, a larger version, its File:/attachment page, the page itself: not teasers
    assert not links_to_story("https://cdn.ex.com/photos/harbour-at-dawn_1600.jpg", img, page)
    assert not links_to_story("/gallery/harbour-at-dawn_640/large-view-of-it", img, page)
    assert not links_to_story("https://en.wikipedia.org/wiki/File:Harbour_at_dawn.jpg", img, page)
    assert not links_to_story("/?attachment_id=12", img, page)
    assert not links_to_story(page, img, page)
    # links that do not look like a story URL (a person's wiki page, a section) are left alone
    assert not links_to_story("/wiki/Jacinda_Ardern", img, page)
    assert not links_to_story("/sports/", img, page)
    assert not links_to_story("#comments", img, page)
