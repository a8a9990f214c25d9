"""Own main-body extractor: one lexbor (selectolax) parse, boilerplate pruning, Readability-style scoring to pick
the main container, then an in-order walk that keeps text blocks and images where they stand.

Why not trafilatura: it drops or loses many in-body images (no <picture>, few lazy-load attributes) and costs
~25 ms a page; lexbor parses in ~2 ms. The scoring follows the published Readability idea (paragraph scores
flow to ancestors, discounted by link density and class/id hints) with no per-site rules.

This module is the pipeline and the body choice (scoring, siblings, thread and listing modes, rendering,
tidying). What inside the chosen body is not the story is pruned by `clean` and `teasers`, which images stay by
`images`; the text measures they all share live in `text`.
"""
from __future__ import annotations

import re

from engine.html.blocks import BlockWriter
from engine.html.clean import clean_conditionally, is_related_block, remove_related_sections
from engine.html.images import write_image
from engine.html.listings import LONG_BODY, find_listing, takes_over
from engine.html.meta import page_metadata
from engine.html.teasers import mostly_teasers, teaser_ids
from engine.html.text import (BLOCK_TAGS, HEADINGS, LINE_TAGS, SENTENCE_END, STOP, any_word, class_weight,
                              comma_count, inside, known_length, link_density, weighted_len)
from engine.html.threads import find_thread, reconcile, spared
from engine.html.types import Budget, ExtractConfig, Extracted

# never content: removed before anything else
_DROP = ("script, style, noscript, template, svg, canvas, iframe, object, embed, button, input, select, "
         "textarea, nav, link, meta, dialog, [hidden], [role=navigation], [role=banner], "
         "[role=contentinfo], [role=complementary], [role=dialog], [role=alert], "
         "[style*='display:none'], [style*='display: none'], [style*='visibility:hidden'], "
         "[style*='visibility: hidden']")
# class/id hints (Readability's published lists, trimmed). UNLIKELY nodes are removed on the first pass;
# a second pass keeps them (e.g. a forum thread whose posts are all "comment"s).
_UNLIKELY = any_word(
    "-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|"
    "menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|"
    "pagination|pager|popup|yom-remote|cookie|newsletter|subscribe|share|sharing|outbrain|taboola|promo|"
    "recommend|signup|paywall|modal|toolbar|byline-social")  # matched on the lower-cased hint: 6x faster than re.I
_MAYBE = any_word("and|article|body|column|content|main|shadow|post|entry|story|text")

_PARAGRAPHS = "p, pre, td, blockquote, li, dd, h2, h3, h4, div, section, article, main, font, span"
_SKIP = frozenset("figcaption -comment script style noscript template svg head title iframe button select "
                  "textarea".split())


# layout tables carry ids like "makebanner" around the whole page: they and their cells are never judged by
# name (as in Readability)
_NEVER_UNLIKELY = frozenset(("body", "html", "a", "article", "main", "table", "tbody", "tr", "td", "th"))


def _remove_unlikely(root, budget: Budget, keep: set[int] = frozenset()) -> None:
    named: dict[str, bool] = {}  # hint -> named unlikely: a page repeats its class names (~40% distinct)
    for node in root.css("[class], [id]"):
        budget.tick("clean")
        if node.parent is None:
            # inside a block removed above: decompose() detached it from its parent and its children (about
            # half the nodes of a page), and removing it again would change nothing
            continue
        # `keep`: the comment lists of a thread (threads.spared), which are named like the comments to remove
        if node.tag in _NEVER_UNLIKELY or node.mem_id in keep:
            continue
        attrs = node.attributes
        hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        unlikely = named.get(hint)
        if unlikely is None:
            lower = hint.lower()
            unlikely = named[hint] = _UNLIKELY.search(lower) is not None and _MAYBE.search(lower) is None
        if unlikely and not _frames_article(node, hint.lower()):
            node.decompose()


_DISCUSSION = re.compile(r"comment|repl|remark|disqus|discussion", re.I)


def _frames_article(node, hint: str) -> bool:
    """A header, menu or modal wrapper that holds an <article> is the story's frame (a story opened in an
    overlay, a page-wide "site_header" div), not chrome; comment threads mark each comment as an <article>."""
    return not _DISCUSSION.search(hint) and node.css_first("article") is not None


_OWN_TEXT_TAGS = frozenset(("div", "section", "article", "main", "font", "span"))
_TAG_SCORE = {"div": 5, "article": 5, "main": 5, "pre": 3, "td": 3, "blockquote": 3, "form": -3, "ol": -3, "ul": -3,
              "dl": -3, "dd": -3, "dt": -3, "li": -3, "address": -3, "th": -5}


def _score_candidates(root, budget: Budget | None = None) -> dict[int, list]:
    """Readability scoring: each paragraph-like node with >= 25 chars of own text gives 1 + commas + length
    points to its parent (full), grandparent (1/2) and great-grandparent (1/3). A node's score depends only on
    the paragraphs up to three levels below it, so the scores of a subtree's nodes are the same whether scoring
    ran on the subtree or on the whole page (`_select_main` reuses the page's for the siblings)."""
    scores: dict[int, list] = {}  # mem_id -> [score, node]
    for node in root.css(_PARAGRAPHS):
        if budget is not None:  # nested paragraph-like nodes each take their deep text: quadratic on deep pages
            budget.check("score")
        tag = node.tag
        if tag in _OWN_TEXT_TAGS or (tag == "td" and node.css_first("p, div, table") is not None):
            # only its own text: a div used as a paragraph, a layout cell around the real paragraphs
            text = node.text(deep=False)
        else:
            text = node.text(deep=True)
        if not text or text.isspace():  # most wrappers' own text: the whitespace between their children
            continue
        text = " ".join(text.split())
        length = weighted_len(text)
        if length < 25:
            continue
        points = 1 + comma_count(text) + min(length // 100, 3)
        ancestor, level = node.parent, 0
        while ancestor is not None and level < 3:
            tag = ancestor.tag
            if tag == "html" or tag == "-document":
                break
            key = ancestor.mem_id
            entry = scores.get(key)
            if entry is None:
                entry = scores[key] = [_TAG_SCORE.get(tag, 0) + class_weight(ancestor), ancestor]
            entry[0] += points / (1, 2, 3)[level]
            ancestor, level = ancestor.parent, level + 1
    return scores


def _top_candidate(scores: dict[int, list], base: str | None, budget: Budget, measured: dict,
                   lengths: dict[int, int]):
    """(the main container, its score) from the page's `_score_candidates`; `measured` collects mem_id ->
    (text length, link density) of the candidates measured on the way (the listing step reuses the chosen
    one's); `lengths`: a `known_length` memo of the tree as it is (the candidates nest: their links are measured
    again and again)."""
    if not scores:
        return None, 0.0
    ranked = sorted(scores.values(), key=lambda s: -s[0])[:5]
    adjusted = []
    for score, node in ranked:
        budget.check("score")  # each measures its deep text: the top ones hold most of the page
        chars = known_length(node, lengths)
        ld = link_density(node, chars, lengths)
        measured[node.mem_id] = (chars, ld)
        adjusted.append((score * (1 - ld), node))
    best_score, best = max(adjusted, key=lambda t: t[0])
    # the body split into several containers (chunks between ads, sections): strong candidates that are
    # not nested in the best one pull it up to their common ancestor, if that stays close and prose-like
    others = [n for sc, n in adjusted if sc >= 0.5 * best_score and n.mem_id != best.mem_id
              and not inside(n, best) and not inside(best, n) and not mostly_teasers(n, base, budget)]
    if others:
        node, level = best.parent, 0
        while node is not None and level < 4 and node.tag not in ("body", "html"):
            if all(inside(o, node) for o in others):
                budget.check("score")
                if link_density(node, lengths=lengths) < 0.35:
                    best = node
                break
            node, level = node.parent, level + 1
    return _whole_body(best, budget, lengths), best_score


def _whole_body(best, budget: Budget, lengths: dict[int, int]):
    """The body split into chunks of one kind (same tag and class: story-body sections between ads or
    'continue reading' breaks): the element holding all the chunks. Judged on the best block and its parent;
    a chunk is a prose block of at least a tenth of the best block's text with few links (a same-class
    wrapper around an author box is no chunk). Other containers around the best block hold its headline,
    byline and teasers: the sibling step picks what belongs to the body from them. `lengths`: a known_length
    memo of this unchanged tree."""
    budget.check("score")
    min_chars = max(200, known_length(best, lengths) // 10)
    node = best
    for _ in range(2):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html"):
            break
        cls = node.attributes.get("class")
        if cls:
            for sibling in parent.iter(include_text=False):
                if budget is not None:
                    budget.tick("score")
                if (sibling.mem_id != node.mem_id and sibling.tag == node.tag
                        and sibling.attributes.get("class") == cls and _is_prose_block(sibling, min_chars, lengths)):
                    return parent
        node = parent
    return best


def _is_prose_block(node, min_chars: int, lengths: dict[int, int]) -> bool:
    text_len = known_length(node, lengths)
    return text_len >= min_chars and link_density(node, text_len, lengths) < 0.35


def _keep_sibling(sibling, top_score: float, scores_cache: dict, after_top: bool, lengths: dict[int, int]) -> bool:
    tag = sibling.tag
    if tag in ("-text", "-comment") or tag in _SKIP:
        return False
    if tag in ("figure", "picture", "img"):
        # a figure beside the body blocks belongs to it, unless it is the page-wide banner above it
        attrs = sibling.attributes
        return after_top or not _HERO.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
    if is_related_block(sibling):
        return False
    text_len = known_length(sibling, lengths)
    if tag == "p":
        ld = link_density(sibling, text_len, lengths)
        return (text_len > 80 and ld < 0.25) or (0 < text_len <= 80 and ld == 0 and
                                                 STOP.search(sibling.text()) is not None)
    if tag in ("div", "section") and text_len > 80 and not _has_block_inside(sibling):
        # a div used as a paragraph (a standfirst, a summary) is judged like a long one
        return link_density(sibling, text_len, lengths) < 0.25
    score = scores_cache.get(sibling.mem_id)
    return score is not None and score[0] >= max(10.0, top_score * 0.2)


_BLOCK_INSIDE = ("p, div, section, article, aside, header, footer, table, ul, ol, dl, pre, blockquote, figure, "
                 "h1, h2, h3, h4, h5, h6, form, img, picture")


def _has_block_inside(node) -> bool:
    # lexbor's css() matches the node itself too
    return any(n.mem_id != node.mem_id for n in node.css(_BLOCK_INSIDE))


_HERO = re.compile(r"hero|masthead|banner|cover|header", re.I)


def _render(parts, w: BlockWriter, base: str | None, cfg: ExtractConfig, title: str | None,
            budget: Budget, skip: set[int] = frozenset(), listing: bool = False) -> None:
    """Walk the chosen `parts` in document order, keeping text and images where they stand. Images outside
    them (page heroes, header art, teasers beside the column) are not the story's: references leave them out.
    A listing's rows are picture-and-title cards themselves: no teaser pruning there."""
    teasers = (frozenset() if listing else teaser_ids(parts, base, budget)) | skip
    part_ids = {p.mem_id for p in parts}  # each part ends its paragraph (thread posts can be table cells)
    stack = [(p, False) for p in reversed(parts)]
    while stack:
        budget.tick("render", 256)
        node, closing = stack.pop()
        tag = node.tag
        if closing:
            if tag in BLOCK_TAGS or tag in HEADINGS or node.mem_id in part_ids:
                w.flush()
            elif tag in LINE_TAGS:
                w.newline()
            continue
        if tag == "-text":
            w.text(node.text_content)
            continue
        if tag in _SKIP or node.mem_id in teasers:
            continue
        if tag == "img" or tag == "picture":
            write_image(node, w, base, cfg)
            continue
        if tag == "br":
            w.newline()
            continue
        if tag == "pre":
            w.flush()
            w.pre(node.text(deep=True))
            w.flush()
            continue
        if tag in HEADINGS and title and " ".join(node.text().split()) == title:
            continue  # the page title repeated as the article headline is metadata, not body text
        if tag in BLOCK_TAGS:
            w.flush()
        elif tag == "li":
            w.newline("- ")
        elif tag in ("tr", "dt", "dd"):
            w.newline()
        elif tag in ("td", "th") and w.line:
            w.text(" | ")
        stack.append((node, True))
        children = [(c, False) for c in node.iter(include_text=True)]
        children.reverse()
        stack += children


def _select_main(tree, strip_unlikely: bool, budget: Budget, base: str | None, cfg: ExtractConfig):
    body = tree.body
    if body is None:
        return [], "body", frozenset()
    for node in body.css(_DROP):
        budget.tick("clean", 256)
        node.decompose()
    remove_related_sections(body, budget)
    if strip_unlikely:
        _remove_unlikely(body, budget, spared(body, budget))
    # text lengths by mem_id, shared by every step that measures nodes until clean_conditionally changes the
    # tree: the thread's posts, the candidates, the siblings and the listing's rows nest and share links
    lengths: dict[int, int] = {}
    thread = find_thread(body, budget, lengths)
    budget.check("clean")
    measured: dict[int, tuple[int, float]] = {}
    scores = _score_candidates(body, budget)
    top, top_score = _top_candidate(scores, base, budget, measured, lengths)
    budget.check("score")
    if top is None:
        return [body], "body", frozenset()
    parent = top.parent
    if parent is None or top.tag == "body":
        parts = [top]
    else:
        # the siblings' scores: the page's (nothing was removed since; see _score_candidates)
        parts, after_top, before = [], False, None
        for c in parent.iter(include_text=False):
            budget.tick("siblings", 8)  # each sibling measures its deep text
            if c.mem_id == top.mem_id:
                after_top = True
                if (before is not None and (not parts or parts[-1].mem_id != before.mem_id)
                        and _is_spec_block(before, lengths)):
                    parts.append(before)  # the item's spec sheet right above its description
                parts.append(c)
            elif _keep_sibling(c, top_score, scores, after_top, lengths):
                parts.append(c)
            if c.tag != "-comment":
                before = c
        if not any(_is_spec_block(p, lengths) for p in parts):
            spec = _spec_above(top, parent, lengths)
            if spec is not None:
                parts.insert(0, spec)
    threaded = False
    if thread is not None:
        chosen = reconcile(parts, top, thread, body, budget, cfg, lengths)
        threaded, parts = chosen is not parts, chosen
    # posts of a thread are not a listing's rows
    listing = None if threaded else _listing(body, top, budget, measured.get(top.mem_id), lengths)
    if listing is not None:
        return listing.parts(), "listing", listing.skipped()
    for part in parts:
        clean_conditionally(part, base, budget)
    return parts, "thread" if threaded else "body", frozenset()


def _listing(body, top, budget: Budget, measured: tuple[int, float] | None, lengths: dict[int, int]):
    """The page's listing where it is the body rather than `top` (listings.takes_over), else None. Beside a
    long `top` only a listing that fills it can take over: it is looked for inside `top` alone (cheaper).
    `measured`: top's (text length, link density) where scoring measured them already; `lengths`: a
    `known_length` memo of the tree as it is."""
    chars, ld = measured if measured is not None else (known_length(top, lengths), None)
    prose = chars * (1 - (link_density(top, chars, lengths) if ld is None else ld))
    listing = find_listing(body if prose < LONG_BODY else top, budget, lengths)
    budget.check("listing")
    if listing is None:
        return None
    return listing if takes_over(listing, top, prose, chars) else None


_SPEC_LINE = re.compile(r"^[^:：|]{1,20}[:：]\s*\S")


def _spec_above(top, parent, lengths: dict[int, int], levels: int = 3):
    """A spec sheet in the row above the description's row, for layout tables that put the sheet and the
    description in different rows (tr > td > table): the previous element sibling of top's ancestors, up to
    `levels` above its parent and never past body, holding a table or <dl> that _is_spec_block accepts.
    `lengths`: a `known_length` memo of the tree as it is."""
    node = parent
    for _ in range(levels):
        if node is None or node.tag in ("body", "html"):
            return None
        prev = node.prev
        while prev is not None and prev.tag.startswith("-"):  # text and comment nodes
            prev = prev.prev
        if prev is not None:
            for cand in prev.css("table, dl"):
                if _is_spec_block(cand, lengths):
                    return cand
        node = node.parent
    return None


def _is_spec_block(node, lengths: dict[int, int]) -> bool:
    """A product's spec sheet right above its description: a table (or <dl>) of three or more short
    "label : value" rows (code, maker, price, size) with few links. It is the item's data, not navigation.
    `lengths`: a `known_length` memo of the tree as it is."""
    if node.tag not in ("table", "dl", "div") or link_density(node, lengths=lengths) > 0.3:
        return False
    rows = node.css("dt") if node.tag == "dl" else [  # innermost rows (css() matches the node itself too)
        r for r in node.css("tr") if all(x.mem_id == r.mem_id for x in r.css("tr"))]
    lines = [(r, " ".join(r.text().split())) for r in rows]
    lines = [(r, t) for r, t in lines if t]
    specs = 0
    for row, text in lines:
        cells = [c for c in row.iter(include_text=False) if c.tag in ("td", "th")]
        pair = len(cells) == 2 and 0 < known_length(cells[0], lengths) <= 30 if node.tag != "dl" else True
        if weighted_len(text) <= 80 and (pair or _SPEC_LINE.match(text)):
            specs += 1
    return specs >= 3 and specs >= 0.6 * len(lines)


def extract_with_dom(text: str, url: str | None, config: ExtractConfig, budget: Budget) -> Extracted:
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(text)
    budget.check("parse")
    meta = page_metadata(tree, url, budget)
    best: Extracted | None = None
    best_chars, best_mode = -1, "body"
    for strip_unlikely in (True, False):
        if not strip_unlikely:  # a short first result: retry keeping "comment"/"sidebar"-like blocks (threads)
            tree = LexborHTMLParser(text)
            budget.check("reparse")
        out = Extracted(title=meta.title, date=meta.date, html_lang=meta.lang)
        parts, mode, skip = _select_main(tree, strip_unlikely, budget, meta.base, config)
        w = BlockWriter(out, config.min_paragraph_chars)
        _render(parts, w, meta.base, config, meta.title, budget, skip, listing=mode == "listing")
        w.flush()
        budget.check("render")
        chars = weighted_len("".join(t for t in out.texts if t))
        if chars > best_chars:
            best, best_chars, best_mode = out, chars, mode
        if chars >= 250:
            break
    # a thread's first or last post may be one short line ("lol same here"): it is a post, not a stub; a
    # listing's rows repeat their short fields ("In stock", "Topics: 1") and end on one
    return _tidy(best, budget, trim_edges=best_mode == "body", dedupe=best_mode != "listing")


_LEAD_IN = re.compile(r"(?:\.\.\.|…|:|：)\s*$")
# a clock time or a numeric date (2020-06-16, 16/06/2020, 2020年06月16日, 6月16日): an unpunctuated one-line
# paragraph that carries one at the edge of the body is a dateline or a "Source: ... Time: ..." line, even when
# it is longer than a label (list items and table rows with dates are not: they have several lines)
_DATE = re.compile(r"(?<!\d)(?:\d{1,2}:\d{2}|\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}|"
                   r"\d{1,2}\s*月\s*\d{1,2}\s*日)(?!\d)")


def _tidy(out: Extracted, budget: Budget, trim_edges: bool = True, dedupe: bool = True) -> Extracted:
    """Drop (with `dedupe`: not on a listing) repeated paragraphs (slideshow captions, repeated headlines) and
    (with `trim_edges`) the short, unpunctuated lines (datelines, labels, 'Comments') that stick to the start and
    end of the body. Lengths are Latin-equivalent (`weighted_len`): a 30-character Chinese sentence is as long as
    its English translation, not a label."""
    seen: set[str] = set()
    keep = []
    for i, t in enumerate(out.texts):
        budget.tick("tidy", 1024)
        if dedupe and t is not None and weighted_len(t) < 120:  # long ones may repeat on purpose (quotes, refrains)
            if t in seen:
                continue
            seen.add(t)
        keep.append(i)

    def is_stub(i: int) -> bool:
        t = out.texts[i]
        if t is None:
            return False
        length = weighted_len(t)
        if length >= 120 or (length >= 40 and ("\n" in t or _DATE.search(t) is None)):
            return False
        # a lead-in ("You may also like...", "Related:") whose list was removed is a stub too
        return not SENTENCE_END.search(t) or _LEAD_IN.search(t) is not None

    text_idx = [i for i in keep if out.texts[i] is not None] if trim_edges else []
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
