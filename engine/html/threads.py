"""Thread mode: a page whose content is a run of repeated, post-like sibling blocks (the posts of a forum thread,
the answers of a Q&A page, the comments of a discussion, the cards of a research or listing page).

Readability-style scoring picks one container; on a thread that is one post (the best-scoring reply) or the whole
page frame around the posts, and the "comment"/"replies" class hints that clean an article page remove the
posts themselves. The mode is switched on by page structure only, never by URL or site: sibling elements of one
kind (same tag, same first class token or same id pattern with the numbers taken out: "post bg1"/"post bg2",
"post_9001"/"post_9002") that each hold text and together hold mostly unlinked text. Inside the posts, the block
that holds each post's own text (the one whose kind recurs across the posts: phpBB's .content, Discuz's .t_f,
reddit's .md) is the content; user panels, signatures, vote and share buttons around it are not. Where no such
block recurs, the posts are taken whole and the usual pruning (`clean.clean_conditionally`) trims them.
`reconcile` decides between the run and the container that scoring chose (`dom` calls it).
"""
from __future__ import annotations

import re
from collections import Counter

from engine.html.images import is_picture
from engine.html.text import STOP, has_ancestor_in, inside, link_density, text_length, weighted_len
from engine.html.types import ExtractConfig

_DIGITS = re.compile(r"\d+")
# containers a post can be; paragraphs, spans and links repeat inside every article and are never posts
_ITEM_TAGS = frozenset(("div", "article", "section", "li", "table", "tr", "dl", "blockquote"))
_MIN_POST_CHARS = 20  # a reply of a few words ("Same here, worked for me too.") is a post
_MAX_SHARE = 0.75  # of a run's text in its longest post


def kind(node) -> str | None:
    """The node's kind: tag + first class token without digits, else tag + id with digits taken out (only ids
    that carry a number: a numbered post). None for plain, unnamed elements."""
    attrs = node.attributes
    cls = attrs.get("class")
    if cls and cls.split():
        return f"{node.tag}.{_DIGITS.sub('', cls.split()[0])}"
    ident = attrs.get("id")
    if ident and _DIGITS.search(ident):
        return f"{node.tag}#{_DIGITS.sub('', ident)}"
    return None


class Thread:
    """The posts (`items`, in document order) and their summed unlinked text (`prose`)."""

    __slots__ = ("items", "prose")

    def __init__(self, items: list, prose: float):
        self.items = items
        self.prose = prose

    def ids(self) -> set[int]:
        return {n.mem_id for n in self.items}


def find_thread(body, budget=None) -> Thread | None:
    """The run of post-like siblings holding the most unlinked text, or None. A run needs three or more posts
    with text of their own and links under half of its text (a menu, a teaser list or a tag cloud is links)."""
    runs: dict[tuple, list] = {}
    seen: set[int] = set()
    for node in body.css("[class], [id]"):
        if budget is not None:
            budget.tick("threads", 256)
        if node.tag not in _ITEM_TAGS or node.mem_id in seen:  # a node with both attributes comes twice
            continue
        seen.add(node.mem_id)
        k = kind(node)
        parent = node.parent
        if k is None or parent is None:
            continue
        runs.setdefault((parent.mem_id, k), []).append(node)
    best: Thread | None = None
    for items in runs.values():
        if len(items) < 3:
            continue
        if budget is not None:
            budget.tick("threads", 16)
        lengths = [text_length(n) for n in items]
        total = sum(lengths)
        # three posts at least, none holding most of the run: two or three page-wide wrappers of one class
        # (header, main, footer) are a layout, not a discussion
        if (total < 200 or sum(1 for n in lengths if n >= _MIN_POST_CHARS) < 3
                or max(lengths) > _MAX_SHARE * total):
            continue
        ld = sum(link_density(n, t) * t for n, t in zip(items, lengths)) / total
        if ld >= 0.5:
            continue
        prose = total * (1 - ld)
        if best is None or prose > best.prose:
            best = Thread([n for n, t in zip(items, lengths) if t > 0], prose)
    return best


def post_bodies(thread: Thread, body, budget=None) -> tuple[list, list]:
    """The block of each post that holds its own text, where one kind of block does so across the posts and
    covers most of their unlinked text; else the posts whole. Nested replies (a reply inside a reply) keep
    their own blocks: every outermost block of that kind inside the posts is taken, in document order. The
    opening post or question, laid out apart from the replies just above them (a question above its
    answers, a submission above its comments), is returned apart: (opening posts, posts). It is a block of the
    same kind before the run, near it (inside the run's grandparent), outside any post."""
    anchors = Counter()
    for item in thread.items:
        if budget is not None:
            budget.tick("threads", 16)
        k = _text_anchor_kind(item)
        if k is not None:
            anchors[k] += 1
    if not anchors:
        return [], thread.items
    k, count = anchors.most_common(1)[0]
    if count < max(2, 0.6 * len(thread.items)):
        return [], thread.items
    tag = k.split(".", 1)[0].split("#", 1)[0]
    blocks = []
    for item in thread.items:
        found = [n for n in item.css(tag) if kind(n) == k]  # css() matches the item itself too
        if any(n.mem_id == item.mem_id for n in found):
            blocks.append(item)
            continue
        ids = {n.mem_id for n in found}
        blocks.extend(n for n in found if not has_ancestor_in(n, ids, item))
    prose = sum(text_length(b) * (1 - link_density(b)) for b in blocks)
    posts = blocks if prose >= 0.6 * thread.prose else thread.items
    return _opening_posts(thread, k, body), posts


def _opening_posts(thread: Thread, k: str, body) -> list:
    region = thread.items[0].parent
    for _ in range(2):
        if region is None or region.parent is None or region.mem_id == body.mem_id:
            break
        region = region.parent
    if region is None or region.mem_id == body.mem_id:
        return []
    first = thread.items[0].mem_id
    items = thread.ids()
    out = []
    for node in region.css("*"):  # document order
        if node.mem_id == first:
            break  # document order: only what comes before the first post
        if kind(node) == k and not has_ancestor_in(node, items, body) and not any(
                has_ancestor_in(node, {o.mem_id}, body) for o in out):
            out.append(node)
    return out


def _text_anchor_kind(item) -> str | None:
    """Kind of the nearest named block around the element with the most text of its own in `item` (the
    post's text sits in <p>s or bare lines inside a .content/.md/.t_f block)."""
    best, best_len = None, 0
    for node in item.css("*"):
        own = weighted_len(" ".join(node.text(deep=False).split()))
        if own > best_len:
            best, best_len = node, own
    node = best
    while node is not None and node.mem_id != item.mem_id:
        if node.tag not in _INLINE and kind(node) is not None:
            return kind(node)
        node = node.parent
    return None


_INLINE = frozenset(("p", "a", "b", "i", "em", "strong", "font", "br", "code", "small"))


def reconcile(parts: list, top, thread: Thread, body, budget, cfg: ExtractConfig) -> list:
    """The body chosen by scoring, reconciled with a thread found by structure (`threads`).
    - Scoring took one post (the container is inside a post): the posts replace it.
    - Scoring took the frame around the posts: the posts' text blocks replace it when the posts and the
      opening post hold nearly all of its unlinked text (the rest is the frame's chrome: buttons, pagination,
      who-is-online) and each post holds more than its text block, but no picture or sentence outside it (a
      user panel, a date line, a subject line). Repeated containers that are the story itself split up
      (paragraph wrappers, how-to steps with their photos) fail those tests and keep the frame, with whatever
      sits between them.
    - Scoring took a short block apart from the posts (a submission above its comments): both, in page
      order; or, where a block of the posts' kind stands above them (the submission itself), that block and
      the posts. A long one is an article, and comments below an article are not its text."""
    items = [n for n in thread.items if n.parent is not None]
    if len(items) < 3:
        return parts
    thread.items = items
    if budget is not None:
        budget.check("threads")
    top_prose = _prose(top)
    opening, posts = post_bodies(thread, body, budget)
    if any(inside(top, n) for n in items):
        return opening + posts
    if inside(items[0], top):
        covered = thread.prose + sum(_prose(p) for p in opening)
        post_ids = thread.ids()
        in_posts = [p for p in posts if p.mem_id not in post_ids]
        share = sum(_prose(p) for p in in_posts) / thread.prose if thread.prose else 1.0
        if covered < 0.8 * top_prose or len(in_posts) < len(items) or share > 0.85:
            return parts
        body_ids = {p.mem_id for p in in_posts}
        if any(is_picture(img, cfg) and not has_ancestor_in(img, body_ids, body)
               for item in items for img in item.css("img")):
            return parts
        if sum(_tells_outside(item, body_ids) for item in items) >= len(items) / 2:
            return parts  # each item says something besides its text block: a question above its answer
        return opening + posts
    if top_prose > _OPENING_POST_MAX or thread.prose < 2 * top_prose:
        return parts
    if opening:  # the submission was found beside the posts: the short block scoring took is something else
        return opening + posts
    item_ids = thread.ids()
    kept = [p for p in parts if p.mem_id not in item_ids and not has_ancestor_in(p, item_ids, body)]
    kept_ids = {p.mem_id for p in kept}
    kept += [p for p in posts if p.mem_id not in kept_ids and not has_ancestor_in(p, kept_ids, body)]
    order = {n.mem_id: i for i, n in enumerate(body.css("*"))}
    return sorted(kept, key=lambda n: order.get(n.mem_id, 0))


def _tells_outside(item, body_ids: set[int]) -> bool:
    """`item` holds a sentence outside its text blocks (an FAQ's question; a user panel holds none)."""
    for node in item.css("*"):
        if node.mem_id in body_ids or has_ancestor_in(node, body_ids, item):
            continue
        if STOP.search(" ".join(node.text(deep=False).split())):
            return True
    return False


_OPENING_POST_MAX = 1000  # Latin-equivalent chars of unlinked text: a question or a submission, not an article


def _prose(node) -> float:
    """Unlinked text length."""
    return text_length(node) * (1 - link_density(node))
