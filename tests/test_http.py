"""engine.warc.http (content-encoding, sniffing) and the charset decoding it feeds (engine.html.decode) on real
pages from the fixture WARCs."""
from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import brotli
import pytest

from engine.html.decode import decode_html, python_codec
from engine.warc.http import ContentEncodingError, decode_content_encoding, dechunk, parse_http_head, sniff_kind
from engine.warc.records import iter_records

DATA = Path(__file__).resolve().parent / "data" / "warc"


@pytest.fixture(scope="module")
def page() -> bytes:
    """A real HTML page (books.toscrape.com) as bytes."""
    for rec in iter_records(str(DATA / "node-warc" / "books.toscrape.warc"), record_types={"response"}):
        if rec.content_type == "text/html" and rec.payload:
            return rec.payload
    raise AssertionError("no html page in fixture")


@pytest.fixture(scope="module")
def japanese() -> str:
    """Real Japanese page text from the ClueWeb sample (EUC-JP on the wire)."""
    for rec in iter_records(str(DATA / "resiliparse" / "clueweb-quirk.warc.gz"), record_types={"response"}):
        text, _ = decode_html(rec.payload, rec.http_headers.get("content-type"))
        if sum("\u3040" <= c <= "\u30ff" for c in text) > 200:
            return text
    raise AssertionError("no japanese page in fixture")


def test_content_encodings_round_trip(page):
    cases = {
        "gzip": gzip.compress(page), "x-gzip": gzip.compress(page), "br": brotli.compress(page),
        "deflate": zlib.compress(page), "identity": page, None: page,
        "gzip, br": brotli.compress(gzip.compress(page)),  # applied in order: gzip first, then br
    }
    raw = zlib.compressobj(wbits=-15)
    cases["deflate "] = raw.compress(page) + raw.flush()  # raw deflate, as many servers send it
    for coding, body in cases.items():
        assert decode_content_encoding(body, coding) == page, coding
    assert decode_content_encoding(gzip.compress(page[:100]) + gzip.compress(page[100:]), "gzip") == page


def test_content_encoding_failures(page):
    with pytest.raises(ContentEncodingError) as e:
        decode_content_encoding(page, "gzip")
    assert e.value.reason == "bad_content_encoding"
    with pytest.raises(ContentEncodingError) as e:
        decode_content_encoding(page, "compress")
    assert e.value.reason == "unsupported_content_encoding"
    bomb = gzip.compress(b"\0" * 10_000_000)
    with pytest.raises(ContentEncodingError) as e:
        decode_content_encoding(bomb, "gzip", max_out=1_000_000)
    assert e.value.reason == "payload_too_large"


def test_dechunk(page):
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(page[i:i + 700]), page[i:i + 700]) for i in range(0, len(page), 700))
    assert dechunk(chunked + b"0\r\n\r\n") == (page, True)
    data, complete = dechunk(chunked[:len(chunked) // 2])
    assert not complete and page.startswith(data) and data
    assert dechunk(page) == (page, True)  # header said chunked but body is not


def test_parse_http_head_is_lenient():
    head = parse_http_head(b"HTTP/1.0 302 \r\r\nLocation: http://x/\r\r\nX-A: 1\r\n  folded\r\n\r\nbody")
    assert head.status == 302 and dict(head.headers) == {"Location": "http://x/", "X-A": "1 folded"}
    block = b"HTTP/1.0 302 \r\r\nLocation: http://x/\r\r\nX-A: 1\r\n  folded\r\n\r\nbody"
    assert block[head.body_offset:] == b"body"
    assert parse_http_head(b"HTTPX/1.1 200 OK\r\n\r\n") is None
    assert parse_http_head(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", request=True).status is None


def test_sniff_kind(page):
    images = {r.url: r for r in iter_records(str(DATA / "ukwa" / "flashfrozen-jwat-recompressed.warc.gz"),
                                              record_types={"response"}) if r.content_type and r.payload
              and r.content_type.startswith("image/")}
    assert len(images) >= 20
    for rec in images.values():
        assert sniff_kind(None, rec.payload) == "image", rec.url  # magic numbers alone
        assert sniff_kind("application/octet-stream", rec.payload) == "image"
    assert sniff_kind("text/html; charset=utf-8", b"") == "html"
    assert sniff_kind(None, page) == "html" and sniff_kind("text/plain", page) == "html"
    assert sniff_kind("application/javascript", page) == "other"  # a specific type is trusted
    assert sniff_kind(None, b"just some text") == "other"
    assert sniff_kind(None, b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == "image"


def test_charset_aliases_follow_browsers():
    assert python_codec("ISO-8859-1") == "cp1252" and python_codec("us-ascii") == "cp1252"
    assert python_codec("gb2312") == "gb18030" and python_codec("Shift_JIS") == "cp932"
    assert python_codec("x-sjis") == "cp932" and python_codec("utf8") == "utf-8"
    assert python_codec("no-such-charset") is None


def _strip_declarations(html: str) -> str:
    return re.sub(r"<meta[^>]*charset[^>]*>", "", html, flags=re.I)


@pytest.mark.parametrize("codec", ["cp1252", "utf-8"])
def test_detection_round_trip_latin(page, codec):
    text = _strip_declarations(page.decode("utf-8")).replace("£", "£ café naïve")
    raw = text.encode(codec, errors="ignore")
    decoded, _ = decode_html(raw, "text/html")  # no charset anywhere: detection decides
    assert decoded == raw.decode(codec)


@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8"])
def test_detection_round_trip_japanese(japanese, codec):
    raw = _strip_declarations(japanese).encode(codec, errors="ignore")
    decoded, _ = decode_html(raw, None)
    assert decoded == raw.decode(codec)


def test_declarations_order(japanese):
    body = _strip_declarations(japanese)
    raw = body.encode("cp932", errors="ignore")
    assert decode_html(raw, "text/html; charset=Shift_JIS")[1] == "cp932"
    meta = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=shift_jis">' + raw
    assert decode_html(meta, "text/html")[1] == "cp932"
    # a wrong HTTP charset that cannot decode the bytes loses against <meta>
    assert decode_html(meta, "text/html; charset=utf-8")[1] == "cp932"
    bom = b"\xef\xbb\xbf" + body.encode("utf-8")
    assert decode_html(bom, "text/html; charset=shift_jis") == (body, "utf-8")
