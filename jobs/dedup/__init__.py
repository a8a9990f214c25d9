"""`weft dedup`: URL, exact-text and MinHash near-duplicate dedup, then in-domain paragraph boilerplate and
frequent image URLs. Reads the document table (out/filter/kept, out/extract, ...) or any Parquet/JSONL text
dataset (--id-column/--text-column/[--date-column]/[--url-column]).

Rows with the same id are one capture read twice (overlapping inputs): one is kept, the others are counted as
`same_capture`. Writes <output>/dedup/kept (input columns and partitioning; general_metadata.minhash_cluster/dup_count set),
<output>/dedup/duplicates (id, representative_id, reason in {url, exact, near}, jaccard) and
<output>/stats/dedup.json.

Plan (every step is a DataFrame operation or an Arrow batch function from engine/dedup/keys.py):
1. keys: one mapInArrow pass -> URL key, exact-text hash, MinHash signature per document.
2. preference order: documents sorted by (date desc, id asc) get an order-preserving rank `node`; "keep the newest, then
   the lowest id" becomes "keep the smallest node", and component minima are the representatives.
3. URL, then exact: smallest node per key wins. Near: LSH bands -> buckets -> candidate edges (all pairs in
   small buckets, a star to the bucket minimum in large ones) -> verified edges (near.verify: MinHash estimate,
   exact shingle Jaccard, or hybrid = exact only where the estimate is near the threshold) -> connected
   components (jobs/dedup/components.py) -> smallest node per component wins.
4. representatives are resolved through the stages (a URL duplicate of a near duplicate points to the kept one).
5. paragraph boilerplate and frequent image URLs are removed from the kept documents; a representative left
   without text is dropped with its whole group, so every duplicate names a document in dedup/kept.
The result depends on the data only, never on partitioning or timing. stats/dedup.json's cpu_s is the CPU of
the Python processes (driver + mapInArrow workers, see CpuMeter); the JVM's CPU is not included.

Modules (imports run one way: source <- keys <- exact, near <- duplicates <- job; components and files are leaves):
  source.py      the input (document schema or generic table; Spark's reader, or pyarrow inside tasks for s3://)
                 and one_row_per_id
  files.py       Parquet read and written by tasks with pyarrow (the s3:// path; no Hadoop S3 jars needed)
  keys.py        the mapInArrow key pass, the preference order (rank_documents), CpuMeter
  exact.py       URL and exact dedup (first per key), resolution of representatives
  near.py        LSH bands, candidate edges, verification
  components.py  connected components on DataFrames (large-star / small-star)
  duplicates.py  find_duplicates, duplicates_table
  positions.py   paragraph boilerplate and frequent image URLs
  job.py         run_dedup (outputs, stats), DedupJob, main
`python -m jobs.dedup` and `spark-submit jobs/dedup/__main__.py` (infra/spark/submit.sh) run the job.
"""
from __future__ import annotations

from jobs.dedup.duplicates import DuplicateResult, duplicates_table, find_duplicates
from jobs.dedup.job import DedupJob, main, run_dedup
from jobs.dedup.source import Source, one_row_per_id, read_source

__all__ = ["DedupJob", "DuplicateResult", "Source", "duplicates_table", "find_duplicates", "main",
           "one_row_per_id", "read_source", "run_dedup"]
