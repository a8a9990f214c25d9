"""engine.warc: one WARC/ARC file -> its records -> Documents, with every record accounted for.

A record's way, one direction: engine.io.sources opens the input; `records` reads it (FastWARC for WARC, warcio
for ARC) and `http` decodes each HTTP message in it; `ingest` labels what it reads with `commoncrawl` and hands
each HTML page to engine.html (charset decoding, extraction).

What lives here (each module imports only those listed after it):
  ingest       `warc_to_documents`: one WARC -> Documents and image records, with the accounting (`IngestConfig`:
               defaults config/defaults.yaml `extract`)
  records      `iter_records`, `WarcRecord`: iteration with resynchronisation after corrupt records
  http         the HTTP head, de-chunking, Content-Encoding, content sniffing
  commoncrawl  the crawl id and the CLD2 language labels of Common Crawl's metadata records
  errors       the leaf: `WarcOpenError`, `SourceError` (shared with engine.io.sources)

engine.warc may import engine.io, engine.html and engine leaf modules (engine.config, engine.document,
engine.stats, engine.images.sniff: the one magic-byte table) and schemas; never filters or jobs.
"""
