"""engine.html: one HTML page -> its main body as aligned text paragraphs and images (`extract`).

What lives here, imports flowing one way (each module imports only those listed after it):
  extract   the entry point `extract()`: size and depth guards, decoding, the DOM pipeline, the second opinion
  agreement the second opinion (resiliparse main content), the per-document agreement score, the union fallback
  dom       the pipeline and the body choice: parse, Readability-style scoring, siblings, rendering, tidying
  threads   thread mode: runs of post-like siblings (forum posts, answers, cards) and each post's text block
  listings  listing mode: runs of title rows (forum boards, product grids) that replace a short body
  clean     what inside the chosen body is not the story (link lists, share bars, bylines, related boxes)
  teasers   teaser lists and cards (other stories' pictures and headlines) inside or beside the body
  meta      page metadata: base URL, title, publication date, <html lang>
  images    which <img>/<picture> stay, their URL and alt
  blocks    BlockWriter: text runs -> paragraphs in the aligned lists
  text      script-neutral text measures (Latin-equivalent length, link density, class/id weight)
  urls      srcset parsing, URL resolution, story-link tests
  decode    the one charset decoder `decode_html` (bytes + declared charset -> text), also used by engine.warc.ingest
  depth     the pre-parse nesting estimate
  types     the leaf: Extracted, ExtractConfig (defaults: config/defaults.yaml extract.html), ExtractionRejected,
            Budget

engine.html may import engine leaf modules (engine.config) and schemas; never filters, jobs or the WARC side
(engine.warc), which imports it.
"""
from engine.html.extract import extract
from engine.html.types import ExtractConfig, Extracted, ExtractionRejected

__all__ = ["extract", "ExtractConfig", "Extracted", "ExtractionRejected"]
