"""`weft dedup`: URL, exact-text and MinHash near-duplicate dedup, then in-domain paragraph boilerplate and
frequent image URLs. Reads the document table (out/filter/kept, out/extract, ...) or any Parquet/JSONL text
dataset (--id-column/--text-column/[--date-column]/[--url-column]).

Rows with the same id are one capture read twice (overlapping inputs): one is kept, the others are counted as
`same_capture`. Writes <output>/dedup/kept (input columns and partitioning; general_metadata.minhash_cluster/dup_count set),
<output>/dedup/duplicates (id, representative_id, reason in {url, exact, near}, jaccard) and
<output>/stats/dedup.json.

Plan (every step is a DataFrame operation or an Arrow batch function from engine/dedup_keys.py):
1. keys: one mapInArrow pass -> URL key, exact-text hash, MinHash signature per document.
2. preference order: documents sorted by (date desc, id asc) get a dense rank `node`; "keep the newest, then
   the lowest id" becomes "keep the smallest node", and component minima are the representatives.
3. URL, then exact: smallest node per key wins. Near: LSH bands -> buckets -> candidate edges (all pairs in
   small buckets, a star to the bucket minimum in large ones) -> verified edges (near.verify: MinHash estimate,
   exact shingle Jaccard, or hybrid = exact only where the estimate is near the threshold) -> connected
   components (jobs/components.py) -> smallest node per component wins.
4. representatives are resolved through the stages (a URL duplicate of a near duplicate points to the kept one).
5. paragraph boilerplate and frequent image URLs are removed from the kept documents; a representative left
   without text is dropped with its whole group, so every duplicate names a document in dedup/kept.
The result depends on the data only, never on partitioning or timing. stats/dedup.json's cpu_s is the CPU of
the Python processes (driver + mapInArrow workers, see CpuMeter); the JVM's CPU is not included.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field, replace

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from engine import dedup_keys
from engine.config import deep_merge, defaults, typed
from engine.dedup_bloom import RepeatBloom
from engine.minhash import NEAR_SETTINGS, MinHashParams
from engine.output import join as path_join
from engine.stats import StageStats
from engine.urlnorm import UrlNormConfig, normalize_urls
from jobs.base import Job, run_job
from jobs.components import connected_components


# ---------------------------------------------------------------------------------------------------------------
# input
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


def read_source(spark: SparkSession, paths: list[str], fmt: str | None = None, id_column: str | None = None,
                text_column: str | None = None, date_column: str | None = None,
                url_column: str | None = None) -> Source:
    fmt = fmt or ("json" if all(p.rstrip("/").endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz")) for p in paths)
                  else "parquet")
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


# ---------------------------------------------------------------------------------------------------------------
# Arrow batch functions (picklable callables shipped to the workers)
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


class _KeyMapper:
    def __init__(self, config: dedup_keys.KeyConfig):
        self.config = config

    def __call__(self, batches):
        for batch in batches:
            keys = dedup_keys.key_batch(batch, self.config)
            yield keys.append_column("date", batch.column("date"))


class _BandMapper:
    def __init__(self, params: MinHashParams):
        self.params = params

    def __call__(self, batches):
        for batch in batches:
            yield dedup_keys.band_batch(batch, self.params)


class _PairVerifier:
    def __init__(self, params: MinHashParams, exact: bool):
        self.params, self.exact = params, exact

    def __call__(self, batches):
        for batch in batches:
            if self.exact:
                yield dedup_keys.exact_jaccard_batch(batch, self.params)
            else:
                yield dedup_keys.signature_jaccard_batch(batch, self.params.num_perm)


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


# ---------------------------------------------------------------------------------------------------------------
# keys and preference order
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
    """Add `node`: 0-based dense rank by (date desc nulls last, id asc), independent of partitioning.

    Range partitioning + per-partition row numbers: partition p's rows get offset(p) + position, where offset is
    the number of rows in partitions before p (a few numbers collected to the driver)."""
    spark = keys.sparkSession
    order = [F.col("date").desc_nulls_last(), F.col("id").asc()]
    n_parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    placed = (keys.repartitionByRange(n_parts, *order).sortWithinPartitions(*order)
              .withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
              .localCheckpoint(eager=True))
    counts = sorted((r["_pid"], r["count"]) for r in placed.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid, count in counts:
        offsets.append((pid, total))
        total += count
    offset_df = spark.createDataFrame(offsets or [(0, 0)], "_pid int, _offset long")
    return (placed.join(F.broadcast(offset_df), "_pid")
            .withColumn("node", F.col("_offset") + F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33))
            .drop("_pid", "_mid", "_offset"))


# ---------------------------------------------------------------------------------------------------------------
# the three document-level stages
def _first_per_key(alive: DataFrame, key: str, reason: str) -> DataFrame:
    rep = F.min("node").over(Window.partitionBy(key))
    return (alive.where(F.col(key).isNotNull()).select("node", rep.alias("rep"))
            .where(F.col("node") != F.col("rep")).withColumn("reason", F.lit(reason)))


def candidate_edges(bands: DataFrame, max_pairs_size: int) -> DataFrame:
    """(a, b) with a < b for documents sharing a bucket. Buckets up to `max_pairs_size` members give all pairs;
    larger ones give a star to the bucket minimum (linear edges, and no task ever collects a huge bucket)."""
    sizes = (bands.groupBy("band", "bucket").agg(F.count("*").alias("n"), F.min("node").alias("root"))
             .where(F.col("n") >= 2))
    star = (bands.join(sizes.where(F.col("n") > max_pairs_size), ["band", "bucket"])
            .where(F.col("node") != F.col("root")).select(F.col("root").alias("a"), F.col("node").alias("b")))
    members = (bands.join(sizes.where(F.col("n") <= max_pairs_size).select("band", "bucket"), ["band", "bucket"],
                          "left_semi")
               .groupBy("band", "bucket").agg(F.collect_list("node").alias("m")))
    pairs = members.select(F.explode(F.flatten(F.transform(
        "m", lambda x: F.transform(F.filter("m", lambda y: y > x),
                                   lambda y: F.named_struct(F.lit("a"), x, F.lit("b"), y))))).alias("p"))
    return star.unionByName(pairs.select("p.a", "p.b")).distinct()


_PAIR_DDL = "a long, b long, jaccard double"
VERIFY_MODES = ("signature", "exact", "hybrid")
_BROADCAST_IDS = 2_000_000  # (node, id) rows: ~100 MB, well within a broadcast's reach


def signature_scores(edges: DataFrame, nodes: DataFrame, params: MinHashParams, meter: CpuMeter) -> DataFrame:
    """(a, b, jaccard): MinHash estimate (share of equal signature values) for every edge."""
    sig = nodes.select("node", "sig")
    pairs = (edges.join(sig.toDF("a", "sig_a"), "a").join(sig.toDF("b", "sig_b"), "b")
             .select("a", "b", "sig_a", "sig_b"))
    return pairs.mapInArrow(meter.wrap(_PairVerifier(params, exact=False)), _PAIR_DDL)


def exact_scores(edges: DataFrame, nodes: DataFrame, source: Source, params: MinHashParams,
                 meter: CpuMeter) -> DataFrame:
    """(a, b, jaccard): Jaccard of the two documents' shingle sets, from their texts (re-read from the input)."""
    involved = edges.select(F.col("a").alias("node")).union(edges.select("b")).distinct()
    ids = nodes.join(involved, "node", "left_semi").select("node", "id").localCheckpoint(eager=True)
    # Broadcasting the few involved ids filters the input scan in place; a shuffle join would move every
    # document's text (a full copy of the corpus) to find them.
    if ids.count() <= _BROADCAST_IDS:
        ids = F.broadcast(ids)
    text = ids.join(source.df.select(source.id.alias("id"), source.text.alias("text")), "id").select("node", "text")
    pairs = (edges.join(text.toDF("a", "text_a"), "a").join(text.toDF("b", "text_b"), "b")
             .select("a", "b", "text_a", "text_b"))
    return pairs.mapInArrow(meter.wrap(_PairVerifier(params, exact=True)), _PAIR_DDL)


def verify_edges(edges: DataFrame, nodes: DataFrame, source: Source, params: MinHashParams, near_cfg: dict,
                 meter: CpuMeter, side: dict) -> DataFrame:
    """Candidate edges whose Jaccard >= threshold, by near.verify:

    * signature: the MinHash estimate decides (no text is read again; errs both ways near the threshold).
    * exact: Jaccard of the shingle sets for every candidate (no false positives by construction).
    * hybrid: the estimate decides where it is far from the threshold, exact Jaccard inside
      near.uncertain = [low, high): estimates >= high are accepted, < low rejected."""
    threshold = float(near_cfg["threshold"])
    mode = near_cfg["verify"]
    if mode == "exact":
        scored = exact_scores(edges, nodes, source, params, meter)
    else:
        scored = signature_scores(edges, nodes, params, meter)
        if mode == "hybrid":
            low, high = (float(x) for x in near_cfg["uncertain"])
            scored = scored.localCheckpoint(eager=True)  # read twice: sure edges and the uncertain band
            uncertain = scored.where((F.col("jaccard") >= low) & (F.col("jaccard") < high)).select("a", "b")
            side["near_exact_checked_pairs"] = uncertain.count()
            scored = scored.where(F.col("jaccard") >= high).unionByName(
                exact_scores(uncertain, nodes, source, params, meter))
    return scored.where(F.col("jaccard") >= threshold)


@dataclass
class DuplicateResult:
    nodes: DataFrame        # node, id, url_key, text_hash, n_shingles, sig, date
    duplicates: DataFrame   # node, rep, reason (rep = final kept node)
    near_edges: DataFrame   # a, b, jaccard: verified near-duplicate pairs (before transitive closure)
    side: dict
    meter: CpuMeter         # Python-worker CPU of the passes so far (run_dedup adds the later ones)


def with_defaults(cfg: dict) -> dict:
    """The dedup section over its defaults (config/dedup.yaml), so callers may pass only what they change."""
    return deep_merge(defaults()["dedup"], cfg)


def find_duplicates(source: Source, cfg: dict) -> DuplicateResult:
    cfg = with_defaults(cfg)
    params = params_from(cfg)
    near_cfg = cfg["near"]
    side: dict = {}
    if near_cfg["verify"] not in VERIFY_MODES:
        raise ValueError(f"dedup.near.verify must be one of {', '.join(VERIFY_MODES)}, not {near_cfg['verify']!r}")
    low, high = (float(x) for x in near_cfg["uncertain"])
    if not low <= float(near_cfg["threshold"]) <= high:
        raise ValueError(f"dedup.near.uncertain [{low}, {high}] must contain the threshold")
    meter = CpuMeter(source.df.sparkSession)
    # Materialise the keys once: ranking reads them three times (id check, range sampling, shuffle).
    keys = compute_keys(source, cfg, meter).localCheckpoint(eager=True)
    nodes = rank_documents(keys).localCheckpoint(eager=True)
    alive = nodes.select("node", "url_key", "text_hash", "n_shingles")
    empty = alive.sparkSession.createDataFrame([], "node long, rep long, reason string")

    url_dups = _first_per_key(alive, "url_key", "url") if cfg["url"]["enabled"] else empty
    url_dups = url_dups.localCheckpoint(eager=True)
    alive = alive.join(url_dups.select("node"), "node", "left_anti")
    exact_dups = _first_per_key(alive, "text_hash", "exact") if cfg["exact"]["enabled"] else empty
    exact_dups = exact_dups.localCheckpoint(eager=True)
    alive = alive.join(exact_dups.select("node"), "node", "left_anti").where(F.col("n_shingles") > 0)

    near_dups = empty
    verified = alive.sparkSession.createDataFrame([], "a long, b long, jaccard double")
    if near_cfg["enabled"]:
        live_sig = nodes.join(alive.select("node"), "node", "left_semi").select("node", "sig")
        # Checkpointed: candidate_edges reads the band rows three times (bucket sizes, stars, small buckets).
        bands = live_sig.mapInArrow(meter.wrap(_BandMapper(params)), "band int, bucket long, node long") \
            .localCheckpoint(eager=True)
        edges = candidate_edges(bands, int(near_cfg["max_bucket_pairs_size"])).localCheckpoint(eager=True)
        verified = verify_edges(edges, nodes, source, params, near_cfg, meter, side).localCheckpoint(eager=True)
        side["near_candidate_pairs"] = edges.count()
        side["near_verified_pairs"] = verified.count()
        comps = connected_components(verified, "a", "b", int(near_cfg["max_iterations"]),
                                     near_cfg["checkpoint"])
        side["components_rounds"] = comps.iterations
        near_dups = (comps.labels.where(F.col("node") != F.col("component"))
                     .select("node", F.col("component").alias("rep"), F.lit("near").alias("reason")))
        near_dups = near_dups.localCheckpoint(eager=True)

    # Resolve representatives through later stages: near reps are final, exact reps may be near duplicates,
    # URL reps may be exact or near duplicates.
    near_map = near_dups.select(F.col("node").alias("r"), F.col("rep").alias("final"))
    exact_final = _resolve(exact_dups, near_map)
    url_final = _resolve(url_dups, exact_final.select(F.col("node").alias("r"), F.col("rep").alias("final"))
                         .unionByName(near_map))
    duplicates = url_final.unionByName(exact_final).unionByName(near_dups).localCheckpoint(eager=True)
    return DuplicateResult(nodes=nodes, duplicates=duplicates, near_edges=verified, side=side, meter=meter)


def _resolve(dups: DataFrame, mapping: DataFrame) -> DataFrame:
    return (dups.join(mapping, dups["rep"] == mapping["r"], "left")
            .select("node", F.coalesce("final", "rep").alias("rep"), "reason"))


def duplicates_table(nodes: DataFrame, duplicates: DataFrame, params: MinHashParams, meter: CpuMeter) -> DataFrame:
    """id, representative_id, reason, jaccard (MinHash estimate between the document and its representative)."""
    n = nodes.select("node", "id", "sig")
    pairs = (duplicates.join(n.toDF("node", "id", "sig_a"), "node")
             .join(n.toDF("rep", "representative_id", "sig_b"), "rep"))
    with_sig = pairs.where(F.col("sig_a").isNotNull() & F.col("sig_b").isNotNull())
    scored = (with_sig.select(F.col("node").alias("a"), F.col("rep").alias("b"), "sig_a", "sig_b")
              .mapInArrow(meter.wrap(_PairVerifier(params, exact=False)), _PAIR_DDL))
    meta = pairs.select("node", "rep", "id", "representative_id", "reason")
    return (meta.join(scored.toDF("node", "rep", "jaccard"), ["node", "rep"], "left")
            .select("id", "representative_id", "reason", "jaccard"))


# ---------------------------------------------------------------------------------------------------------------
# paragraph boilerplate and frequent image URLs (position-level removal on the kept documents)
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


# ---------------------------------------------------------------------------------------------------------------
def one_row_per_id(source: Source) -> tuple[Source, int]:
    """Keep one row per document id; returns the source and how many rows were repeats.

    An id is derived from URL, fetch date and payload digest, so equal ids are one capture read twice: the same
    WARC listed under two names or in two manifests, a re-listed set after a resume. Which copy stays must not
    depend on partitioning: the one with the smallest hash of the whole row (copies are usually equal, but
    provenance such as warc_filename may differ)."""
    counts = source.df.groupBy(source.id.alias("_rid")).count().where(F.col("count") > 1).localCheckpoint(eager=True)
    repeats = counts.agg(F.sum(F.col("count") - 1)).first()[0] or 0
    if not repeats:
        return source, 0
    columns = source.df.columns
    tagged = source.df.withColumn("_rid", source.id)
    repeated = tagged.join(F.broadcast(counts.select("_rid")), "_rid", "left_semi")
    rank = F.row_number().over(Window.partitionBy("_rid").orderBy(F.xxhash64(*columns), F.hash(*columns)))
    firsts = repeated.withColumn("_rn", rank).where(F.col("_rn") == 1).select(*columns)
    single = tagged.join(F.broadcast(counts.select("_rid")), "_rid", "left_anti").select(*columns)
    return replace(source, df=single.unionByName(firsts)), int(repeats)


def run_dedup(source: Source, output: str, cfg: dict) -> StageStats:
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
    stats.seen(result.nodes.count())
    stats.side.update(result.side)

    cluster = result.duplicates.groupBy("rep").agg((F.count("*") + 1).alias("dup_count"))
    kept = (result.nodes.join(result.duplicates.select("node"), "node", "left_anti")
            .join(cluster.withColumnRenamed("rep", "node"), "node", "left")
            .select(F.col("id").alias("_id"), F.coalesce("dup_count", F.lit(1)).cast("int").alias("_dup_count")))
    docs = source.df.withColumn("_id", source.id)
    if not source.documents:
        docs = docs.withColumn("_url", source.url)
    docs = docs.join(kept, "_id")
    if source.documents:
        docs = docs.withColumn("general_metadata", F.col("general_metadata")
                               .withField("minhash_cluster", F.col("_id"))
                               .withField("dup_count", F.col("_dup_count")))
    docs = remove_positions(docs, source, cfg, stats.side, result.meter)
    out_cols = list(source.df.columns)
    duplicates = result.duplicates
    if "_empty" in docs.columns:
        # Boilerplate removal runs after the representatives are chosen, on the kept documents only: counting
        # paragraphs before document dedup would let the copies of one article make its own paragraphs look
        # like domain boilerplate. A representative left without text therefore drops its whole group: its
        # copies (same URL, same or >= threshold similar text) carry the same boilerplate, and reviving an
        # older copy would undo the preference order and need a second removal pass that its paragraph
        # counts never saw. The copies are counted as boilerplate_copy, so no duplicate names a dropped one.
        docs = docs.localCheckpoint(eager=True)
        emptied = result.nodes.join(docs.where(F.col("_empty")).select(F.col("_id").alias("id")), "id", "left_semi")
        emptied = emptied.select(F.col("node").alias("rep")).localCheckpoint(eager=True)
        copies = duplicates.join(emptied, "rep", "left_semi").count()
        duplicates = duplicates.join(emptied, "rep", "left_anti").localCheckpoint(eager=True)
        for reason, count in (("boilerplate", emptied.count()), ("boilerplate_copy", copies)):
            if count:
                stats.drop(reason, count)
        docs = docs.where(~F.col("_empty"))
    for reason, count in duplicates.groupBy("reason").count().collect():
        stats.drop(reason, count)
    kept_path, dup_path = path_join(output, "dedup", "kept"), path_join(output, "dedup", "duplicates")
    writer = docs.select(*out_cols).write.mode("overwrite").option("compression", "zstd")
    if source.partition_cols:
        writer = writer.partitionBy(*source.partition_cols)
    writer.parquet(kept_path)
    duplicates_table(result.nodes, duplicates, params, result.meter) \
        .write.mode("overwrite").option("compression", "zstd").parquet(dup_path)
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

    def run(self, spark, args, config: dict) -> StageStats:
        if args.partitions:
            spark.conf.set("spark.sql.shuffle.partitions", str(args.partitions))
        source = read_source(spark, args.input, args.format, args.id_column, args.text_column, args.date_column,
                             args.url_column)
        return run_dedup(source, args.output, config["dedup"])


def main(argv: list[str] | None = None) -> int:
    return DedupJob().main(argv)


if __name__ == "__main__":
    run_job(DedupJob())
