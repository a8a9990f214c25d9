"""engine.io: where bytes come from and go to — local paths, s3:// and http(s)://.

What lives here, imports flowing one way (each module imports only those listed after it):
  inputs    what the user listed (files, directories, globs, s3:// prefixes, URLs, path lists) -> input files, each
            once under its canonical name
  output    the atomic writers: Parquet (`AtomicParquetWriter`, `ParquetOptions`: defaults config/defaults.yaml
            `output`), small whole files (`write_bytes_atomic`), the effective config of a stage
  sources   `open_source`: an input as a streamed, resumable, seekable file object (`RangeStream` reconnects with
            Range requests when a connection breaks)
  fs        the one URI -> filesystem rule (`resolve`, `join`, `local_path`), used by every reader and writer
  s3        the one S3 place: endpoint, clients and pyarrow filesystems that retry, atomic multipart uploads

engine.io imports only engine leaf modules (engine.config; engine.warc.errors, the open errors it shares with the
WARC reader) and schemas; never engine.warc's readers, engine.html, filters or jobs.
"""
