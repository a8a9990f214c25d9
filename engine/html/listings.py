"""Listing mode: a page whose content is a run of similar rows, each named by one linked title (a forum board's
topic table, a shop's product grid, a category page of linked entries with a line or two about each).

Readability-style scoring discounts link text, so on such a page the rows lose to any block of plain text: a
footer's copyright line, a board's "who is online" box. The mode is switched on by page structure only, never by
URL or site: five or more sibling elements of one tag (cousins under one grandparent count together: a board's
sticky and normal topic tables) where most rows hold one title link that is clearly the row's longest (1.5 times
any other link in it), of title length, at the same place in each row, beside some text of their own that is short
(a price, a date, a one-line description; forum posts are long and are thread mode's business). A navigation
menu, a tag cloud or a footer's link columns have no text beside their links or no dominant link; pagination
has no title-length links. `dom` takes the listing only where the body that scoring chose is short beside it
(`takes_over`): a footer line below the rows, one row's text, a frame the rows fill; a related-links list
below a real article (a long body, or a few sentences above the list) never replaces the article.
"""
from __future__ import annotations

import statistics

from engine.html.clean import META  # the metadata names `clean` prunes an article by
from engine.html.text import STOP, inside, known_length, link_density, text_length

_ROW_TAGS = "li, tr, tbody, div, article, section, dl, table"
_MIN_ROWS = 5
_TITLE_MIN, _TITLE_MAX = 8, 300  # Latin-equivalent chars: "Olio" is a title too, but most titles are longer
_MEDIAN_TITLE_MIN = 15  # a run of nav words ("Home", "News", "About") is a menu
_DOMINANT = 1.5  # the title's length over the row's next longest link (an author, a date, "Read more")
_MAX_ROW_TEXT = 600  # median unlinked text of a row: a post or an article section is longer
_ARTICLE_SENTENCES = 3  # a footer says "Powered by X. Processed in 0.05 s." at most
LONG_BODY = 1000  # Latin-equivalent chars of unlinked text: a body that long is not a footer line or a stub
_INLINE = frozenset(("span", "font", "b", "strong", "em", "i", "label", "small", "cite", "u"))


class Listing:
    """The rows (document order), each row's title link, and their summed text (`chars`)."""

    __slots__ = ("rows", "titles", "chars")

    def __init__(self, rows: list, titles: list, chars: int):
        self.rows = rows
        self.titles = titles
        self.chars = chars

    def parts(self) -> list:
        """What each row gives to the body: a table row its title cell (the other cells are columns of
        metadata: author, counts, last post), any other row itself."""
        out = []
        for row, title in zip(self.rows, self.titles):
            cell = title.parent
            while cell is not None and cell.mem_id != row.mem_id and cell.tag not in ("td", "th"):
                cell = cell.parent
            out.append(cell if cell is not None and cell.tag in ("td", "th") else row)
        return out

    def skipped(self) -> set[int]:
        """What the rows hold besides their content: links with text other than the titles (authors, page
        numbers, "New", "Read more"), dates and blocks named as metadata (byline, date, tags, share: the names
        `clean` prunes an article by) around the title. Links that only hold a picture stay (the product
        photo)."""
        titles = {t.mem_id for t in self.titles}
        out = set()
        density: dict[int, float] = {}
        for part, title in zip(self.parts(), self.titles):
            for a in part.css("a"):
                if a.mem_id in titles or not a.text(deep=True).strip():
                    continue
                line = _block_of(a, part)
                if line.mem_id not in density:
                    density[line.mem_id] = link_density(line)
                if density[line.mem_id] > 0.5:  # a link in a sentence of the row's description stays
                    out.add(a.mem_id)
            for node in part.css("[class], [id], time"):
                if node.mem_id == part.mem_id or inside(title, node):
                    continue
                attrs = node.attributes
                if node.tag == "time" or (META.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
                                          and text_length(node) < 200):
                    out.add(node.mem_id)
        return out


def _block_of(node, stop):
    """The nearest block (not inline, not a link) around `node`, at most `stop`."""
    block = node.parent
    while block is not None and block.mem_id != stop.mem_id and (block.tag in _INLINE or block.tag == "a"):
        block = block.parent
    return block if block is not None else stop


def _path(row, a) -> str:
    """Block tags from `row` down to link `a` (inline wrappers left out: a title in a <span> or not)."""
    tags = []
    node = a.parent
    while node is not None and node.mem_id != row.mem_id:
        if node.tag not in _INLINE:
            tags.append(node.tag)
        node = node.parent
    return "/".join(reversed(tags))


def _links(row, known: dict[int, int]) -> list:
    """[(length, link)] of the row's links with text, longest first (`known`: a `known_length` memo)."""
    links = []
    for a in row.css("a"):
        n = known_length(a, known)
        if n:
            links.append((n, a))
    links.sort(key=lambda t: -t[0])
    return links


def _run(rows: list, budget, known: dict[int, int]):
    """The run as a Listing, or None where it is not one. Links are measured first and the rows' whole text
    only for runs that pass the title tests: most runs (menus, paragraphs' wrappers) fail those cheaply."""
    if sum(1 for r in rows if r.css_first("a") is not None) < max(_MIN_ROWS, 0.7 * len(rows)):
        return None  # before any text is measured (an empty spacer row counts against the run here)
    linked, with_text = [], 0
    for r in rows:
        if budget is not None:
            budget.tick("listing", 16)
        links = _links(r, known)
        if links:
            linked.append((r, links))
            with_text += 1
        elif r.text(deep=True).strip():
            with_text += 1
    if len(linked) < max(_MIN_ROWS, 0.7 * with_text):
        return None
    titled = []  # (row, links, title link, title length)
    for r, links in linked:
        n, a = links[0]
        second = links[1][0] if len(links) > 1 else 0
        if _TITLE_MIN <= n <= _TITLE_MAX and n >= _DOMINANT * second:
            titled.append((r, links, a, n))
    if len(titled) < max(_MIN_ROWS, 0.7 * with_text):
        return None
    if statistics.median(t[3] for t in titled) < _MEDIAN_TITLE_MIN:
        return None
    paths: dict[str, int] = {}
    for r, _, a, _ in titled:
        p = _path(r, a)
        paths[p] = paths.get(p, 0) + 1
    path, count = max(paths.items(), key=lambda kv: kv[1])
    if count < 0.7 * len(titled):
        return None
    lengths = {}
    rest = []
    for r, links, _, _ in titled:
        lengths[r.mem_id] = known_length(r, known)
        rest.append(lengths[r.mem_id] - sum(n for n, _ in links))
    if sum(1 for x in rest if x >= 3) < 0.5 * len(titled) or statistics.median(rest) > _MAX_ROW_TEXT:
        return None
    keep_rows, titles, chars = [], [], 0
    for r, links in linked:
        title = next((a for n, a in links if _path(r, a) == path), None)
        if title is not None:
            keep_rows.append(r)
            titles.append(title)
            chars += lengths[r.mem_id] if r.mem_id in lengths else known_length(r, known)
    return Listing(keep_rows, titles, chars)


def find_listing(body, budget, known: dict[int, int]) -> Listing | None:
    """The run of title rows holding the most text, or None. `known`: a `known_length` memo of the tree as it
    is (rows of nested runs, cells and rows, share their links)."""
    groups: dict[tuple, list] = {}
    for node in body.css(_ROW_TAGS):
        if budget is not None:
            budget.tick("listing", 256)
        parent = node.parent
        if parent is None:
            continue
        grand = parent.parent
        key = (grand.mem_id if grand is not None else parent.mem_id, parent.tag, node.tag)
        groups.setdefault(key, []).append(node)
    best = None
    for rows in groups.values():
        if len(rows) < _MIN_ROWS:
            continue
        found = _run(rows, budget, known)
        if found is not None and (best is None or found.chars > best.chars):
            best = found
    return best


def takes_over(listing: Listing, top, top_prose: float, top_chars: int) -> bool:
    """Whether the listing is the body rather than what scoring chose (`top`, its unlinked text `top_prose` and
    all its text `top_chars`): the rows fill nearly all of `top` (a product grid that scoring chose whole, pager and
    sort bar around it), or `top` stands apart from the rows or inside one row and is short beside them (a
    footer line, one row's description)."""
    rows_inside = all(inside(r, top) for r in listing.rows)
    if rows_inside:
        return listing.chars >= 0.9 * top_chars
    if top_prose >= LONG_BODY or top_prose >= 0.5 * listing.chars:
        return False
    if any(inside(top, r) for r in listing.rows) or _follows(top, listing.rows[-1]):
        return True  # one row's text, or the footer below the rows
    # a short article of a few sentences above a long related list is still the body
    return len(STOP.findall(" ".join(top.text().split()))) < _ARTICLE_SENTENCES


def _follows(node, row) -> bool:
    """`node` comes after `row` in document order (neither inside the other)."""
    path = []
    n = row
    while n is not None:
        path.append(n)
        n = n.parent
    ids = {n.mem_id for n in path}
    n = node
    while n.parent is not None and n.parent.mem_id not in ids:  # node's ancestor just below the common one
        n = n.parent
    common = n.parent
    if common is None:
        return False
    branch = next((p for p in path if p.parent is not None and p.parent.mem_id == common.mem_id), None)
    if branch is None:
        return False
    sibling = branch.next
    while sibling is not None:
        if sibling.mem_id == n.mem_id:
            return True
        sibling = sibling.next
    return False

