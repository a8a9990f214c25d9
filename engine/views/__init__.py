"""Views and exports of the documents table (no Spark): what `weft degrade` (jobs/degrade.py) writes.

What lives here: `settings` (typed config from config/degrade.yaml, the `degrade` section), `text` (the text-only
view: datatrove / FineWeb columns), `captions` (caption strategies for image-text pairs: alt, nearest, mmc4 with
optimal bipartite matching), `similarity` (the image stage's per-paragraph CLIP similarities,
OUT/images/clip_sims, as MMC4's image x paragraph matrix), `store` (lookups in the content-addressed image store by sha256), `shards` (atomic,
size-bounded WebDataset tar and JSONL shards with per-shard sha256 and a manifest), and `exports` (the pairs
view, the WebDataset pair / interleaved samples and MMC4 records built from documents).

Imports: engine.views may import engine (config, output, s3, document, stats) and schemas; never jobs or filters.
"""
