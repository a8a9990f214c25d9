"""Parquet read and written inside Spark tasks with pyarrow, through engine/io/output.py (local or s3://).

Spark's own Parquet reader and writer need Hadoop's S3 connector (s3a jars), which this Spark does not have, so
on s3:// the dedup stage does its I/O like extract and filter do: in Python, in the tasks.

* read: the input's files (engine.io.fs.list_parquet) become a DataFrame of paths, one file per task,
  and a mapInArrow reads each file's row groups as batches; hive directories (crawl=X/lang=Y) become string
  columns, as Spark's reader adds them.
* write: every task writes its rows with `AtomicParquetWriter` to deterministic names,
  TABLE[/k=v...]/part-NNNNN.parquet (NNNNN: the Spark partition), so a rerun overwrites the same names. The
  driver then deletes every other file under TABLE (stale parts of an earlier run with more partitions, or
  Spark's own files) and writes TABLE/_SUCCESS last.
"""
from __future__ import annotations

import json
import os
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession

from engine.io.fs import join, list_parquet, resolve
from engine.io.output import AtomicParquetWriter, ParquetOptions, write_bytes_atomic

SUCCESS = "_SUCCESS"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # Spark's (and Hive's) directory name for a null value
# Spark's ExternalCatalogUtils.escapePathName: these characters are written as %XX in partition directories.
_ESCAPED = set('"#%\'*/:=?\\\x7f{[]^') | {chr(c) for c in range(1, 32)}


# ---------------------------------------------------------------------------------------------------------------
# read
def partition_values(root: str, file: str) -> list[tuple[str, str | None]]:
    """Hive key=value directories between an input root and one of its files."""
    rel = file[len(root.rstrip("/")):] if file.startswith(root.rstrip("/")) else ""
    out = []
    for part in rel.strip("/").split("/")[:-1]:
        if "=" in part:
            key, value = part.split("=", 1)
            out.append((unquote(key), None if value == NULL_PARTITION else unquote(value)))
    return out


def list_input(paths: list[str]) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """(file, hive partition values) for every Parquet file under the inputs."""
    files = []
    for root in paths:
        for f in list_parquet(root):
            files.append((f, partition_values(root, f)))
    if not files:
        raise FileNotFoundError(f"no Parquet files under {', '.join(paths)}")
    keys = {tuple(k for k, _ in parts) for _, parts in files}
    if len(keys) > 1:
        raise ValueError(f"input files are partitioned differently: {sorted(keys)}")
    return files


class _FileReader:
    """mapInArrow: rows (path, parts) -> the files' rows in `schema` (data columns, then partition columns)."""

    def __init__(self, data_schema: pa.Schema, partition_cols: list[str], batch_rows: int = 8192):
        self.data_schema, self.partition_cols, self.batch_rows = data_schema, partition_cols, batch_rows

    def __call__(self, batches):
        for batch in batches:
            for path, parts in zip(batch.column("path").to_pylist(), batch.column("parts").to_pylist()):
                values = dict(json.loads(parts))
                fs, inner = resolve(path)
                with fs.open_input_file(inner) as f:
                    pf = pq.ParquetFile(f)
                    for data in pf.iter_batches(batch_size=self.batch_rows, columns=self.data_schema.names):
                        table = pa.Table.from_batches([data]).select(self.data_schema.names)
                        table = table.cast(self.data_schema)
                        for name in self.partition_cols:
                            table = table.append_column(name, pa.array([values[name]] * table.num_rows, pa.string()))
                        yield from table.to_batches()


def read_parquet(spark: SparkSession, paths: list[str]) -> DataFrame:
    """The input's Parquet files read by tasks with pyarrow, one task per file. Schema: the first file's
    (the document schema's, schemas/omnicorpus.py, where the input is the document table)."""
    from schemas.omnicorpus import arrow_schema
    from schemas.spark import to_spark_type

    files = list_input(paths)
    fs, inner = resolve(files[0][0])
    with fs.open_input_file(inner) as f:
        first = pq.read_schema(f)
    documents = arrow_schema()
    data_schema = documents if set(first.names) == set(documents.names) else first
    data_schema = pa.schema([f.remove_metadata() for f in data_schema]) if data_schema is first else data_schema
    partition_cols = [k for k, _ in files[0][1] if k not in data_schema.names]
    spark_schema = to_spark_type(data_schema)
    for name in partition_cols:
        spark_schema = spark_schema.add(name, "string", True)
    rows = [(i, f, json.dumps(parts)) for i, (f, parts) in enumerate(files)]
    listing = spark.createDataFrame(spark.sparkContext.parallelize(rows, numSlices=len(rows)),
                                    "idx long, path string, parts string")
    return listing.mapInArrow(_FileReader(data_schema, partition_cols), spark_schema)


# ---------------------------------------------------------------------------------------------------------------
# write
def escape(value) -> str:
    if value is None:
        return NULL_PARTITION
    text = str(value)
    if text == "":
        return NULL_PARTITION  # Spark writes an empty string partition value as null as well
    return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in text)


class _PartWriter:
    """mapInArrow: this task's rows -> TABLE[/k=v...]/part-<partition>.parquet; yields (path, rows) per file."""

    def __init__(self, root: str, schema: pa.Schema, partition_cols: list[str], options: ParquetOptions,
                 validate: bool):
        self.root, self.schema, self.partition_cols = root, schema, partition_cols
        self.options, self.validate = options, validate

    def __call__(self, batches):
        from pyspark import TaskContext

        name = f"part-{TaskContext.get().partitionId():05d}.parquet"
        writers: dict[tuple, AtomicParquetWriter] = {}
        try:
            for batch in batches:
                table = pa.Table.from_batches([batch])
                if not self.partition_cols:
                    groups = {(): table}
                else:
                    keys = list(zip(*(table.column(c).to_pylist() for c in self.partition_cols)))
                    index: dict[tuple, list[int]] = {}
                    for i, key in enumerate(keys):
                        index.setdefault(key, []).append(i)
                    data = table.drop_columns(self.partition_cols)
                    groups = {key: data.take(pa.array(rows, pa.int64())) for key, rows in index.items()}
                for key, part in groups.items():
                    if key not in writers:
                        dirs = [f"{c}={escape(v)}" for c, v in zip(self.partition_cols, key)]
                        writers[key] = AtomicParquetWriter(join(self.root, *dirs, name), self.schema, self.options,
                                                           validate=self.validate)
                    writers[key].write(part.select(self.schema.names))
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            raise
        yield pa.RecordBatch.from_pydict({"path": [w.uri for w in writers.values()],
                                          "rows": [w.rows for w in writers.values()]},
                                         schema=pa.schema([("path", pa.string()), ("rows", pa.int64())]))


def list_files(root: str) -> list[str]:
    """Every file (hidden ones included) under a table directory, as URIs."""
    if root.startswith("s3://"):
        from engine.io import s3

        bucket, key = s3.split(root)
        found = []
        pages = s3.client(bucket).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key.rstrip("/") + "/")
        for page in pages:
            found += [f"s3://{bucket}/{o['Key']}" for o in page.get("Contents", [])]
        return found
    _, path = resolve(root)
    return [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]


def delete_files(uris: list[str]) -> None:
    if not uris:
        return
    if uris[0].startswith("s3://"):
        from engine.io import s3

        bucket, _ = s3.split(uris[0])
        for start in range(0, len(uris), 1000):
            objects = [{"Key": s3.split(u)[1]} for u in uris[start:start + 1000]]
            s3.client(bucket).delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        return
    for uri in uris:
        os.remove(resolve(uri)[1])


def _prune_empty_dirs(root: str) -> None:
    if root.startswith("s3://"):
        return
    _, path = resolve(root)
    for d, subdirs, names in os.walk(path, topdown=False):
        if d != path and not os.listdir(d):
            os.rmdir(d)


def write_parquet(df: DataFrame, root: str, schema: pa.Schema, partition_cols: list[str],
                  options: ParquetOptions | None = None, validate: bool = False) -> int:
    """Write df under `root` from the tasks (see the module docstring); returns the number of rows written.
    `schema`: the files' Arrow schema (data columns, partition columns excluded)."""
    options = options or ParquetOptions()
    success = join(root, SUCCESS)
    delete_files([u for u in list_files(root) if u.rstrip("/").rsplit("/", 1)[-1] == SUCCESS])
    writer = _PartWriter(root, schema, partition_cols, options, validate)
    written = df.mapInArrow(writer, "path string, rows long").collect()
    keep = {resolve(r["path"])[1] if not root.startswith("s3://") else r["path"] for r in written}
    if not written:  # an empty table still gets one file, so readers know its columns
        empty = AtomicParquetWriter(join(root, "part-00000.parquet"), schema, options, validate=validate)
        empty.close()
        keep.add(resolve(empty.uri)[1] if not root.startswith("s3://") else empty.uri)
    stale = [u for u in list_files(root) if u not in keep]
    delete_files(stale)
    _prune_empty_dirs(root)
    write_bytes_atomic(success, b"")
    return sum(r["rows"] for r in written)


def arrow_schema_of(df: DataFrame, drop: list[str]) -> pa.Schema:
    """The Arrow schema Spark hands to mapInArrow for df's columns, less `drop`."""
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(df.schema, timezone="UTC")
    return pa.schema([f for f in schema if f.name not in drop])
