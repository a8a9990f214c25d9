"""The key pass (one mapInArrow: URL key, exact-text hash, MinHash signature per document), the preference order
(`node`, a rank by date desc, id asc) and the CPU meter of the Python workers."""
from __future__ import annotations

import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from engine.config import deep_merge, defaults, typed
from engine.dedup import keys as dedup_keys
from engine.dedup.minhash import NEAR_SETTINGS, MinHashParams
from engine.urlnorm import UrlNormConfig
from jobs.dedup.source import Source


class CpuMeter:
    """CPU seconds of the Python workers running our mapInArrow functions, summed on the driver.

    Each wrapped function measures time.process_time() of its worker from its first to its last batch (Arrow
    (de)serialisation of the task included) and adds it to a Spark accumulator. A task that Spark runs again
    (retry, recomputation of an uncached input) adds again: the total is CPU spent, not CPU per document pass.
    The JVM's CPU (shuffles, joins, Parquet I/O) is not visible from Python and is not included."""

    def __init__(self, spark: SparkSession):
        self.accumulator = spark.sparkContext.accumulator(0.0)

    def wrap(self, fn):
        return _Metered(fn, self.accumulator)

    @property
    def seconds(self) -> float:
        return float(self.accumulator.value)


class _Metered:
    def __init__(self, fn, accumulator):
        self.fn, self.accumulator = fn, accumulator

    def __call__(self, batches):
        start = time.process_time()
        try:
            yield from self.fn(batches)
        finally:
            self.accumulator.add(time.process_time() - start)


class PerBatch:
    """A mapInArrow function: fn(batch, *args) for each batch of the partition (engine/dedup's batch functions)."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __call__(self, batches):
        for batch in batches:
            yield self.fn(batch, *self.args)


class _KeyMapper:
    def __init__(self, config: dedup_keys.KeyConfig):
        self.config = config

    def __call__(self, batches):
        for batch in batches:
            keys = dedup_keys.key_batch(batch, self.config)
            yield keys.append_column("date", batch.column("date"))


def with_defaults(cfg: dict) -> dict:
    """The dedup section over its defaults (config/dedup.yaml), so callers may pass only what they change."""
    return deep_merge(defaults()["dedup"], cfg)


def params_from(cfg: dict) -> MinHashParams:
    return typed(MinHashParams, cfg["near"], "dedup.near", skip=NEAR_SETTINGS)


def compute_keys(source: Source, cfg: dict, meter: CpuMeter) -> DataFrame:
    url_cfg = cfg["url"]
    url_norm = (UrlNormConfig(ignore_scheme=url_cfg["ignore_scheme"], strip_www=url_cfg["strip_www"])
                if url_cfg["enabled"] else None)
    base = source.df.select(source.id.alias("id"), source.url.alias("url"), source.date.alias("date"),
                            source.text.alias("text"))
    date_type = base.schema["date"].dataType
    out_schema = T.StructType([
        T.StructField("id", T.StringType()), T.StructField("url_key", T.StringType()),
        T.StructField("text_hash", T.StringType()), T.StructField("n_shingles", T.LongType()),
        T.StructField("sig", T.BinaryType()), T.StructField("date", date_type),
    ])
    return base.mapInArrow(meter.wrap(_KeyMapper(dedup_keys.KeyConfig(params_from(cfg), url_norm))), out_schema)


def rank_documents(keys: DataFrame) -> DataFrame:
    """Add `node`: a long in the preference order (date desc nulls last, id asc), unique and independent of
    partitioning, checkpointed.

    Range partitioning + sorting within partitions puts every row of partition p before every row of p + 1, so
    monotonically_increasing_id ((p << 33) + position in p) already follows the preference order. Only the order
    matters (components and url_then_exact take minima), so the ranks need not be dense: no per-partition counts
    collected to the driver, no offset join."""
    spark = keys.sparkSession
    order = [F.col("date").desc_nulls_last(), F.col("id").asc()]
    n_parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    return (keys.repartitionByRange(n_parts, *order).sortWithinPartitions(*order)
            .withColumn("node", F.monotonically_increasing_id()).localCheckpoint(eager=True))
