"""URL and exact-text dedup (the smallest node per key wins, URL first) and the resolution of representatives
through the stages (a URL duplicate of a near duplicate points to the kept document)."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F


def url_then_exact(alive: DataFrame, url: bool, exact: bool) -> DataFrame:
    """alive: (node, url_key, text_hash, ...) -> the same rows with (rep, reason): reason "url" where a smaller
    node has the URL key, else "exact" where a smaller node left by URL dedup has the text hash, else null
    (rep null). One DataFrame for both stages, so they cost one materialisation and no join back."""
    def first(key: str) -> Column:
        return F.when(F.col(key).isNotNull(), F.min("node").over(Window.partitionBy(key)))

    out = alive.withColumn("rep", F.lit(None).cast("long")).withColumn("reason", F.lit(None).cast("string"))
    if url:
        out = out.withColumn("rep", first("url_key"))
        out = out.withColumn("reason", F.when(F.col("node") != F.col("rep"), F.lit("url")))
    if exact:
        left = out.where(F.col("reason").isNull()).withColumn("rep", first("text_hash"))
        left = left.withColumn("reason", F.when(F.col("node") != F.col("rep"), F.lit("exact")))
        out = out.where(F.col("reason").isNotNull()).unionByName(left)
    return out.withColumn("rep", F.when(F.col("reason").isNotNull(), F.col("rep")))


def resolve_representatives(dups: DataFrame, mapping: DataFrame) -> DataFrame:
    return (dups.join(mapping, dups["rep"] == mapping["r"], "left")
            .select("node", F.coalesce("final", "rep").alias("rep"), "reason"))
