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
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import uuid
import warnings
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

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


def generate(path: str | Path, mb: float, seed: int = 0, gzip: bool = True, pool: list[Capture] | None = None,
             image_share: float = 0.15) -> dict:
    """Write a WARC of about `mb` MiB (on disk) to `path`; returns counts. `image_share`: fraction of captures
    that are image responses (CC's crawl is mostly HTML; images come from links it also fetched)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pool = pool if pool is not None else load_pool()
    html = [c for c in pool if c.kind == "html"]
    images = [c for c in pool if c.kind == "image"] or html
    rng = random.Random(seed)
    limit = int(mb * 2**20)
    date = datetime(2099, 1, 1, tzinfo=timezone.utc)
    counts = {"captures": 0, "html": 0, "image": 0, "records": 0}
    with open(path, "wb") as f:
        buf = io.BytesIO()  # one record at a time: serialised by warcio, then one gzip member of its own
        writer = WARCWriter(buf, gzip=False, warc_version="1.0")

        def emit(record) -> None:
            writer.write_record(record)
            data = buf.getvalue()
            buf.seek(0)
            buf.truncate()
            if gzip:  # level 6 (warcio's own gzip is level 9: same framing, 3x slower to write)
                z = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
                data = z.compress(data) + z.flush()
            f.write(data)

        filename = Path(path).name
        info = writer.create_warcinfo_record(filename, {
            "software": "weft benchmarks.warcgen", "isPartOf": CRAWL_ID, "format": "WARC File Format 1.0",
            "description": f"synthetic crawl from fixture WARCs, seed {seed}",
        })
        info.rec_headers.replace_header("WARC-Date", date.strftime("%Y-%m-%dT%H:%M:%SZ"))
        info.rec_headers.replace_header("WARC-Record-ID", _record_id(rng))
        emit(info)
        counts["records"] += 1
        n = 0
        while f.tell() < limit:
            n += 1
            src = rng.choice(images) if rng.random() < image_share else rng.choice(html)
            parts = urlsplit(src.url)
            host = f"h{rng.randrange(10**6):06d}.{parts.hostname or 'example.com'}"
            url = f"{parts.scheme or 'http'}://{host}{parts.path or '/'}?weftgen={n}"
            date += timedelta(seconds=rng.randint(0, 3))
            wdate = date.strftime("%Y-%m-%dT%H:%M:%SZ")
            if src.kind == "html":  # distinct bytes, same page: a comment after the document
                payload = src.payload + b"\n<!-- weftgen %d %d -->\n" % (seed, n)
            else:  # trailing bytes after the image's end marker: decoders ignore them, the digest changes
                payload = src.payload + b"\0weftgen%d" % n
            rid = lambda: _record_id(rng)  # noqa: E731

            req_headers = StatusAndHeaders(f"GET {parts.path or '/'}?weftgen={n} HTTP/1.1", [
                ("Host", host), ("User-Agent", "CCBot/2.0 (https://commoncrawl.org/faq/)"),
                ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"), ("Accept-Encoding", "br,gzip")],
                is_http_request=True)
            request = writer.create_warc_record(url, "request", http_headers=req_headers, warc_headers_dict={
                "WARC-Date": wdate, "WARC-Record-ID": rid(), "WARC-IP-Address": "192.0.2.1"})
            resp_headers = StatusAndHeaders("200 OK", [
                ("Date", date.strftime("%a, %d %b %Y %H:%M:%S GMT")), ("Content-Type", src.content_type),
                ("X-Crawler-Content-Encoding", "gzip"), ("Content-Length", str(len(payload)))],
                protocol="HTTP/1.1")
            response_id = rid()
            response = writer.create_warc_record(url, "response", payload=_BytesStream(payload),
                                                 length=len(payload), http_headers=resp_headers,
                                                 warc_headers_dict={
                "WARC-Date": wdate, "WARC-Record-ID": response_id, "WARC-IP-Address": "192.0.2.1",
                "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID"),
                "WARC-Identified-Payload-Type": src.content_type.split(";")[0].strip()})
            meta = b"fetchTimeMs: %d\r\n" % rng.randint(20, 2000)
            if src.kind == "html":
                meta += b"charset-detected: UTF-8\r\nlanguages-cld2: " + _languages(rng) + b"\r\n"
            metadata = writer.create_warc_record(url, "metadata", payload=_BytesStream(meta), length=len(meta),
                                                 warc_content_type="application/warc-fields", warc_headers_dict={
                "WARC-Date": wdate, "WARC-Record-ID": rid(), "WARC-Concurrent-To": response_id})
            for record in (request, response, metadata):
                emit(record)
            counts["captures"] += 1
            counts[src.kind] += 1
            counts["records"] += 3
        counts["bytes"] = f.tell()
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
    ap.add_argument("output", help="WARC file to write (.warc.gz)")
    ap.add_argument("--mb", type=float, default=100, help="size of the output file on disk, MiB")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plain", action="store_true", help="uncompressed WARC instead of per-record gzip")
    ap.add_argument("--image-share", type=float, default=0.15)
    args = ap.parse_args(argv)
    pool = load_pool()
    print(f"pool: {sum(c.kind == 'html' for c in pool)} HTML pages, {sum(c.kind == 'image' for c in pool)} images, "
          f"{sum(len(c.payload) for c in pool) / 2**20:.1f} MiB")
    counts = generate(args.output, args.mb, args.seed, gzip=not args.plain, pool=pool, image_share=args.image_share)
    print(f"wrote {args.output}: {counts['bytes'] / 2**20:.1f} MiB, {counts['records']} records, "
          f"{counts['html']} pages, {counts['image']} images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
