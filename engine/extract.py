"""HTML page -> main body as an ordered, position-aligned sequence of text paragraphs and images.

`extract()` is the one entry point (the Spark extract stage and `weft extract-html` both call it). Budgets are
enforced without signals so it is safe inside Spark worker threads: the byte size is checked before parsing and
the elapsed time between phases; a page over budget raises `ExtractionRejected` with a reason the stage counts.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class Extracted:
    """Aligned lists: at each position exactly one of texts[i] / images[i] is set; alts[i] goes with images[i]."""
    texts: list[str | None] = field(default_factory=list)
    images: list[str | None] = field(default_factory=list)
    alts: list[str | None] = field(default_factory=list)
    title: str | None = None
    date: str | None = None  # ISO 8601
    html_lang: str | None = None

    def add_text(self, text: str) -> None:
        self.texts.append(text)
        self.images.append(None)
        self.alts.append(None)

    def add_image(self, url: str, alt: str | None) -> None:
        self.texts.append(None)
        self.images.append(url)
        self.alts.append(alt or None)


class ExtractionRejected(Exception):
    """A page the extractor refuses: `reason` is one of 'html_too_large', 'timeout', 'parse_error',
    'too_deep', counted by the stage like any other drop reason."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class ExtractConfig:
    max_html_bytes: int = 10 * 2**20
    timeout_s: float = 5.0
    min_paragraph_chars: int = 1  # drop shorter text blocks (after whitespace normalisation)
    max_tiny_image_px: int = 2  # <img> with width or height attribute <= this is a tracking pixel
    min_image_px: int = 50  # <img> declaring width and height both below this is an icon or avatar
    # HTML tree builders get quadratic on very deep nesting (lexbor: 0.1 s at 10k levels, 14 s at 100k), and no
    # C parser can be interrupted, so deeper pages are refused before parsing
    max_depth: int = 5000


class Budget:
    """Wall-clock budget checked between phases (no signals: works in any thread)."""

    __slots__ = ("deadline", "limit")

    def __init__(self, seconds: float):
        self.limit = seconds
        self.deadline = time.monotonic() + seconds

    def check(self, phase: str) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionRejected("timeout", f"over {self.limit:g}s after {phase}")


# tags the parser closes by itself (void elements, optional end tags): they do not nest
_NO_NEST = frozenset("area base br col embed hr img input link meta source track wbr p li dt dd option tr td th "
                     "thead tbody tfoot colgroup rp rt optgroup param keygen basefont frame".split())
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")


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


def nesting_depth(text: str, limit: int) -> int:
    """Upper estimate of element nesting from the raw tag stream; stops counting once past `limit`."""
    stack: list[str] = []
    open_names: dict[str, int] = {}
    deepest, budget = 0, [len(text)]
    for m in _TAG.finditer(text):
        name = m.group(2).lower()
        if name in _NO_NEST:
            continue
        if not m.group(1):
            stack.append(name)
            open_names[name] = open_names.get(name, 0) + 1
            if len(stack) > deepest:
                deepest = len(stack)
                if deepest > limit:
                    break
            continue
        if not open_names.get(name):
            continue
        i = _closes_at(stack, name, budget)
        if i is not None:
            for gone in stack[i:]:
                open_names[gone] -= 1
            del stack[i:]
    return deepest


def decode_html(html: str | bytes) -> str:
    if isinstance(html, str):
        return html
    try:  # bytes that decode as UTF-8 are UTF-8 (the detector alone misreads pages with few non-ASCII bytes)
        return html.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    return bytes_to_str(html, detect_encoding(html, from_html_meta=True))


def extract(html: str | bytes, url: str | None = None, *, config: ExtractConfig | None = None) -> Extracted:
    config = config or ExtractConfig()
    size = len(html) if isinstance(html, bytes) else len(html.encode("utf-8", "surrogatepass"))
    if size > config.max_html_bytes:
        raise ExtractionRejected("html_too_large", f"{size} bytes > {config.max_html_bytes}")
    budget = Budget(config.timeout_s)
    text = decode_html(html)
    if "\x00" in text:  # NUL bytes make lxml/lexbor stop early; they are never content
        text = text.replace("\x00", "")
    # nesting cannot exceed the tag count, so the scan runs only on pages with many tags
    if text.count("<") > config.max_depth and nesting_depth(text, config.max_depth) > config.max_depth:
        raise ExtractionRejected("too_deep", f"element nesting over {config.max_depth}")
    budget.check("decode")
    from engine.extract_dom import extract_with_dom
    return extract_with_dom(text, url, config, budget)
