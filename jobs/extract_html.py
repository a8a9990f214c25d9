"""`weft extract-html`: HTML files -> one JSON line per page with the interleaved main body.

    weft extract-html --input DIR_OR_FILE [--url-map FILE.json] --output OUT.jsonl

Every .html / .html.gz file under --input (recursively, sorted) gives one line
{"id", "url", "texts", "images", "alts", "title", "date", "html_lang"} in the aligned-list form; a page the
extractor rejects gives {"id", "url", "rejected": reason} with empty lists, so nothing is lost silently.
`id` is the path relative to --input (the file name for a flat folder); --url-map maps ids (or bare file
names) to page URLs used to resolve relative links. This is also the code path `make bench-extract` measures.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Iterator

from engine.html import ExtractConfig, ExtractionRejected, extract

SUFFIXES = (".html", ".html.gz", ".htm", ".htm.gz")


def find_pages(root: Path) -> list[tuple[str, Path]]:
    """[(id, path)] for the HTML files under root (or root itself), sorted by id."""
    if root.is_file():
        return [(root.name, root)]
    pages = [(p.relative_to(root).as_posix(), p) for p in root.rglob("*")
             if p.is_file() and p.name.lower().endswith(SUFFIXES)]
    return sorted(pages)


def read_html(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def lookup_url(url_map: dict[str, str], page_id: str) -> str | None:
    name = page_id.rsplit("/", 1)[-1]
    for key in (page_id, name, name.removesuffix(".gz"), name.split(".", 1)[0]):
        if key in url_map:
            return url_map[key]
    return None


def extract_records(pages: list[tuple[str, Path]], url_map: dict[str, str],
                    config: ExtractConfig) -> Iterator[dict]:
    for page_id, path in pages:
        url = lookup_url(url_map, page_id)
        record: dict = {"id": page_id, "url": url}
        try:
            r = extract(read_html(path), url, config=config)
        except ExtractionRejected as e:
            record.update(texts=[], images=[], alts=[], rejected=e.reason)
        else:
            record.update(texts=r.texts, images=r.images, alts=r.alts, title=r.title, date=r.date,
                          html_lang=r.html_lang)
        yield record


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="weft extract-html", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, type=Path, help="an .html/.html.gz file or a folder of them")
    p.add_argument("--url-map", type=Path, help="JSON object {file id or name: page URL}")
    p.add_argument("--output", required=True, type=Path, help="JSON lines file to write ('-' = stdout)")
    p.add_argument("--max-html-bytes", type=int, default=ExtractConfig.max_html_bytes)
    p.add_argument("--timeout-s", type=float, default=ExtractConfig.timeout_s)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.input.exists():
        print(f"weft extract-html: no such input {args.input}", file=sys.stderr)
        return 2
    url_map = json.loads(args.url_map.read_text(encoding="utf-8")) if args.url_map else {}
    config = ExtractConfig(max_html_bytes=args.max_html_bytes, timeout_s=args.timeout_s)
    pages = find_pages(args.input)
    counts: Counter = Counter()
    out = sys.stdout if str(args.output) == "-" else None
    if out is None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        out = args.output.open("w", encoding="utf-8")
    try:
        for record in extract_records(pages, url_map, config):
            counts[record.get("rejected") or ("empty" if not any(record["texts"]) else "ok")] += 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"weft extract-html: {len(pages)} pages: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())),
          file=sys.stderr)
    return 0
