"""Degrade stage: the documents table -> views and exports for tools that do not read interleaved documents.

    weft degrade --input OUT/docs --store OUT/images/store --output OUT --to text,pairs,webdataset,mmc4
                 [--clip-sims OUT/images/clip_sims] [--format parquet|jsonl] [--set degrade.pairs.strategy=mmc4]
                 [--redo]
    spark-submit jobs/degrade.py ...

One Spark task per input Parquet file (mapInArrow through FileJob: atomic outputs, a progress record per file,
a rerun skips finished files). Writes, per input file <stem>:
    OUT/views/text/crawl=<id>/lang=<l>/<stem>.parquet|.jsonl.gz     --to text   (engine/views/text.py)
    OUT/views/pairs/crawl=<id>/lang=<l>/<stem>.parquet|.jsonl.gz    --to pairs  (engine/views/exports.py)
    OUT/exports/webdataset/{pairs,interleaved}/<stem>-00000.tar ...  --to webdataset (+ manifest.json each)
    OUT/exports/mmc4/<stem>-00000.jsonl.gz ...                       --to mmc4 (+ manifest.json)
    OUT/stats/degrade.json: documents in = kept (in at least one output) + dropped `no_output`; per output under
    `by` (text: in = written + dropped:no_text; pairs: images_in = written + dropped:not_in_store +
    dropped:no_caption; ...), checked before the job reports success.
MMC4's matching (the mmc4 strategy and the MMC4 export) uses the image stage's per-paragraph CLIP similarities
(OUT/images/clip_sims, engine/views/similarity.py) when that table exists, else the clip_sim proxy
(engine/views/captions.py); the job prints which. WebDataset keys derive from document ids (unique across files).
Settings: config/degrade.yaml (the `degrade` section).
"""
from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from engine.io.fs import join, list_parquet, resolve
from engine.io.output import ParquetOptions
from engine.stats import AccountingError, StageStats
from jobs.base import FileJob, FileOutputs, fail_file, output_name, parquet_options, run_job

TARGETS = ("text", "pairs", "webdataset", "mmc4")


class JsonlOutputs:
    """gzip JSON-lines files, one per partition, committed together (the JSONL twin of FileOutputs)."""

    def __init__(self, output: str, stem: str):
        self.output, self.stem, self.files = output, stem, {}

    def write(self, table: str, partitions: tuple, rows: list[dict]) -> None:
        from engine.views.shards import AtomicSink

        key = (table, partitions)
        if key not in self.files:
            parts = [f"{k}={v or 'unknown'}" for k, v in partitions]
            sink = AtomicSink(join(self.output, table, *parts, f"{self.stem}.jsonl.gz"))
            self.files[key] = (sink, gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0))
        gz = self.files[key][1]
        for row in rows:
            gz.write((json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode())

    def commit(self) -> None:
        for sink, gz in self.files.values():
            gz.close()
            sink.finish()
        for sink, _ in self.files.values():
            sink.commit()

    def abort(self) -> None:
        for sink, _ in self.files.values():
            sink.abort()


@dataclass
class DegradeTask:
    """Runs on a worker: one documents Parquet file in, its views and export shards out. Picklable."""

    output: str
    store_files: list[str]
    to: tuple[str, ...]
    fmt: str
    degrade: dict
    parquet: ParquetOptions
    batch_rows: int
    webdataset: tuple[str, ...] = field(default=())
    clip_sims_files: list[str] = field(default_factory=list)  # OUT/images/clip_sims: MMC4's real matrix

    def __call__(self, path: str) -> StageStats:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from engine.views.exports import (PAIRS_SCHEMA, STORE_META_COLUMNS, document_pairs, interleaved_sample,
                                          mmc4_record, pair_sample, sample_key)
        from engine.views.settings import from_section
        from engine.views import similarity
        from engine.views.shards import ShardSeries
        from engine.views.store import ImageStore
        from engine.views.text import TEXT_SCHEMA, jsonable, text_row

        text_cfg, pairs_cfg, export_cfg = from_section(self.degrade)
        stats = StageStats("degrade")
        stem = output_name(path)
        parquet_out = FileOutputs(self.output, stem, self.parquet)
        jsonl_out = JsonlOutputs(self.output, stem)
        series: dict[str, ShardSeries] = {}
        if "webdataset" in self.to:
            for kind in self.webdataset:
                series[f"webdataset_{kind}"] = ShardSeries(join(self.output, "exports", "webdataset", kind), stem,
                                                           "tar", export_cfg)
        if "mmc4" in self.to:
            series["mmc4"] = ShardSeries(join(self.output, "exports", "mmc4"), stem, "jsonl", export_cfg)
        counts = {name: Counter() for name in ("text", "pairs", *series)}
        wants_pairs = "pairs" in self.to or "webdataset_pairs" in series
        needs_store = wants_pairs or bool(series)
        store_columns = STORE_META_COLUMNS + (["content"] if any(k.startswith("webdataset") for k in series) else [])
        store = ImageStore(self.store_files)

        def view(name, partitions, rows, schema):
            if not rows:
                return
            if self.fmt == "jsonl":
                jsonl_out.write(f"views/{name}", partitions, [jsonable(r) for r in rows])
            else:
                outputs_rows = pa.Table.from_pylist(rows, schema=schema)
                parquet_out.write(f"views/{name}", partitions, outputs_rows, schema, validate=False)

        def convert(doc: dict, store_rows: dict, rows_text: list, rows_pairs: list) -> bool:
            """One document into every output asked for; whether any of them got it."""
            produced = False
            sims = doc_sims.get(doc["general_metadata"]["id"])
            if "text" in self.to:
                counts["text"]["in"] += 1
                row = text_row(doc, text_cfg)
                if row is None:
                    counts["text"]["dropped:no_text"] += 1
                else:
                    counts["text"]["written"] += 1
                    rows_text.append(row)
                    produced = True
            if wants_pairs:
                pairs = document_pairs(doc, store_rows, pairs_cfg, counts["pairs"], sims)
                produced |= bool(pairs)
                if "pairs" in self.to:
                    rows_pairs.extend(pairs)
                if "webdataset_pairs" in series:
                    for row in pairs:
                        key = sample_key(row["doc_id"], row["position"])
                        series["webdataset_pairs"].add_tar_sample(
                            key, pair_sample(key, row, store_rows[row["sha256"]]["content"]))
                    counts["webdataset_pairs"]["written"] += len(pairs)
            if "webdataset_interleaved" in series:
                c = counts["webdataset_interleaved"]
                c["docs_in"] += 1
                record, members = interleaved_sample(doc, store_rows, c)
                series["webdataset_interleaved"].add_tar_sample(
                    sample_key(record["id"]), [("json", json.dumps(record, ensure_ascii=False).encode()), *members])
                c["written"] += 1
                produced = True
            if "mmc4" in series:
                record = mmc4_record(doc, store_rows, pairs_cfg, counts["mmc4"], sims)
                if record is not None:
                    series["mmc4"].add_line(record)
                    produced = True
            return produced

        with stats.timed():
            try:
                fs, fpath = resolve(path)
                with fs.open_input_file(fpath) as f:
                    pf = pq.ParquetFile(f)
                    if needs_store:  # the store is searched once per input file, for every hash it uses
                        store.index(_image_hashes(pf))
                    doc_sims = {}
                    if self.clip_sims_files and (("mmc4" in pairs_cfg.order and wants_pairs) or "mmc4" in series):
                        ids = set(pf.read(columns=["general_metadata.id"]).column("general_metadata")
                                  .combine_chunks().field("id").to_pylist())
                        doc_sims = similarity.load(self.clip_sims_files, ids)
                    for batch in pf.iter_batches(batch_size=self.batch_rows):
                        docs = batch.to_pylist()
                        stats.seen(len(docs))
                        rows_text, rows_pairs = defaultdict(list), defaultdict(list)
                        store_rows = {}
                        if needs_store:
                            shas = {m["sha256"] for d in docs for m in d["metadata"] if m and m.get("sha256")}
                            store_rows = store.fetch(shas, store_columns)  # those index() found
                        for doc in docs:
                            gm = doc["general_metadata"]
                            part = (("crawl", gm.get("crawl_id")), ("lang", gm.get("language")))
                            if convert(doc, store_rows, rows_text[part], rows_pairs[part]):
                                stats.keep()
                            else:
                                stats.drop("no_output")
                        for part, rows in rows_text.items():
                            view("text", part, rows, TEXT_SCHEMA)
                        for part, rows in rows_pairs.items():
                            view("pairs", part, rows, PAIRS_SCHEMA)
                parquet_out.commit()
                jsonl_out.commit()
                for name, s in series.items():
                    shards = s.commit()
                    stats.side[f"{name}_shards"] += len(shards)
                    stats.bytes_out += sum(sh["bytes"] for sh in shards)
                for name, c in counts.items():
                    for k, v in c.items():
                        stats.count(name, k, v)
                stats.files["done"] += 1
            except Exception as e:  # unreadable input or a bug: the file is counted as failed, nothing is left
                parquet_out.abort()
                jsonl_out.abort()
                for s in series.values():
                    s.abort()
                fail_file(stats, e)
            finally:
                store.close()
        return stats


def _image_hashes(pf) -> set[str]:
    """Every image sha256 a documents file uses (only that leaf column is read)."""
    import pyarrow.compute as pc

    leaf = next(c.path for c in pf.schema if c.path.startswith("metadata.") and c.path.endswith(".sha256"))
    metadata = pf.read(columns=[leaf]).column("metadata")
    return {s for s in pc.struct_field(pc.list_flatten(metadata), "sha256").unique().to_pylist() if s}


def reconcile(stats: StageStats) -> None:
    """Every output's counts add up (raises AccountingError naming the output)."""
    by = stats.by

    def check(name, total_key, parts):
        c = by.get(name)
        if not c:
            return
        total = c.get(total_key, 0)
        out = sum(v for k, v in c.items() if k in parts or k.split(":", 1)[0] in parts and ":" in k)
        if total != out:
            raise AccountingError(f"degrade/{name}: {total_key}={total} but {' + '.join(parts)} = {out} ({dict(c)})")

    check("text", "in", ("written", "dropped"))
    check("pairs", "images_in", ("written", "dropped"))
    check("webdataset_interleaved", "docs_in", ("written",))
    check("webdataset_interleaved", "images_in", ("images_written", "images_dropped"))
    check("mmc4", "docs_in", ("written", "dropped"))
    check("mmc4", "images_in", ("images_written", "images_dropped"))
    pairs, samples = by.get("pairs", {}).get("written", 0), by.get("webdataset_pairs", {}).get("written")
    if samples is not None and samples != pairs:
        raise AccountingError("degrade: WebDataset pair samples differ from pairs written")


class DegradeJob(FileJob):
    name = "degrade"
    description = "documents -> text view, image-text pairs, WebDataset and MMC4 exports"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--input", nargs="+", required=True, help="documents Parquet: files or directories")
        parser.add_argument("--store", help="the image store (OUT/images/store); default: OUTPUT/images/store")
        parser.add_argument("--clip-sims", help="per-candidate CLIP similarities for MMC4's matching "
                                                "(OUT/images/clip_sims); default: OUTPUT/images/clip_sims if present")
        parser.add_argument("--to", default="text,pairs,webdataset,mmc4",
                            help=f"comma-separated outputs from {','.join(TARGETS)} (default: all)")
        parser.add_argument("--format", default="parquet", choices=("parquet", "jsonl"), help="format of the views")
        parser.add_argument("--batch-rows", type=int, help="documents per batch (default: degrade.batch_rows)")

    def targets(self, args) -> tuple[str, ...]:
        to = tuple(t.strip() for t in args.to.split(",") if t.strip())
        bad = [t for t in to if t not in TARGETS]
        if bad or not to:
            raise SystemExit(f"weft degrade: --to takes {','.join(TARGETS)}, got {args.to!r}")
        return to

    def inputs(self, args, config):
        paths = list_parquet(args.input)
        if not paths:
            raise SystemExit(f"weft degrade: no Parquet files found in {args.input}")
        return paths

    def task(self, args, config):
        from engine.views.settings import from_section

        cfg = config["degrade"]
        from_section(cfg)  # a bad strategy or key fails here, on the driver, before any task
        to = self.targets(args)
        store_files, sims_files = [], []
        if set(to) & {"pairs", "webdataset", "mmc4"}:
            store = args.store or join(args.output, "images", "store")
            store_files = list_parquet(store)
            if not store_files:
                print(f"weft degrade: no image store Parquet under {store}: every image is `not_in_store`")
            sims = args.clip_sims or join(args.output, "images", "clip_sims")
            sims_files = list_parquet(sims)
            if args.clip_sims and not sims_files:
                raise SystemExit(f"weft degrade: no clip_sims Parquet under {sims}")
            pairs = cfg["pairs"]
            if "mmc4" in to or "mmc4" in (pairs["strategy"], *pairs["fallback"]):
                source = f"per-paragraph similarities from {sims}" if sims_files else "the clip_sim proxy"
                print(f"weft degrade: MMC4 matching on {source}")
        return DegradeTask(args.output, store_files, to, args.format, cfg, parquet_options(config),
                           args.batch_rows or cfg["batch_rows"], tuple(cfg["export"]["webdataset"]), sims_files)

    def run(self, spark, args, config):
        from engine.views.shards import merge_manifests

        total = super().run(spark, args, config)
        to = self.targets(args)
        exports = []
        if "webdataset" in to:
            exports += [(join(args.output, "exports", "webdataset", k), f"webdataset/{k}")
                        for k in config["degrade"]["export"]["webdataset"]]
        if "mmc4" in to:
            exports.append((join(args.output, "exports", "mmc4"), "mmc4"))
        for directory, name in exports:
            m = merge_manifests(directory, name, {"format": "jsonl.gz" if name == "mmc4" else "webdataset tar"})
            print(f"degrade: {name}: {m['shards']} shard(s), {m['samples']} samples, {m['bytes']:,} bytes")
        reconcile(total)
        return total


def main(argv=None) -> int:
    return DegradeJob().main(list(argv or []))


if __name__ == "__main__":
    run_job(DegradeJob())
