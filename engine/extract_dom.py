"""Own main-body extractor: one lexbor (selectolax) parse, boilerplate pruning, Readability-style scoring to pick
the main container, then an in-order walk that keeps text blocks and images where they stand.

Why not trafilatura: it drops or loses many in-body images (no <picture>, few lazy-load attributes) and costs
~25 ms a page; lexbor parses in ~2 ms. The scoring follows the published Readability idea (paragraph scores
flow to ancestors, discounted by link density and class/id hints) with no per-site rules.
"""
from __future__ import annotations

import re

from engine.extract import Budget, ExtractConfig, Extracted
from engine.extract_blocks import BlockWriter
from engine.extract_meta import page_metadata
from engine.extract_urls import choose_img_src, links_to_story, resolve

# never content: removed before anything else
_DROP = ("script, style, noscript, template, svg, canvas, iframe, object, embed, button, input, select, "
         "textarea, nav, link, meta, dialog, [hidden], [role=navigation], [role=banner], "
         "[role=contentinfo], [role=complementary], [role=dialog], [role=alert], "
         "[style*='display:none'], [style*='display: none'], [style*='visibility:hidden'], "
         "[style*='visibility: hidden']")
# class/id hints (Readability's published lists, trimmed). UNLIKELY nodes are removed on the first pass;
# a second pass keeps them (e.g. a forum thread whose posts are all "comment"s).
_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|"
    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|"
    r"pagination|pager|popup|yom-remote|cookie|newsletter|subscribe|share|sharing|outbrain|taboola|promo|"
    r"recommend|signup|paywall|modal|toolbar|byline-social", re.I)
_MAYBE = re.compile(r"and|article|body|column|content|main|shadow|post|entry|story|text", re.I)
_POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose", re.I)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|"
    r"media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|"
    r"widget|caption-credit|author-info|newsletter", re.I)

# small inline metadata inside the article column: bylines, dates, share bars, tag lists, photo credits
_META = re.compile(r"(?:^|[\s_-])(?:byline|author|authors|dateline|timestamp|date|time|published|updated|credit|"
                   r"credits|meta|tags|tag-list|share|sharing|social|print|related|read-more|readmore|"
                   r"newsletter|promo|ad|ads|advert|advertisement|sponsored|caption)(?:$|[\s_-])", re.I)

_PARAGRAPHS = "p, pre, td, blockquote, li, dd, h2, h3, h4, div, section, article, main, font, span"
_BLOCK = frozenset("p div section article main header footer aside h1 h2 h3 h4 h5 h6 ul ol dl table blockquote "
                   "figure figcaption pre form fieldset address details summary center hr body".split())
_LINE = frozenset("li tr dt dd br".split())
_SKIP = frozenset("figcaption -comment script style noscript template svg head title iframe button select "
                  "textarea".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# folders that hold site furniture, whatever the file type
_FURNITURE_URL = re.compile(r"/(?:icons?|logos?|sprites?|avatars?|emoji|emoticons?|smilies|badges?|achievements?)/",
                            re.I)
# class/id of an image or its close ancestors that mark it as page furniture, never content
_NOT_PICTURE = re.compile(r"author|avatar|byline|profile|gravatar|headshot|bio(?:graphy)?(?:$|[\s_-])|"
                          r"user-?(?:info|pic|photo)|achievement|badge|logo|icon|emoji|smiley|share|social|"
                          r"sponsor|advert|banner", re.I)
# file names of shop and form controls (add-to-cart and basket buttons, "btn_" images), whatever the folder
_CONTROL_FILE = re.compile(r"(?:^|[^a-z])(?:btns?|buttons?)(?:[^a-z]|$)|(?:cart|basket|wishlist)(?:[^a-z]|$)", re.I)
# legacy align values that sit an image on a line of text: bullets, dividers, badges, buttons beside a label
_INLINE_ALIGN = frozenset("absmiddle middle texttop absbottom baseline".split())
_ICON = re.compile(r"\.svg(?:$|\?)|/(?:icons?|logos?|sprites?|avatars?|emoji|emoticons?|smilies)/|"
                   r"(?:^|[/_-])(?:icon|logo|sprite|spacer|pixel|avatar)s?[._-]", re.I)


# Sentence punctuation of every script, so scoring and the stub rules do not favour Latin text. Commas: Latin,
# fullwidth and ideographic (CJK), Arabic (also Persian/Urdu). Sentence ends: Latin . ? ! before a space (or the
# end), and the marks that need no space: CJK (。！？), Arabic question mark, Urdu full stop, Devanagari danda,
# Burmese, Ethiopic.
_COMMAS = (",", "\uff0c", "\u3001", "\u060c")
_STOP = re.compile(r"[.?!](?: |$)|[\u3002\uff01\uff1f\u061f\u06d4\u0964\u0965\u104b\u1362]")


# Han and kana text puts no spaces between words, and one character there carries about what three (Han) or two
# (kana) Latin characters do: in translated text a page of English is ~3x as many characters as its Chinese and
# ~2x its Japanese. Every length threshold below counts text in this Latin-equivalent length, so a Chinese
# sentence of 30 characters is a sentence, not a stub (Hangul is written with spaces and counts as it stands).
_WIDE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # kana, then Han


def _weighted_len(text: str) -> int:
    """Length of `text` in Latin-equivalent characters."""
    if text.isascii():
        return len(text)
    wide = _WIDE.findall(text)
    return len(text) + 2 * len(wide) - sum(1 for c in wide if c <= "\u30ff")


def _commas(text: str) -> int:
    return sum(text.count(c) for c in _COMMAS)


def _weight(node) -> int:
    attrs = node.attributes
    w = 0
    for value in (attrs.get("class"), attrs.get("id")):
        if value:
            if _NEGATIVE.search(value):
                w -= 25
            if _POSITIVE.search(value):
                w += 25
    return w


def _text_len(node) -> int:
    return _weighted_len(" ".join(node.text(deep=True).split()))


def _link_density(node, text_len: int | None = None) -> float:
    total = _text_len(node) if text_len is None else text_len
    if not total:
        return 0.0
    links = sum(_text_len(a) for a in node.css("a"))
    return min(links / total, 1.0)


def _remove_unlikely(root) -> None:
    for node in root.css("[class], [id]"):
        # layout tables carry ids like "makebanner" around the whole page: they and their cells are never
        # judged by name (as in Readability)
        if node.tag in ("body", "html", "a", "article", "main", "table", "tbody", "tr", "td", "th"):
            continue
        attrs = node.attributes
        hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if _UNLIKELY.search(hint) and not _MAYBE.search(hint) and not _frames_article(node, hint):
            node.decompose()


_DISCUSSION = re.compile(r"comment|repl|remark|disqus|discussion", re.I)


def _frames_article(node, hint: str) -> bool:
    """A header, menu or modal wrapper that holds an <article> is the story's frame (a story opened in an
    overlay, a page-wide "site_header" div), not chrome; comment threads mark each comment as an <article>."""
    return not _DISCUSSION.search(hint) and node.css_first("article") is not None


def _score_candidates(root) -> dict[int, list]:
    """Readability scoring: each paragraph-like node with >= 25 chars of own text gives 1 + commas + length
    points to its parent (full), grandparent (1/2) and great-grandparent (1/3)."""
    scores: dict[int, list] = {}  # mem_id -> [score, node]
    for node in root.css(_PARAGRAPHS):
        tag = node.tag
        if tag in ("div", "section", "article", "main", "font", "span") or (
                tag == "td" and node.css_first("p, div, table") is not None):
            # only its own text: a div used as a paragraph, a layout cell around the real paragraphs
            text = node.text(deep=False)
        else:
            text = node.text(deep=True)
        text = " ".join(text.split())
        length = _weighted_len(text)
        if length < 25:
            continue
        points = 1 + _commas(text) + min(length // 100, 3)
        ancestor, level = node.parent, 0
        while ancestor is not None and level < 3 and ancestor.tag not in ("html", "-document"):
            key = ancestor.mem_id
            if key not in scores:
                base = {"div": 5, "article": 5, "main": 5, "pre": 3, "td": 3, "blockquote": 3, "form": -3,
                        "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "address": -3,
                        "th": -5}.get(ancestor.tag, 0)
                scores[key] = [base + _weight(ancestor), ancestor]
            scores[key][0] += points / (1, 2, 3)[level]
            ancestor, level = ancestor.parent, level + 1
    return scores


def _top_candidate(root, base: str | None):
    scores = _score_candidates(root)
    if not scores:
        return None, 0.0
    ranked = sorted(scores.values(), key=lambda s: -s[0])[:5]
    adjusted = [(score * (1 - _link_density(node)), node) for score, node in ranked]
    best_score, best = max(adjusted, key=lambda t: t[0])
    # the body split into several containers (chunks between ads, sections): strong candidates that are
    # not nested in the best one pull it up to their common ancestor, if that stays close and prose-like
    others = [n for sc, n in adjusted if sc >= 0.5 * best_score and n.mem_id != best.mem_id
              and not _inside(n, best) and not _inside(best, n) and not _mostly_teasers(n, base)]
    if others:
        node, level = best.parent, 0
        while node is not None and level < 4 and node.tag not in ("body", "html"):
            if all(_inside(o, node) for o in others):
                if _link_density(node) < 0.35:
                    best = node
                break
            node, level = node.parent, level + 1
    return _whole_body(best), best_score


def _teaser_lists(node, base: str | None) -> list:
    """The lists in `node` (itself included) that list other stories: a news ticker, a "most read" box that no
    class names. Each has at least three items and most items open with a headline link to another story
    (after at most a short kicker) and hold little else: a summary line, a byline."""
    found = []
    for lst in node.css("ul, ol"):
        items = [c for c in lst.iter(include_text=False) if c.tag == "li"]
        if len(items) < 3:
            continue
        led = sum(1 for item in items if _is_teaser_item(item, base))
        if led >= 3 and led >= 0.8 * len(items):
            found.append(lst)
    return found


def _is_teaser_item(item, base: str | None) -> bool:
    """Under 600 chars, led by its first non-empty link: a headline (20+ chars) to another story, with at most
    a short kicker ("Opinion", "On Tech") before it."""
    text = " ".join(item.text().split())
    if _weighted_len(text) >= 600:
        return False
    for link in item.css("a[href]"):
        title = " ".join(link.text().split())
        if not title:
            continue  # the picture link in front of the headline
        start = text.find(title)
        return (_weighted_len(title) >= 20 and 0 <= start and _weighted_len(text[:start]) < 40
                and links_to_story(link.attributes.get("href"), None, base))
    return False


def _mostly_teasers(node, base: str | None) -> bool:
    """Most of `node`'s text sits in lists of other stories: it is not a part of the body that was split off."""
    lists = _teaser_lists(node, base)
    if not lists:
        return False
    ids = {n.mem_id for n in lists}
    outer = [n for n in lists if not _has_ancestor_in(n, ids, node)]
    return sum(_text_len(n) for n in outer) >= 0.5 * _text_len(node)


def _whole_body(best):
    """The body split into chunks of one kind (same tag and class: story-body sections between ads or
    'continue reading' breaks): the element holding all the chunks. Judged on the best block and its parent;
    a chunk is a prose block of at least a tenth of the best block's text with few links (a same-class
    wrapper around an author box is no chunk). Other containers around the best block hold its headline,
    byline and teasers: the sibling step picks what belongs to the body from them."""
    min_chars = max(200, _text_len(best) // 10)
    node = best
    for _ in range(2):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html"):
            break
        cls = node.attributes.get("class")
        if cls:
            for sibling in parent.iter(include_text=False):
                if (sibling.mem_id != node.mem_id and sibling.tag == node.tag
                        and sibling.attributes.get("class") == cls and _is_prose_block(sibling, min_chars)):
                    return parent
        node = parent
    return best


def _is_prose_block(node, min_chars: int) -> bool:
    text_len = _text_len(node)
    return text_len >= min_chars and _link_density(node, text_len) < 0.35


def _keep_sibling(sibling, top_score: float, scores_cache: dict, after_top: bool) -> bool:
    tag = sibling.tag
    if tag in ("-text", "-comment") or tag in _SKIP:
        return False
    if tag in ("figure", "picture", "img"):
        # a figure beside the body blocks belongs to it, unless it is the page-wide banner above it
        attrs = sibling.attributes
        return after_top or not _HERO.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
    if _is_related_block(sibling):
        return False
    text_len = _text_len(sibling)
    if tag == "p":
        ld = _link_density(sibling, text_len)
        return (text_len > 80 and ld < 0.25) or (0 < text_len <= 80 and ld == 0 and
                                                 _STOP.search(sibling.text()) is not None)
    if tag in ("div", "section") and text_len > 80 and not _has_block_inside(sibling):
        # a div used as a paragraph (a standfirst, a summary) is judged like a long one
        return _link_density(sibling, text_len) < 0.25
    score = scores_cache.get(sibling.mem_id)
    return score is not None and score[0] >= max(10.0, top_score * 0.2)


_BLOCK_INSIDE = ("p, div, section, article, aside, header, footer, table, ul, ol, dl, pre, blockquote, figure, "
                 "h1, h2, h3, h4, h5, h6, form, img, picture")


def _has_block_inside(node) -> bool:
    # lexbor's css() matches the node itself too
    return any(n.mem_id != node.mem_id for n in node.css(_BLOCK_INSIDE))


_HERO = re.compile(r"hero|masthead|banner|cover|header", re.I)
_RELATED = re.compile(r"related|recommend|similar|more-?stories|read-?next|also-?like|you-?may", re.I)


def _is_related_block(node, by_heading: bool = True) -> bool:
    """A sibling block announced as related/recommended posts by its own class or (with `by_heading`) its
    heading's: on article pages it holds other articles (post teasers that score like prose), not more of
    this one."""
    heading = node.css_first("h1, h2, h3, h4, h5, h6") if by_heading else None
    for n in (node, heading):
        if n is not None and _RELATED.search(f"{n.attributes.get('class') or ''} {n.attributes.get('id') or ''}"):
            return True
    return False


def _remove_related_sections(root) -> None:
    """A heading marked as related/recommended posts starts a teaser list that runs to the end of its
    parent: the heading and everything after it there go (the teasers score like prose otherwise)."""
    for heading in root.css("h1, h2, h3, h4, h5, h6"):
        if not _RELATED.search(f"{heading.attributes.get('class') or ''} {heading.attributes.get('id') or ''}"):
            continue
        node = heading
        while node is not None:
            following = node.next
            node.decompose()
            node = following


def _clean_conditionally(container, base: str | None) -> None:
    """Inside the chosen container, drop link lists, share bars and ad boxes: short blocks that are mostly
    links or carry a negative class hint. Blocks with real prose or with images of their own are kept."""
    for node in container.css("[class], [id], time"):
        if node.mem_id == container.mem_id or node.tag == "figcaption":
            continue  # a caption is never rendered as text: it becomes its image's alt
        attrs = node.attributes
        hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if node.tag == "time" or _META.search(hint) or "caption" in hint.lower():
            if _text_len(node) < 200 and not _has_picture(node):
                if "caption" in hint.lower():
                    _caption_to_alt(node, container)
                line = _enclosing_block(node, container)
                node.decompose()
                if line is not None and _is_leftover(line):
                    line.decompose()
    # a "related articles" box between the paragraphs goes whole (heading, pictures and all); the outermost
    # ones are chosen before any is removed, so no removed node is read again
    boxes = [n for n in container.css("div, section, aside, ul, ol") if n.mem_id != container.mem_id
             and _is_related_block(n, by_heading=False) and _link_density(n) > 0.3]
    ids = {n.mem_id for n in boxes}
    for node in [n for n in boxes if not _has_ancestor_in(n, ids, container)]:
        node.decompose()
    for node in reversed(container.css("span")):  # innermost first: the card, not the name it hangs on
        if _is_hover_card(node, base):
            node.decompose()
    for node in container.css("p"):  # a paragraph that is one link: "Read more", a related headline
        if _text_len(node) < 100 and _link_density(node) > 0.95 and not _has_picture(node):
            node.decompose()
        elif _is_story_links_line(node, base):
            label = node.prev
            while label is not None and label.tag in ("-text", "-comment") and not label.text().strip():
                label = label.prev
            node.decompose()
            if label is not None and (label.tag == "p" or label.tag in _HEADINGS) and _is_label(label):
                label.decompose()  # its "DON'T MISS" / "Related" lead-in
    titles = _post_title_paths(container)
    for node in reversed(container.css("div, section, ul, ol, table, form, aside, header, footer")):
        if node.mem_id == container.mem_id or node.mem_id in titles:
            continue
        text_len = _text_len(node)
        weight = _weight(node)
        if text_len == 0:
            continue  # empty wrappers and image-only figures stay; images are judged on their own
        ld = _link_density(node, text_len)
        commas = _commas(node.text())
        if commas >= 10:
            continue
        if node.tag == "footer" and text_len < 200:
            node.decompose()  # a post's footer: author (and avatar), date, categories, share links
        elif weight < 0 and not _has_picture(node):
            node.decompose()
        elif ld > 0.5 and text_len < 2000 and not (ld < 0.9 and _has_picture(node)):
            node.decompose()
        elif weight < 0 and ld > 0.2:
            node.decompose()


def _story_links(node, base: str | None) -> list:
    return [a for a in node.css("a[href]") if links_to_story(a.attributes.get("href"), None, base)]


def _is_story_links_line(p, base: str | None) -> bool:
    """A paragraph that points to other stories, not one that tells this one: "READ MORE: <headline link>" (a
    short label before one story headline) or a run of two or more story headlines ("Other story [VIDEO]<br>...")
    with little text outside the links. The URL test runs last: it is the costly one."""
    text_len = _text_len(p)
    if not text_len or text_len >= 600:
        return False
    links = p.css("a[href]")
    if not links:
        return False
    if len(links) >= 2:
        stories = _story_links(p, base) if sum(_text_len(a) for a in links) >= 0.7 * text_len else []
        return len(stories) >= 2 and sum(_text_len(a) for a in stories) >= 0.7 * text_len
    text = " ".join(p.text().split())
    title = " ".join(links[0].text().split())
    start = text.find(title) if title else -1
    lead = text[:start].strip() if start > 0 else ""
    return (bool(lead) and _weighted_len(lead) <= 20 and lead.endswith((":", "\uff1a"))
            and _weighted_len(title) >= 20 and " " in title  # a headline, not a bare URL
            and not text[start + len(title):].strip(" .").strip()
            and links_to_story(links[0].attributes.get("href"), None, base))


def _is_label(node) -> bool:
    """A short lead-in line without links or a sentence: "DON'T MISS", "Related articles"."""
    text = " ".join(node.text().split())
    return (0 < _weighted_len(text) <= 40 and node.css_first("a[href], img") is None
            and _STOP.search(text) is None)


def _is_hover_card(span, base: str | None) -> bool:
    """A pop-up card hidden in a paragraph (a person's picture and latest headlines shown on hover): an inline
    element made only of links, three or more of them, at least two to other stories."""
    text_len = _text_len(span)
    if not text_len or span.parent is None or span.parent.tag in ("body", "html"):
        return False
    links = span.css("a[href]")
    return (len(links) >= 3 and len(_story_links(span, base)) >= 2
            and sum(_text_len(a) for a in links) >= 0.9 * text_len)


def _caption_to_alt(caption, container) -> None:
    """A caption beside its picture (a "photo" box of one image and a caption span) becomes the picture's alt
    text where it has none, as a <figcaption> does: captions are not body text, but they describe the image."""
    node, level = caption.parent, 0
    while node is not None and level < 3 and node.mem_id != container.mem_id:
        imgs = node.css("img")
        if imgs:
            if len(imgs) == 1 and not (imgs[0].attributes.get("alt") or "").strip():
                imgs[0].attrs["alt"] = " ".join(caption.text().split())
            return
        node, level = node.parent, level + 1


def _enclosing_block(node, container):
    """The nearest block or list item around `node` inside `container` (None when it is the container)."""
    parent = node.parent
    while parent is not None and parent.mem_id != container.mem_id:
        if parent.tag in _BLOCK or parent.tag in _LINE or parent.tag in _HEADINGS:
            return parent
        parent = parent.parent
    return None


def _is_leftover(line) -> bool:
    """What stays of a line once its marked metadata went: "By", "Por X, Y y" when only the last author was
    marked, "Updated" without its date. Short, no sentence in it, no picture."""
    text = " ".join(line.text().split())
    return (_weighted_len(text) < 40 and _STOP.search(text) is None and _SENTENCE_END.search(text) is None
            and not _has_picture(line))


def _post_title_paths(container) -> set[int]:
    """mem_ids of the title headings (and their wrappers inside the post) of the posts in a container that
    holds several: a blog home, a forum thread, a listing. A post is an <article> or a .post/.hentry block, its
    title a heading that is one link (to the post's own page). On a one-article page the headline is page
    metadata and stays out; where several posts share the body, the titles name and separate them (their
    all-link header would otherwise look like a link list)."""
    found = [n for n in container.css("article, .post, .hentry") if n.mem_id != container.mem_id]
    ids = {n.mem_id for n in found}
    posts = [n for n in found if not _has_ancestor_in(n, ids, container)]  # outermost only
    if len(posts) < 2:
        return set()
    paths: set[int] = set()
    hrefs = set()
    for post in posts:
        heading = post.css_first("h1, h2, h3, h4, h5, h6")
        link = heading.css_first("a[href]") if heading is not None else None
        href = link.attributes.get("href") if link is not None else None
        if not href or href.startswith("#") or _text_len(link) < 0.9 * _text_len(heading):
            continue
        hrefs.add(href)
        node = heading
        while node is not None and node.mem_id != post.mem_id:
            paths.add(node.mem_id)
            node = node.parent
    return paths if len(hrefs) >= 2 else set()


def _has_ancestor_in(node, ids: set[int], stop) -> bool:
    node = node.parent
    while node is not None and node.mem_id != stop.mem_id:
        if node.mem_id in ids:
            return True
        node = node.parent
    return False


def _keep_image(img, cfg: ExtractConfig) -> bool:
    """Not a tracking pixel, icon, avatar or logo: by declared size, by a legacy inline `align` (an image set on
    a line of text: a bullet, a divider, a button) and by the image's and its close ancestors' class/id
    (author boxes, profile cards, share bars, badges)."""
    attrs = img.attributes
    if (attrs.get("align") or "").strip().lower() in _INLINE_ALIGN:
        return False
    dims = []
    for dim in ("width", "height"):
        value = (attrs.get(dim) or "").strip().removesuffix("px")
        if value.isdigit():
            if int(value) <= cfg.max_tiny_image_px:
                return False
            dims.append(int(value))
    if len(dims) == 2 and max(dims) < cfg.min_image_px:
        return False
    node, level = img, 0
    while node is not None and level < 4:
        a = node.attributes
        if _NOT_PICTURE.search(f"{a.get('class') or ''} {a.get('id') or ''}"):
            return False
        node, level = node.parent, level + 1
    return True


def _is_furniture_url(url: str) -> bool:
    """Vector icons, images from icon/logo/avatar folders and button images (cart, basket, "btn") are never
    picture content."""
    path = url.split("?")[0]
    return bool(_FURNITURE_URL.search(path) or (_ICON.search(url) and path.lower().endswith(".svg"))
                or _CONTROL_FILE.search(path.rsplit("/", 1)[-1]))


def _has_picture(node) -> bool:
    """`node` holds an image that may be content. A tag icon before a list of tag links or a clock before a
    date is furniture (judged by URL as `_image` judges it): it does not make a link list or a metadata line
    worth keeping."""
    for img in node.css("img, picture"):
        url = choose_img_src(img.attributes) if img.tag == "img" else None
        if not url or not _is_furniture_url(url):
            return True
    return False


def _image(node, w: BlockWriter, base: str | None, cfg: ExtractConfig) -> None:
    if node.tag == "picture":
        img = node.css_first("img")
        sources = [s.attributes for s in node.css("source")]
        if img is None:
            from engine.extract_urls import best_srcset
            url = next((best_srcset(s.get("srcset") or s.get("data-srcset") or "") for s in sources), None)
            w.image(resolve(url, base), None)
            return
    else:
        img, sources = node, []
    if not _keep_image(img, cfg):
        return
    attrs = img.attributes
    url = resolve(choose_img_src(attrs, sources), base)
    if url and _is_furniture_url(url):
        return
    w.image(url, attrs.get("alt") or attrs.get("title") or _figure_caption(img))


def _teasers(parts, base: str | None) -> set[int]:
    """mem_ids of the teasers of other stories in `parts`: an image inside a link to a story URL, in one of a
    run of same-shaped sibling items that each hold a link, a picture and little text (a "read next" box, a
    most-popular rail). The walk skips the run's items whole (a same-shaped sibling holding several teasers
    too): neither the picture nor the headline is this story's. A part that is itself such an item loses only
    its teaser pictures. When the teasers carry most of the text, the page is itself a listing and they are
    its content: none go then."""
    runs: dict[tuple, list] = {}  # (parent, tag, class) -> the run's items, [] when not a run
    skip: dict[int, object] = {}  # mem_id -> teaser node
    for part in parts:
        for img in part.css("img"):
            hit = _teaser_holder(img, base, runs)
            if hit is None:
                continue
            key, holder = hit
            if holder.mem_id != part.mem_id and _inside(holder.parent, part):
                skip[holder.mem_id] = holder
                skip.update((item.mem_id, item) for item in runs[key])
            else:
                skip[img.mem_id] = img
                if img.parent is not None and img.parent.tag == "picture":  # the walk meets the <picture>
                    skip[img.parent.mem_id] = img.parent
    if sum(_text_len(n) for n in skip.values()) >= 0.5 * sum(_text_len(p) for p in parts):
        return set()
    return set(skip)


def _teaser_holder(img, base: str | None, runs: dict) -> tuple | None:
    """(the (parent, tag, class) key of the teaser run, the run-level node holding `img`), when `img` sits in
    a link to a story URL."""
    node, level = img.parent, 0
    while node is not None and level < 5 and node.tag != "a":
        node, level = node.parent, level + 1
    if node is None or node.tag != "a":
        return None
    url = resolve(choose_img_src(img.attributes), base)
    if not links_to_story(node.attributes.get("href"), url, base):
        return None
    for _ in range(6):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html"):
            return None
        key = (parent.mem_id, node.tag, node.attributes.get("class"))
        if key not in runs:
            runs[key] = _teaser_run(parent, node.tag, node.attributes.get("class"))
        if runs[key]:
            return key, node
        node = parent
    return None


def _teaser_run(parent, tag: str, cls: str | None) -> list:
    """The children of `parent` with this tag and class that each hold a link, an image and under 600 chars
    of text, when there are at least two of them (list items of other stories, not paragraphs of this one)."""
    items = [child for child in parent.iter(include_text=False)
             if child.tag == tag and child.attributes.get("class") == cls
             and (tag == "a" or child.css_first("a[href]") is not None)
             and child.css_first("img") is not None and _text_len(child) < 600]
    return items if len(items) >= 2 else []


def _figure_caption(img) -> str | None:
    """The <figcaption> of the image's <figure>: the caption travels with the image as its alt text (it is
    not body text: article-body references leave captions out)."""
    node, level = img.parent, 0
    while node is not None and level < 4:
        if node.tag == "figure":
            cap = node.css_first("figcaption")
            return " ".join(cap.text().split()) or None if cap is not None else None
        node, level = node.parent, level + 1
    return None


def _render(parts, w: BlockWriter, base: str | None, cfg: ExtractConfig, title: str | None) -> None:
    """Walk the chosen `parts` in document order, keeping text and images where they stand. Images outside
    them (page heroes, header art, teasers beside the column) are not the story's: references leave them out."""
    teasers = _teasers(parts, base)
    stack = [(p, False) for p in reversed(parts)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag
        if closing:
            if tag in _BLOCK or tag in _HEADINGS:
                w.flush()
            elif tag in _LINE:
                w.newline()
            continue
        if tag == "-text":
            w.text(node.text_content)
            continue
        if tag in _SKIP or node.mem_id in teasers:
            continue
        if tag == "img" or tag == "picture":
            _image(node, w, base, cfg)
            continue
        if tag == "br":
            w.newline()
            continue
        if tag == "pre":
            w.flush()
            w.pre(node.text(deep=True))
            w.flush()
            continue
        if tag in _HEADINGS and title and " ".join(node.text().split()) == title:
            continue  # the page title repeated as the article headline is metadata, not body text
        if tag in _BLOCK:
            w.flush()
        elif tag == "li":
            w.newline("- ")
        elif tag in ("tr", "dt", "dd"):
            w.newline()
        elif tag in ("td", "th") and w.line:
            w.text(" | ")
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(list(node.iter(include_text=True))))


def _select_main(tree, strip_unlikely: bool, budget: Budget, base: str | None):
    body = tree.body
    if body is None:
        return []
    for node in body.css(_DROP):
        node.decompose()
    _remove_related_sections(body)
    if strip_unlikely:
        _remove_unlikely(body)
    budget.check("clean")
    top, top_score = _top_candidate(body, base)
    budget.check("score")
    if top is None:
        return [body]
    parent = top.parent
    if parent is None or top.tag == "body":
        parts = [top]
    else:
        scores = _score_candidates(parent)
        parts, after_top, before = [], False, None
        for c in parent.iter(include_text=False):
            if c.mem_id == top.mem_id:
                after_top = True
                if (before is not None and (not parts or parts[-1].mem_id != before.mem_id)
                        and _is_spec_block(before)):
                    parts.append(before)  # the item's spec sheet right above its description
                parts.append(c)
            elif _keep_sibling(c, top_score, scores, after_top):
                parts.append(c)
            if c.tag != "-comment":
                before = c
    for part in parts:
        _clean_conditionally(part, base)
    return parts


_SPEC_LINE = re.compile(r"^[^:：|]{1,20}[:：]\s*\S")


def _is_spec_block(node) -> bool:
    """A product's spec sheet right above its description: a table (or <dl>) of three or more short
    "label : value" rows (code, maker, price, size) with few links. It is the item's data, not navigation."""
    if node.tag not in ("table", "dl", "div") or _link_density(node) > 0.3:
        return False
    rows = node.css("dt") if node.tag == "dl" else [  # innermost rows (css() matches the node itself too)
        r for r in node.css("tr") if all(x.mem_id == r.mem_id for x in r.css("tr"))]
    lines = [(r, " ".join(r.text().split())) for r in rows]
    lines = [(r, t) for r, t in lines if t]
    specs = 0
    for row, text in lines:
        cells = [c for c in row.iter(include_text=False) if c.tag in ("td", "th")]
        pair = len(cells) == 2 and 0 < _text_len(cells[0]) <= 30 if node.tag != "dl" else True
        if _weighted_len(text) <= 80 and (pair or _SPEC_LINE.match(text)):
            specs += 1
    return specs >= 3 and specs >= 0.6 * len(lines)


def _inside(node, container) -> bool:
    target = container.mem_id
    p = node
    while p is not None:
        if p.mem_id == target:
            return True
        p = p.parent
    return False


def extract_with_dom(text: str, url: str | None, config: ExtractConfig, budget: Budget) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(text)
    budget.check("parse")
    meta = page_metadata(tree, url)
    best: Extracted | None = None
    best_chars = -1
    for strip_unlikely in (True, False):
        if not strip_unlikely:  # a short first result: retry keeping "comment"/"sidebar"-like blocks (threads)
            tree = LexborHTMLParser(text)
            budget.check("reparse")
        out = Extracted(title=meta.title, date=meta.date, html_lang=meta.lang)
        parts = _select_main(tree, strip_unlikely, budget, meta.base)
        w = BlockWriter(out, config.min_paragraph_chars)
        _render(parts, w, meta.base, config, meta.title)
        w.flush()
        budget.check("render")
        chars = _weighted_len("".join(t for t in out.texts if t))
        if chars > best_chars:
            best, best_chars = out, chars
        if chars >= 250:
            break
    return _tidy(best)


# closing marks of a sentence in any script: Latin, CJK (and the fullwidth parenthesis), Arabic (؟ ؛), Urdu (۔),
# Devanagari (। ॥), guillemets
_SENTENCE_END = re.compile(r"[.!?:;。！？」』\"”)）»\u061f\u061b\u06d4\u0964\u0965\u104b\u1362]\s*$")
_LEAD_IN = re.compile(r"(?:\.\.\.|…|:|：)\s*$")
# a clock time or a numeric date (2020-06-16, 16/06/2020, 2020年06月16日, 6月16日): an unpunctuated one-line
# paragraph that carries one at the edge of the body is a dateline or a "Source: ... Time: ..." line, even when
# it is longer than a label (list items and table rows with dates are not: they have several lines)
_DATE = re.compile(r"(?<!\d)(?:\d{1,2}:\d{2}|\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|"
                   r"\d{1,2}\s*月\s*\d{1,2}\s*日)(?!\d)")


def _tidy(out: Extracted) -> Extracted:
    """Drop repeated paragraphs (slideshow captions, repeated headlines) and the short, unpunctuated lines
    (datelines, labels, 'Comments') that stick to the start and end of the body. Lengths are Latin-equivalent
    (`_weighted_len`): a 30-character Chinese sentence is as long as its English translation, not a label."""
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(out.texts):
        if t is not None and _weighted_len(t) < 120:  # long paragraphs may repeat on purpose (quotes, refrains)
            if t in seen:
                continue
            seen.add(t)
        keep.append(i)

    def is_stub(i: int) -> bool:
        t = out.texts[i]
        if t is None:
            return False
        length = _weighted_len(t)
        if length >= 120 or (length >= 40 and ("\n" in t or _DATE.search(t) is None)):
            return False
        # a lead-in ("You may also like...", "Related:") whose list was removed is a stub too
        return not _SENTENCE_END.search(t) or _LEAD_IN.search(t) is not None

    text_idx = [i for i in keep if out.texts[i] is not None]
    drop = set()
    for order in (text_idx, text_idx[::-1]):
        for i in order:
            if not is_stub(i):
                break
            drop.add(i)
    if len(drop) < len(text_idx):  # a page of short lines only (a poem, a list) keeps them all
        keep = [i for i in keep if i not in drop]
    if len(keep) == len(out.texts):
        return out
    out.texts = [out.texts[i] for i in keep]
    out.images = [out.images[i] for i in keep]
    out.alts = [out.alts[i] for i in keep]
    return out
