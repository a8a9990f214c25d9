"""Per-batch dedup computations: plain numpy/pyarrow, no Spark, so unit tests, benchmarks and the Spark job's
`mapInArrow` workers run the same code.

* `engine.dedup.minhash`: word n-gram shingles, MinHash signatures, LSH band hashes, Jaccard (and `mix64`,
  the splitmix64 finaliser that filters/vocab.py reuses).
* `engine.dedup.keys`: Arrow batch functions: documents -> URL key, text hash, signature; signatures -> LSH
  (band, bucket, node) rows; candidate pairs -> Jaccard.
* `engine.dedup.bloom`: a mergeable "seen twice" Bloom filter (pre-pass for counting image URLs).

Imports: engine.dedup may import engine leaf modules (engine.config, engine.urlnorm) and schemas, never
filters or jobs; the Spark side (shuffles, joins, connected components) lives in jobs/dedup/. This file
imports nothing, so `from engine.dedup.minhash import mix64` stays cheap.
"""
