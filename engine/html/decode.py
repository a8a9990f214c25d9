"""HTML bytes -> text: the one charset decoder, used by the WARC side (engine.warc.ingest, for every HTML response) and
by `extract()` when it is handed bytes (`weft extract-html`, tests).

Contract: `decode_html(payload, content_type_header=None) -> (text, codec)`. It never raises: the order is BOM,
UTF-8 when the bytes are non-ASCII and valid UTF-8, the charset of the HTTP Content-Type header (the declared
hint, when there is one), a <meta> charset in the first 4 KB, detection (uchardet), utf-8; bytes no candidate
decodes cleanly are decoded with replacement characters.
Charset labels are mapped to the codec browsers use (`python_codec`: ISO-8859-1 -> cp1252, Shift_JIS -> cp932).
"""
from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "python_codec"]


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


def decode_html(payload: bytes, content_type_header: str | None = None) -> tuple[str, str]:
    """(text, codec). Order: BOM, valid UTF-8, HTTP charset, <meta> in the first 4 KB, detection (uchardet), utf-8."""
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return payload[len(bom):].decode(name, errors="replace"), name
    if not payload.isascii():
        # non-ASCII bytes that decode as UTF-8 are UTF-8, whatever the page declares or uchardet guesses: other
        # charsets' text is practically never valid UTF-8, while pages declaring ISO-8859-1 over UTF-8 bytes,
        # and the detector misreading pages with few non-ASCII bytes, are common
        try:
            return payload.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
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
