"""Teasers of other stories: lists and runs of headline links (with or without pictures) that point away from
this page.

They decide two things. Scoring: a strong block that is mostly lists of other stories (a ticker, a "most read"
box no class names) is not a chunk of the split-off body, so it does not pull the chosen container up to a common
ancestor. Rendering: a picture inside a link to another story, in a run of same-shaped items, is a "read next"
card, not this story's image, so the walk skips it. Both use the URL test of `urls.links_to_story`
rather than class names, which sites do not share.
"""
from __future__ import annotations

from engine.html.text import has_ancestor_in, inside, text_length, weighted_len
from engine.html.urls import choose_img_src, links_to_story, resolve


def _teaser_lists(node, base: str | None, budget=None) -> list:
    """The lists in `node` (itself included) that list other stories: a news ticker, a "most read" box that no
    class names. Each has at least three items and most items open with a headline link to another story
    (after at most a short kicker) and hold little else: a summary line, a byline."""
    found = []
    for lst in node.css("ul, ol"):
        if budget is not None:  # each list reads its items' text: nested lists make it quadratic
            budget.tick("teasers", 8)
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
    if weighted_len(text) >= 600:
        return False
    for link in item.css("a[href]"):
        title = " ".join(link.text().split())
        if not title:
            continue  # the picture link in front of the headline
        start = text.find(title)
        return (weighted_len(title) >= 20 and 0 <= start and weighted_len(text[:start]) < 40
                and links_to_story(link.attributes.get("href"), None, base))
    return False


def mostly_teasers(node, base: str | None, budget=None) -> bool:
    """Most of `node`'s text sits in lists of other stories: it is not a part of the body that was split off."""
    lists = _teaser_lists(node, base, budget)
    if not lists:
        return False
    ids = {n.mem_id for n in lists}
    outer = [n for n in lists if not has_ancestor_in(n, ids, node)]
    return sum(text_length(n) for n in outer) >= 0.5 * text_length(node)


def teaser_ids(parts, base: str | None, budget=None) -> set[int]:
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
            if budget is not None:
                budget.tick("teasers")
            hit = _teaser_holder(img, base, runs)
            if hit is None:
                continue
            key, holder = hit
            if holder.mem_id != part.mem_id and inside(holder.parent, part):
                skip[holder.mem_id] = holder
                skip.update((item.mem_id, item) for item in runs[key])
            else:
                skip[img.mem_id] = img
                if img.parent is not None and img.parent.tag == "picture":  # the walk meets the <picture>
                    skip[img.parent.mem_id] = img.parent
    if not skip:
        return set()
    if sum(text_length(n) for n in skip.values()) >= 0.5 * sum(text_length(p) for p in parts):
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
             and child.css_first("img") is not None and text_length(child) < 600]
    return items if len(items) >= 2 else []
