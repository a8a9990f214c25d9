"""Position-level removal on the kept documents: in-domain paragraph boilerplate and frequent image URLs."""
from __future__ import annotations

import pyarrow as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from engine.dedup.bloom import RepeatBloom
from engine.dedup.paragraphs import PARAGRAPH_SCHEMA, paragraph_batch
from engine.urlnorm import UrlNormConfig, normalize_urls
from jobs.dedup.keys import CpuMeter, PerBatch
from jobs.dedup.source import Source


class _UrlKeyMapper:
    def __init__(self, config: UrlNormConfig):
        self.config = config

    def __call__(self, batches):
        for batch in batches:
            keys = normalize_urls(batch.column("url").to_pylist(), self.config)
            yield pa.RecordBatch.from_arrays([batch.column("_id"), batch.column("pos"), pa.array(keys, pa.string())],
                                             names=["_id", "pos", "key"])


class _BloomBuilder:
    def __init__(self, bits: int, hashes: int):
        self.bits, self.hashes = bits, hashes

    def __call__(self, batches):
        bloom = RepeatBloom(self.bits, self.hashes)
        for batch in batches:
            bloom.add(RepeatBloom.key_hashes(batch.column("key").to_pylist()))
        once, twice = bloom.to_bytes()
        yield pa.RecordBatch.from_pydict({"once": [once], "twice": [twice]})


class _BloomFilter:
    def __init__(self, bloom: RepeatBloom):
        self.bloom = bloom

    def __call__(self, batches):
        for batch in batches:
            keys = batch.column("key")
            mask = self.bloom.maybe_repeated(RepeatBloom.key_hashes(keys.to_pylist()))
            yield batch.filter(pa.array(mask))


def paragraph_items(items: DataFrame, sep: str | None, meter: CpuMeter) -> DataFrame:
    """(_id, domain, text split at `sep` | texts list) -> position items (kind, domain, key, _id, pos) of the
    non-blank paragraphs (engine/dedup/paragraphs.py). Paragraphs without a domain are never boilerplate."""
    keyed = items.where(F.col("domain").isNotNull()).mapInArrow(meter.wrap(PerBatch(paragraph_batch, sep)),
                                                                from_arrow_schema(PARAGRAPH_SCHEMA))
    return keyed.select(F.lit("paragraph").alias("kind"), "domain", "key", "_id", "pos")


def image_items(images: DataFrame, cfg: dict, side: dict, meter: CpuMeter) -> DataFrame:
    """(_id, pos, url) -> position items (kind, domain = null, key = normalised URL, _id, pos). With the Bloom
    prepass, URLs seen only once in the whole table (most of them) are left out: they can never be frequent."""
    keyed = images.mapInArrow(meter.wrap(_UrlKeyMapper(UrlNormConfig())), "_id string, pos int, key string") \
        .where(F.col("key").isNotNull())
    if cfg["bloom_prepass"]:
        keyed = keyed.localCheckpoint(eager=True)  # read three times: count, Bloom filters, filtering
        n_items = keyed.count()
        proto = RepeatBloom.for_items(n_items, float(cfg["bloom_bits_per_item"]))
        merged = RepeatBloom(proto.num_bits, proto.num_hashes)
        rows = keyed.select("key").mapInArrow(meter.wrap(_BloomBuilder(proto.num_bits, proto.num_hashes)),
                                              "once binary, twice binary")
        for row in rows.toLocalIterator():  # one partition's filters at a time: they can be large
            merged.merge(RepeatBloom.from_bytes(proto.num_bits, proto.num_hashes, row["once"], row["twice"]))
        keyed = keyed.mapInArrow(meter.wrap(_BloomFilter(merged)), keyed.schema)
        side["image_url_rows"] = n_items
    return keyed.select(F.lit("image").alias("kind"), F.lit(None).cast("string").alias("domain"), "key", "_id", "pos")


def frequent_positions(items: DataFrame, min_docs: dict[str, int], keep_kinds: tuple[str, ...] = ()) -> DataFrame:
    """Position items (kind, domain, key, _id, pos) -> the same rows with `_drop`: whether their (kind, domain,
    key) occurs in at least min_docs[kind] distinct documents; rows that are not dropped are left out, except
    those of `keep_kinds` (for their counters). Checkpointed.

    One shuffle for every kind together: the number of distinct documents of a group is the largest dense rank
    of _id within it (two window functions over the same partitioning share one exchange and one sort, where
    distinct + groupBy + a join back to the items took four shuffles). A group too large for memory spills."""
    group = Window.partitionBy("kind", "domain", "key")
    threshold = F.lit(None).cast("long")
    for kind, n in min_docs.items():
        threshold = F.when(F.col("kind") == kind, F.lit(n)).otherwise(threshold)
    marked = (items.withColumn("_rank", F.dense_rank().over(group.orderBy("_id")))
              .withColumn("_drop", F.max("_rank").over(group) >= threshold))
    return marked.where(F.col("_drop") | F.col("kind").isin(*keep_kinds)).drop("_rank").localCheckpoint(eager=True)


def _domain_from_url(url: Column) -> Column:
    return F.regexp_replace(F.lower(F.try_parse_url(url, F.lit("HOST"))), r"^www\.", "")


def remove_positions(docs: DataFrame, source: Source, cfg: dict, side: dict, meter: CpuMeter,
                     broadcast: bool = False) -> DataFrame:
    """Apply paragraph and image-URL removal to the kept documents (column _id holds the document id).
    broadcast: join the removed positions of each document to the documents by a broadcast (materialised,
    reused by every reader), so the documents stay in their partitions; else by a shuffle of the documents."""
    para_cfg, image_cfg = cfg["paragraph"], cfg["image_url"]
    items: list[DataFrame] = []
    min_docs = {"paragraph": int(para_cfg["min_docs_per_domain"]), "image": int(image_cfg["max_docs"]) + 1}
    # generic text: its paragraphs are the pieces between separators; documents: the texts list (sep None)
    sep = None if source.documents else "\n" if para_cfg["lines_as_paragraphs"] else "\n\n"
    if source.documents:
        if para_cfg["enabled"]:
            items.append(paragraph_items(docs.select("_id", F.col("general_metadata.domain").alias("domain"), "texts"),
                                         sep, meter))
        if image_cfg["enabled"]:
            images = docs.select("_id", F.posexplode("images").alias("pos", "url")).where(F.col("url").isNotNull())
            items.append(image_items(images, image_cfg, side, meter))
    elif para_cfg["enabled"] and "_url" in docs.columns:
        items.append(paragraph_items(docs.select("_id", _domain_from_url(F.col("_url")).alias("domain"),
                                                 F.col(source.text_column).alias("text")), sep, meter))
    if not items:
        return docs
    union = items[0]
    for extra in items[1:]:
        union = union.unionByName(extra)
    bloom = source.documents and image_cfg["enabled"] and image_cfg["bloom_prepass"]
    marked = frequent_positions(union, min_docs, keep_kinds=("image",) if bloom else ())
    # Every counter in one query over the (small) checkpoint.
    counters = marked.groupBy("kind").agg(
        F.count("*").alias("rows"), F.count(F.when(F.col("_drop"), 1)).alias("dropped"),
        F.countDistinct(F.when(F.col("_drop"), F.col("key"))).alias("keys")).collect()
    for row in counters:
        if row["dropped"]:
            side["paragraphs_removed" if row["kind"] == "paragraph" else "image_urls_dropped"] = row["dropped"]
        if row["kind"] == "image":
            side["frequent_image_urls"] = row["keys"]
            if bloom:
                side["image_url_rows_after_bloom"] = row["rows"]
    if source.documents and image_cfg["enabled"]:
        side.setdefault("frequent_image_urls", 0)
        if bloom:
            side.setdefault("image_url_rows_after_bloom", 0)
    dropped = marked.where(F.col("_drop"))
    per_doc = dropped.groupBy("_id").agg(F.collect_set("pos").alias("_drop"))
    docs = docs.join(F.broadcast(per_doc.localCheckpoint(eager=True)) if broadcast else per_doc, "_id", "left")

    def keep(_x, i):
        return ~F.coalesce(F.array_contains(F.col("_drop"), i), F.lit(False))

    if source.documents:
        docs = docs.withColumns({name: F.filter(name, keep) for name in ("texts", "images", "metadata")})
        texts_left = F.size(F.filter("texts", lambda x: x.isNotNull()))
        docs = docs.withColumn("general_metadata", F.col("general_metadata")
                               .withField("num_texts", texts_left.cast("int"))
                               .withField("num_images", F.size(F.filter("images", lambda x: x.isNotNull())).cast("int")))
        docs = docs.withColumn("_empty", F.col("_drop").isNotNull() & (texts_left == 0))
    else:
        lines = F.filter(F.split(F.col(source.text_column), sep), keep)
        docs = docs.withColumn(source.text_column, F.array_join(lines, sep))
        # Empty = nothing but whitespace left (blank lines are never removed, so they may remain).
        docs = docs.withColumn("_empty", F.col("_drop").isNotNull() & ~F.col(source.text_column).rlike(r"\S"))
    return docs.drop("_drop")
