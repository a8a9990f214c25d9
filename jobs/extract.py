"""Extract stage: WARC/ARC files -> interleaved documents.

    weft extract --input PATH_OR_MANIFEST [...] --output OUT [--limit N] [--sample F]
    spark-submit jobs/extract.py --input ... --output ...

Writes, per input WARC (one Spark task each, atomically, resumable):
    OUT/extract/crawl=<id>/<warc>-<hash>.parquet       documents (schemas/omnicorpus.py)
    OUT/warc_images/crawl=<id>/<warc>-<hash>.parquet   image responses found in that WARC
    OUT/stats/extract.json                             the stage's accounting, merged over all files
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from engine.document import to_batch
from engine.warc.ingest import ImageRecord, IngestConfig, warc_to_documents
from engine.io.output import ParquetOptions
from engine.stats import StageStats
from jobs.base import FileJob, FileOutputs, fail_file, output_name, parquet_options, run_job
from schemas.omnicorpus import arrow_schema, warc_images_schema


@dataclass
class ExtractTask:
    """Runs on a worker: one WARC in, its Parquet files out. Picklable (plain config, no open handles)."""

    output: str
    ingest: IngestConfig
    parquet: ParquetOptions
    batch_rows: int
    batch_bytes: int  # a batch is also flushed at this many payload bytes (memory bound; config extract.batch_bytes)

    def __call__(self, path: str) -> StageStats:
        import pyarrow as pa

        from engine.warc.errors import WarcOpenError

        stats = StageStats("extract")
        outputs = FileOutputs(self.output, output_name(path), self.parquet)
        warc_filename = path.rstrip("/").rsplit("/", 1)[-1]
        docs: list = []
        images: list[ImageRecord] = []
        held = {"docs": 0, "images": 0}  # payload bytes buffered in each list

        def flush_docs():
            if docs:
                crawl = (("crawl", docs[0].meta.get("crawl_id")),)
                outputs.write("extract", crawl, to_batch(docs), arrow_schema())
                docs.clear()
            held["docs"] = 0

        def flush_images():
            if images:
                batch = pa.RecordBatch.from_pylist([i.to_row() for i in images], schema=warc_images_schema())
                outputs.write("warc_images", (("crawl", images[0].crawl_id),), batch, warc_images_schema(), False)
                images.clear()
            held["images"] = 0

        def on_image(img: ImageRecord):
            images.append(img)
            held["images"] += img.bytes
            if len(images) >= 64 or held["images"] >= self.batch_bytes:
                flush_images()

        with stats.timed():
            try:
                for doc in warc_to_documents(path, warc_filename, stats, self.ingest, on_image):
                    docs.append(doc)
                    held["docs"] += sum(len(t) for t in doc.paragraphs)
                    if len(docs) >= self.batch_rows or held["docs"] >= self.batch_bytes:
                        flush_docs()
                flush_docs()
                flush_images()
                outputs.commit()
                stats.files["done"] += 1
            except WarcOpenError as e:  # nothing was read: the file is failed with its reason
                outputs.abort()
                stats.files_failed[f"open:{e.reason}"] += 1
            except Exception as e:  # a library bug must not kill the job: the file is counted as failed
                outputs.abort()
                fail_file(stats, e)
        return stats


class ExtractJob(FileJob):
    name = "extract"
    description = "WARC/ARC files -> interleaved documents (OmniCorpus schema), one Spark task per file"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--input", nargs="+", required=True,
                            help="WARC files, directories, globs, s3:// prefixes, path lists (warc.paths(.gz), "
                                 ".txt, - for stdin); an input listed twice is processed once")
        parser.add_argument("--limit", type=int, help="process at most N input files")
        parser.add_argument("--sample", type=float, help="deterministic fraction of the input files")
        parser.add_argument("--seed", type=int, help="sampling seed (default: input.seed)")

    def inputs(self, args, config):
        from engine.io.inputs import resolve_inputs

        cfg = config["input"]
        listed = resolve_inputs(
            [p if "://" in p or p == "-" else os.path.abspath(p) for p in args.input],
            limit=args.limit if args.limit is not None else cfg["limit"],
            sample=args.sample if args.sample is not None else cfg["sample"],
            seed=args.seed if args.seed is not None else cfg["seed"],
            manifest_base=cfg["manifest_base"],
        )
        if not listed.paths:
            raise SystemExit(f"weft extract: no input files found in {args.input}")
        self.repeated_inputs = listed.duplicates
        return listed.paths

    def task(self, args, config):
        return make_extract_task(args.output, config)


def make_extract_task(output: str, config: dict) -> ExtractTask:
    from engine.config import typed
    from engine.html import ExtractConfig

    cfg = config["extract"]
    ingest = typed(IngestConfig, cfg, "extract", skip=("html", "batch_rows", "batch_bytes"))
    ingest.extract = typed(ExtractConfig, cfg["html"], "extract.html")
    return ExtractTask(output, ingest, parquet_options(config), cfg["batch_rows"], cfg["batch_bytes"])


def main(argv=None) -> int:
    return ExtractJob().main(argv)


if __name__ == "__main__":
    run_job(ExtractJob())
