"""Near duplicates: LSH bands -> candidate edges (all pairs in small buckets, a star to the bucket minimum in large
ones) -> verified edges (near.verify: MinHash estimate, exact shingle Jaccard, or hybrid)."""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from engine.dedup import keys as dedup_keys
from engine.dedup.minhash import MinHashParams
from jobs.dedup.keys import CpuMeter
from jobs.dedup.source import Source


class PairVerifier:
    def __init__(self, params: MinHashParams, exact: bool):
        self.params, self.exact = params, exact

    def __call__(self, batches):
        for batch in batches:
            if self.exact:
                yield dedup_keys.exact_jaccard_batch(batch, self.params)
            else:
                yield dedup_keys.signature_jaccard_batch(batch, self.params.num_perm)


def candidate_edges(bands: DataFrame, max_pairs_size: int) -> DataFrame:
    """(a, b) with a < b for documents sharing a bucket. Buckets up to `max_pairs_size` members give all pairs;
    larger ones give a star to the bucket minimum (linear edges, and no task ever collects a huge bucket).

    Bucket sizes and minima are window functions over the (band, bucket) partitioning, which the stars and the
    groupBy of the small buckets reuse: one shuffle for the buckets and one for `distinct` (a groupBy and two
    joins back to the band rows took five)."""
    bucket = Window.partitionBy("band", "bucket")
    sized = (bands.withColumn("n", F.count("*").over(bucket)).withColumn("root", F.min("node").over(bucket))
             .where(F.col("n") >= 2))
    star = (sized.where((F.col("n") > max_pairs_size) & (F.col("node") != F.col("root")))
            .select(F.col("root").alias("a"), F.col("node").alias("b")))
    members = sized.where(F.col("n") <= max_pairs_size).groupBy("band", "bucket").agg(F.collect_list("node").alias("m"))
    pairs = members.select(F.explode(F.flatten(F.transform(
        "m", lambda x: F.transform(F.filter("m", lambda y: y > x),
                                   lambda y: F.named_struct(F.lit("a"), x, F.lit("b"), y))))).alias("p"))
    return star.unionByName(pairs.select("p.a", "p.b")).distinct()


PAIR_DDL = "a long, b long, jaccard double"
VERIFY_MODES = ("signature", "exact", "hybrid")


def involved(table: DataFrame, pairs: DataFrame, broadcast: bool) -> DataFrame:
    """The rows of `table` (keyed by `node`) whose node is one end of a pair of `pairs` (its two columns). With
    `broadcast` (the pairs are under dedup.broadcast_max_rows), the pairs' ids filter the table in place, so only
    the involved rows reach the pair joins' shuffle, not every document's; else the table as it is."""
    if not broadcast:
        return table
    first, second = pairs.columns[:2]
    # Not made distinct: a semi-join's broadcast side may repeat keys, and a distinct would cost a shuffle.
    ids = pairs.select(F.col(first).alias("node")).union(pairs.select(second))
    return table.join(F.broadcast(ids), "node", "left_semi")


def signature_scores(edges: DataFrame, nodes: DataFrame, params: MinHashParams, meter: CpuMeter,
                     broadcast: bool) -> DataFrame:
    """(a, b, jaccard): MinHash estimate (share of equal signature values) for every edge."""
    sig = involved(nodes.select("node", "sig"), edges, broadcast)
    pairs = (edges.join(sig.toDF("a", "sig_a"), "a").join(sig.toDF("b", "sig_b"), "b")
             .select("a", "b", "sig_a", "sig_b"))
    return pairs.mapInArrow(meter.wrap(PairVerifier(params, exact=False)), PAIR_DDL)


def exact_scores(edges: DataFrame, nodes: DataFrame, source: Source, params: MinHashParams,
                 meter: CpuMeter, n_edges: int, broadcast_rows: int) -> DataFrame:
    """(a, b, jaccard): Jaccard of the two documents' shingle sets, from their texts (re-read from the input).
    n_edges: the number of edges (at most twice as many documents are involved); broadcast_rows: the most
    (node, id) rows broadcast (dedup.broadcast_max_rows)."""
    involved = edges.select(F.col("a").alias("node")).union(edges.select("b")).distinct()
    ids = nodes.join(involved, "node", "left_semi").select("node", "id")
    # Broadcasting the few involved ids filters the input scan in place; a shuffle join would move every
    # document's text (a full copy of the corpus) to find them. Counted only where the edges alone do not
    # bound them below the broadcast limit.
    if 2 * n_edges <= broadcast_rows:
        ids = F.broadcast(ids)
    else:
        ids = ids.localCheckpoint(eager=True)
        if ids.count() <= broadcast_rows:
            ids = F.broadcast(ids)
    text = ids.join(source.df.select(source.id.alias("id"), source.text.alias("text")), "id").select("node", "text")
    pairs = (edges.join(text.toDF("a", "text_a"), "a").join(text.toDF("b", "text_b"), "b")
             .select("a", "b", "text_a", "text_b"))
    return pairs.mapInArrow(meter.wrap(PairVerifier(params, exact=True)), PAIR_DDL)


def verify_edges(edges: DataFrame, nodes: DataFrame, source: Source, params: MinHashParams, near_cfg: dict,
                 meter: CpuMeter, side: dict, n_edges: int, broadcast_rows: int) -> DataFrame:
    """Candidate edges whose Jaccard >= threshold, by near.verify:

    * signature: the MinHash estimate decides (no text is read again; errs both ways near the threshold).
    * exact: Jaccard of the shingle sets for every candidate (no false positives by construction).
    * hybrid: the estimate decides where it is far from the threshold, exact Jaccard inside
      near.uncertain = [low, high): estimates >= high are accepted, < low rejected."""
    threshold = float(near_cfg["threshold"])
    mode = near_cfg["verify"]
    if mode == "exact":
        scored = exact_scores(edges, nodes, source, params, meter, n_edges, broadcast_rows)
    else:
        scored = signature_scores(edges, nodes, params, meter, 2 * n_edges <= broadcast_rows)
        if mode == "hybrid":
            low, high = (float(x) for x in near_cfg["uncertain"])
            scored = scored.localCheckpoint(eager=True)  # read twice: sure edges and the uncertain band
            uncertain = scored.where((F.col("jaccard") >= low) & (F.col("jaccard") < high)).select("a", "b")
            side["near_exact_checked_pairs"] = n_uncertain = uncertain.count()
            scored = scored.where(F.col("jaccard") >= high).unionByName(
                exact_scores(uncertain, nodes, source, params, meter, n_uncertain, broadcast_rows))
    return scored.where(F.col("jaccard") >= threshold)
