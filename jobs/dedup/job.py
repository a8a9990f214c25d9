"""run_dedup (the whole stage: duplicates, position removal, outputs, stats), DedupJob and main."""
from __future__ import annotations

import argparse
import time

from pyspark.sql import functions as F

from engine.io.fs import join as path_join
from engine.stats import StageStats
from jobs.base import Job
from jobs.dedup.duplicates import duplicates_table, find_duplicates
from jobs.dedup.keys import params_from, with_defaults
from jobs.dedup.positions import remove_positions
from jobs.dedup.source import IO_MODES, Source, arrow_io, one_row_per_id, read_source


def run_dedup(source: Source, output: str, cfg: dict, io: str = "auto") -> StageStats:
    """io: how Parquet is written, see jobs/dedup/source.py arrow_io (s3:// always by the tasks)."""
    stats = StageStats("dedup")
    driver_cpu = time.process_time()
    cfg = with_defaults(cfg)
    params = params_from(cfg)
    source, repeats = one_row_per_id(source)
    if repeats:
        stats.seen(repeats)
        stats.drop("same_capture", repeats)
    result = find_duplicates(source, cfg)
    spark = source.df.sparkSession
    stats.seen(result.n_docs)
    stats.side.update(result.side)
    # Every decision table (kept ids, removed positions per document) has at most one row per document: below
    # the limit they are broadcast and the documents never leave their input partitions (no text is shuffled);
    # above it (crawl scale), a shuffle join.
    in_place = result.broadcast

    cluster = result.duplicates.groupBy("rep").agg((F.count("*") + 1).alias("dup_count"))
    kept = (result.nodes.join(result.duplicates.select("node"), "node", "left_anti")
            .join(cluster.withColumnRenamed("rep", "node"), "node", "left")
            .select(F.col("id").alias("_id"), F.coalesce("dup_count", F.lit(1)).cast("int").alias("_dup_count")))
    docs = source.df.withColumn("_id", source.id)
    if not source.documents:
        docs = docs.withColumn("_url", source.url)
    docs = docs.join(F.broadcast(kept.localCheckpoint(eager=True)) if in_place else kept, "_id")
    if cfg["paragraph"]["enabled"] or (source.documents and cfg["image_url"]["enabled"]):
        # Materialised once: the paragraph pass, the image pass and the removal all read the kept documents, and
        # each would otherwise redo the join that brings them together (a shuffle of every text without the
        # broadcast; with it, measured slightly cheaper than three reads of the input).
        docs = docs.localCheckpoint(eager=True)
    docs = remove_positions(docs, source, cfg, stats.side, result.meter, broadcast=in_place)
    if source.documents:
        # Set after removal (which rewrites num_texts/num_images): the optimizer turns chained withFields into
        # reads of the previous struct, which would make the written dup_count nullable.
        docs = docs.withColumn("general_metadata", F.col("general_metadata")
                               .withField("minhash_cluster", F.col("_id"))
                               .withField("dup_count", F.col("_dup_count")))
    out_cols = list(source.df.columns)
    duplicates = result.duplicates
    reasons = duplicates.select("reason")
    if "_empty" in docs.columns:
        # Boilerplate removal runs after the representatives are chosen, on the kept documents only: counting
        # paragraphs before document dedup would let the copies of one article make its own paragraphs look
        # like domain boilerplate. A representative left without text therefore drops its whole group: its
        # copies (same URL, same or >= threshold similar text) carry the same boilerplate, and reviving an
        # older copy would undo the preference order and need a second removal pass that its paragraph
        # counts never saw. The copies are counted as boilerplate_copy, so no duplicate names a dropped one.
        # Read twice (emptied representatives, the write): after a shuffle join, materialised so that the
        # shuffle of every text runs once.
        if not in_place:
            docs = docs.localCheckpoint(eager=True)
        emptied = result.nodes.join(docs.where(F.col("_empty")).select(F.col("_id").alias("id")), "id", "left_semi")
        emptied = emptied.select(F.col("node").alias("rep")).localCheckpoint(eager=True)
        reasons = (duplicates.join(emptied.withColumn("_gone", F.lit(True)), "rep", "left")
                   .select(F.when(F.col("_gone"), F.lit("boilerplate_copy")).otherwise(F.col("reason")).alias("reason"))
                   .unionByName(emptied.select(F.lit("boilerplate").alias("reason"))))
        duplicates = duplicates.join(emptied, "rep", "left_anti")
        docs = docs.where(~F.col("_empty"))
    for reason, count in sorted(reasons.groupBy("reason").count().collect(),
                                key=lambda r: ("boilerplate" not in r[0], r[0])):
        stats.drop(reason, count)
    kept_path, dup_path = path_join(output, "dedup", "kept"), path_join(output, "dedup", "duplicates")
    kept_df = docs.select(*out_cols)
    if in_place:
        # The documents kept their input partitions: at most as many files as a shuffle would give (a coalesce
        # only merges partitions, moves nothing through a shuffle, and keeps fewer as they are).
        kept_df = kept_df.coalesce(int(spark.conf.get("spark.sql.shuffle.partitions")))
    dup_df = duplicates_table(result.nodes, duplicates, params, result.meter, broadcast=in_place)
    if arrow_io([output], io):  # s3://: written by the tasks with pyarrow (jobs/dedup/files.py)
        from jobs.dedup.files import arrow_schema_of, write_parquet

        if source.documents:
            from schemas.omnicorpus import arrow_schema

            kept_schema = arrow_schema()
        else:
            kept_schema = arrow_schema_of(kept_df, source.partition_cols)
        n_kept = write_parquet(kept_df, kept_path, kept_schema, source.partition_cols, validate=source.documents)
        write_parquet(dup_df, dup_path, arrow_schema_of(dup_df, []), [])
        stats.keep(n_kept)
    else:
        writer = kept_df.write.mode("overwrite").option("compression", "zstd")
        if source.partition_cols:
            writer = writer.partitionBy(*source.partition_cols)
        writer.parquet(kept_path)
        dup_df.write.mode("overwrite").option("compression", "zstd").parquet(dup_path)
        stats.keep(spark.read.parquet(kept_path).count())
    # CPU of the Python processes only (driver + workers' mapInArrow passes); the JVM's share is not included.
    driver_cpu = time.process_time() - driver_cpu
    stats.cpu_s = driver_cpu + result.meter.seconds
    stats.count("cpu_s", "python_driver", round(driver_cpu, 3))
    stats.count("cpu_s", "python_workers", round(result.meter.seconds, 3))
    return stats.check()


class DedupJob(Job):
    name = "dedup"
    description = "URL, exact, MinHash near-duplicate, paragraph-boilerplate and image-URL dedup"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--input", required=True, nargs="+", help="Parquet/JSONL files or directories")
        parser.add_argument("--format", choices=("parquet", "json"), help="default: from the file names")
        parser.add_argument("--id-column", help="generic input: unique document id column")
        parser.add_argument("--text-column", help="generic input: text column")
        parser.add_argument("--date-column", help="generic input: fetch/crawl date (newest is kept)")
        parser.add_argument("--url-column", help="generic input: URL (URL dedup, domain for boilerplate)")
        parser.add_argument("--partitions", type=int, help="spark.sql.shuffle.partitions for this run")
        parser.add_argument("--io", choices=IO_MODES, default="auto",
                            help="Parquet I/O: spark (Spark's reader/writer), arrow (pyarrow in the tasks), auto "
                                 "(default: arrow for s3://, where Spark has no filesystem, spark otherwise)")

    def run(self, spark, args, config: dict) -> StageStats:
        if args.partitions:
            spark.conf.set("spark.sql.shuffle.partitions", str(args.partitions))
        source = read_source(spark, args.input, args.format, args.id_column, args.text_column, args.date_column,
                             args.url_column, io=args.io)
        return run_dedup(source, args.output, config["dedup"], io=args.io)


def main(argv: list[str] | None = None) -> int:
    return DedupJob().main(argv)


