"""Fuzz targets. `make_<target>(rng)` builds one damaged input from a real seed; `run_<target>(data, rng)` feeds it
to the engine and returns a short outcome label. What must hold is asserted here (an AssertionError is a
finding); any other exception escaping a target is an uncaught exception, also a finding.

  warc  WARC/ARC bytes -> engine.warc.ingest.warc_to_documents via a real file: only WarcOpenError may escape (the job
        counts the file as failed); every record is accounted for (StageStats.check); no record fails with a
        caught extractor/decoder exception (those are bugs hidden by the catch-all, not bad input).
  http  one HTTP response block -> parse_http_head, dechunk, decode_content_encoding (may raise only
        ContentEncodingError, output within max_out), decode_html and engine.warc.records._fill (never raise).
  html  page bytes (or text) -> engine.html.extract: returns aligned lists or raises ExtractionRejected.
  image image bytes -> engine.images.decode + hashing: never raises; a kept image has its size, sha256 and a
        thumbnail within the configured size, and hashes to 16 hex digits; a rejected one has a reason.
"""
from __future__ import annotations

import os
import tempfile
from random import Random

from tests.fuzz import seeds
from tests.fuzz.mutators import HTTP_MUTATORS
from tests.fuzz.pages import HTML_MUTATORS, enormous
from tests.fuzz.warcs import mutate_warc

# caught in ingest, but a sign of an engine bug rather than of bad input
_MASKED = ("extract_error:", "decode_error:")


def _stack(rng: Random, data: bytes, mutators) -> bytes:
    chosen = [rng.choice(mutators) for _ in range(rng.randint(1, 4))]
    # growing a page to tens of MB first would make every later mutator (and re-encoding) slow and huge
    chosen.sort(key=lambda m: m is enormous)
    for m in chosen:
        data = m(rng, data)
    return data


# ---------------------------------------------------------------- warc

def make_warc(rng: Random) -> bytes:
    return mutate_warc(rng, rng.choice(seeds.warc_files()))


_TMP = os.path.join(tempfile.gettempdir(), f"weft-fuzz-{os.getpid()}.warc")


def run_warc(data: bytes, rng: Random) -> str:
    from engine.html import ExtractConfig
    from engine.warc.ingest import IngestConfig, warc_to_documents
    from engine.stats import StageStats
    from engine.warc.errors import WarcOpenError

    path = f"{_TMP}.gz" if data[:2] == b"\x1f\x8b" else _TMP
    with open(path, "wb") as f:
        f.write(data)
    config = IngestConfig(parser=rng.choice(("auto", "auto", "fastwarc", "warcio")),
                          max_payload_bytes=rng.choice((50 * 2**20, 50 * 2**20, 4096)),
                          extract=ExtractConfig(max_html_bytes=rng.choice((10 * 2**20, 2048))))
    stats = StageStats("fuzz")
    images = []
    try:
        docs = list(warc_to_documents(path, path, stats, config, on_image=images.append))
    except WarcOpenError as e:
        return f"open_error:{e.reason}"
    finally:
        os.unlink(path)
    stats.check()
    masked = [r for r in stats.failed if r.startswith(_MASKED)]
    assert not masked, f"engine exception caught as a record failure: {masked}"
    assert stats.kept == len(docs), (stats.kept, len(docs))
    assert stats.side["warc_images"] == len(images), (dict(stats.side), len(images))
    for doc in docs:
        assert doc.id and all(isinstance(p, str) for p in doc.paragraphs)
    return "failed" if stats.failed else ("kept" if docs else "dropped")


# ---------------------------------------------------------------- http

def make_http(rng: Random) -> bytes:
    return _stack(rng, rng.choice(seeds.http_blocks()), HTTP_MUTATORS)


def run_http(data: bytes, rng: Random) -> str:
    from engine.html.decode import decode_html
    from engine.warc.http import ContentEncodingError, decode_content_encoding, dechunk, parse_http_head
    from engine.warc.http import sniff_kind
    from engine.warc.records import WarcRecord, _fill

    max_out = rng.choice((2**20, 8 * 2**20))  # the limit logic is the same at 50 MB, only slower
    rec = WarcRecord(rec_type="response")
    _fill(rec, data, rng.random() < 0.8, "application/http; msgtype=response", max_out)
    assert rec.payload is None or len(rec.payload) <= max(max_out, len(data)), "payload over the limit"
    head = parse_http_head(data)
    if head is None:
        return "not_http"
    headers = {k.lower(): v for k, v in head.headers}
    body = data[head.body_offset:]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, _complete = dechunk(body)
        assert isinstance(body, bytes)
    try:
        body = decode_content_encoding(body, headers.get("content-encoding"), max_out=max_out)
    except ContentEncodingError as e:
        return f"encoding:{e.reason}"
    assert len(body) <= max(max_out, len(data))
    sniff_kind(headers.get("content-type"), body)
    text, charset = decode_html(body, headers.get("content-type"))
    assert isinstance(text, str) and charset
    return "decoded"


# ---------------------------------------------------------------- html

def make_html(rng: Random) -> bytes:
    return _stack(rng, rng.choice(seeds.html_pages()), HTML_MUTATORS)


def run_html(data: bytes, rng: Random) -> str:
    from engine.html import ExtractionRejected, extract
    from engine.html.decode import decode_html

    page = data
    if rng.random() < 0.5:  # as the ingest stage passes it: text decoded with the HTTP/meta charset
        page, _ = decode_html(data, rng.choice((None, "text/html; charset=utf-16", "text/html; charset=shift_jis")))
    try:
        ex = extract(page, rng.choice(("http://example.com/a/b.html", None, "not a url", "http://[::1")))
    except ExtractionRejected as e:
        return f"rejected:{e.reason}"
    assert len(ex.texts) == len(ex.images) == len(ex.alts)
    assert all((t is None) != (i is None) for t, i in zip(ex.texts, ex.images)), "misaligned texts/images"
    return "extracted" if ex.texts else "empty"


# ---------------------------------------------------------------- image

def _png_size_lie(rng: Random, data: bytes) -> bytes:
    """A PNG whose header claims another size (bombs, zero sides), the IHDR CRC left stale or not."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 33:
        return data
    side = rng.choice((0, 1, 2**16, 2**31 - 1, rng.randint(1, 100_000)))
    which = rng.choice((16, 20))
    return data[:which] + side.to_bytes(4, "big") + data[which + 4:]


def make_image(rng: Random) -> bytes:
    from tests.fuzz.mutators import bit_flips, delete_span, duplicate_span, insert_bytes, nul_bytes, truncate

    return _stack(rng, rng.choice(seeds.image_files()),
                  (truncate, bit_flips, insert_bytes, delete_span, duplicate_span, nul_bytes, _png_size_lie))


def run_image(data: bytes, rng: Random) -> str:
    from engine.images.decode import ValidateConfig, decode
    from engine.images.hashing import hashes_hex

    cfg = ValidateConfig(min_side=rng.choice((1, 150)), max_side=20000, min_aspect=1e-6, max_aspect=1e6)
    out = decode(data, cfg)
    if not out.ok:
        assert out.reason, "a rejected image names its reason"
        return f"rejected:{out.reason}"
    assert out.width > 0 and out.height > 0 and len(out.sha256) == 64
    assert max(out.thumbnail.size) <= cfg.thumbnail_size and out.thumbnail.mode == "RGB"
    p_hash, d_hash = hashes_hex([out.thumbnail])
    assert len(p_hash[0]) == len(d_hash[0]) == 16
    return f"decoded:{out.format}"


TARGETS = {"warc": (make_warc, run_warc), "http": (make_http, run_http), "html": (make_html, run_html),
           "image": (make_image, run_image)}
