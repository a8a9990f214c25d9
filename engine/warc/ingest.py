"""One WARC file -> interleaved Documents (+ the image responses found in it), with full accounting.

Plain Python over iterators: the Spark extract job calls `warc_to_documents` once per task (one WARC = one task =
the unit of retry and resume); tests call it directly. A record's way, one direction: engine.io.sources opens the
file, engine.warc.records reads its records (HTTP decoded by engine.warc.http), this module labels them
(engine.warc.commoncrawl) and hands HTML to engine.html (charset decoding, then extraction).

Every WARC record that is read is counted exactly once in `stats`:
  kept     an HTML response that became a Document with main content
  dropped  by reason: request/metadata/warcinfo records, non-2xx, non-HTML, image responses (stored in
           warc_images, counted in side outputs too), revisits of a capture, pages without main content,
           pages over the extraction budget
  failed   by reason: truncated/corrupt records, undecodable bodies, extractor errors
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Iterator

from engine.config import defaults_from
from engine.document import Document, img_url_sha, stable_id
from engine.html import ExtractConfig, ExtractionRejected, extract
from engine.html.decode import decode_html
from engine.stats import StageStats
from engine.warc.commoncrawl import crawl_id_from, parse_cc_languages, warcinfo_fields
from engine.warc.http import sniff_kind
from engine.warc.records import iter_records

# Common Crawl writes request, response, metadata for one capture; the metadata record (with CLD2 languages)
# follows its response closely. Documents wait in this small window for their label before they are emitted.
_PENDING_WINDOW = 16


@dataclass
@defaults_from("extract", skip=("html", "batch_rows", "batch_bytes"))
class IngestConfig:
    """Defaults: config/defaults.yaml `extract` (its `html` part is `extract`; batching is the extract job's)."""

    parser: str
    max_payload_bytes: int
    keep_images: bool
    max_image_bytes: int
    extract: ExtractConfig | None = None  # None: ExtractConfig()
    crawl_id: str | None


@dataclass
class ImageRecord:
    url: str
    crawl_id: str | None
    warc_filename: str
    warc_record_offset: int
    fetch_date: object
    content_type: str | None
    sha256: str
    bytes: int
    content: bytes

    def to_row(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _WarcState:
    crawl_id: str | None
    pending: OrderedDict = field(default_factory=OrderedDict)  # record_id -> Document


def warc_to_documents(
    source,
    warc_filename: str,
    stats: StageStats,
    config: IngestConfig | None = None,
    on_image: Callable[[ImageRecord], None] | None = None,
) -> Iterator[Document]:
    """Yield Documents from one WARC/ARC. Raises engine.warc.errors.WarcOpenError if the file cannot be opened at
    all (the caller counts the file as failed); any problem after that is counted per record."""
    config = config or IngestConfig()
    state = _WarcState(crawl_id=config.crawl_id or crawl_id_from(str(source)))
    records = iter_records(source, parser=config.parser, max_payload_bytes=config.max_payload_bytes)
    for rec in records:
        stats.seen(nbytes=rec.length or 0)
        doc = _handle_record(rec, warc_filename, state, stats, config, on_image)
        if doc is not None:
            key = rec.record_id or doc.id
            if key in state.pending:  # a repeated WARC-Record-ID (bad writers, copied records) must not drop a kept doc
                yield state.pending.pop(key)
            state.pending[key] = doc
            while len(state.pending) > _PENDING_WINDOW:
                yield state.pending.popitem(last=False)[1]
    while state.pending:
        yield state.pending.popitem(last=False)[1]


def _handle_record(rec, warc_filename, state, stats, config, on_image) -> Document | None:
    if rec.error:
        stats.fail(rec.error)
        return None
    kind = rec.rec_type
    if kind == "warcinfo":
        state.crawl_id = state.crawl_id or crawl_id_from("", rec.warc_headers | warcinfo_fields(rec.payload))
        stats.drop("record:warcinfo")
        return None
    if kind == "metadata":
        target = state.pending.get(rec.concurrent_to) if rec.concurrent_to else None
        if target is not None and rec.payload:
            lang, score = parse_cc_languages(rec.payload)
            target.meta["cc_language"], target.meta["cc_language_score"] = lang, score
        stats.drop("record:metadata")
        return None
    if kind == "revisit":
        # A revisit says "same payload as an earlier capture" (identical-payload-digest) or "not modified":
        # its document would be an exact duplicate of that capture, which is extracted from its own record.
        stats.drop("revisit:duplicate_capture")
        return None
    if kind not in ("response", "resource"):
        stats.drop(f"record:{kind}")
        return None
    if kind == "response" and rec.http_status is not None and not 200 <= rec.http_status < 300:
        stats.drop(f"http_status:{rec.http_status // 100}xx")
        return None
    if not rec.payload:
        stats.drop("empty_payload")
        return None
    return _handle_payload(rec, warc_filename, state, stats, config, on_image)


def _handle_payload(rec, warc_filename, state, stats, config, on_image) -> Document | None:
    kind = sniff_kind(rec.content_type, rec.payload)
    if kind == "image":
        if not config.keep_images or on_image is None or len(rec.payload) > config.max_image_bytes:
            stats.drop("image_response:not_stored")
            return None
        on_image(
            ImageRecord(
                url=rec.url, crawl_id=state.crawl_id, warc_filename=warc_filename,
                warc_record_offset=rec.offset, fetch_date=rec.date, content_type=rec.content_type,
                sha256=hashlib.sha256(rec.payload).hexdigest(), bytes=len(rec.payload), content=rec.payload,
            )
        )
        stats.drop("image_response:stored")
        stats.side["warc_images"] += 1
        return None
    if kind != "html":
        stats.drop(f"not_html:{(rec.content_type or 'unknown').split('/')[0]}")
        return None
    stats.documents += 1  # an HTML response: what docs_per_s_per_core counts
    try:
        html, charset = decode_html(rec.payload, (rec.http_headers or {}).get("content-type"))
    except Exception as e:  # undecodable body: counted, never fatal
        stats.fail(f"decode_error:{type(e).__name__}")
        return None
    try:
        ex = extract(html, rec.url, config=config.extract)
    except ExtractionRejected as e:
        stats.drop(f"extract:{e.reason}")
        return None
    except Exception as e:
        stats.fail(f"extract_error:{type(e).__name__}")
        return None
    if not any(t for t in ex.texts if t):
        stats.drop("no_main_content")
        return None
    digest = rec.payload_digest or "sha1:" + hashlib.sha1(rec.payload).hexdigest()
    doc = Document(id=stable_id(rec.url, rec.date, digest), url=rec.url)
    for text, image, alt in zip(ex.texts, ex.images, ex.alts):
        if image is not None:
            doc.add_image(image, alt=alt, img_url_sha=img_url_sha(image))
        else:
            doc.add_text(text)
    doc.meta.update(
        crawl_id=state.crawl_id, warc_filename=warc_filename, warc_record_offset=rec.offset,
        warc_record_length=rec.length, warc_record_id=rec.record_id, fetch_date=rec.date,
        content_digest=digest, http_status=rec.http_status, charset=charset, title=ex.title, date=ex.date,
        html_lang=ex.html_lang,
    )
    if ex.agreement is not None:  # token agreement with a second extractor: the extraction's confidence
        doc.scores["extraction_agreement"] = ex.agreement
    stats.keep()
    stats.bytes_out += sum(len(t) for t in doc.paragraphs)
    return doc
