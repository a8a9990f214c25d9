"""The image stage's library: acquire, validate, hash and score images (no Spark).

What lives here: `types` (the leaf every module imports: fetch results, decoded images), `sniff` (the magic-byte
table: which image format the first bytes announce; used by fetch and decode), `policy` (which addresses a URL
may reach: the SSRF guard), `fetch` (the safe, polite HTTP downloader), `decode` (validation under a pixel
limit, EXIF orientation, size and format rules), `hashing` (pHash, dHash), and `scorers` (NSFW,
CLIP) behind one interface. Settings: config/images.yaml (the `images` section).

Imports: engine.images may import engine (config, stats) and schemas; never filters or jobs. The Spark job that
drives it is jobs/images/.
"""
