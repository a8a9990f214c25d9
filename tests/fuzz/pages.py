"""HTML mutators and generators: deep nesting, pages over the size budget, script-only pages, invalid UTF-8,
odd charsets, NUL bytes. Same shape as mutators.py: (rng, data) -> bytes."""
from __future__ import annotations

from random import Random

from tests.fuzz.mutators import _reencode, bit_flips, delete_span, duplicate_span, insert_bytes, nul_bytes, truncate

_NEST = ("div", "span", "b", "a", "section", "table", "ul", "font", "x-custom", "svg", "p", "li", "td", "template",
         "select", "math", "blockquote", "i", "em", "object")


def deep_nesting(rng: Random, data: bytes) -> bytes:
    """Up to 100k levels; some variants hide the depth from a tag-counting scan (stray or foreign end tags)."""
    depth = rng.choice((1_000, 5_001, 20_000, 100_000))
    tag = rng.choice(_NEST).encode()
    opener = b"<" + tag + rng.choice((b">", b' class="c">', b">t ", b"><p>x</p>"))
    closer = rng.choice((b"", b"", b"</i>", b"</br>", b"</p>", b"</" + tag + b">", b"</ " + tag + b">"))
    inner = b"<p>" + b"deep text, with commas, " * 5 + b"</p>"
    return b"<html><body>" + (opener + closer) * depth + inner + b"</body></html>" + data[:rng.randrange(2048)]


def enormous(rng: Random, data: bytes) -> bytes:
    """Over the default 10 MB budget (rejected before parsing), or 2 MB (parsed: time bound)."""
    target = rng.choice((11 * 2**20, 11 * 2**20, 30 * 2**20, 2 * 2**20))
    unit = data or b"<p>filler text, filler text.</p>"
    return unit * (target // len(unit) + 1)


def script_only(rng: Random, data: bytes) -> bytes:
    js = b"var a = '</div><p>not text</p>'; if (a < b && c > d) { x(); }\n" * rng.choice((1, 100, 20_000))
    tail = rng.choice((b"</script>", b"", b"</scr", b"<!--<script>"))
    return b"<html><head><script>" + js + b"</script></head><body><script>" + js + tail + b"</body></html>"


def invalid_utf8(rng: Random, data: bytes) -> bytes:
    bad = rng.choice((b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\x28", b"\xed\xa0\x80", b"\xc0\xaf",
                      b"\xff", b"\xf8\x88\x80\x80\x80", b"\xe6\x97"))
    buf = bytearray(data)
    for _ in range(rng.choice((1, 3, 50))):
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = bad
    return bytes(buf)


def odd_charset_page(rng: Random, data: bytes) -> bytes:
    """Re-encode (UTF-16 with/without BOM, Shift-JIS, ...) and maybe declare another charset in <meta>."""
    out = _reencode(rng, data)
    if rng.random() < 0.5:
        label = rng.choice((b"utf-8", b"utf-16", b"shift_jis", b"iso-8859-1", b"bogus", b"x-user-defined", b""))
        out = b'<meta http-equiv="Content-Type" content="text/html; charset=' + label + b'">' + out
    return out


def markup_soup(rng: Random, data: bytes) -> bytes:
    """Unclosed comments/CDATA/attributes and dangerous nesting spliced in."""
    junk = rng.choice((b"<!--", b"<![CDATA[", b'<a href="', b"<img src=x alt='", b"<table><tr><td><table>",
                       b"<svg><foreignObject><p>", b"<math><mi><svg>", b"<frameset>", b"<plaintext>",
                       b"<img srcset='" + b"a.jpg 1x, " * 5000 + b"'>", b"<p " + b"a=b " * 20000 + b">",
                       b"<img src='data:image/png;base64," + b"A" * 500_000 + b"'>", b"&" * 10000, b"<" * 10000))
    at = rng.randrange(len(data) + 1)
    return data[:at] + junk + data[at:]


# (header-level damage is for WARC/HTTP: a 4 MB 'X-Big:' line in a page only tests big text, as `enormous` does)
HTML_MUTATORS = (truncate, bit_flips, insert_bytes, delete_span, duplicate_span, deep_nesting, enormous, script_only,
                 invalid_utf8, invalid_utf8, odd_charset_page, odd_charset_page, nul_bytes, markup_soup, markup_soup)
