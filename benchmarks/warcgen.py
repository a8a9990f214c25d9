"""Generate a large, realistic Common Crawl-like WARC from the real pages and images in the fixture WARCs.

Source material: every HTML response and image response (status 2xx) of every readable fixture WARC
(tests/data/warc, plus ../shared/data/warc when present), decoded (de-chunked, Content-Encoding undone, as CC
stores payloads). Each capture is re-wrapped with warcio's writer the way Common Crawl writes it: a request, the
response and a metadata record (fetchTimeMs, languages-cld2) per capture, each record its own gzip member, one
warcinfo record first. Every capture gets a fresh record id, URL, date and a payload made distinct (an HTML
comment / trailing bytes carrying its serial), so the pages are distinct documents with distinct digests.

Output is written record by record to disk until it reaches --mb MiB (compressed size, as CC's ~1 GB files are
measured), so memory stays at the fixture pool (a few MB) whatever the size. Deterministic for a given seed and
fixture set.

    python -m benchmarks.warcgen OUT.warc.gz [--mb 100] [--seed 0] [--plain]

A crawl for end-to-end runs (benchmarks/e2e.py): `Crawl(...).write(path, pages=N)` stops after N HTML pages instead
of a size, spreads them over a few hosts per source site (so in-domain boilerplate repeats, as on a real crawl), and
makes each distinct page's text distinct as well (`vary`: that share of its words, outside tags, scripts and
styles, replaced by words drawn from the same page, so language, word lengths and stop-word ratios stay the
page's own). A known share of the pages are exact duplicates (an earlier page's bytes under another URL) and near
duplicates (an earlier page with `near_vary` of its words replaced again: about 5 x near_vary of its word
5-grams change, Jaccard ~0.9 at 0.01); the counts come back with the file's. Duplicates are drawn from every
page written by the same Crawl, so they also cross file boundaries. Image sources are absolute; some of them are
captured in the WARCs (image_share), and with `loopback=PORT` every other one points at 127.0.0.1:PORT, where
`ImageHost(PORT)` serves the photos of ../shared/data/images during a run.

    python -m benchmarks.warcgen OUT_DIR --pages 20000 --files 4 [--exact 0.1 --near 0.1]
"""
from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import random
import re
import sys
import uuid
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "tests" / "data" / "warc", REPO / ".." / "shared" / "data" / "warc"]
# broken on purpose or in non-standard framing: not material for a throughput corpus
SKIP = {"clipped.warc.gz", "example-trunc.warc", "example-wrong-chunks.warc.gz", "example-bad-non-chunked.warc.gz",
        "example-bad.warc.gz.bad", "clueweb12-0000tw-00.warc.gz", "missing-status-text.warc",
        "example-extra.warc", "snapshot-wayback-topic-02.warc.gz"}  # last: HTTP headers among WARC headers

CRAWL_ID = "CC-MAIN-2099-01"


def source_files() -> list[Path]:
    """The readable fixture WARCs (each file name once: tests/data and shared/data hold some of the same)."""
    files, seen = [], set()
    for root in SOURCES:
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if (p.is_file() and p.name.endswith((".warc", ".warc.gz")) and p.name not in SKIP
                        and ".wat." not in p.name and ".wet." not in p.name and p.name not in seen):
                    seen.add(p.name)
                    files.append(p)
    return files


@dataclass(frozen=True)
class Capture:
    kind: str          # 'html' or 'image'
    url: str
    content_type: str  # the response's Content-Type header value
    payload: bytes     # decoded body


def load_pool(files: list[Path] | None = None) -> list[Capture]:
    """Every distinct 2xx HTML and image response of the fixtures, decoded, in a stable order."""
    from engine.warc.http import sniff_kind
    from engine.warc.errors import WarcOpenError
    from engine.warc.records import iter_records

    pool, seen = [], set()
    for path in files if files is not None else source_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                for rec in iter_records(str(path), record_types={"response"}):
                    if rec.error or not rec.payload or not rec.url or rec.http_status is None \
                            or not 200 <= rec.http_status < 300:
                        continue
                    kind = sniff_kind(rec.content_type, rec.payload)
                    digest = hashlib.sha1(rec.payload).digest()
                    if kind not in ("html", "image") or digest in seen:
                        continue
                    seen.add(digest)
                    ctype = (rec.http_headers or {}).get("content-type") or rec.content_type or ""
                    pool.append(Capture(kind, rec.url, ctype, rec.payload))
            except (WarcOpenError, OSError, ValueError):
                continue
    if not any(c.kind == "html" for c in pool):
        raise SystemExit("warcgen: no HTML responses found in the fixture WARCs")
    return pool


def _languages(rng: random.Random) -> bytes:
    code = rng.choice(["en", "en", "en", "de", "fr", "es", "ja", "ru"])
    langs = {"reliable": True, "text-bytes": rng.randint(500, 50000),
             "languages": [{"code": code, "code-iso-639-3": code, "text-covered": round(rng.uniform(0.6, 1), 2),
                            "score": 900.0, "name": code}]}
    return json.dumps(langs, separators=(",", ":")).encode()


def _record_id(rng: random.Random) -> str:
    return f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"


class _WarcFile:
    """One output WARC, written record by record: warcinfo first, then request/response/metadata per capture,
    each record its own gzip member (level 6: warcio's own gzip is level 9, same framing, 3x slower to write)."""

    def __init__(self, path: str | Path, rng: random.Random, seed: int, gzip: bool = True):
        from warcio.warcwriter import WARCWriter

        self.f = open(path, "wb")
        self.buf = io.BytesIO()
        self.writer = WARCWriter(self.buf, gzip=False, warc_version="1.0")
        self.rng, self.gzip = rng, gzip
        self.date = datetime(2099, 1, 1, tzinfo=timezone.utc)
        self.records = 0
        info = self.writer.create_warcinfo_record(Path(path).name, {
            "software": "weft benchmarks.warcgen", "isPartOf": CRAWL_ID, "format": "WARC File Format 1.0",
            "description": f"synthetic crawl from fixture WARCs, seed {seed}",
        })
        info.rec_headers.replace_header("WARC-Date", self.date.strftime("%Y-%m-%dT%H:%M:%SZ"))
        info.rec_headers.replace_header("WARC-Record-ID", _record_id(rng))
        self._emit(info)

    def tell(self) -> int:
        return self.f.tell()

    def close(self) -> int:
        size = self.f.tell()
        self.f.close()
        return size

    def _emit(self, record) -> None:
        self.writer.write_record(record)
        data = self.buf.getvalue()
        self.buf.seek(0)
        self.buf.truncate()
        if self.gzip:
            z = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            data = z.compress(data) + z.flush()
        self.f.write(data)
        self.records += 1

    def capture(self, src: Capture, url: str, payload: bytes) -> None:
        """request, response and metadata records of one fetch of `url` answered with `payload`."""
        from warcio.statusandheaders import StatusAndHeaders

        rng, writer = self.rng, self.writer
        parts = urlsplit(url)
        self.date += timedelta(seconds=rng.randint(0, 3))
        wdate = self.date.strftime("%Y-%m-%dT%H:%M:%SZ")
        http_date = self.date.strftime("%a, %d %b %Y %H:%M:%S GMT")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" if src.kind == "html" \
            else "image/avif,image/webp,*/*;q=0.8"
        req_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", [
            ("Host", parts.hostname), ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
            ("Accept", accept), ("Accept-Language", "en-US,en;q=0.5"), ("Accept-Encoding", "br,gzip"),
            ("Connection", "Keep-Alive")], is_http_request=True)
        request = writer.create_warc_record(url, "request", http_headers=req_headers, warc_headers_dict={
            "WARC-Date": wdate, "WARC-Record-ID": _record_id(rng), "WARC-IP-Address": "192.0.2.1"})
        resp_headers = StatusAndHeaders("200 OK", [
            ("Date", http_date), ("Server", rng.choice(["nginx", "Apache", "cloudflare", "Microsoft-IIS/10.0"])),
            ("Content-Type", src.content_type), ("Last-Modified", http_date),
            ("Cache-Control", rng.choice(["max-age=600", "no-cache", "public, max-age=86400"])),
            ("X-Crawler-Content-Encoding", "gzip"), ("Content-Length", str(len(payload)))],
            protocol="HTTP/1.1")
        response_id = _record_id(rng)
        response = writer.create_warc_record(url, "response", payload=_BytesStream(payload), length=len(payload),
                                             http_headers=resp_headers, warc_headers_dict={
            "WARC-Date": wdate, "WARC-Record-ID": response_id, "WARC-IP-Address": "192.0.2.1",
            "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID"),
            "WARC-Identified-Payload-Type": src.content_type.split(";")[0].strip()})
        meta = b"fetchTimeMs: %d\r\n" % rng.randint(20, 2000)
        if src.kind == "html":
            meta += b"charset-detected: UTF-8\r\nlanguages-cld2: " + _languages(rng) + b"\r\n"
        metadata = writer.create_warc_record(url, "metadata", payload=_BytesStream(meta), length=len(meta),
                                             warc_content_type="application/warc-fields", warc_headers_dict={
            "WARC-Date": wdate, "WARC-Record-ID": _record_id(rng), "WARC-Concurrent-To": response_id})
        for record in (request, response, metadata):
            self._emit(record)


def generate(path: str | Path, mb: float, seed: int = 0, gzip: bool = True, pool: list[Capture] | None = None,
             image_share: float = 0.15) -> dict:
    """Write a WARC of about `mb` MiB (on disk) to `path`; returns counts. `image_share`: fraction of captures
    that are image responses (CC's crawl is mostly HTML; images come from links it also fetched). The pages'
    texts are the fixtures' own (each repeated, bytes made distinct by a comment): for reader and memory
    benchmarks; `Crawl` makes distinct texts."""
    pool = pool if pool is not None else load_pool()
    html = [c for c in pool if c.kind == "html"]
    images = [c for c in pool if c.kind == "image"] or html
    rng = random.Random(seed)
    limit = int(mb * 2**20)
    counts = {"captures": 0, "html": 0, "image": 0}
    out = _WarcFile(path, rng, seed, gzip)
    n = 0
    while out.tell() < limit:
        n += 1
        src = rng.choice(images) if rng.random() < image_share else rng.choice(html)
        parts = urlsplit(src.url)
        host = f"h{rng.randrange(10**6):06d}.{parts.hostname or 'example.com'}"
        url = f"{parts.scheme or 'http'}://{host}{parts.path or '/'}?weftgen={n}"
        if src.kind == "html":  # distinct bytes, same page: a comment after the document
            payload = src.payload + b"\n<!-- weftgen %d %d -->\n" % (seed, n)
        else:  # trailing bytes after the image's end marker: decoders ignore them, the digest changes
            payload = src.payload + b"\0weftgen%d" % n
        out.capture(src, url, payload)
        counts["captures"] += 1
        counts[src.kind] += 1
    counts["records"] = out.records
    counts["bytes"] = out.close()
    return counts


# markup, scripts, styles and comments are kept as they are; words in the text between them are varied
_MARKUP = re.compile(rb"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_WORD = re.compile(r"\w{2,}")
VERSION = 5  # of the generated pages' bytes; cached crawls (benchmarks/e2e.py) are keyed by it. 2: absolute <img src>;
# 3: half the image sources on a loopback ImageHost; 4: half of them one URL per page; 5: distinct image bytes per URL
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # an IRI's non-ASCII is percent-encoded, as HTTP request lines need
_PAGE_MARK = "weftimg=PAGE"  # in a template's own-image URLs; render() puts the page's serial there
IMG_SRC = re.compile(rb"<img\b[^>]*?\ssrc\s*=\s*[\"']?([^\"'\s>]+)", re.I)


class _Template:
    """A fixture page cut into pieces once; variants replace some of its word pieces. With `loopback` (a port),
    every other image source (by URL hash) moves to http://127.0.0.1:PORT/<host>/<path>, served by
    ImageHost at run time; the rest stay on their own hosts (captured in the WARC, or failing to resolve)."""

    def __init__(self, src: Capture, loopback: int | None = None):
        self.src = src
        self.page_imgs: list[str] = []  # the sources that are the page's own: one URL per rendered page
        try:  # the page's own encoding when it is UTF-8; else latin-1, which round-trips any bytes
            src.payload.decode("utf-8")
            self.encoding = "utf-8"
        except UnicodeDecodeError:
            self.encoding = "latin-1"
        # Image sources made absolute (against the fixture's own URL): the variants live on other hosts and
        # paths, where a relative source would name an image nobody captured; CC's image captures are absolute.
        urls: set[str] = set()

        def absolute(m: re.Match) -> bytes:
            url = quote(urljoin(src.url, html.unescape(m.group(1).decode(self.encoding))), safe=_URL_SAFE)
            bits = hashlib.sha1(url.encode()).digest()[0] if url.startswith("http") else 0
            if loopback and bits & 1:
                parts = urlsplit(url)
                url = f"http://127.0.0.1:{loopback}/{parts.hostname}{parts.path}" + (f"?{parts.query}" * bool(parts.query))
            if bits & 2:
                # Content, not template: each rendered page gets its own URL (one page's photo), where a source
                # shared by every page of a template is what dedup's frequent-image-URL pass removes.
                url += ("&" if "?" in url else "?") + _PAGE_MARK
                if not bits & 1:
                    self.page_imgs.append(url)
            elif not bits & 1:
                urls.add(url)
            return m.group(0)[: m.start(1) - m.start(0)] + html.escape(url).encode(self.encoding, "replace")

        payload = IMG_SRC.sub(absolute, src.payload)
        self.img_urls = sorted(urls)
        self.pieces: list[str] = []
        self.words: list[int] = []  # indices of word pieces
        for i, part in enumerate(_MARKUP.split(payload)):
            text = part.decode(self.encoding)
            if i % 2:  # markup
                self.pieces.append(text)
                continue
            pos = 0
            for m in _WORD.finditer(text):
                self.pieces.append(text[pos:m.start()])
                self.words.append(len(self.pieces))
                self.pieces.append(m.group())
                pos = m.end()
            self.pieces.append(text[pos:])
        self.vocab = [self.pieces[i] for i in self.words]

    def variant(self, seed: int, share: float, base: list[str] | None = None) -> list[str]:
        rng = random.Random(seed)
        pieces = list(base if base is not None else self.pieces)
        if self.vocab:
            for i in self.words:
                if rng.random() < share:
                    pieces[i] = rng.choice(self.vocab)
        return pieces

    def render(self, pieces: list[str], serial: int) -> bytes:
        text = "".join(pieces).replace(_PAGE_MARK, f"weftimg={serial}")
        return text.encode(self.encoding, "replace") + b"\n<!-- weftgen %d -->\n" % serial

    def page_img_urls(self, serial: int) -> list[str]:
        """The captured-host (not loopback) own-image URLs of the page rendered with `serial`."""
        return [u.replace(_PAGE_MARK, f"weftimg={serial}") for u in self.page_imgs]


def shared_images() -> list[Capture]:
    """The photos among ../shared/data/images (imagededup, skimage: JPEG/PNG), as image responses' payloads:
    the fixture WARCs' own images are mostly icons that the image stage rejects as too small."""
    root = REPO / ".." / "shared" / "data" / "images"
    types = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
    return [Capture("image", "", types[p.suffix.lower()], p.read_bytes())
            for sub in ("imagededup", "skimage") if (root / sub).is_dir()
            for p in sorted((root / sub).rglob("*")) if p.suffix.lower() in types]


class Crawl:
    """Pages for end-to-end runs, written over one or more WARCs (see the module docstring)."""

    def __init__(self, seed: int = 0, pool: list[Capture] | None = None, image_share: float = 0.15,
                 exact: float = 0.1, near: float = 0.1, vary: float = 0.3, near_vary: float = 0.01,
                 hosts_per_site: int = 50, loopback: int | None = None):
        pool = pool if pool is not None else load_pool()
        self.templates = [_Template(c, loopback) for c in pool if c.kind == "html"]
        self.images = shared_images() or [c for c in pool if c.kind == "image"]
        self.rng = random.Random(seed)
        self.seed, self.image_share, self.exact, self.near = seed, image_share, exact, near
        self.vary, self.near_vary, self.hosts_per_site = vary, near_vary, hosts_per_site
        self.written: list[tuple[int, int]] = []  # (template, variant seed) of every distinct page so far
        self.serial = 0
        self.image_urls: set[str] = set()
        self.recent_imgs: list[str] = []  # own-image URLs of the pages written since the last image capture
        self.counts = {"html": 0, "image": 0, "distinct": 0, "exact_dups": 0, "near_dups": 0, "captures": 0,
                       "records": 0, "bytes": 0, "files": 0}

    def _url(self, src: Capture, serial: int) -> str:
        parts = urlsplit(src.url)
        host = parts.hostname or "example.com"
        sub = self.rng.randrange(self.hosts_per_site)
        host = f"site{sub}.{host[4:] if host.startswith('www.') else host}"
        path = (parts.path or "/").rstrip("/")
        return f"https://{host}{path}/p{serial}" + ("?ref=weftgen" if self.rng.random() < 0.1 else "")

    def _page(self) -> tuple[Capture, bytes, str]:
        rng = self.rng
        self.serial += 1
        roll = rng.random()
        if self.written and roll < self.exact + self.near:
            t_idx, vseed = rng.choice(self.written)
            t = self.templates[t_idx]
            pieces = t.variant(vseed, self.vary)
            if roll < self.exact:  # the same bytes (its serial comment too) under another URL
                kind = "exact_dups"
                serial = vseed
            else:
                kind, serial = "near_dups", self.serial
                pieces = t.variant(self.serial * 7919 + 1, self.near_vary, pieces)
            self.recent_imgs += t.page_img_urls(serial)
            return t.src, t.render(pieces, serial), kind
        t_idx = rng.randrange(len(self.templates))
        vseed = self.serial
        self.written.append((t_idx, vseed))
        t = self.templates[t_idx]
        self.recent_imgs += t.page_img_urls(vseed)
        return t.src, t.render(t.variant(vseed, self.vary), vseed), "distinct"

    def write(self, path: str | Path, pages: int, gzip: bool = True) -> dict:
        """Append a WARC with `pages` HTML captures (and images at image_share of all captures) to the crawl."""
        rng = self.rng
        out = _WarcFile(path, rng, self.seed, gzip)
        counts = {"html": 0, "image": 0, "distinct": 0, "exact_dups": 0, "near_dups": 0}
        while counts["html"] < pages:
            if self.images and rng.random() < self.image_share:
                # an image the pages link to (CC fetches some of them), once per URL; content from the pool:
                # one of a recent page's own images, or one a template's pages share
                if self.recent_imgs and rng.random() < 0.5:
                    url = rng.choice(self.recent_imgs)
                    self.recent_imgs.clear()
                else:
                    t = rng.choice(self.templates)
                    url = rng.choice(t.img_urls) if t.img_urls else None
                if url and url.startswith("http") and url not in self.image_urls:
                    self.image_urls.add(url)
                    src, body = photo(self.images, url)
                    out.capture(src, url, body)
                    counts["image"] += 1
                continue
            src, payload, kind = self._page()
            out.capture(src, self._url(src, self.serial), payload)
            counts["html"] += 1
            counts[kind] += 1
        counts["records"] = out.records
        counts["bytes"] = out.close()
        counts["captures"] = counts["html"] + counts["image"]
        for key, value in counts.items():
            self.counts[key] += value
        self.counts["files"] += 1
        return counts


class _BytesStream:
    """A read()-able view of one payload, for warcio's writer (which streams it once)."""

    def __init__(self, data: bytes):
        self._data, self._pos = memoryview(data), 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._pos + size)
        out = bytes(self._data[self._pos:end])
        self._pos = end
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", help="WARC file to write (.warc.gz); a directory with --pages")
    ap.add_argument("--mb", type=float, default=100, help="size of the output file on disk, MiB")
    ap.add_argument("--pages", type=int, help="write a Crawl of this many HTML pages into the output directory")
    ap.add_argument("--files", type=int, default=1, help="with --pages: spread over this many WARCs")
    ap.add_argument("--exact", type=float, default=0.1, help="with --pages: share of exact duplicate pages")
    ap.add_argument("--near", type=float, default=0.1, help="with --pages: share of near duplicate pages")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plain", action="store_true", help="uncompressed WARC instead of per-record gzip")
    ap.add_argument("--image-share", type=float, default=0.15)
    args = ap.parse_args(argv)
    pool = load_pool()
    print(f"pool: {sum(c.kind == 'html' for c in pool)} HTML pages, {sum(c.kind == 'image' for c in pool)} images, "
          f"{sum(len(c.payload) for c in pool) / 2**20:.1f} MiB")
    if args.pages:
        counts = write_crawl(args.output, args.pages, args.files, seed=args.seed, pool=pool, exact=args.exact,
                             near=args.near, image_share=args.image_share, gzip=not args.plain)
        print(f"wrote {args.output}: {json.dumps(counts)}")
        return 0
    counts = generate(args.output, args.mb, args.seed, gzip=not args.plain, pool=pool, image_share=args.image_share)
    print(f"wrote {args.output}: {counts['bytes'] / 2**20:.1f} MiB, {counts['records']} records, "
          f"{counts['html']} pages, {counts['image']} images")
    return 0


def photo(images: list[Capture], key: str) -> tuple[Capture, bytes]:
    """The pool photo for `key` (a URL or path: always the same one) and its bytes with `key` after the end
    marker: decoders ignore trailing bytes, but the sha256 is the key's own, so the image stage stores, decodes and
    scores every URL's image as a real crawl's distinct images make it (the pool holds only a few dozen photos)."""
    img = images[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(images)]
    return img, img.payload + b"\0weftgen " + key.encode("utf-8", "replace")


class ImageHost:
    """The loopback stand-in for the image hosts of a crawl written with `loopback=port`: a threaded HTTP server on
    127.0.0.1:port answering every GET with one of the same photos as the WARC's image captures (chosen by a hash of
    the path, so a URL always gets the same bytes) and 404 for /robots.txt. Context manager; runs in this process,
    so a benchmark metering its child process tree does not count the server."""

    def __init__(self, port: int):
        import http.server
        import threading

        images = shared_images()
        if not images:
            raise RuntimeError("benchmarks.warcgen.ImageHost: no photos under ../shared/data/images")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's name)
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                img, body = photo(images, self.path)
                self.send_response(200)
                self.send_header("Content-Type", img.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # the downloader opens up to fetch.concurrency connections at once

            def handle_error(self, request, client_address):
                # the downloader drops idle keep-alive connections when a task ends: a reset is no server error
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ImageHost":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_crawl(directory: str | Path, pages: int, files: int = 1, seed: int = 0, gzip: bool = True,
                **crawl_args) -> dict:
    """`pages` HTML pages over `files` WARCs named like CC's in `directory`; returns the Crawl's counts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    crawl = Crawl(seed=seed, **crawl_args)
    for i in range(files):
        share = pages // files + (1 if i < pages % files else 0)
        name = f"{CRAWL_ID}-weftgen-{i:05d}.warc" + (".gz" if gzip else "")
        crawl.write(directory / name, share, gzip=gzip)
    if crawl_args.get("loopback"):
        return {**crawl.counts, "loopback_port": crawl_args["loopback"]}
    return crawl.counts


if __name__ == "__main__":
    raise SystemExit(main())
