"""Pre-parse guard: an upper estimate of element nesting from the raw tag stream.

HTML tree builders get quadratic on very deep nesting (lexbor: 0.1 s at 10k levels, 14 s at 100k), and no C
parser can be interrupted, so `extract()` refuses deeper pages (ExtractConfig.max_depth) before parsing.
"""
from __future__ import annotations

import re

# tags the parser closes by itself (void elements, optional end tags): they do not nest
_NO_NEST = frozenset("area base br col embed hr img input link meta source track wbr p li dt dd option tr td th "
                     "thead tbody tfoot colgroup rp rt optgroup param keygen basefont frame".split())
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
# the document's own elements: the parser opens <html> and <body> once (a later start tag only adds attributes),
# and `</body>` / `</html>` pop nothing (they switch to "after body" mode, and the next content goes back into the
# open elements). Counting them as opens and closes let a page repeated after its `</body></html>` (a
# concatenated or mirrored response) nest 109k <blockquote>s seen as 1k levels (over 40 s in lexbor).
_ONCE = frozenset(("html", "head", "body"))
_NEVER_CLOSED = frozenset(("html", "body"))


# The parser ignores an end tag whose element is not open, or is open only below a "special" element (or, for
# special and formatting elements, below a scope boundary): counting every end tag as a close let `<div></i>`
# nest 100k levels unseen (50 s in lexbor). Sets from the WHATWG tree-construction rules, less _NO_NEST.
_SPECIAL = frozenset("address applet article aside blockquote body button caption center details dir div dl fieldset "
                     "figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 head header hgroup html iframe listing "
                     "main marquee menu nav noembed noframes noscript object ol plaintext pre script search section "
                     "select style summary table template textarea title ul xmp mi mo mn ms mtext foreignobject "
                     "desc".split())
_SCOPE = frozenset("applet caption html table marquee object template mi mo mn ms mtext foreignobject desc "
                   "title".split())
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())


def _closes_at(stack: list[str], name: str, budget: list[int]) -> int | None:
    """Stack index an end tag pops down to; None when the parser ignores it. A walk past the step budget also
    gives None (the page then looks deeper, never shallower), which keeps the scan linear in the page size."""
    furthest = None
    for i in range(len(stack) - 1, -1, -1):
        budget[0] -= 1
        if budget[0] < 0:
            return None
        tag = stack[i]
        if tag == name:
            if furthest is not None:  # adoption agency: the formatting element moves inside the furthest block
                del stack[i]
                stack.insert(furthest, name)
                return None
            return i
        if tag in _SCOPE or (tag in _SPECIAL and name not in _SPECIAL and name not in _FORMATTING):
            return None
        if tag in _SPECIAL and name in _FORMATTING:
            furthest = i
    return None


def nesting_depth(text: str, limit: int, budget=None) -> int:
    """Upper estimate of element nesting from the raw tag stream; stops counting once past `limit`. With a
    `Budget`, raises ExtractionRejected('timeout') when it runs out (a 10 MB page holds ~1M tags)."""
    stack: list[str] = []
    open_names: dict[str, int] = {}
    deepest, steps = 0, [len(text)]
    for m in _TAG.finditer(text):
        if budget is not None:
            budget.tick("depth", 4096)
        name = m.group(2).lower()
        if name in _NO_NEST:
            continue
        if not m.group(1):
            if name in _ONCE and open_names.get(name):
                continue
            stack.append(name)
            open_names[name] = open_names.get(name, 0) + 1
            if len(stack) > deepest:
                deepest = len(stack)
                if deepest > limit:
                    break
            continue
        if not open_names.get(name) or name in _NEVER_CLOSED:
            continue
        i = _closes_at(stack, name, steps)
        if i is not None:
            for gone in stack[i:]:
                open_names[gone] -= 1
            del stack[i:]
    return deepest
