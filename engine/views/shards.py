"""Size-bounded, atomic shard series: WebDataset tar shards and gzip JSON-lines shards, with a manifest.

One task writes one series per export and input file, named by `degrade.export.shard_name`
("{stem}-{shard:05d}" + ".tar" / ".jsonl.gz"). A shard is closed when it holds `shard_samples` samples or the
next sample would take it past `shard_bytes` (a single larger sample still gets a shard of its own). Each file is
hashed (sha256) while it is written. Writes are atomic: locally every shard goes to a hidden temporary name in its
directory and all of the series are renamed by commit(); on s3:// each shard is an `engine.io.s3.AtomicUpload` that
appears when it is complete, and abort() deletes those already completed. Tar members carry mtime 0, uid/gid 0
and mode 0444, so the same input gives byte-identical shards and checksums on every run.

Manifests: each task writes `<export>/_manifests/<stem>.json` (its shards) after its shards are committed, and
the job merges them into `<export>/manifest.json` (see `merge_manifests`), so a resumed run lists every shard.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import tarfile

from engine.io.fs import join, resolve
from engine.io.output import temporary_beside, write_bytes_atomic
from engine.views.settings import ExportConfig


class AtomicSink:
    """A binary file that appears whole at commit() or never; sha256 and size computed on the way."""

    def __init__(self, uri: str):
        self.uri = uri
        self.sha = hashlib.sha256()
        self.size = 0
        self.local = not uri.startswith("s3://")
        self._committed = False
        if self.local:
            _, self.path = resolve(uri)
            self.tmp = temporary_beside(self.path)
            self._f = open(self.tmp, "wb")
        else:
            from engine.io.s3 import AtomicUpload

            self._f = AtomicUpload(uri)

    def write(self, data) -> int:
        self._f.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        """Local: flush and close the temporary file (commit renames it). S3: complete the upload."""
        self._f.close()

    def commit(self) -> None:
        if self.local:
            os.replace(self.tmp, self.path)
        self._committed = True

    def abort(self) -> None:
        if self.local:
            with contextlib.suppress(Exception):
                self._f.close()
            for p in (self.tmp, self.path if self._committed else None):
                if p:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(p)
        else:
            if self._committed or self._f.closed:
                from engine.io import s3

                bucket, key = s3.split(self.uri)
                with contextlib.suppress(Exception):
                    s3.client(bucket).delete_object(Bucket=bucket, Key=key)
            else:
                self._f.abort()
        self._committed = False


class ShardSeries:
    """Shards of one export for one input file. kind: "tar" (WebDataset) or "jsonl" (gzip JSON lines)."""

    def __init__(self, directory: str, stem: str, kind: str, config: ExportConfig):
        self.directory, self.stem, self.kind, self.config = directory, stem, kind, config
        self.suffix = ".tar" if kind == "tar" else ".jsonl.gz"
        self.done: list[tuple[AtomicSink, dict]] = []
        self._sink: AtomicSink | None = None
        self._writer = None
        self._samples = 0

    # -- writing ------------------------------------------------------------------------------------------
    def _open(self) -> None:
        name = self.config.shard_name.format(stem=self.stem, shard=len(self.done)) + self.suffix
        self._sink = AtomicSink(join(self.directory, name))
        self._name = name
        if self.kind == "tar":
            self._writer = tarfile.open(fileobj=self._sink, mode="w|", format=tarfile.PAX_FORMAT)
        else:
            self._writer = gzip.GzipFile(filename="", mode="wb", fileobj=self._sink, mtime=0)
        self._samples = 0

    def _close(self) -> None:
        if self._sink is None:
            return
        self._writer.close()
        self._sink.finish()
        self.done.append((self._sink, {"name": self._name, "samples": self._samples, "bytes": self._sink.size,
                                       "sha256": self._sink.sha.hexdigest()}))
        self._sink = self._writer = None

    def _roll(self, size: int) -> None:
        c = self.config
        if self._sink is not None and self._samples and (
                self._samples >= c.shard_samples or (c.shard_bytes and self._sink.size + size > c.shard_bytes)):
            self._close()
        if self._sink is None:
            self._open()

    def add_tar_sample(self, key: str, members: list[tuple[str, bytes]]) -> None:
        """One WebDataset sample: members (suffix, data) become `<key>.<suffix>`."""
        self._roll(sum(512 + len(d) + 511 for _, d in members))
        for suffix, data in members:
            info = tarfile.TarInfo(f"{key}.{suffix}")
            info.size, info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = (
                len(data), 0, 0o444, 0, 0, "", "")
            self._writer.addfile(info, io.BytesIO(data))
        self._samples += 1

    def add_line(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self._roll(len(line) // 3)  # the line is gzip-compressed: roughly a third of it lands in the file
        self._writer.write(line)
        self._samples += 1

    # -- ending -------------------------------------------------------------------------------------------
    def commit(self) -> list[dict]:
        """Close the open shard, make every shard visible, write the per-input manifest; returns the shards."""
        self._close()
        for sink, _ in self.done:
            sink.commit()
        shards = [info for _, info in self.done]
        manifest = join(self.directory, "_manifests", f"{self.stem}.json")
        self._remove_stale(manifest, {s["name"] for s in shards})
        write_bytes_atomic(manifest, json.dumps({"stem": self.stem, "shards": shards}).encode())
        return shards

    def _remove_stale(self, manifest: str, keep: set[str]) -> None:
        """A rerun with other shard limits (--redo) writes fewer shards: remove those the previous run of this
        input listed and this one did not write, so a glob over the directory finds no stale samples."""
        fs, path = resolve(manifest)
        try:
            with fs.open_input_stream(path) as f:
                previous = json.loads(f.read())["shards"]
        except (FileNotFoundError, OSError, ValueError, KeyError):
            return
        for shard in previous:
            if shard["name"] not in keep:
                with contextlib.suppress(FileNotFoundError, OSError):
                    fs.delete_file(resolve(join(self.directory, shard["name"]))[1])

    def abort(self) -> None:
        if self._sink is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._sink.abort()
            self._sink = None
        for sink, _ in self.done:
            sink.abort()
        self.done = []


def merge_manifests(directory: str, export: str, extra: dict | None = None) -> dict:
    """`<directory>/manifest.json` from every `_manifests/*.json` there (all runs, resumed ones included)."""
    import pyarrow.fs as pafs

    fs, path = resolve(join(directory, "_manifests"))
    shards = []
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        for info in sorted(fs.get_file_info(pafs.FileSelector(path)), key=lambda i: i.base_name):
            if info.base_name.endswith(".json") and not info.base_name.startswith("."):
                with fs.open_input_stream(info.path) as f:
                    shards += json.loads(f.read())["shards"]
    shards.sort(key=lambda s: s["name"])
    manifest = {"export": export, "shards": len(shards), "samples": sum(s["samples"] for s in shards),
                "bytes": sum(s["bytes"] for s in shards), **(extra or {}), "files": shards}
    write_bytes_atomic(join(directory, "manifest.json"), json.dumps(manifest, indent=2).encode())
    return manifest
