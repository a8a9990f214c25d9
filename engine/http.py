"""HTTP body decoding for archived responses: transfer/content encodings, content sniffing, charsets.

Used by engine.warc for every record (whatever parser read it) so both parsers give the same payload bytes.
"""
from __future__ import annotations

import codecs
import re
import zlib
from typing import NamedTuple

import brotli

__all__ = ["ContentEncodingError", "HttpHead", "parse_http_head", "dechunk", "decode_content_encoding", "mime_of", "sniff_kind",
           "decode_html", "python_codec"]


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
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"BM", "bmp"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"\x00\x00\x01\x00", "ico"),
)


def _sniff_image(head: bytes) -> bool:
    if any(head.startswith(magic) for magic, _ in _IMAGE_MAGIC):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis", b"heic", b"heix", b"mif1"):
        return True
    text = head[:1024].lstrip().lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


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
    if _sniff_image(head):
        return "image"
    if _HTML_START.search(head):
        return "html"
    return "other"


# WHATWG decoders are supersets of the registered charsets; Python's codecs of the same name are strict.
_BROWSER_SUPERSETS = {"shift_jis": "cp932", "gbk": "gb18030", "gb2312": "gb18030", "euc_kr": "cp949",
                      "iso8859-11": "cp874", "tis-620": "cp874", "big5": "big5hkscs", "iso-8859-8-i": "iso8859-8"}


def python_codec(label: str | None) -> str | None:
    """Map a charset label as found on the web to the Python codec browsers effectively use; None if unknown."""
    if not label:
        return None
    from resiliparse.parse.encoding import map_encoding_to_html5

    label = label.strip().strip("\"'").lower()
    name = map_encoding_to_html5(label, fallback_utf8=False)
    if name is None:  # not a WHATWG label (e.g. 'cp932'): accept what Python knows
        try:
            name = codecs.lookup(label).name
        except LookupError:
            return None
    name = _BROWSER_SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:\-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _detect(payload: bytes) -> str | None:
    from resiliparse.parse.encoding import detect_encoding

    return python_codec(detect_encoding(payload, html5_compatible=True))


def decode_html(payload: bytes, content_type_header: str | None) -> tuple[str, str]:
    """(text, charset). Order: BOM, HTTP charset, <meta> in the first 4 KB, detection (uchardet), utf-8."""
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return payload[len(bom):].decode(name, errors="replace"), name
    candidates: list[str | None] = []
    if content_type_header:
        m = _CHARSET_PARAM.search(content_type_header)
        if m:
            candidates.append(python_codec(m.group(1)))
    m = _META_CHARSET.search(payload[:4096])
    if m:
        meta = python_codec(m.group(1).decode("ascii", "replace"))
        # a page that says utf-16 in an ASCII-readable <meta> cannot be utf-16 (WHATWG rule)
        candidates.append("utf-8" if meta and meta.startswith("utf-16") else meta)
    declared = [c for c in candidates if c]
    for name in declared:
        try:
            return payload.decode(name), name
        except UnicodeDecodeError:
            continue  # declared charset is wrong for these bytes: let detection decide
    detected = _detect(payload)
    if detected and detected not in declared:
        try:
            return payload.decode(detected), detected
        except UnicodeDecodeError:
            pass
    # nothing decodes cleanly (often a page cut mid-character): first declared, else detected, else utf-8
    name = next(iter(declared), None) or detected or "utf-8"
    return payload.decode(name, errors="replace"), name
