"""HTTP messages inside WARC records: the head, transfer/content encodings, content sniffing.

Used by engine.warc.records for every record (whatever parser read it) so both parsers give the same payload
bytes. Charsets (bytes -> text) are engine.html.decode's, called by engine.warc.ingest.
"""
from __future__ import annotations

import re
import zlib
from typing import NamedTuple

import brotli

from engine.images.sniff import sniff

__all__ = ["ContentEncodingError", "HttpHead", "parse_http_head", "dechunk", "decode_content_encoding", "mime_of",
           "sniff_kind"]


class ContentEncodingError(ValueError):
    """The body does not decode with the declared Content-Encoding (or grew past the size limit)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class HttpHead(NamedTuple):
    status: int | None           # None for requests
    headers: list[tuple[str, str]]
    body_offset: int             # where the body starts in the block


_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s|$)")
_REQUEST_LINE = re.compile(rb"[A-Z]{3,10} \S+(?: HTTP/\d(?:\.\d)?)?$")
_MAX_HEAD = 256 * 1024


def parse_http_head(block: bytes, *, request: bool = False) -> HttpHead | None:
    """Parse the status/request line and headers of an archived HTTP message; None if it is not HTTP.

    Lenient like browsers: bare LF and CR CR LF line ends, missing reason phrase, folded header lines.
    """
    pos, n = 0, min(len(block), _MAX_HEAD)
    eol = block.find(b"\n", 0, n)
    if eol < 0:
        return None
    first = block[:eol].rstrip(b"\r").strip()
    if request:
        if not _REQUEST_LINE.match(first):
            return None
        status = None
    else:
        m = _STATUS_LINE.match(first)
        if not m:
            return None
        status = int(m.group(1))
    headers: list[tuple[str, str]] = []
    pos = eol + 1
    while pos < n:
        eol = block.find(b"\n", pos, n)
        if eol < 0:  # headers cut off: keep what we have, no body
            return HttpHead(status, headers, len(block))
        line = block[pos:eol].rstrip(b"\r")
        pos = eol + 1
        if not line:
            return HttpHead(status, headers, pos)
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    return HttpHead(status, headers, len(block))


def dechunk(body: bytes) -> tuple[bytes, bool]:
    """Remove HTTP/1.1 chunked transfer-encoding. Returns (data, complete).

    Tolerant like browsers: a body that turns out not to be chunked is returned unchanged; a chunk cut short
    keeps what arrived and reports complete=False.
    """
    out = []
    pos, n = 0, len(body)
    while pos < n:
        eol = body.find(b"\n", pos, pos + 1024)
        if eol < 0:
            break
        size_field = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
            if size < 0:  # int() takes a sign; a negative size would move backwards and loop for ever
                raise ValueError(size_field)
        except ValueError:
            if not out:  # not chunked at all (servers lie in headers): keep the body as is
                return body, True
            break
        pos = eol + 1
        if size == 0:
            return b"".join(out), True
        out.append(body[pos:pos + size])
        if pos + size > n:
            return b"".join(out), False
        pos += size
        if body[pos:pos + 2] == b"\r\n":
            pos += 2
        elif body[pos:pos + 1] == b"\n":
            pos += 1
    # no terminating zero-size chunk: the body was cut (common in crawls); keep what we have
    return b"".join(out), not out


def _inflate(data: bytes, wbits: int, max_out: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, max_out + 1)
    if len(out) > max_out:
        raise ContentEncodingError("payload_too_large", f"decoded body over {max_out} bytes")
    # concatenated gzip members are legal (RFC 1952): keep going while input is left
    while d.eof and d.unused_data and wbits >= 16:
        rest = d.unused_data
        d = zlib.decompressobj(wbits)
        out += d.decompress(rest, max_out + 1 - len(out))
        if len(out) > max_out:
            raise ContentEncodingError("payload_too_large", f"decoded body over {max_out} bytes")
    return out


def _decode_one(body: bytes, coding: str, max_out: int) -> bytes:
    if coding in ("", "identity", "none", "utf-8", "utf8", "binary", "7bit", "8bit"):
        return body
    try:
        if coding in ("gzip", "x-gzip"):
            return _inflate(body, 16 + zlib.MAX_WBITS, max_out)
        if coding == "deflate":
            # RFC says zlib-wrapped; many servers send raw deflate: try both
            try:
                return _inflate(body, zlib.MAX_WBITS, max_out)
            except zlib.error:
                return _inflate(body, -zlib.MAX_WBITS, max_out)
        if coding == "br":
            d = brotli.Decompressor()
            out = d.process(body, output_buffer_limit=max_out + 1)
            if len(out) > max_out:
                raise ContentEncodingError("payload_too_large", f"decoded body over {max_out} bytes")
            return out
    except ContentEncodingError:
        raise
    except (zlib.error, brotli.error, ValueError) as e:
        raise ContentEncodingError("bad_content_encoding", f"{coding}: {e}") from None
    raise ContentEncodingError("unsupported_content_encoding", coding)


def decode_content_encoding(body: bytes, content_encoding: str | None, *, max_out: int = 256 * 2**20) -> bytes:
    """Undo HTTP Content-Encoding. Stacked codings ('gzip, br') are undone last-applied first."""
    if not content_encoding:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        body = _decode_one(body, coding, max_out)
    return body


def mime_of(content_type: str | None) -> str | None:
    """'Text/HTML; charset=UTF-8' -> 'text/html'."""
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime or None


_GENERIC_MIMES = {None, "text/plain", "application/octet-stream", "binary/octet-stream", "application/unknown",
                  "unknown/unknown", "application/x-unknown-content-type", "*/*", "text/x-unknown"}
_HTML_MIMES = {"text/html", "application/xhtml+xml", "application/xhtml", "text/xhtml"}
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE)


def sniff_kind(content_type: str | None, payload: bytes) -> str:
    """'html' | 'image' | 'other'. Trust a specific Content-Type; sniff when it is missing or generic."""
    mime = mime_of(content_type)
    if mime in _HTML_MIMES:
        return "html"
    if mime is not None and mime.startswith("image/"):
        return "image"
    if mime not in _GENERIC_MIMES:
        return "other"
    head = payload[:1024]
    image = sniff(head)
    # An HTML page that opens with a comment and inlines an <svg> early must stay a page.
    if image is not None and (image != "svg" or not _HTML_START.search(head)):
        return "image"
    if _HTML_START.search(head):
        return "html"
    return "other"
