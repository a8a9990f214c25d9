"""Atomic writers: Parquet the way every stage needs it (zstd, row groups sized for scans, schema-checked), small
whole files (stats, progress records, the effective config).

Atomic means a reader (or a resumed job) never sees a half-written file: on a local filesystem we write to a
hidden temporary name in the same directory and rename; on S3 we write the final key through
`engine.io.s3.AtomicUpload`, whose multipart upload is completed by close() only, so a failed or killed task leaves
no object (pyarrow's own S3 output stream completes the upload whenever it is closed, even after an error).
URIs are resolved by engine.io.fs.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from engine.config import defaults_from
from engine.io import s3
from engine.io.fs import join, resolve
from schemas.validate import validate_table


@dataclass
@defaults_from("output")
class ParquetOptions:
    """Defaults: config/defaults.yaml `output` (8k rows of ~10 KB documents: a row group of ~80 MB uncompressed,
    a good unit for scans and predicate pushdown)."""

    compression: str
    compression_level: int
    row_group_rows: int


def temporary_beside(path: str) -> str:
    """A fresh hidden name in the directory of local `path` (created): `.tmp-*`, which every reader skips and
    jobs.base.sweep_temporaries removes; renamed to `path` on commit."""
    parent, name = path.rsplit("/", 1)
    os.makedirs(parent, exist_ok=True)
    return f"{parent}/.tmp-{uuid.uuid4().hex}-{name}"


def write_bytes_atomic(uri: str, data: bytes) -> None:
    """Write a small whole file (stats, progress records) so that readers see all of it or none."""
    if uri.startswith("s3://"):
        s3.put_atomic(uri, data)  # one PUT; no directory markers, which pyarrow's create_dir would leave
        return
    _, path = resolve(uri)
    tmp = temporary_beside(path)
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_effective_config(output: str, stage: str, config: dict) -> None:
    """OUT/_config/<stage>.yaml: the merged config this stage ran with, and the weft version."""
    try:
        from importlib.metadata import version

        weft_version = version("weft")
    except Exception:  # running from a source tree that is not installed (spark-submit with a zip)
        weft_version = "unknown"
    text = yaml.safe_dump({"weft_version": weft_version, **config}, sort_keys=False, allow_unicode=True)
    write_bytes_atomic(join(output, "_config", f"{stage}.yaml"), text.encode())


class AtomicParquetWriter:
    """Stream batches into one Parquet file that appears atomically on close(); abort() leaves nothing, even
    after close(): a task that fails while committing its second file must not leave its first one behind."""

    def __init__(self, uri: str, schema: pa.Schema, options: ParquetOptions | None = None, validate: bool = True):
        self.uri, self.schema, self.options, self.validate = uri, schema, options or ParquetOptions(), validate
        self.local = not uri.startswith("s3://")
        if self.local:
            self.fs, self.path = resolve(uri)
            self.tmp_path = temporary_beside(self.path)
        self._sink: s3.AtomicUpload | None = None
        self._writer: pq.ParquetWriter | None = None
        self._committed = False
        self.rows = 0

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            opts = dict(compression=self.options.compression, compression_level=self.options.compression_level,
                        write_statistics=True)
            if self.local:
                self._writer = pq.ParquetWriter(self.tmp_path, self.schema, filesystem=self.fs, **opts)
            else:
                self._sink = s3.AtomicUpload(self.uri)
                self._writer = pq.ParquetWriter(self._sink, self.schema, **opts)
        return self._writer

    def write(self, data: pa.RecordBatch | pa.Table) -> None:
        if data.num_rows == 0:
            return
        table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
        table = table.cast(self.schema) if not table.schema.equals(self.schema, check_metadata=False) else table
        if self.validate:
            validate_table(table)
        self._open().write_table(table, row_group_size=self.options.row_group_rows)
        self.rows += table.num_rows

    def close(self) -> int:
        """Finish the file; an empty output still produces a valid (zero-row) file so resume sees it as done."""
        try:
            self._open().close()
            if self.local:
                self.fs.move(self.tmp_path, self.path)
            else:
                self._sink.close()
        except BaseException:
            self.abort()
            raise
        self._committed = True
        return self.rows

    def abort(self) -> None:
        if self._committed:
            self._committed = False
            if self.local:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path)
            else:
                bucket, key = s3.split(self.uri)
                s3.client(bucket).delete_object(Bucket=bucket, Key=key)
            return
        if self._sink is not None:
            self._sink.abort()  # first: the footer the writer flushes below must go nowhere
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # writing into the aborted sink fails, as it should
                pass
        if self.local:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.tmp_path)
