"""Mutators: each takes (rng, data) and returns damaged bytes. Generic byte damage plus format-aware damage for
WARC framing, HTTP heads and bodies, and HTML. A case applies 1-4 of them to one seed (see `mutate`)."""
from __future__ import annotations

import codecs
import gzip
import re
import zlib
from random import Random

import brotli

# tokens that make parsers change state: record/line/chunk boundaries, compression magic, markup
_TOKENS = (b"\r\n", b"\n", b"\r\n\r\n", b"\x00", b"0\r\n\r\n", b"WARC/1.0\r\n", b"WARC/1.1\r\n", b"\x1f\x8b\x08",
           b"HTTP/1.1 200 OK\r\n", b"Content-Length: ", b"ffffffff\r\n", b"<", b">", b"</", b"<!--", b"<script>",
           b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"&#x0;", b"]]>")


def truncate(rng: Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def bit_flips(rng: Random, data: bytes) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8, 32))):
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def insert_bytes(rng: Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice(_TOKENS) if rng.random() < 0.6 else rng.randbytes(rng.randrange(1, 64))
    return data[:at] + junk * rng.choice((1, 1, 3, 100)) + data[at:]


def delete_span(rng: Random, data: bytes) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randrange(1, 1 + min(4096, len(data) - at)):]


def duplicate_span(rng: Random, data: bytes) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    span = data[at:at + rng.randrange(1, 2048)]
    to = rng.randrange(len(data) + 1)
    return data[:to] + span + data[to:]


def nul_bytes(rng: Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" * rng.choice((1, 7, 4096)) + data[at:]


_CL = re.compile(rb"(?im)^(content-length:[ \t]*)(\S*)")


def _lie(rng: Random, n: int) -> bytes:
    return rng.choice((b"0", b"-1", b"-999999", b"1" + b"0" * 30, b"9" * 19, b"0x10", b"12abc", b"", b" ", b"1e3",
                       b"\xd9\xa3", str(n + 1).encode(), str(max(n - 1, 0)).encode(), str(n * 2).encode(),
                       str(n // 2).encode(), str(rng.randrange(1 << 32)).encode()))


def lying_lengths(rng: Random, data: bytes) -> bytes:
    """Rewrite one (WARC or HTTP) Content-Length to a wrong, huge, negative or malformed value."""
    hits = list(_CL.finditer(data))
    if not hits:
        return data
    m = rng.choice(hits)
    value = _lie(rng, int(m.group(2)) if m.group(2).isdigit() else 0)
    return data[:m.start(2)] + value + data[m.end(2):]


def giant_header(rng: Random, data: bytes) -> bytes:
    """A header line of up to 4 MB, or 50k short header lines, after the first line of a record/message."""
    eol = data.find(b"\n")
    if eol < 0:
        return data
    if rng.random() < 0.5:
        block = b"X-Big: " + b"a" * rng.choice((70_000, 300_000, 4 * 2**20)) + b"\r\n"
    else:
        block = b"".join(b"X-H%d: v\r\n" % i for i in range(rng.choice((5_000, 50_000))))
    at = rng.choice([eol + 1] + [m.end() + 1 for m in re.finditer(rb"\nHTTP/[^\n]*", data)])
    return data[:at] + block + data[at:]


BYTE_MUTATORS = (truncate, bit_flips, bit_flips, insert_bytes, delete_span, duplicate_span, nul_bytes, lying_lengths,
                 giant_header)


# ---------------------------------------------------------------- HTTP bodies

def _split_http(data: bytes) -> tuple[bytes, bytes]:
    i = data.find(b"\r\n\r\n")
    return (data[:i], data[i + 4:]) if i >= 0 else (data, b"")


def _set_header(head: bytes, name: bytes, value: bytes) -> bytes:
    head = re.sub(rb"(?im)^" + name + rb":[^\r\n]*\r?\n?", b"", head).rstrip(b"\r\n")
    return head + b"\r\n" + name + b": " + value


def bad_chunking(rng: Random, data: bytes) -> bytes:
    """Chunked body with wrong/huge/non-hex sizes, missing CRLFs, no terminating chunk."""
    head, body = _split_http(data)
    pieces, pos = [], 0
    while pos < len(body):
        n = rng.randrange(1, 4096)
        size = rng.choice((b"%x" % n,) * 6 + (b"%x" % (n + 7), b"ffffffffffffffff", b"-5", b"zz", b"", b"%x;ext=1" % n,
                                             b" %X " % n, b"0" * 2000 + b"1"))
        crlf = rng.choice((b"\r\n",) * 6 + (b"\n", b"", b"\r"))
        pieces.append(size + crlf + body[pos:pos + n] + rng.choice((b"\r\n",) * 6 + (b"", b"\n", b"xx")))
        pos += n
    if rng.random() < 0.7:
        pieces.append(b"0\r\n\r\n")
    return _set_header(head, b"Transfer-Encoding", b"chunked") + b"\r\n\r\n" + b"".join(pieces)


def _gzip_bomb() -> bytes:
    return gzip.compress(b"\x00" * (64 * 2**20), 9)  # over any max_out used here


_BOMB = None


def wrong_encoding(rng: Random, data: bytes) -> bytes:
    """Body encoded one way (or cut, or a bomb) while Content-Encoding says possibly another or an unknown one."""
    global _BOMB
    head, body = _split_http(data)
    enc = rng.choice(("gzip", "deflate", "rawdeflate", "br", "none", "gzip2", "bomb"))
    if enc == "bomb":
        _BOMB = _BOMB or _gzip_bomb()
        body = _BOMB
    elif enc == "gzip":
        body = gzip.compress(body)
    elif enc == "gzip2":  # two members, legal
        body = gzip.compress(body[:len(body) // 2]) + gzip.compress(body[len(body) // 2:])
    elif enc == "deflate":
        body = zlib.compress(body)
    elif enc == "rawdeflate":
        c = zlib.compressobj(wbits=-15)
        body = c.compress(body) + c.flush()
    elif enc == "br":
        body = brotli.compress(body)
    if rng.random() < 0.3:  # member cut
        body = body[:rng.randrange(len(body) + 1)]
    label = rng.choice((b"gzip", b"x-gzip", b"deflate", b"br", b"gzip, br", b"br, gzip", b"identity", b"compress",
                        b"zstd", b"bogus", b"", b"GZIP", b"gzip,gzip", b"\xff\xfe"))
    return _set_header(head, b"Content-Encoding", label) + b"\r\n\r\n" + body


CHARSETS = ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "shift_jis", "euc-jp", "iso-2022-jp", "gb18030",
            "big5", "koi8-r", "cp1252", "latin-1", "utf-7", "cp037", "x-user-defined", "replacement", "bogus-9",
            "unicode-1-1-utf-7", "", "ＵＴＦ-8")


def _reencode(rng: Random, body: bytes) -> bytes:
    text = body.decode("utf-8", "replace") + rng.choice(("", " 日本語テキスト", " Ĳ ß € ✓", " \U0001f600", " ﷽"))
    name = rng.choice(("utf-16", "utf-16-le", "utf-16-be", "utf-32", "shift_jis", "euc-jp", "gb18030", "cp1252",
                       "utf-8", "iso-2022-jp", "cp037"))
    out = text.encode(name, "replace")
    if rng.random() < 0.3:
        out = rng.choice((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32)) + out
    return out


def odd_charset(rng: Random, data: bytes) -> bytes:
    """Re-encode the body (maybe with a BOM) and label it with a charset that may not match, in HTTP and/or meta."""
    head, body = _split_http(data)
    if rng.random() < 0.7:
        body = _reencode(rng, body)
    label = rng.choice(CHARSETS).encode("utf-8")
    if rng.random() < 0.7:
        head = _set_header(head, b"Content-Type", b"text/html; charset=" + label)
    if rng.random() < 0.4:
        body = b'<meta charset="' + rng.choice(CHARSETS).encode("utf-8") + b'">' + body
    return head + b"\r\n\r\n" + body


HTTP_MUTATORS = BYTE_MUTATORS + (bad_chunking, bad_chunking, wrong_encoding, wrong_encoding, odd_charset,
                                 odd_charset)
