"""Seed corpora from the real fixtures: whole WARC/ARC files, raw HTTP response blocks, HTML pages, image files.

Only small files are used (big ones slow every case without reaching new code); ../shared/data is added when
this checkout has it, so the seeds are the same on CI (tests/data only) apart from that extra breadth.
"""
from __future__ import annotations

import functools
import gzip
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_DIRS = [ROOT / "tests" / "data", ROOT.parent / "shared" / "data"]
_MAX_WARC = 64 * 1024
_MAX_HTML = 128 * 1024  # bigger pages cost time per case and reach no new code


def _files(sub: str, match) -> list[Path]:
    out, names = [], set()
    for base in _DIRS:
        for p in sorted((base / sub).rglob("*")) if (base / sub).is_dir() else []:
            key = (p.parent.name, p.name, p.stat().st_size) if p.is_file() else None
            if key and match(p.name) and key not in names:
                names.add(key)
                out.append(p)
    return out


@functools.lru_cache(maxsize=1)
def warc_files() -> tuple[bytes, ...]:
    """Raw bytes of every small WARC/ARC fixture (gzipped ones as they are on disk)."""
    paths = _files("warc", lambda n: (".warc" in n or ".arc" in n) and not n.endswith((".wat.gz", ".wet.gz")))
    return tuple(p.read_bytes() for p in paths if p.stat().st_size <= _MAX_WARC)


def _raw_blocks(data: bytes) -> list[bytes]:
    from fastwarc.stream_io import GzipReader
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    stream = GzipReader(io.BytesIO(data)) if data[:2] == b"\x1f\x8b" else io.BytesIO(data)
    out = []
    try:
        for r in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=False):
            out.append(r.reader.read())
    except Exception:  # some fixtures are broken on purpose: keep the blocks read before the break
        pass
    return out


@functools.lru_cache(maxsize=1)
def http_blocks() -> tuple[bytes, ...]:
    """Raw HTTP response blocks (status line, headers, body as archived) from the WARC fixtures."""
    out = []
    for data in warc_files():
        out += [b for b in _raw_blocks(data) if b.startswith(b"HTTP/") and len(b) <= _MAX_HTML]
    return tuple(dict.fromkeys(out))


@functools.lru_cache(maxsize=1)
def html_pages() -> tuple[bytes, ...]:
    """HTML pages of the extraction fixtures (some gzipped on disk) plus the HTML bodies found in the WARCs."""
    out = []
    for p in _files("extraction", lambda n: n.endswith((".html", ".htm", ".html.gz"))):
        data = p.read_bytes()
        data = gzip.decompress(data) if p.name.endswith(".gz") else data
        if len(data) <= _MAX_HTML:
            out.append(data)
    for block in http_blocks():
        head, _, body = block.partition(b"\r\n\r\n")
        if b"text/html" in head.lower() and body.lstrip()[:1] == b"<":
            out.append(body)
    return tuple(dict.fromkeys(out))


_MAX_IMAGE = 256 * 1024
_IMAGE_NAMES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".ico", ".tif", ".avif")


@functools.lru_cache(maxsize=1)
def image_files() -> tuple[bytes, ...]:
    """Small real images (photos, hostile files, every format) plus the image responses found in the WARCs."""
    out = [p.read_bytes() for p in _files("images", lambda n: n.lower().endswith(_IMAGE_NAMES))
           if p.stat().st_size <= _MAX_IMAGE]
    for block in http_blocks():
        head, _, body = block.partition(b"\r\n\r\n")
        if b"content-type: image/" in head.lower() and 0 < len(body) <= _MAX_IMAGE:
            out.append(body)
    return tuple(dict.fromkeys(out))
