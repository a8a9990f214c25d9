"""Benchmark WARC reading: FastWARC vs warcio on the same file, side by side in one process.

The input is built from real records: every readable fixture WARC (tests/data/warc, plus ../shared/data/warc when
present; the list is benchmarks.warcgen.source_files) is re-wrapped record by record with warcio's writer, then
repeated until the file reaches --mb MB of uncompressed WARC; one per-record-gzip copy and one uncompressed copy.
Each run reads every record and its whole payload. Two levels are timed: the bare libraries, and
engine.warc.records.iter_records (HTTP parsing, de-chunking, Content-Encoding) forced to each parser. Time is CPU time of
this process (per core); runs are interleaved, alternating order, and the median over --repeats is reported with
the FastWARC/warcio ratio.

    python -m benchmarks.warc [--mb 40] [--repeats 5]
"""
from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from benchmarks.warcgen import source_files as _source_files  # the fixture list, shared with the generator
from engine.warc.records import iter_records


def _rewrap(files: list[Path], gzip: bool) -> bytes:
    """All records of all files, re-serialised by warcio's writer (per-record gzip or plain)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for path in files:  # each file name once: the same fixture is in tests/data and shared/data
        with open(path, "rb") as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                for record in ArchiveIterator(f):
                    writer.write_record(record)
            except Exception:  # a fixture warcio cannot finish: keep what was written
                continue
    return out.getvalue()


def build_corpus(directory: Path, mb: int) -> dict[str, Path]:
    files = _source_files()
    if not files:
        raise SystemExit("no fixture WARCs found")
    plain, gz = _rewrap(files, gzip=False), _rewrap(files, gzip=True)
    repeat = max(1, (mb * 2**20) // len(plain))
    paths = {}
    for name, blob in (("plain", plain), ("gzip", gz)):
        path = directory / f"bench.{'warc.gz' if name == 'gzip' else 'warc'}"
        with open(path, "wb") as f:
            for _ in range(repeat):
                f.write(blob)
        paths[name] = path
    return paths


def raw_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator

    n = 0
    with open(path, "rb") as f:
        for r in ArchiveIterator(f, parse_http=True):
            r.reader.read()
            n += 1
    return n


def raw_warcio(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with open(path, "rb") as f:
        for r in ArchiveIterator(f):
            r.raw_stream.read()
            n += 1
    return n


def engine_reader(parser: str) -> Callable[[Path], int]:
    def run(path: Path) -> int:
        n = 0
        for rec in iter_records(str(path), parser=parser):
            n += 1
            if rec.error:
                raise RuntimeError(f"{parser}: {rec.error} at {rec.offset}")
        return n

    return run


def measure(fn: Callable[[Path], int], path: Path) -> tuple[float, int]:
    t0 = time.process_time()
    n = fn(path)
    return time.process_time() - t0, n


def charset_samples() -> list[tuple[bytes, str]]:
    """Real page texts (decoded from the fixtures) re-encoded with their own and other charsets, declarations
    stripped, so that only detection can find the charset: (bytes, codec)."""
    import re

    from engine.html.decode import decode_html

    samples = []
    for path in _source_files():
        for rec in iter_records(str(path), record_types={"response"}):
            if rec.error or rec.content_type != "text/html" or not rec.payload or len(rec.payload) < 2000:
                continue
            text, charset = decode_html(rec.payload, rec.http_headers.get("content-type"))
            text = re.sub(r"<meta[^>]*charset[^>]*>", "", text, flags=re.I)
            ascii_only = all(ord(c) < 128 for c in text)
            for codec in ("utf-8", charset, "cp1252", "cp932", "cp1251", "gb18030"):
                try:
                    raw = text.encode(codec)
                except UnicodeEncodeError:
                    continue
                if not ascii_only and (codec, raw) not in samples:
                    samples.append((raw, codec))
    return samples


def bench_charsets(repeats: int) -> None:
    """uchardet (resiliparse) vs charset-normalizer: decoded text equals the original, and CPU time."""
    from charset_normalizer import from_bytes
    from resiliparse.parse.encoding import detect_encoding

    from engine.html.decode import python_codec

    def normalizer(raw: bytes) -> str | None:
        best = from_bytes(raw).best()
        return python_codec(best.encoding) if best is not None else None

    detectors = {"resiliparse": lambda raw: python_codec(detect_encoding(raw)), "charset-normalizer": normalizer}
    samples = charset_samples()
    print(f"\ncharset detection on {len(samples)} real pages re-encoded without declarations")
    times: dict[str, list[float]] = {k: [] for k in detectors}
    right = {}
    for rep in range(repeats):
        for name in (list(detectors) if rep % 2 == 0 else list(detectors)[::-1]):
            t0, ok = time.process_time(), 0
            for raw, codec in samples:
                guess = detectors[name](raw)
                try:
                    ok += guess is not None and raw.decode(guess) == raw.decode(codec)
                except UnicodeDecodeError:
                    pass
            times[name].append(time.process_time() - t0)
            right[name] = ok
    for name in detectors:
        med = statistics.median(times[name])
        print(f"{name:<20} correct {right[name]}/{len(samples)}  pages/s {len(samples) / med:>8.0f}")
    print(f"speed ratio resiliparse/charset-normalizer = "
          f"{statistics.median(times['charset-normalizer']) / statistics.median(times['resiliparse']):.1f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=40, help="uncompressed size of the benchmark WARC")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    pairs = {"library": (raw_fastwarc, raw_warcio),
             "engine.iter_records": (engine_reader("fastwarc"), engine_reader("warcio"))}
    with tempfile.TemporaryDirectory(prefix="weft-bench-warc-") as tmp:
        corpus = build_corpus(Path(tmp), args.mb)
        print(f"corpus: {', '.join(f'{k} {p.stat().st_size / 2**20:.1f} MB' for k, p in corpus.items())} "
              f"(uncompressed {corpus['plain'].stat().st_size / 2**20:.1f} MB), repeats={args.repeats}")
        header = f"{'level':<20} {'file':<6} {'parser':<9} {'records/s':>10} {'MB/s':>8} {'cpu s (median)':>15}"
        print(header)
        print("-" * len(header))
        for level, (fast, slow) in pairs.items():
            for kind, path in corpus.items():
                times: dict[str, list[float]] = {"fastwarc": [], "warcio": []}
                counts = {}
                for rep in range(args.repeats):
                    order = [("fastwarc", fast), ("warcio", slow)]
                    for name, fn in (order if rep % 2 == 0 else order[::-1]):
                        t, counts[name] = measure(fn, path)
                        times[name].append(t)
                if counts["fastwarc"] != counts["warcio"]:
                    raise SystemExit(f"record counts differ on {kind}: {counts}")
                size_mb = corpus["plain"].stat().st_size / 2**20  # MB of WARC data processed, either framing
                med = {k: statistics.median(v) for k, v in times.items()}
                for name in ("fastwarc", "warcio"):
                    print(f"{level:<20} {kind:<6} {name:<9} {counts[name] / med[name]:>10.0f} "
                          f"{size_mb / med[name]:>8.1f} {med[name]:>15.3f}")
                print(f"{'':<20} {kind:<6} ratio fastwarc/warcio speed = {med['warcio'] / med['fastwarc']:.2f}x "
                      f"({counts['fastwarc']} records)")
    bench_charsets(args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
