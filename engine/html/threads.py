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
from engine.html.text import STOP, has_ancestor_in, inside, known_length, link_density, weighted_len
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
    first = cls.split(None, 1) if cls else None  # the first class token (splitting the rest is wasted)
    if first:
        return f"{node.tag}.{_DIGITS.sub('', first[0])}"
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


def find_thread(body, budget=None, lengths: dict[int, int] | None = None) -> Thread | None:
    """The run of post-like siblings holding the most unlinked text, or None. A run needs three or more posts
    with text of their own and links under half of its text (a menu, a teaser list or a tag cloud is links).
    `lengths`: a `known_length` memo of the tree as it is (runs nest, posts and their paragraphs, and share
    links; the caller measures the same nodes again before it changes the tree)."""
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
    known = {} if lengths is None else lengths
    for items in runs.values():
        if len(items) < 3:
            continue
        if budget is not None:
            budget.tick("threads", 16)
        lengths = [known_length(n, known) for n in items]
        total = sum(lengths)
        # three posts at least, none holding most of the run: two or three page-wide wrappers of one class
        # (header, main, footer) are a layout, not a discussion
        if (total < 200 or sum(1 for n in lengths if n >= _MIN_POST_CHARS) < 3
                or max(lengths) > _MAX_SHARE * total):
            continue
        ld = sum(link_density(n, t, known) * t for n, t in zip(items, lengths)) / total
        if ld >= 0.5:
            continue
        prose = total * (1 - ld)
        if best is None or prose > best.prose:
            best = Thread([n for n, t in zip(items, lengths) if t > 0], prose)
    return best


def post_bodies(thread: Thread, body, budget=None, lengths: dict[int, int] | None = None) -> tuple[list, list, list]:
    """The block of each post that holds its own text, where one kind of block does so across the posts and
    covers most of their unlinked text (comment lists apart: `comment_blocks`); else the posts whole. Nested
    replies (a reply inside a reply) keep their own blocks: every outermost block of that kind inside the posts
    is taken, in document order. The opening post or question, laid out apart from the replies just above them
    (a question above its answers, a submission above its comments), is returned apart: (opening posts, posts,
    comments' text blocks). It is a block of the same kind before the run, near it (inside the run's
    grandparent), outside any post. Posts taken whole bring their comments with them (comments then []).
    `lengths`: a `known_length` memo of the tree as it is."""
    lengths = {} if lengths is None else lengths
    k, blocks = _anchor_blocks(thread.items, budget)
    if k is None:
        return [], thread.items, []
    opening = _opening_posts(thread, k, body)
    comments = comment_blocks(thread, opening + blocks, body, budget, lengths)
    in_comments = sum(_prose(c, lengths) for c in comments if any(inside(c, item) for item in thread.items))
    if sum(_prose(b, lengths) for b in blocks) >= 0.6 * (thread.prose - in_comments):
        return opening, blocks, comments
    return opening, thread.items, []


def _opening_posts(thread: Thread, k: str, body) -> list:
    region = _opening_region(thread, body)
    if region is None:
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


def reconcile(parts: list, top, thread: Thread, body, budget, cfg: ExtractConfig, lengths: dict[int, int]) -> list:
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
      the posts. A long one is an article, and comments below an article are not its text.
    `lengths`: a `known_length` memo of the tree as it is (the one `find_thread` measured)."""
    items = [n for n in thread.items if n.parent is not None]
    if len(items) < 3:
        return parts
    thread.items = items
    if budget is not None:
        budget.check("threads")
    top_prose = _prose(top, lengths)
    opening, posts, comments = post_bodies(thread, body, budget, lengths)
    if any(inside(top, n) for n in items):
        return _with_comments(opening + posts, comments, body)
    if inside(items[0], top):
        post_ids = thread.ids()
        covered = thread.prose + sum(_prose(p, lengths) for p in opening) + sum(
            _prose(c, lengths) for c in comments if not has_ancestor_in(c, post_ids, body))  # the question's comments
        in_posts = [p for p in posts if p.mem_id not in post_ids]
        share = sum(_prose(p, lengths) for p in in_posts) / thread.prose if thread.prose else 1.0
        if covered < 0.8 * top_prose or len(in_posts) < len(items) or share > 0.85:
            return parts
        body_ids = {p.mem_id for p in in_posts} | {c.mem_id for c in comments}
        if any(is_picture(img, cfg) and not has_ancestor_in(img, body_ids, body)
               for item in items for img in item.css("img")):
            return parts
        if sum(_tells_outside(item, body_ids) for item in items) >= len(items) / 2:
            return parts  # each item says something besides its text block: a question above its answer
        return _with_comments(opening + posts, comments, body)
    if top_prose > _OPENING_POST_MAX or thread.prose < 2 * top_prose:
        return parts
    if opening:  # the submission was found beside the posts: the short block scoring took is something else
        return _with_comments(opening + posts, comments, body)
    item_ids = thread.ids()
    kept = [p for p in parts if p.mem_id not in item_ids and not has_ancestor_in(p, item_ids, body)]
    kept_ids = {p.mem_id for p in kept}
    kept += [p for p in posts if p.mem_id not in kept_ids and not has_ancestor_in(p, kept_ids, body)]
    return _with_comments(kept, comments, body)


def _tells_outside(item, body_ids: set[int]) -> bool:
    """`item` holds a sentence outside its text blocks (an FAQ's question; a user panel holds none)."""
    for node in item.css("*"):
        if node.mem_id in body_ids or has_ancestor_in(node, body_ids, item):
            continue
        if STOP.search(" ".join(node.text(deep=False).split())):
            return True
    return False


_OPENING_POST_MAX = 1000  # Latin-equivalent chars of unlinked text: a question or a submission, not an article


def _prose(node, lengths: dict[int, int]) -> float:
    """Unlinked text length (`lengths`: a `known_length` memo)."""
    n = known_length(node, lengths)
    return n * (1 - link_density(node, n, lengths))


# ------------------------------------------------------------------------------------------- comment lists
# The comments under a question or an answer (Stack Exchange, a forum's "post comments") are a second, smaller
# kind of post inside each post: elements of one kind, outside the post's text block, that stand as siblings
# somewhere (a list) and mostly hold a sentence with few links. A user panel, a vote cell or a share menu is one
# per post, has no sentence or is links. Each comment's own text block (the kind that recurs across them, as
# for posts) is taken, without its author, date and score.
_MIN_COMMENT_CHARS = 8


def comment_blocks(thread: Thread, taken: list, body, budget, lengths: dict[int, int]) -> list:
    """The comments' text blocks inside the posts and beside the opening post, outside the `taken` blocks, in
    document order; [] where the posts hold no comment list. `lengths`: a `known_length` memo."""
    taken_ids = {n.mem_id for n in taken}
    item_kinds = {kind(n) for n in thread.items}
    runs: dict[tuple, list] = {}
    seen: set[int] = set()
    for item in thread.items:
        if item.mem_id in taken_ids or has_ancestor_in(item, taken_ids, body):
            continue  # the post is taken whole: its comments with it
        for node in item.css("[class], [id]"):
            if budget is not None:
                budget.tick("threads", 256)
            if (node.tag not in _ITEM_TAGS or node.mem_id == item.mem_id or node.parent is None
                    or node.mem_id in seen):  # a node with both attributes comes twice
                continue
            seen.add(node.mem_id)
            k = kind(node)
            if k is None or k in item_kinds:
                continue  # nested posts are the posts' own business
            runs.setdefault((node.parent.mem_id, k), []).append(node)
    by_kind: dict[str, list] = {}
    listed: set[str] = set()
    for (_, k), nodes in runs.items():
        by_kind.setdefault(k, []).extend(nodes)
        if len(nodes) >= 2:
            listed.add(k)
    best, best_prose = None, 0.0
    for k in listed:
        nodes = [n for n in by_kind[k] if n.mem_id not in taken_ids and not has_ancestor_in(n, taken_ids, body)
                 and not any(inside(t, n) for t in taken)]
        prose = _comment_prose(nodes, lengths)
        if prose > best_prose:
            best, best_prose = k, prose
    if best is None:
        return []
    k = best
    region = _opening_region(thread, body)
    before = []
    if region is not None:  # the opening post's comments, above the first post
        first, items = thread.items[0].mem_id, thread.ids()
        for node in region.css("*"):
            if node.mem_id == first:
                break
            if kind(node) == k and not has_ancestor_in(node, items, body):
                before.append(node)
    nodes = [n for n in before + by_kind[k] if n.mem_id not in taken_ids
             and not has_ancestor_in(n, taken_ids, body) and not any(inside(t, n) for t in taken)]
    ids = {n.mem_id for n in nodes}
    nodes = [n for n in nodes if not has_ancestor_in(n, ids, body)]  # a reply inside a comment comes with it
    return _own_text_blocks(nodes, budget, lengths)


def _comment_prose(nodes: list, lengths: dict[int, int]) -> float:
    """Unlinked text of comment-like nodes; 0 unless most of them hold a sentence."""
    prose, sentences = 0.0, 0
    for n in nodes:
        text = " ".join(n.text(deep=True).split())
        n_len = weighted_len(text)
        if n_len < _MIN_COMMENT_CHARS:
            continue
        ld = link_density(n, n_len, lengths)
        if ld < 0.5 and STOP.search(text):
            sentences += 1
            prose += n_len * (1 - ld)
    return prose if nodes and sentences >= 0.5 * len(nodes) else 0.0


def _own_text_blocks(nodes: list, budget, lengths: dict[int, int]) -> list:
    """Each node's text block where one kind of block holds it across the nodes and most of their unlinked
    text; else the nodes whole."""
    k, blocks = _anchor_blocks(nodes, budget)
    if k is not None and sum(_prose(b, lengths) for b in blocks) >= 0.5 * sum(_prose(n, lengths) for n in nodes):
        return blocks
    return nodes


def _anchor_blocks(nodes: list, budget=None) -> tuple[str | None, list]:
    """(kind, blocks): the kind of block that holds the text of most `nodes` (posts, comments) and every
    outermost block of it inside them, in document order (a node that is such a block itself is taken whole);
    (None, []) where no kind recurs in most of them."""
    anchors = Counter()
    for n in nodes:
        if budget is not None:
            budget.tick("threads", 16)
        k = _text_anchor_kind(n)
        if k is not None:
            anchors[k] += 1
    if not anchors:
        return None, []
    k, count = anchors.most_common(1)[0]
    if count < max(2, 0.6 * len(nodes)):
        return None, []
    tag = k.split(".", 1)[0].split("#", 1)[0]
    blocks = []
    for n in nodes:
        found = [b for b in n.css(tag) if kind(b) == k]  # css() matches the node itself too
        if any(b.mem_id == n.mem_id for b in found):
            blocks.append(n)
            continue
        ids = {b.mem_id for b in found}
        blocks.extend(b for b in found if not has_ancestor_in(b, ids, n))
    return k, blocks


def _opening_region(thread: Thread, body):
    """The run's grandparent (where an opening post laid out above the posts sits), None when that is the body."""
    region = thread.items[0].parent
    for _ in range(2):
        if region is None or region.parent is None or region.mem_id == body.mem_id:
            break
        region = region.parent
    return None if region is None or region.mem_id == body.mem_id else region


def _with_comments(parts: list, comments: list, body) -> list:
    """`parts` and the comments' text blocks (those not inside a part), in document order."""
    ids = {p.mem_id for p in parts}
    comments = [c for c in comments if c.mem_id not in ids and not has_ancestor_in(c, ids, body)]
    if not comments:
        return parts
    order = {n.mem_id: i for i, n in enumerate(body.css("*"))}
    return sorted(parts + comments, key=lambda n: order.get(n.mem_id, 0))


# the first pass's discussion names (dom._UNLIKELY: comment, replies, remark); only they are spared
_DISCUSSION_NAMED = '[class*="omment"], [id*="omment"], [class*="repl"], [id*="repl"], [class*="remark"]'


def spared(body, budget=None) -> set[int]:
    """Ids of the comment lists inside a thread's posts (the comments, what they hold, and the wrappers between
    them and their post), for the first pass to keep: their class names ("comments", "comment-body") mark them
    as discussion, which that pass removes before the thread is found. Called on the page before that removal."""
    if body.css_first(_DISCUSSION_NAMED) is None:
        return set()  # nothing there that the first pass removes as discussion: no second look for a thread
    lengths: dict[int, int] = {}  # nothing changes the page in here
    thread = find_thread(body, budget, lengths)
    if thread is None:
        return set()
    comments = post_bodies(thread, body, budget, lengths)[2]
    if not comments:
        return set()
    stops = thread.ids()
    region = _opening_region(thread, body)
    if region is not None:
        stops.add(region.mem_id)
    stops.add(body.mem_id)
    out: set[int] = set()
    for c in comments:
        out.update(n.mem_id for n in c.css("*"))  # css() matches the node itself too
        node = c.parent
        while node is not None and node.mem_id not in stops:
            out.add(node.mem_id)
            node = node.parent
    return out
