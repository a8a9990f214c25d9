"""The one place a URI becomes a filesystem: every reader and writer of weft goes through here.

  local path, file://   pyarrow's LocalFileSystem (absolute path)
  s3://bucket/key       pyarrow's S3FileSystem from engine.io.s3 (WEFT_S3_ENDPOINT_URL, retries on 5xx/SlowDown)
  http(s)://            read-only, streamed: engine.io.sources.open_source (no filesystem to list or write)

`resolve` is for reading and listing (Parquet datasets, progress records, locks); writes go through the atomic
writers of engine.io.output, which resolve their URI here too.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.io import s3

if TYPE_CHECKING:
    import pyarrow.fs as pafs

__all__ = ["resolve", "join", "exists", "local_path", "list_parquet"]


def local_path(uri: str) -> str:
    """A local path or file:// URI -> the path (file:// removed, nothing else touched)."""
    return uri[len("file://"):] if uri.startswith("file://") else uri


def resolve(uri: str) -> tuple[pafs.FileSystem, str]:
    """URI or local path -> (pyarrow filesystem, path inside it), for reading and listing. s3:// honours
    WEFT_S3_ENDPOINT_URL (moto) and retries 5xx/SlowDown (engine/io/s3.py). Write through engine.io.output."""
    import pyarrow.fs as pafs  # here, not at the top: opening a WARC (engine.io.sources) needs no pyarrow

    if uri.startswith("s3://"):
        bucket, key = s3.split(uri)
        return s3.filesystem(bucket), f"{bucket}/{key}".rstrip("/")
    return pafs.LocalFileSystem(), os.path.abspath(local_path(uri))


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]])


def exists(uri: str) -> bool:
    import pyarrow.fs as pafs

    fs, path = resolve(uri)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def list_parquet(uri: str | Iterable[str]) -> list[str]:
    """Every *.parquet under a file or directory (local or s3://), sorted, skipping hidden and temporary files and
    folders (`.tmp-*`, `_temporary`, `_progress`, ...): what every stage, view and loader reads. Given several
    URIs (a stage's --input list), the sorted union of what is under each."""
    import pyarrow.fs as pafs

    if not isinstance(uri, str):
        return sorted({f for one in uri for f in list_parquet(one)})

    fs, path = resolve(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        return [uri]
    if info.type == pafs.FileType.NotFound:
        return []
    prefix = "s3://" if uri.startswith("s3://") else ""
    return sorted(
        prefix + i.path for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
        if i.type == pafs.FileType.File and i.base_name.endswith(".parquet")
        and not any(part.startswith((".", "_")) for part in i.path[len(path):].split("/") if part)
    )
