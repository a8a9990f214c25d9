"""Filter stage: extracted documents -> kept + rejected documents, both with every filter score.

    weft filter --input OUT/extract --output OUT [--config my.yaml] [--set filter.langid.keep=[en]]
    weft filter --input OUT/extract --explain DOC_ID       # every score and rule for one document
    spark-submit jobs/filter.py --input ... --output ...

Writes, per input Parquet file (one Spark task each, atomically, resumable):
    OUT/filter/kept/crawl=<id>/lang=<l>/<file>-<hash>.parquet
    OUT/filter/rejected/crawl=<id>/lang=<l>/<file>-<hash>.parquet   (filter_reason set)
    OUT/stats/filter.json   counts per rule, and kept/dropped per language (`by` breakdowns)
Thresholds live in config/filters.yaml (the `filter` section of the config): `--set filter.preset=fineweb` for
datatrove's rules, the default `weft` preset otherwise; `--set filter.quality_model.path=q.bin` adds the score
quality_prob from a model of `weft train-quality`.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from engine.io.fs import list_parquet, resolve  # list_parquet(args.input): every file under the --input list
from engine.io.output import ParquetOptions
from engine.stats import StageStats
from jobs.base import FileJob, FileOutputs, fail_file, output_name, parquet_options, run_job


@dataclass
class FilterTask:
    """Runs on a worker: one extract Parquet file in, its kept/rejected Parquet files out. Picklable."""

    output: str
    filter_config: dict
    parquet: ParquetOptions
    batch_rows: int

    def __call__(self, path: str) -> StageStats:
        import pyarrow.parquet as pq

        from engine.document import to_batch
        from filters.pipeline import FilterStep, filter_documents
        from filters.rules import FilterConfig
        from schemas.omnicorpus import arrow_schema

        stats = StageStats("filter")
        outputs = FileOutputs(self.output, output_name(path), self.parquet)
        pending: dict[tuple[str, str, str], list] = {}

        def flush(key):
            docs = pending.pop(key, [])
            if docs:
                table, crawl, lang = key
                outputs.write(f"filter/{table}", (("crawl", crawl), ("lang", lang)), to_batch(docs), arrow_schema())

        with stats.timed():
            try:
                step = FilterStep(FilterConfig.from_dict(self.filter_config))
                fs, fpath = resolve(path)
                with fs.open_input_file(fpath) as f:
                    for batch in pq.ParquetFile(f).iter_batches(batch_size=self.batch_rows):
                        for outcome in filter_documents(batch, step, stats):
                            d = outcome.doc
                            key = ("kept" if outcome.kept else "rejected", d.meta.get("crawl_id") or "unknown",
                                   d.meta.get("language") or "unknown")
                            pending.setdefault(key, []).append(d)
                            if len(pending[key]) >= self.batch_rows:
                                flush(key)
                for key in list(pending):
                    flush(key)
                outputs.commit()
                stats.files["done"] += 1
            except Exception as e:  # unreadable input or a library bug: the file is counted as failed, not lost
                outputs.abort()
                fail_file(stats, e)
        return stats


class FilterJob(FileJob):
    name = "filter"
    description = "language / quality / safety filters -> kept + rejected Parquet with every score"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--input", nargs="+", required=True, help="extract output: Parquet files or directories")
        parser.add_argument("--batch-rows", type=int, help="documents per batch (default: filter.batch_rows)")

    def inputs(self, args, config):
        paths = list_parquet(args.input)
        if not paths:
            raise SystemExit(f"weft filter: no Parquet files found in {args.input}")
        return paths

    def task(self, args, config):
        cfg = config["filter"]
        return FilterTask(args.output, cfg, parquet_options(config), args.batch_rows or cfg["batch_rows"])


def explain(argv: list[str]) -> int:
    """`weft filter --input OUT/extract --explain DOC_ID`: no Spark, reads the input Parquet directly."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from engine.config import load_config
    from engine.document import from_batch
    from filters.pipeline import FilterStep
    from filters.rules import FilterConfig

    p = argparse.ArgumentParser(prog="weft filter --explain")
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--explain", required=True, metavar="DOC_ID")
    p.add_argument("--config")
    p.add_argument("--set", action="append", default=[])
    args, _ = p.parse_known_args(argv)
    step = FilterStep(FilterConfig.from_dict(load_config(args.config, args.set).get("filter", {})))
    for path in list_parquet(args.input):
        fs, fpath = resolve(path)
        table = pq.read_table(fpath, filesystem=fs)
        ids = pc.struct_field(table.column("general_metadata"), "id")
        hit = table.filter(pc.equal(ids, args.explain))
        if hit.num_rows:
            print(f"file: {path}")
            print(step.explain(from_batch(hit)[0]))
            return 0
    print(f"weft filter: document {args.explain} not found in {args.input}")
    return 1


def main(argv=None) -> int:
    argv = list(argv or [])
    if "--explain" in argv:
        return explain(argv)
    return FilterJob().main(argv)


if __name__ == "__main__":
    run_job(FilterJob())
