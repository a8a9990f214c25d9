"""find_duplicates: keys -> preference order -> URL, exact, near duplicates -> representatives resolved through
the stages; duplicates_table: the rows of dedup/duplicates."""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from engine.dedup import keys as dedup_keys
from engine.dedup.minhash import MinHashParams
from jobs.dedup.components import connected_components
from jobs.dedup.exact import resolve_representatives, url_then_exact
from jobs.dedup.keys import CpuMeter, PerBatch, compute_keys, params_from, rank_documents, with_defaults
from jobs.dedup.near import PAIR_DDL, VERIFY_MODES, PairVerifier, candidate_edges, involved, verify_edges
from jobs.dedup.source import Source


@dataclass
class DuplicateResult:
    nodes: DataFrame        # node, id, url_key, text_hash, n_shingles, sig, date
    duplicates: DataFrame   # node, rep, reason (rep = final kept node)
    near_edges: DataFrame   # a, b, jaccard: verified near-duplicate pairs (before transitive closure)
    side: dict
    meter: CpuMeter         # Python-worker CPU of the passes so far (run_dedup adds the later ones)
    n_docs: int             # rows of nodes
    broadcast: bool         # n_docs <= dedup.broadcast_max_rows: per-document decision tables are broadcast


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
    # Materialise the keys once: ranking reads them twice (range sampling, shuffle).
    nodes = rank_documents(compute_keys(source, cfg, meter).localCheckpoint(eager=True))
    n_docs = nodes.count()
    broadcast = n_docs <= int(cfg["broadcast_max_rows"])
    alive = nodes.select("node", "url_key", "text_hash", "n_shingles")
    empty = alive.sparkSession.createDataFrame([], "node long, rep long, reason string")

    staged = url_then_exact(alive, cfg["url"]["enabled"], cfg["exact"]["enabled"]).localCheckpoint(eager=True)
    url_dups, exact_dups = (staged.where(F.col("reason") == reason).select("node", "rep", F.lit(reason).alias("reason"))
                            for reason in ("url", "exact"))
    alive = staged.where(F.col("reason").isNull() & (F.col("n_shingles") > 0)).select("node", "url_key", "text_hash",
                                                                                      "n_shingles")

    near_dups = empty
    verified = alive.sparkSession.createDataFrame([], "a long, b long, jaccard double")
    if near_cfg["enabled"]:
        live = alive.select("node")
        # The live nodes (one long each) broadcast below the limit: the signatures stay where they are.
        if broadcast:
            live = F.broadcast(live)
        live_sig = nodes.join(live, "node", "left_semi").select("node", "sig")
        # Checkpointed: candidate_edges reads the band rows three times (bucket sizes, stars, small buckets).
        bands = live_sig.mapInArrow(meter.wrap(PerBatch(dedup_keys.band_batch, params)),
                                    from_arrow_schema(dedup_keys.BAND_SCHEMA)).localCheckpoint(eager=True)
        edges = candidate_edges(bands, int(near_cfg["max_bucket_pairs_size"])).localCheckpoint(eager=True)
        side["near_candidate_pairs"] = edges.count()
        verified = verify_edges(edges, nodes, source, params, near_cfg, meter, side, side["near_candidate_pairs"],
                                int(cfg["broadcast_max_rows"])).localCheckpoint(eager=True)
        side["near_verified_pairs"] = verified.count()
        # Below the broadcast limit the few verified pairs are labelled on the driver: one collect instead of
        # the rounds' ~5 Spark jobs each (same labels).
        comps = connected_components(verified, "a", "b", int(near_cfg["max_iterations"]), near_cfg["checkpoint"],
                                     driver_max_edges=int(cfg["broadcast_max_rows"]),
                                     n_edges=side["near_verified_pairs"])
        side["components_rounds"] = comps.iterations
        near_dups = (comps.labels.where(F.col("node") != F.col("component"))
                     .select("node", F.col("component").alias("rep"), F.lit("near").alias("reason")))
        near_dups = near_dups.localCheckpoint(eager=True)

    # Resolve representatives through later stages: near reps are final, exact reps may be near duplicates,
    # URL reps may be exact or near duplicates.
    near_map = near_dups.select(F.col("node").alias("r"), F.col("rep").alias("final"))
    exact_final = resolve_representatives(exact_dups, near_map)
    url_final = resolve_representatives(url_dups, exact_final.select(F.col("node").alias("r"), F.col("rep").alias("final"))
                         .unionByName(near_map))
    duplicates = url_final.unionByName(exact_final).unionByName(near_dups).localCheckpoint(eager=True)
    return DuplicateResult(nodes=nodes, duplicates=duplicates, near_edges=verified, side=side, meter=meter,
                           n_docs=n_docs, broadcast=broadcast)


def duplicates_table(nodes: DataFrame, duplicates: DataFrame, params: MinHashParams, meter: CpuMeter,
                     broadcast: bool) -> DataFrame:
    """id, representative_id, reason, jaccard (MinHash estimate between the document and its representative).
    broadcast: the duplicates are few enough (dedup.broadcast_max_rows) to filter the nodes in place."""
    n = involved(nodes.select("node", "id", "sig"), duplicates.select("node", "rep"), broadcast)
    pairs = (duplicates.join(n.toDF("node", "id", "sig_a"), "node")
             .join(n.toDF("rep", "representative_id", "sig_b"), "rep"))
    with_sig = pairs.where(F.col("sig_a").isNotNull() & F.col("sig_b").isNotNull())
    scored = (with_sig.select(F.col("node").alias("a"), F.col("rep").alias("b"), "sig_a", "sig_b")
              .mapInArrow(meter.wrap(PairVerifier(params, exact=False)), PAIR_DDL))
    meta = pairs.select("node", "rep", "id", "representative_id", "reason")
    return (meta.join(scored.toDF("node", "rep", "jaccard"), ["node", "rep"], "left")
            .select("id", "representative_id", "reason", "jaccard"))
