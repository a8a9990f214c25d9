"""Position-level removal on the kept documents: in-domain paragraph boilerplate and frequent image URLs."""
from __future__ import annotations

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from engine.dedup.bloom import RepeatBloom
from engine.urlnorm import UrlNormConfig, normalize_urls
from jobs.dedup.keys import CpuMeter
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


def _norm_paragraph(col: Column) -> Column:
    return F.xxhash64(F.lower(F.trim(F.regexp_replace(col, r"\s+", " "))))


def boilerplate_positions(items: DataFrame, min_docs: int) -> DataFrame:
    """items: (_id, domain, pos, text) -> (_id, pos) of paragraphs found in >= min_docs documents of the domain."""
    # Blank paragraphs (empty lines of generic text) are layout, never boilerplate: removing them would re-join
    # "a\n\nb" as "a\nb" in every document of the domain.
    hashed = items.where(F.col("domain").isNotNull() & (F.trim(F.col("text")) != "")) \
        .select("_id", "domain", "pos", _norm_paragraph(F.col("text")).alias("h"))
    common = (hashed.select("domain", "h", "_id").distinct().groupBy("domain", "h").count()
              .where(F.col("count") >= min_docs).select("domain", "h"))
    return hashed.join(common, ["domain", "h"], "left_semi").select("_id", "pos")


def frequent_image_positions(images: DataFrame, cfg: dict, side: dict, meter: CpuMeter) -> DataFrame:
    """images: (_id, pos, url) -> (_id, pos) of image URLs (normalised) in more than max_docs documents."""
    keyed = images.mapInArrow(meter.wrap(_UrlKeyMapper(UrlNormConfig())), "_id string, pos int, key string") \
        .where(F.col("key").isNotNull())
    counted = keyed
    if cfg["bloom_prepass"]:
        keyed = keyed.localCheckpoint(eager=True)
        n_items = keyed.count()
        proto = RepeatBloom.for_items(n_items, float(cfg["bloom_bits_per_item"]))
        merged = RepeatBloom(proto.num_bits, proto.num_hashes)
        rows = keyed.select("key").mapInArrow(meter.wrap(_BloomBuilder(proto.num_bits, proto.num_hashes)),
                                              "once binary, twice binary")
        for row in rows.toLocalIterator():
            merged.merge(RepeatBloom.from_bytes(proto.num_bits, proto.num_hashes, row["once"], row["twice"]))
        counted = keyed.mapInArrow(meter.wrap(_BloomFilter(merged)), keyed.schema)
        side["image_url_rows"] = n_items
        side["image_url_rows_after_bloom"] = counted.count()
    frequent = (counted.select("key", "_id").distinct().groupBy("key").count()
                .where(F.col("count") > int(cfg["max_docs"])).select("key")).localCheckpoint(eager=True)
    side["frequent_image_urls"] = frequent.count()
    return keyed.join(frequent, "key", "left_semi").select("_id", "pos")


def _domain_from_url(url: Column) -> Column:
    return F.regexp_replace(F.lower(F.try_parse_url(url, F.lit("HOST"))), r"^www\.", "")


def remove_positions(docs: DataFrame, source: Source, cfg: dict, side: dict, meter: CpuMeter) -> DataFrame:
    """Apply paragraph and image-URL removal to the kept documents (column _id holds the document id)."""
    para_cfg, image_cfg = cfg["paragraph"], cfg["image_url"]
    drops: list[DataFrame] = []
    if source.documents:
        if para_cfg["enabled"]:
            items = docs.select("_id", F.col("general_metadata.domain").alias("domain"),
                                F.posexplode("texts").alias("pos", "text"))
            drops.append(boilerplate_positions(items, int(para_cfg["min_docs_per_domain"]))
                         .withColumn("kind", F.lit("paragraph")))
        if image_cfg["enabled"]:
            images = docs.select("_id", F.posexplode("images").alias("pos", "url")).where(F.col("url").isNotNull())
            drops.append(frequent_image_positions(images, image_cfg, side, meter).withColumn("kind", F.lit("image")))
    elif para_cfg["enabled"] and "_url" in docs.columns:
        sep = "\n" if para_cfg["lines_as_paragraphs"] else "\n\n"
        items = docs.select("_id", _domain_from_url(F.col("_url")).alias("domain"),
                            F.posexplode(F.split(F.col(source.text_column), sep)).alias("pos", "text"))
        drops.append(boilerplate_positions(items, int(para_cfg["min_docs_per_domain"]))
                     .withColumn("kind", F.lit("paragraph")))
    if not drops:
        return docs
    dropped = drops[0]
    for extra in drops[1:]:
        dropped = dropped.unionByName(extra)
    dropped = dropped.localCheckpoint(eager=True)
    for kind, count in dropped.groupBy("kind").count().collect():
        side[{"paragraph": "paragraphs_removed", "image": "image_urls_dropped"}[kind]] = count
    per_doc = dropped.groupBy("_id").agg(F.collect_set("pos").alias("_drop"))
    docs = docs.join(per_doc, "_id", "left")

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
        sep = "\n" if para_cfg["lines_as_paragraphs"] else "\n\n"
        lines = F.filter(F.split(F.col(source.text_column), sep), keep)
        docs = docs.withColumn(source.text_column, F.array_join(lines, sep))
        docs = docs.withColumn("_empty", F.col("_drop").isNotNull() & (F.trim(F.col(source.text_column)) == ""))
    return docs.drop("_drop")
