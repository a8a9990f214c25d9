"""URL and exact-text dedup (the smallest node per key wins) and the resolution of representatives through the
stages (a URL duplicate of a near duplicate points to the kept document)."""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def first_per_key(alive: DataFrame, key: str, reason: str) -> DataFrame:
    rep = F.min("node").over(Window.partitionBy(key))
    return (alive.where(F.col(key).isNotNull()).select("node", rep.alias("rep"))
            .where(F.col("node") != F.col("rep")).withColumn("reason", F.lit(reason)))


def resolve_representatives(dups: DataFrame, mapping: DataFrame) -> DataFrame:
    return (dups.join(mapping, dups["rep"] == mapping["r"], "left")
            .select("node", F.coalesce("final", "rep").alias("rep"), "reason"))
