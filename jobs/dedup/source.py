"""The dedup input: the document table (out/filter/kept, out/extract, ...) or any Parquet/JSONL text table, and
the removal of repeated captures (one id read twice)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F


@dataclass
class Source:
    """The input table and how to read the dedup fields from it."""

    df: DataFrame
    id: Column
    text: Column
    date: Column
    url: Column
    documents: bool  # document schema (texts/images/metadata lists) or a generic text table
    text_column: str | None = None
    partition_cols: list[str] = field(default_factory=list)


IO_MODES = ("auto", "spark", "arrow")


def arrow_io(paths: list[str], io: str = "auto") -> bool:
    """Whether Parquet at these paths is read/written by tasks with pyarrow (jobs/dedup/files.py) rather than by
    Spark: always for s3:// (this Spark has no Hadoop S3 connector), on request (io="arrow") for local paths."""
    if io not in IO_MODES:
        raise ValueError(f"io must be one of {', '.join(IO_MODES)}, not {io!r}")
    if any(p.startswith("s3://") for p in paths):
        if io == "spark":
            raise ValueError("s3:// paths need io=auto or io=arrow (Spark has no S3 filesystem here)")
        return True
    return io == "arrow"


def read_source(spark: SparkSession, paths: list[str], fmt: str | None = None, id_column: str | None = None,
                text_column: str | None = None, date_column: str | None = None,
                url_column: str | None = None, io: str = "auto") -> Source:
    fmt = fmt or ("json" if all(p.rstrip("/").endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz")) for p in paths)
                  else "parquet")
    if arrow_io(paths, io):
        if fmt == "json":
            raise ValueError("JSON input is read by Spark, which has no S3 filesystem here: use Parquet on s3://")
        from jobs.dedup.files import read_parquet

        df = read_parquet(spark, paths)
    else:
        df = spark.read.json(paths) if fmt == "json" else spark.read.option("mergeSchema", "false").parquet(*paths)
    if id_column is None and "general_metadata" in df.columns:
        from schemas.omnicorpus import arrow_schema

        gm = F.col("general_metadata")
        return Source(
            df=df, id=gm["id"], url=gm["url"], date=gm["fetch_date"], documents=True,
            text=F.array_join(F.col("texts"), "\n\n"),  # array_join skips null (image) positions
            partition_cols=[c for c in df.columns if c not in arrow_schema().names],
        )
    if not id_column or not text_column:
        raise ValueError("input is not in the document schema: pass --id-column and --text-column")
    for name in filter(None, (id_column, text_column, date_column, url_column)):
        if name not in df.columns:
            raise ValueError(f"column {name!r} not in input (columns: {', '.join(df.columns)})")
    return Source(
        df=df, id=F.col(id_column).cast("string"), text=F.col(text_column).cast("string"),
        date=F.col(date_column) if date_column else F.lit(None).cast("timestamp"),
        url=F.col(url_column).cast("string") if url_column else F.lit(None).cast("string"),
        documents=False, text_column=text_column,
    )


def one_row_per_id(source: Source) -> tuple[Source, int]:
    """Keep one row per document id; returns the source and how many rows were repeats.

    An id is derived from URL, fetch date and payload digest, so equal ids are one capture read twice: the same
    WARC listed under two names or in two manifests, a re-listed set after a resume. Which copy stays must not
    depend on partitioning: the one with the smallest hash of the whole row (copies are usually equal, but
    provenance such as warc_filename may differ)."""
    counts = source.df.groupBy(source.id.alias("_rid")).count().where(F.col("count") > 1)
    # One query for the usual case (no repeats); the repeated ids are recomputed only when there are some.
    repeats = counts.agg(F.sum(F.col("count") - 1)).first()[0] or 0
    if not repeats:
        return source, 0
    counts = counts.localCheckpoint(eager=True)
    columns = source.df.columns
    tagged = source.df.withColumn("_rid", source.id)
    repeated = tagged.join(F.broadcast(counts.select("_rid")), "_rid", "left_semi")
    rank = F.row_number().over(Window.partitionBy("_rid").orderBy(F.xxhash64(*columns), F.hash(*columns)))
    firsts = repeated.withColumn("_rn", rank).where(F.col("_rn") == 1).select(*columns)
    single = tagged.join(F.broadcast(counts.select("_rid")), "_rid", "left_anti").select(*columns)
    return replace(source, df=single.unionByName(firsts)), int(repeats)
