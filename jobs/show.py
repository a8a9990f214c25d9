"""`weft show PATH [--id ID] [-n N]`: print documents from Parquet output in interleaved form."""
from __future__ import annotations

import argparse

import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.document import from_batch
from engine.io.fs import list_parquet, resolve


def find_documents(paths: list[str], doc_id: str | None = None, limit: int = 1, with_images: bool = False):
    found = []
    for uri in paths:
        for f in list_parquet(uri):
            fs, path = resolve(f)
            table = pq.read_table(path, filesystem=fs)
            gm = table["general_metadata"]
            if doc_id is not None:
                table = table.filter(pc.equal(pc.struct_field(gm, "id"), doc_id))
            elif with_images:
                table = table.filter(pc.greater(pc.struct_field(gm, "num_images"), 0))
            found.extend(from_batch(table.slice(0, limit - len(found))))
            if len(found) >= limit:
                return found
    return found


def render(doc) -> str:
    m = doc.meta
    head = [f"id       {doc.id}", f"url      {doc.url}", f"title    {m.get('title')}",
            f"crawl    {m.get('crawl_id')}  warc {m.get('warc_filename')} @ {m.get('warc_record_offset')}",
            f"language {m.get('language')} ({m.get('language_score')})  cc_language {m.get('cc_language')}",
            f"texts    {m.get('num_texts')}  images {m.get('num_images')}"]
    if doc.scores:
        head.append("scores   " + ", ".join(f"{k}={v:.3g}" for k, v in sorted(doc.scores.items())))
    return "\n".join(head) + "\n" + "-" * 80 + "\n" + doc.interleaved()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft show", description=__doc__)
    p.add_argument("paths", nargs="+")
    p.add_argument("--id", help="document id (general_metadata.id)")
    p.add_argument("-n", type=int, default=1)
    p.add_argument("--with-images", action="store_true", help="only documents that have images")
    args = p.parse_args(argv)
    docs = find_documents(args.paths, args.id, args.n, args.with_images)
    for d in docs:
        print(render(d) + "\n")
    return 0 if docs else 1
