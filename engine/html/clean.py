"""What inside the page is not the story, though it sits in or beside the article column: sections announced
as related/recommended posts, and (conditional cleaning of the chosen container) link lists, share bars, ad
boxes, bylines and datelines, story-link lines ("READ MORE: <headline>"), hover cards and post footers.

Scoring picks the container; this pass prunes it. Each rule is judged on the block's own text, link density
and class/id hints, never per site, and keeps blocks with real prose or with pictures of their own, so an
over-eager rule loses a share bar rather than a paragraph. Where several posts share the container (a blog home,
a forum thread), their linked title headings are kept: they name the posts, though they look like link lists.
"""
from __future__ import annotations

import re

from engine.html.images import caption_to_alt, has_picture
from engine.html.text import (BLOCK_TAGS, HEADINGS, LINE_TAGS, SENTENCE_END, STOP, any_word, class_weight,
                              comma_count, has_ancestor_in, link_density, text_length, weighted_len)
from engine.html.urls import links_to_story

# small inline metadata inside the article column: bylines, dates, share bars, tag lists, photo credits
META = re.compile(r"(?:^|[\s_-])" + any_word(
    "byline|author|authors|dateline|timestamp|date|time|published|updated|credit|credits|meta|tags|tag-list|share|"
    "sharing|social|print|related|read-more|readmore|newsletter|promo|ad|ads|advert|advertisement|sponsored|"
    "caption").pattern + r"(?:$|[\s_-])", re.I)
_RELATED = re.compile(r"related|recommend|similar|more-?stories|read-?next|also-?like|you-?may", re.I)


def is_related_block(node, by_heading: bool = True) -> bool:
    """A sibling block announced as related/recommended posts by its own class or (with `by_heading`) its
    heading's: on article pages it holds other articles (post teasers that score like prose), not more of
    this one."""
    heading = node.css_first("h1, h2, h3, h4, h5, h6") if by_heading else None
    for n in (node, heading):
        if n is not None and _RELATED.search(f"{n.attributes.get('class') or ''} {n.attributes.get('id') or ''}"):
            return True
    return False


def remove_related_sections(root, budget=None) -> None:
    """A heading marked as related/recommended posts starts a teaser list that runs to the end of its
    parent: the heading and everything after it there go (the teasers score like prose otherwise)."""
    for heading in root.css("h1, h2, h3, h4, h5, h6"):
        if budget is not None:
            budget.tick("clean")
        if not _RELATED.search(f"{heading.attributes.get('class') or ''} {heading.attributes.get('id') or ''}"):
            continue
        node = heading
        while node is not None:
            following = node.next
            node.decompose()
            node = following


def clean_conditionally(container, base: str | None, budget=None) -> None:
    """Inside the chosen container, drop link lists, share bars and ad boxes: short blocks that are mostly
    links or carry a negative class hint. Blocks with real prose or with images of their own are kept."""
    named: dict[str, bool] = {}  # hint -> named as metadata (a page repeats its class names)
    for node in container.css("[class], [id], time"):
        if budget is not None:  # each node measures its deep text: quadratic on deep pages (engine.html.types.Budget)
            budget.check("clean")
        tag = node.tag
        if node.mem_id == container.mem_id or tag == "figcaption":
            continue  # a caption is never rendered as text: it becomes its image's alt
        attrs = node.attributes
        hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        meta = named.get(hint)
        if meta is None:
            meta = named[hint] = META.search(hint) is not None or "caption" in hint.lower()
        if tag == "time" or meta:
            if text_length(node) < 200 and not has_picture(node):
                if "caption" in hint.lower():
                    caption_to_alt(node, container)
                line = _enclosing_block(node, container)
                node.decompose()
                if line is not None and _is_leftover(line):
                    line.decompose()
    # a "related articles" box between the paragraphs goes whole (heading, pictures and all); the outermost
    # ones are chosen before any is removed, so no removed node is read again
    boxes = []
    for n in container.css("div, section, aside, ul, ol"):
        if budget is not None:
            budget.tick("clean")
        if n.mem_id != container.mem_id and is_related_block(n, by_heading=False) and link_density(n) > 0.3:
            boxes.append(n)
    ids = {n.mem_id for n in boxes}
    for node in [n for n in boxes if not has_ancestor_in(n, ids, container)]:
        node.decompose()
    for node in reversed(container.css("span")):  # innermost first: the card, not the name it hangs on
        if budget is not None:  # each span measures its deep text
            budget.tick("clean", 8)
        if _is_hover_card(node, base):
            node.decompose()
    for node in container.css("p"):  # a paragraph that is one link: "Read more", a related headline
        if budget is not None:
            budget.check("clean")
        text_len = text_length(node)
        if text_len < 100 and link_density(node, text_len) > 0.95 and not has_picture(node):
            node.decompose()
        elif _is_story_links_line(node, base, text_len):
            label = node.prev
            while label is not None and label.tag in ("-text", "-comment") and not label.text().strip():
                label = label.prev
            node.decompose()
            if label is not None and (label.tag == "p" or label.tag in HEADINGS) and _is_label(label):
                label.decompose()  # its "DON'T MISS" / "Related" lead-in
    titles = _post_title_paths(container, budget)
    for node in reversed(container.css("div, section, ul, ol, table, form, aside, header, footer")):
        if budget is not None:
            budget.check("clean")
        if node.mem_id == container.mem_id or node.mem_id in titles:
            continue
        text = node.text(deep=True)  # measured once: text_length's and the commas' (nested blocks: quadratic)
        text_len = weighted_len(" ".join(text.split()))
        if text_len == 0:
            continue  # empty wrappers and image-only figures stay; images are judged on their own
        weight = class_weight(node)
        ld = link_density(node, text_len)
        commas = comma_count(text)
        if commas >= 10 or (ld > 0.5 and _holds_data_table(node, text_len)):
            continue
        if node.tag == "footer" and text_len < 200:
            node.decompose()  # a post's footer: author (and avatar), date, categories, share links
        elif weight < 0 and not has_picture(node):
            node.decompose()
        elif ld > 0.5 and text_len < 2000 and not (ld < 0.9 and has_picture(node)):
            node.decompose()
        elif weight < 0 and ld > 0.2:
            node.decompose()


def _holds_data_table(node, text_len: int) -> bool:
    """`node` is (or is mostly) a data table: a header row of <th> cells over three or more rows of two or more
    cells, with a column of plain text in most rows (a download list: size | linked file | description). A table
    of links alone is a link list; a layout table has no header cells."""
    table = node if node.tag == "table" else node.css_first("table")
    if table is None or (table is not node and text_length(table) < 0.8 * text_len):
        return False
    if table.css_first("th") is None:
        return False
    rows = [r for r in table.css("tr") if r.css_first("td") is not None and text_length(r)]
    if len(rows) < 3:
        return False
    plain = 0
    for row in rows:
        cells = [c for c in row.iter(include_text=False) if c.tag in ("td", "th")]
        if len(cells) < 2:
            return False
        plain += any(text_length(c) and c.css_first("a") is None for c in cells)
    return plain >= 0.8 * len(rows)


def _story_links(node, base: str | None) -> list:
    return [a for a in node.css("a[href]") if links_to_story(a.attributes.get("href"), None, base)]


def _is_story_links_line(p, base: str | None, text_len: int) -> bool:
    """A paragraph that points to other stories, not one that tells this one: "READ MORE: <headline link>" (a
    short label before one story headline) or a run of two or more story headlines ("Other story [VIDEO]<br>...")
    with little text outside the links. The URL test runs last: it is the costly one. `text_len`: p's
    text_length."""
    if not text_len or text_len >= 600:
        return False
    links = p.css("a[href]")
    if not links:
        return False
    if len(links) >= 2:
        stories = _story_links(p, base) if sum(text_length(a) for a in links) >= 0.7 * text_len else []
        return len(stories) >= 2 and sum(text_length(a) for a in stories) >= 0.7 * text_len
    text = " ".join(p.text().split())
    title = " ".join(links[0].text().split())
    start = text.find(title) if title else -1
    lead = text[:start].strip() if start > 0 else ""
    return (bool(lead) and weighted_len(lead) <= 20 and lead.endswith((":", "\uff1a"))
            and weighted_len(title) >= 20 and " " in title  # a headline, not a bare URL
            and not text[start + len(title):].strip(" .").strip()
            and links_to_story(links[0].attributes.get("href"), None, base))


def _is_label(node) -> bool:
    """A short lead-in line without links or a sentence: "DON'T MISS", "Related articles"."""
    text = " ".join(node.text().split())
    return (0 < weighted_len(text) <= 40 and node.css_first("a[href], img") is None
            and STOP.search(text) is None)


def _is_hover_card(span, base: str | None) -> bool:
    """A pop-up card hidden in a paragraph (a person's picture and latest headlines shown on hover): an inline
    element made only of links, three or more of them, at least two to other stories."""
    parent = span.parent
    if parent is None or parent.tag in ("body", "html"):
        return False
    links = span.css("a[href]")
    if len(links) < 3:  # most spans: decided before their text is measured
        return False
    text_len = text_length(span)
    return (bool(text_len) and len(_story_links(span, base)) >= 2
            and sum(text_length(a) for a in links) >= 0.9 * text_len)


def _enclosing_block(node, container):
    """The nearest block or list item around `node` inside `container` (None when it is the container)."""
    parent = node.parent
    while parent is not None and parent.mem_id != container.mem_id:
        if parent.tag in BLOCK_TAGS or parent.tag in LINE_TAGS or parent.tag in HEADINGS:
            return parent
        parent = parent.parent
    return None


def _is_leftover(line) -> bool:
    """What stays of a line once its marked metadata went: "By", "Por X, Y y" when only the last author was
    marked, "Updated" without its date. Short, no sentence in it, no picture."""
    text = " ".join(line.text().split())
    return (weighted_len(text) < 40 and STOP.search(text) is None and SENTENCE_END.search(text) is None
            and not has_picture(line))


def _post_title_paths(container, budget=None) -> set[int]:
    """mem_ids of the title headings (and their wrappers inside the post) of the posts in a container that
    holds several: a blog home, a forum thread, a listing. A post is an <article> or a .post/.hentry block, its
    title a heading that is one link (to the post's own page). On a one-article page the headline is page
    metadata and stays out; where several posts share the body, the titles name and separate them (their
    all-link header would otherwise look like a link list)."""
    found = [n for n in container.css("article, .post, .hentry") if n.mem_id != container.mem_id]
    ids = {n.mem_id for n in found}
    posts = [n for n in found if not has_ancestor_in(n, ids, container)]  # outermost only
    if len(posts) < 2:
        return set()
    paths: set[int] = set()
    hrefs = set()
    for post in posts:
        if budget is not None:
            budget.tick("clean")
        heading = post.css_first("h1, h2, h3, h4, h5, h6")
        link = heading.css_first("a[href]") if heading is not None else None
        href = link.attributes.get("href") if link is not None else None
        if not href or href.startswith("#") or text_length(link) < 0.9 * text_length(heading):
            continue
        hrefs.add(href)
        node = heading
        while node is not None and node.mem_id != post.mem_id:
            paths.add(node.mem_id)
            node = node.parent
    return paths if len(hrefs) >= 2 else set()
