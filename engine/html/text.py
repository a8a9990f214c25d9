"""Text and tree measures shared by the main-body extractor's modules (`dom` scoring, `clean`
pruning, `teasers`): Latin-equivalent text length, link density, class/id weight, sentence punctuation
of every script, block/line tag sets and ancestor tests.

They live apart so every module measures a node the same way (one length, one link density) without importing
the pipeline: thresholds in different modules stay comparable and no import cycle arises.
"""
from __future__ import annotations

import re

BLOCK_TAGS = frozenset("p div section article main header footer aside h1 h2 h3 h4 h5 h6 ul ol dl table "
                       "blockquote figure figcaption pre form fieldset address details summary center hr body".split())
LINE_TAGS = frozenset("li tr dt dd br".split())
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())


def any_word(words: str, flags: int = 0) -> re.Pattern:
    """A pattern that finds any of the `|`-separated literal `words` (for `search`, like `re.compile(words)`:
    the same strings match), factored by common prefixes ("co(?:m(?:bx|m(?:ent|unity))|okie)"). re tries every
    branch of an alternation at every position; the factored one tries one branch per first letter, which makes
    the class/id hints that run per node ~2.5x faster."""
    return re.compile(_prefix_tree(sorted(set(words.split("|")))), flags)


def _prefix_tree(words: list[str]) -> str:
    if "" in words:  # a word that is a prefix of others: what follows it is optional
        rest = [w for w in words if w]
        return f"(?:{_prefix_tree(rest)})?" if rest else ""
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0], []).append(w[1:])
    branches = [re.escape(first) + _prefix_tree(tails) for first, tails in groups.items()]
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


# class/id hints (Readability's published lists, trimmed)
# matched on lower-cased values (no re.I: an alternation with IGNORECASE is ~6x slower, and these run per node)
_POSITIVE = any_word("article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose")
_NEGATIVE = re.compile(r"^hid$| hid$| hid |^hid |" + any_word(
    "-ad-|hidden|banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|"
    "media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|"
    "widget|caption-credit|author-info|newsletter").pattern)


# Sentence punctuation of every script, so scoring and the stub rules do not favour Latin text. Commas: Latin,
# fullwidth and ideographic (CJK), Arabic (also Persian/Urdu). Sentence ends: Latin . ? ! before a space (or the
# end), and the marks that need no space: CJK (。！？), Arabic question mark, Urdu full stop, Devanagari danda,
# Burmese, Ethiopic.
STOP = re.compile(r"[.?!](?: |$)|[\u3002\uff01\uff1f\u061f\u06d4\u0964\u0965\u104b\u1362]")
# closing marks of a sentence in any script: Latin, CJK (and the fullwidth parenthesis), Arabic (؟ ؛), Urdu (۔),
# Devanagari (। ॥), guillemets
SENTENCE_END = re.compile(r"[.!?:;。！？」』\"”)）»\u061f\u061b\u06d4\u0964\u0965\u104b\u1362]\s*$")


# Han and kana text puts no spaces between words, and one character there carries about what three (Han) or two
# (kana) Latin characters do: in translated text a page of English is ~3x as many characters as its Chinese and
# ~2x its Japanese. Every length threshold counts text in this Latin-equivalent length, so a Chinese sentence of
# 30 characters is a sentence, not a stub (Hangul is written with spaces and counts as it stands).
# Runs, not characters: a 5M-character Japanese page is a few thousand runs (0.5 s) rather than 5M one-character
# matches summed in Python (1.2 s), and the scoring measures the biggest containers several times.
_KANA_RUN = re.compile("[\u3040-\u30ff]+")
_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WIDE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # either: one scan decides


def weighted_len(text: str) -> int:
    """Length of `text` in Latin-equivalent characters: kana count 2, Han 3, everything else 1."""
    if text.isascii() or _WIDE.search(text) is None:  # most non-ASCII text is Latin with a curly quote
        return len(text)
    return len(text) + sum(map(len, _KANA_RUN.findall(text))) + 2 * sum(map(len, _HAN_RUN.findall(text)))


def comma_count(text: str) -> int:
    # Latin, fullwidth, ideographic and Arabic commas, counted one by one (a loop over them costs twice as much)
    return text.count(",") + text.count("\uff0c") + text.count("\u3001") + text.count("\u060c")


def class_weight(node) -> int:
    attrs = node.attributes
    w = 0
    for value in (attrs.get("class"), attrs.get("id")):
        if value:
            value = value.lower()
            if _NEGATIVE.search(value):
                w -= 25
            if _POSITIVE.search(value):
                w += 25
    return w


def text_length(node) -> int:
    return weighted_len(" ".join(node.text(deep=True).split()))


def known_length(node, lengths: dict[int, int]) -> int:
    """text_length, remembered in `lengths` (mem_id -> length) by a caller that measures nested nodes (the same
    links again and again) while the tree does not change."""
    key = node.mem_id
    n = lengths.get(key)
    if n is None:
        n = lengths[key] = text_length(node)
    return n


def link_density(node, text_len: int | None = None, lengths: dict[int, int] | None = None) -> float:
    """Share of the node's text inside links. `text_len`: the node's, where the caller has it; `lengths`: a
    `known_length` memo for its and its links' lengths."""
    measure = text_length if lengths is None else lambda n: known_length(n, lengths)
    total = measure(node) if text_len is None else text_len
    if not total:
        return 0.0
    return min(sum(measure(a) for a in node.css("a")) / total, 1.0)


def inside(node, container) -> bool:
    target = container.mem_id
    p = node
    while p is not None:
        if p.mem_id == target:
            return True
        p = p.parent
    return False


def has_ancestor_in(node, ids: set[int], stop) -> bool:
    node = node.parent
    while node is not None and node.mem_id != stop.mem_id:
        if node.mem_id in ids:
            return True
        node = node.parent
    return False
