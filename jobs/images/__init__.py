"""`weft images --input OUT/dedup/kept --output OUT`: the image stage (after dedup, so no image is fetched for a
dropped document, and none twice).

Plan (Spark DataFrames, Arrow batch functions in jobs/images/tasks.py; no row-at-a-time UDF):
1. positions: posexplode(images) of the kept documents -> distinct URLs -> join key (engine.urlnorm, then
   tasks.capture_key: `%2C` on the page and `,` in the WARC meet) + host, one mapInArrow over the distinct URLs.
2. acquire each key once: OUT/warc_images (the WARCs' own image responses, joined by normalised URL, newest
   capture), else a record in OUT/images/fetched/ from an earlier run (bytes or failure reason; reasons in
   images.job.retry_failed are fetched again), else HTTP: the missing keys are hash-partitioned by host (one
   host's URLs in one task, whose fetch_all batches run one after another, so per-host limits hold across the
   cluster) and every batch of images.job.fetch_batch results is written atomically as one Parquet file.
3+4. the acquired bytes are partitioned by sha256: each distinct image is decoded, validated, hashed (pHash,
   dHash) and scored (images.nsfw / images.clip, images.job.score) once, and the valid ones are written once to
   OUT/images/store/part-NNNNN.parquet (sha256, content, bytes, width, height, format, first URL; sorted by
   sha256; row groups cut at images.job.store_row_group_mb of content; `content` in images.job.store_compression,
   the other columns in the `output` section's codec).
5. per position: failed / dropped (validation, opted_out, unsafe, duplicate_in_document, hash_too_frequent,
   too_many_images, ...) or kept; p_hash_dup_count / d_hash_dup_count = documents sharing the hash.
6. documents rewritten (metadata filled, removed positions dropped, aligned lists) to OUT/docs/crawl=/lang=/,
   validated, zstd; a document left with no text and no image is dropped. With CLIP active, the rewrite computes
   clip_sim (best cosine of the image embedding from step 3 with its alt text and images.clip.neighbours
   paragraphs on each side, all texts of a batch encoded together), applies images.clip.min_sim, and the
   per-candidate similarities go to OUT/images/clip_sims (doc_id, position, sha256, clip_sim, alt_sim,
   text_positions, text_sims; positions as in OUT/docs), the embeddings to OUT/images/embeddings
   (images.clip.return_embeddings).
7. OUT/stats/images.json: records = image positions (in = kept + dropped by reason + failed by reason), `by`:
   documents (in / kept / dropped by reason), kept_from (warc | download); side: distinct_urls, from_warc,
   downloaded, fetched_before, store_rows, ...
A rerun fetches only what has no record and rewrites the same store and documents.
"""
from __future__ import annotations

from jobs.images.job import ImagesJob, coverage_line, image_coverage, main, run_images

__all__ = ["ImagesJob", "coverage_line", "image_coverage", "main", "run_images"]
