"""A second opinion on the main text, the per-document confidence drawn from it, and the union fallback.

Two independent extractors that agree on a page are most likely both right; where they disagree one of them cut
or kept the wrong part (the Consensus Entropy idea). The second opinion is resiliparse's main-content
extraction (a DOM-rule extractor unrelated to our scoring, ~1.6 ms a page, a fifth of weft's own time). The
confidence (`confidence`) is the share of the second opinion's tokens that weft's text holds too (tokens: words,
and single Han/kana characters, which carry no spaces, so it is comparable across scripts), times the share of
weft's lines that are prose: the first falls where weft cut content, the second where it kept chrome. It is
stored per document (`Extracted.agreement`, the `extraction_agreement` score, the name it had as a plain Dice
overlap) for analysts to filter on; `make bench-extract` prints its rank correlation with F1 per set.

The union fallback (below `extract.html.union_below`, weft's paragraphs completed by the second opinion's prose
paragraphs that weft lacks, each after the weft paragraph it follows) is implemented but off: measured by
`make bench-extract`, a union below 0.3 confidence (5-30% of pages), with resiliparse's paragraphs or with
trafilatura's text, lowered F1 on Readability and did not raise AEB (the other extractor, where weft is unsure,
more often keeps other stories than weft cuts this one), so a trafilatura pass does not pay for its time either.
"""
from __future__ import annotations

import re
from collections import Counter

from engine.html.text import STOP
from engine.html.types import ExtractConfig, Extracted

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_WIDE = re.compile(f"[{_CJK}]")
_WORD = re.compile(r"\w+")  # _TOKEN on text without Han/kana, where its classes are \w: ~12% faster
_PARAGRAPH = re.compile(r"\n\s*\n|\n")


def tokens(text: str) -> list[str]:
    text = text.lower()
    return (_WORD if _WIDE.search(text) is None else _TOKEN).findall(text)


def second_opinion(html: str, paragraphs: bool = False) -> str:
    """resiliparse's main-content plain text of the page (alt texts, links' targets and comment sections left
    out); one line unless `paragraphs` (keeping the layout costs a fifth more, and only the union needs it)."""
    from resiliparse.extract.html2text import extract_plain_text
    options = dict(main_content=True, alt_texts=False, comments=False, preserve_formatting=paragraphs,
                   list_bullets=False)
    try:
        return extract_plain_text(html, **options)
    except (TypeError, UnicodeError):  # a lone surrogate (from a broken decode) cannot cross to C as UTF-8
        return extract_plain_text(html.encode("utf-8", "replace").decode("utf-8"), **options)


def agreement(a: Counter, b: Counter) -> float | None:
    """Dice overlap of two token multisets: 1 the same tokens, 0 none shared; None when both are empty."""
    total = sum(a.values()) + sum(b.values())
    if not total:
        return None
    return 2 * sum((a & b).values()) / total


def prose_share(texts: list[str]) -> float:
    """Share of the lines of `texts` that hold a sentence mark (boilerplate that slipped in: menu entries,
    bylines, captions, link lists, is mostly lines without one)."""
    lines = [ln for t in texts for ln in t.split("\n") if ln.strip()]
    return sum(1 for ln in lines if STOP.search(ln)) / len(lines) if lines else 0.0


def confidence(texts: list[str], other: str) -> float | None:
    """The per-document confidence: (share of weft's lines that are prose) x (share of the second opinion's
    tokens that weft's text holds too). The first falls when weft kept chrome (precision), the second when it
    cut what the other extractor took as the page's content (recall). Plain Dice agreement mixes both with the
    length difference and did not rank pages by F1 on AEB or the dev set (Spearman 0.02 / -0.04); this does on
    AEB, Readability and the dev set alike (`make bench-extract`). None when both texts are empty."""
    mine, theirs = Counter(tokens("\n".join(texts))), Counter(tokens(other))
    n_theirs = sum(theirs.values())
    if not n_theirs:
        return None if not mine else prose_share(texts)
    return prose_share(texts) * shared_count(mine, theirs) / n_theirs


def shared_count(a: Counter, b: Counter) -> int:
    """sum((a & b).values()) without building the intersection, looping over the smaller of the two."""
    if len(b) < len(a):
        a, b = b, a
    return sum(n if n < m else m for t, n in a.items() if (m := b.get(t, 0)))


def with_second_opinion(out: Extracted, html: str, config: ExtractConfig) -> Extracted:
    """Set `out.agreement` (the confidence); below `config.union_below`, add the second opinion's paragraphs
    that `out` lacks (`out.unioned` then says so). Images stay where weft put them."""
    if not config.agreement:
        return out
    out.agreement = confidence([t for t in out.texts if t], second_opinion(html))
    if out.agreement is None or out.agreement >= config.union_below:
        return out
    paragraphs = [p.strip() for p in _PARAGRAPH.split(second_opinion(html, paragraphs=True)) if p.strip()]
    return union(out, paragraphs, config)


def union(out: Extracted, paragraphs: list[str], config: ExtractConfig) -> Extracted:
    """`out` completed by the prose `paragraphs` (another extractor's, in page order) that it lacks, each after
    the paragraph of `out` that the one before it matched."""
    where: dict[str, list[int]] = {}  # token -> weft positions holding it, in order
    for i, t in enumerate(out.texts):
        for tok in set(tokens(t)) if t else ():
            where.setdefault(tok, []).append(i)
    inserts: dict[int, list[str]] = {}  # after position i (-1: before everything) -> paragraphs to add
    anchor = -1
    left = Counter(tokens("\n".join(t for t in out.texts if t)))  # weft's tokens not yet matched
    for p in paragraphs:
        toks = Counter(tokens(p))
        n = sum(toks.values())
        if not n:
            continue
        if sum((toks & left).values()) >= config.union_min_new_share * n:
            left -= toks
            # the weft paragraph it matches: the first at or after the current one holding its first token
            spots = where.get(next(iter(toks)), [])
            anchor = next((i for i in spots if i >= anchor), spots[0] if spots else anchor)
        elif n >= config.union_min_new_tokens and STOP.search(p):  # prose: a share bar or a tag list has no sentence
            inserts.setdefault(anchor, []).append(p)
    if not inserts:
        return out
    texts, images, alts = [], [], []
    for p in inserts.get(-1, []):
        texts.append(p), images.append(None), alts.append(None)
    for i, (t, im, al) in enumerate(zip(out.texts, out.images, out.alts)):
        texts.append(t), images.append(im), alts.append(al)
        for p in inserts.get(i, []):
            texts.append(p), images.append(None), alts.append(None)
    out.texts, out.images, out.alts = texts, images, alts
    out.unioned = True
    return out
