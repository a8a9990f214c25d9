"""run_images (the whole stage), ImagesJob and main. See jobs/images/__init__.py for the plan."""
from __future__ import annotations

import argparse
import time

from engine.io.fs import exists, join, list_parquet
from engine.io.output import write_bytes_atomic
from engine.stats import StageStats
from jobs.base import Job, parquet_options, read_json
from jobs.images.tasks import (CLIP_SIMS_DDL, CLIP_SIMS_SCHEMA, DROP_FETCH_REASONS, EMBEDDINGS_SCHEMA, META_DDL,
                               DecodeTask, FetchTask, Rewrite, UrlKeys)

TOO_MANY_ACTIONS = ("drop_document", "truncate", "keep")


def _read(spark, paths: list[str]):
    """Parquet under paths, read by the tasks with pyarrow (local or s3://, hive partitions as columns)."""
    from jobs.dedup.files import read_parquet

    return read_parquet(spark, paths)


def _has_parquet(uri: str) -> bool:
    return bool(list_parquet(uri))  # [] when uri does not exist


def _drop(pos, cond, reason):
    """Positions where `cond` holds become `dropped` with `reason` (a name, or a column); `cond` is evaluated
    on the outcome as it was before (reason is set first, outcome second)."""
    from pyspark.sql import functions as F

    reason = F.lit(reason) if isinstance(reason, str) else reason
    return (pos.withColumn("reason", F.when(cond, reason).otherwise(F.col("reason")))
            .withColumn("outcome", F.when(cond, F.lit("dropped")).otherwise(F.col("outcome"))))


def run_images(spark, inputs: list[str], output: str, config: dict, warc_images: str | None = None) -> StageStats:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    images_cfg = config["images"]
    job = images_cfg["job"]
    # the decode pass always hands CLIP embeddings on (clip_sim is computed per position from them);
    # images.clip.return_embeddings decides whether they are also written to OUT/images/embeddings
    write_embeddings = bool((images_cfg.get("clip") or {}).get("return_embeddings"))
    images_cfg = {**images_cfg, "clip": {**(images_cfg.get("clip") or {}), "return_embeddings": True}}
    if job["too_many_images"] not in TOO_MANY_ACTIONS:
        raise ValueError(f"images.job.too_many_images must be one of {TOO_MANY_ACTIONS}")
    stats = StageStats("images")
    parts = job["partitions"] or spark.sparkContext.defaultParallelism
    fetched_dir, store_dir = join(output, "images", "fetched"), join(output, "images", "store")

    # 1. image positions of the kept documents -> distinct URLs -> normalised keys
    docs = _read(spark, inputs)
    part_cols = [c for c in docs.columns if c not in ("general_metadata", "texts", "images", "metadata")]
    for c in ("crawl", "lang"):
        if c not in part_cols:
            field = F.col("general_metadata")["crawl_id" if c == "crawl" else "language"]
            docs = docs.withColumn(c, F.coalesce(field, F.lit("unknown")))
    docs = docs.localCheckpoint(eager=True)
    positions = docs.select(F.col("general_metadata")["id"].alias("doc_id"),
                            F.posexplode("images").alias("pos", "url")).where(F.col("url").isNotNull())
    urls = positions.select("url").distinct().mapInArrow(UrlKeys(), "url string, key string, host string")
    positions = positions.join(urls, "url").localCheckpoint(eager=True)
    keys = (positions.where(F.col("key").isNotNull()).groupBy("key")
            .agg(F.min("url").alias("url"), F.min("host").alias("host")).localCheckpoint(eager=True))
    n_keys = keys.count()
    stats.side["distinct_urls"] = n_keys

    # 2. acquire every key once: the WARCs' own image records first, then what earlier runs fetched, then HTTP
    acquired_cols = ["key", "url", "sha256", "content", "source"]
    acquired = None
    warc_images = warc_images or join(output, "warc_images")
    if _has_parquet(warc_images):
        wi = _read(spark, [warc_images]).select("url", "content", "sha256", "fetch_date")
        wi = wi.mapInArrow(UrlKeys(keep=("url", "content", "sha256", "fetch_date")),
                           "url string, content binary, sha256 string, fetch_date timestamp, key string, host string")
        wi = wi.join(keys.select("key"), "key", "left_semi").where(F.col("content").isNotNull())
        first = Window.partitionBy("key").orderBy(F.col("fetch_date").desc_nulls_last(), "sha256", "url")
        wi = (wi.withColumn("_rn", F.row_number().over(first)).where("_rn = 1").drop("url")
              .join(keys.select("key", "url"), "key").withColumn("source", F.lit("warc")).select(*acquired_cols))
        acquired = wi.localCheckpoint(eager=True)
        stats.side["from_warc"] = acquired.count()
    missing = keys if acquired is None else keys.join(acquired.select("key"), "key", "left_anti")

    def fetched_records():
        if not _has_parquet(fetched_dir):
            return None
        f = _read(spark, [fetched_dir]).join(keys.select("key"), "key", "left_semi")
        # the newest record per key wins (a retried failure is superseded by its retry)
        latest = Window.partitionBy("key").orderBy(F.col("fetched_at").desc(), F.col("content").isNull())
        return f.withColumn("_rn", F.row_number().over(latest)).where("_rn = 1").drop("_rn")

    before = fetched_records()
    retry = list(job["retry_failed"] or [])
    if before is not None:
        done = before.where(F.col("reason").isNull() | ~F.col("reason").isin(retry)) if retry else before
        stats.side["fetched_before"] = missing.join(done.select("key"), "key", "left_semi").count()
        todo = missing.join(done.select("key"), "key", "left_anti")
    else:
        todo = missing
    if job["only_hosts"]:
        todo = todo.where(F.col("host").isin([h.lower() for h in job["only_hosts"]]))
    todo = todo.localCheckpoint(eager=True)
    n_todo = todo.count()
    fetch_wall = time.perf_counter()
    if n_todo and job["download"]:
        fetch = FetchTask(fetched_dir, images_cfg, int(job["fetch_batch"]), parquet_options(config))
        # all URLs of a host land in one task, whose batches run one after another: per-host limits hold cluster-wide
        ran = (todo.repartition(parts, "host").sortWithinPartitions("host", "key")
               .mapInArrow(fetch, "fetched long, ok long, attempts long, cpu_ms long").collect())
        stats.side["cpu_ms_fetch"] = sum(r["cpu_ms"] for r in ran)
        stats.side["fetch_requests"] = sum(r["attempts"] for r in ran)
        stats.side["downloaded"] = sum(r["ok"] for r in ran)
        stats.side["fetch_failed"] = sum(r["fetched"] - r["ok"] for r in ran)
        stats.side["fetched_now"] = sum(r["fetched"] for r in ran)
    stats.count("wall_s", "fetch", round(time.perf_counter() - fetch_wall, 3))
    after = fetched_records()
    fetched_meta = None
    if after is not None:
        got = after.join(missing.select("key"), "key", "left_semi").localCheckpoint(eager=True)
        ok = got.where(F.col("content").isNotNull()).withColumn("source", F.lit("download")).select(*acquired_cols)
        acquired = ok if acquired is None else acquired.unionByName(ok)
        fetched_meta = got.where(F.col("content").isNull()).select("key", F.col("reason").alias("fetch_reason"))

    # 3 + 4. decode / validate / hash / score each distinct image once; valid ones into the content-addressed store
    decode_wall = time.perf_counter()
    meta_parts = []
    from jobs.dedup.files import delete_files, list_files

    if exists(store_dir):  # the store is rewritten: it is complete again only when _SUCCESS reappears
        delete_files([u for u in list_files(store_dir) if u.rsplit("/", 1)[-1] == "_SUCCESS"])
    if acquired is not None:
        task = DecodeTask(store_dir, images_cfg, int(job["decode_batch"]), int(job["store_row_group_mb"]) << 20,
                          str(job["store_compression"]), job["score"], parquet_options(config))
        decoded = (acquired.repartition(parts, "sha256").sortWithinPartitions("sha256", "key")
                   .mapInArrow(task, META_DDL).localCheckpoint(eager=True))
        summaries = decoded.where(F.col("outcome") == "_task").collect()
        for row in summaries:
            for item in (row["reason"] or "").split(","):
                if "=" in item:
                    k, v = item.split("=")
                    stats.side[k] += int(v)
            stats.side[f"scorers_{row['source']}"] += 1
        meta_parts.append(decoded.where(F.col("outcome") != "_task"))
        written = {f"part-{i:05d}.parquet" for i in range(parts)}
    else:
        written = set()
    if exists(store_dir):  # stale parts of an earlier run with more partitions
        delete_files([u for u in list_files(store_dir) if u.rsplit("/", 1)[-1] not in written])
    write_bytes_atomic(join(store_dir, "_SUCCESS"), b"")
    stats.count("wall_s", "decode", round(time.perf_counter() - decode_wall, 3))
    if fetched_meta is not None:
        out, reason = F.when(F.col("fetch_reason").isin(list(DROP_FETCH_REASONS)), "dropped").otherwise("failed"), \
            F.coalesce("fetch_reason", F.lit("error"))
        nulls = [F.lit(None).cast(t).alias(c) for c, t in (
            ("sha256", "string"), ("width", "int"), ("height", "int"), ("format", "string"), ("bytes", "long"),
            ("p_hash", "string"), ("d_hash", "string"), ("unsafe_prob", "float"), ("aesthetic_prob", "float"),
            ("clip_embedding", "array<float>"))]
        meta_parts.append(fetched_meta.select("key", F.lit("download").alias("source"), out.alias("outcome"),
                                              reason.alias("reason"), *nulls))
    meta = None
    for m in meta_parts:
        meta = m if meta is None else meta.unionByName(m, allowMissingColumns=True)

    # 5. per-position decisions
    pos = positions if meta is None else positions.join(meta, "key", "left")
    if meta is None:
        for c, t in (("source", "string"), ("outcome", "string"), ("reason", "string"), ("sha256", "string"),
                     ("width", "int"), ("height", "int"), ("bytes", "long"), ("p_hash", "string"),
                     ("d_hash", "string"), ("unsafe_prob", "float"), ("aesthetic_prob", "float"),
                     ("clip_embedding", "array<float>")):
            pos = pos.withColumn(c, F.lit(None).cast(t))
    missing_reason = "not_fetched"
    pos = (pos.withColumn("reason", F.when(F.col("key").isNull(), F.lit("bad_url"))
                          .when(F.col("outcome").isNull(), F.lit(missing_reason)).otherwise(F.col("reason")))
           .withColumn("outcome", F.when(F.col("key").isNull(), F.lit("dropped"))
                       .when(F.col("outcome").isNull(), F.lit("failed")).otherwise(F.col("outcome"))))
    nsfw = images_cfg["nsfw"]
    unsafe = F.col("unsafe_prob").isNotNull() & (F.col("unsafe_prob") > float(nsfw["threshold"]))
    ok = F.col("outcome") == "ok"
    pos = _drop(pos, ok & unsafe, "unsafe")
    if job["dedup_in_document"]:
        rep = F.row_number().over(Window.partitionBy("doc_id", "sha256").orderBy("pos"))
        pos = pos.withColumn("_rep", F.when(ok, rep))
        pos = _drop(pos, ok & (F.col("_rep") > 1), "duplicate_in_document").drop("_rep")
    pos = pos.localCheckpoint(eager=True)
    # corpus-wide: documents sharing each hash, over the images that passed the per-image checks
    valid = pos.where(ok)
    for h in ("p_hash", "d_hash"):
        counts = valid.groupBy(h).agg(F.countDistinct("doc_id").cast("int").alias(f"{h}_dup_count"))
        pos = pos.join(counts, h, "left")
    limit = job["max_hash_dup_count"]
    if limit is not None:
        pos = _drop(pos, ok & (F.col("p_hash_dup_count") > int(limit)), "hash_too_frequent")
    # document-level: too many images, unsafe images with action drop_document
    n_ok = F.sum(F.when(ok, 1).otherwise(0)).over(Window.partitionBy("doc_id"))
    rank = F.sum(F.when(ok, 1).otherwise(0)).over(Window.partitionBy("doc_id").orderBy("pos")
                                                  .rowsBetween(Window.unboundedPreceding, 0))
    max_images = int(job["max_per_document"])
    pos = pos.withColumn("_n_ok", n_ok).withColumn("_rank", rank)
    doc_drop = F.lit(None).cast("string")
    if job["too_many_images"] == "drop_document":
        doc_drop = F.when(F.col("_n_ok") > max_images, F.lit("too_many_images"))
    elif job["too_many_images"] == "truncate":
        pos = _drop(pos, ok & (F.col("_rank") > max_images), "too_many_images")
    if nsfw["action"] == "drop_document":
        any_unsafe = F.max(F.when(F.col("reason") == "unsafe", 1).otherwise(0)).over(Window.partitionBy("doc_id"))
        doc_drop = F.coalesce(doc_drop, F.when(any_unsafe == 1, F.lit("unsafe_document")))
    pos = pos.withColumn("_doc_drop", doc_drop)
    pos = (_drop(pos, ok & F.col("_doc_drop").isNotNull(), F.col("_doc_drop"))
           .drop("_n_ok", "_rank").localCheckpoint(eager=True))

    # 6. documents rewritten with per-image metadata
    filled = ("width", "height", "bytes", "sha256", "p_hash", "d_hash", "p_hash_dup_count", "d_hash_dup_count",
              "unsafe_prob", "aesthetic_prob")
    decision = F.struct(F.col("pos").cast("int").alias("pos"), (F.col("outcome") == "ok").alias("keep"),
                        *[F.col(c) for c in filled], F.col("clip_embedding"))
    per_doc = pos.groupBy("doc_id").agg(F.collect_list(decision).alias("_decisions"),
                                        F.max("_doc_drop").alias("_doc_drop"))
    joined = docs.join(per_doc, docs["general_metadata"]["id"] == per_doc["doc_id"], "left").drop("doc_id")
    from schemas.omnicorpus import arrow_schema

    names = tuple(arrow_schema().names)
    # clip_sim needs the final documents (alt and neighbouring paragraphs): computed in the rewrite from the
    # embeddings of the decode pass, when there are any (CLIP active: images.clip weights, extra installed)
    has_clip = pos.where(ok & F.col("clip_embedding").isNotNull()).limit(1).count() > 0
    rewrite = Rewrite(names, bool(job["remove_failed"]), ("crawl", "lang"), images_cfg if has_clip else None)
    out_schema = (docs.select(*names, "crawl", "lang").schema.add("_status", "string")
                  .add("_clip", _ddl_type(CLIP_SIMS_DDL)).add("_below_min_sim", "integer"))
    rewritten = (joined.select(*names, "crawl", "lang", "_decisions", "_doc_drop")
                 .mapInArrow(rewrite, out_schema).localCheckpoint(eager=True))
    for row in rewritten.groupBy("_status").count().collect():
        stats.count("documents", row["_status"], row["count"])
    stats.count("documents", "in", docs.count())
    below = rewritten.agg(F.sum("_below_min_sim")).collect()[0][0] or 0

    # 7 (positions). in = kept + dropped by reason + failed by reason; every position is in exactly one
    # (kept_from counts before images.clip.min_sim, which drops in the rewrite: `clip_below_min_sim`)
    for row in pos.groupBy("outcome", "reason", "source").count().collect():
        n = row["count"]
        stats.seen(n)
        if row["outcome"] == "ok":
            stats.keep(n)
            stats.count("kept_from", row["source"] or "unknown", n)
        elif row["outcome"] == "dropped":
            stats.drop(row["reason"], n)
        else:
            stats.fail(row["reason"] or "error", n)
    if below:
        stats.keep(-below)
        stats.drop("clip_below_min_sim", below)
    from jobs.dedup.files import write_parquet

    out_docs = (rewritten.where(F.col("_status") == "kept").drop("_status", "_clip", "_below_min_sim")
                .repartition(parts, F.col("general_metadata")["id"])
                .sortWithinPartitions(F.col("general_metadata")["id"]))
    n_docs = write_parquet(out_docs, join(output, "docs"), arrow_schema(), ["crawl", "lang"],
                           parquet_options(config), validate=True)
    stats.side["documents_written"] = n_docs
    for name, wanted in (("clip_sims", has_clip), ("embeddings", has_clip and write_embeddings)):
        side = join(output, "images", name)
        if not wanted and exists(side):  # a side table of an earlier run with CLIP would not match these docs
            delete_files(list_files(side))
    if has_clip:  # per-candidate similarities (MMC4's assignment) and the embeddings (semantic dedup)
        sims = (rewritten.where(F.col("_status") == "kept")
                .select(F.col("general_metadata")["id"].alias("doc_id"), F.explode("_clip").alias("c"))
                .select("doc_id", "c.*").repartition(parts, "doc_id").sortWithinPartitions("doc_id", "position"))
        stats.side["clip_sims_rows"] = write_parquet(sims, join(output, "images", "clip_sims"), CLIP_SIMS_SCHEMA,
                                                     [], parquet_options(config))
        if write_embeddings:
            emb = (valid.where(F.col("clip_embedding").isNotNull()).groupBy("sha256")
                   .agg(F.first("clip_embedding").alias("clip_embedding"))
                   .repartition(parts, "sha256").sortWithinPartitions("sha256"))
            stats.side["embeddings_rows"] = write_parquet(emb, join(output, "images", "embeddings"),
                                                          EMBEDDINGS_SCHEMA, [], parquet_options(config))
    return stats.check()


def _ddl_type(ddl: str):
    from pyspark.sql.types import _parse_datatype_string

    return _parse_datatype_string(ddl)


class ImagesJob(Job):
    name = "images"
    description = "fetch, validate, hash and store the kept documents' images; write the corpus to OUT/docs"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--input", required=True, nargs="+", help="document Parquet (OUT/dedup/kept)")
        parser.add_argument("--warc-images", help="image records found in the WARCs (default: OUT/warc_images)")

    def run(self, spark, args, config: dict) -> StageStats:
        stats = StageStats("images")
        with stats.timed():
            result = run_images(spark, args.input, args.output, config, args.warc_images)
        # Python CPU: the driver's, plus the fetch and decode tasks' (the document rewrite and the JVM not included)
        workers = result.side.get("cpu_ms_decode", 0) + result.side.get("cpu_ms_fetch", 0)
        result.cpu_s = stats.cpu_s + workers / 1000
        result.count("cpu_s", "python_driver", round(stats.cpu_s, 3))
        result.count("cpu_s", "python_fetch_decode", round(workers / 1000, 3))
        decoded = result.side.get("decoded", 0)
        if stats.wall_s:
            result.count("rates", "images_decoded_per_s", round(decoded / stats.wall_s, 2))
        return result


def main(argv: list[str] | None = None) -> int:
    return ImagesJob().main(argv)


COVERAGE_FIELDS = ("width", "height", "sha256", "p_hash", "unsafe_prob")


def image_coverage(output: str) -> dict:
    """How complete the image positions of OUT/docs are (the issue's evidence: >= 80 % carry COVERAGE_FIELDS).
    A position counts once in the written documents; positions the stage removed (no bytes, dropped) are not
    positions anymore and are reported beside it from OUT/stats/images.json, as is any position kept as a bare
    URL (images.job.remove_failed false), which counts as not filled."""
    import pyarrow.parquet as pq

    from engine.io.fs import resolve

    positions = filled = 0
    for f in list_parquet(join(output, "docs")):
        fs, path = resolve(f)
        for row in pq.read_table(path, filesystem=fs, columns=["images", "metadata"]).to_pylist():
            for url, meta in zip(row["images"], row["metadata"]):
                if url is not None:
                    positions += 1
                    filled += all((meta or {}).get(k) is not None for k in COVERAGE_FIELDS)
    stats = read_json(join(output, "stats", "images.json")) or {}
    removed = {**stats.get("dropped", {}), **stats.get("failed", {})}
    return {"positions_in": stats.get("records_in"), "positions": positions, "filled": filled,
            "share": filled / positions if positions else None, "removed": dict(sorted(removed.items())),
            "kept_from": stats.get("by", {}).get("kept_from", {})}


def coverage_line(c: dict) -> str:
    removed = ", ".join(f"{k} {v}" for k, v in sorted(c["removed"].items(), key=lambda kv: -kv[1])) or "none"
    share = "n/a" if c["share"] is None else f"{100 * c['share']:.1f} %"
    return (f"images: {c['positions_in']} positions in the stage's input -> {c['positions']} in OUT/docs "
            f"(dropped or failed: {removed}); filled ({', '.join(COVERAGE_FIELDS)}): {c['filled']} of {c['positions']} "
            f"= {share}; kept from {', '.join(f'{k} {v}' for k, v in sorted(c['kept_from'].items())) or 'nothing'}")
