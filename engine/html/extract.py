"""`extract()`: HTML page -> main body as an ordered, position-aligned sequence of text paragraphs and images.

The one entry point (the Spark extract stage and `weft extract-html` both call it). Budgets are enforced without
signals so it is safe inside Spark worker threads: the byte size is checked before parsing, the nesting depth
before parsing, and the elapsed time between phases and inside the long loops (`Budget`); a page over budget
raises `ExtractionRejected` with a reason the stage counts. After the DOM pass a second extractor's opinion
(`agreement`) sets the per-document confidence, `Extracted.agreement`.
"""
from __future__ import annotations

from engine.html.agreement import with_second_opinion
from engine.html.decode import decode_html
from engine.html.depth import nesting_depth
from engine.html.dom import extract_with_dom
from engine.html.types import Budget, ExtractConfig, Extracted, ExtractionRejected


def extract(html: str | bytes, url: str | None = None, *, config: ExtractConfig | None = None) -> Extracted:
    """`html` as text, or as bytes decoded by `decode_html` (no HTTP header: BOM, <meta>, detection)."""
    config = config or ExtractConfig()
    size = len(html) if isinstance(html, bytes) else len(html.encode("utf-8", "surrogatepass"))
    if size > config.max_html_bytes:
        raise ExtractionRejected("html_too_large", f"{size} bytes > {config.max_html_bytes}")
    budget = Budget(config.timeout_s)
    text = html if isinstance(html, str) else decode_html(html)[0]
    if "\x00" in text:  # NUL bytes make lxml/lexbor stop early; they are never content
        text = text.replace("\x00", "")
    # nesting cannot exceed the count of start tags, at most the "<" that do not open an end tag ("</"), so the
    # scan runs only on pages with many of them (half the tags of a page are end tags; "</" is counted only on
    # pages with many "<": it costs more than the count of "<")
    tags = text.count("<")
    if (tags > config.max_depth and tags - text.count("</") > config.max_depth
            and nesting_depth(text, config.max_depth, budget) > config.max_depth):
        raise ExtractionRejected("too_deep", f"element nesting over {config.max_depth}")
    budget.check("decode")
    out = extract_with_dom(text, url, config, budget)
    return with_second_opinion(out, text, config)
