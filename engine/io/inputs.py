"""What the user listed -> the input files a job processes, each once.

An item is a file, a directory (recursive), a glob, an `s3://` prefix or glob, an `https://` URL, or a path list:
Common Crawl's `warc.paths(.gz)` manifests, plain `.txt` / `.txt.gz` lists (one path or URL per line, `#`
comments), and `-` for a list on standard input. Relative entries of a `.paths` manifest are Common Crawl keys
(prefixed with `manifest_base`); relative entries of any other list are relative to where the list is (its
directory or S3 prefix; the working directory for stdin).

The same input can be listed twice: in two manifests, as a relative and an absolute path, through a symlink, as
`file://`. Each input is processed once under its canonical name (`os.path.realpath` for local files) and the
repeats are reported in `Inputs.duplicates`, so overlapping lists cost nothing and lose nothing.
"""
from __future__ import annotations

import fnmatch
import glob
import gzip
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import default
from engine.io import s3
from engine.io.fs import local_path
from engine.io.sources import open_source

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.lz4", ".warc.zst")
MANIFEST_SUFFIXES = (".paths", ".paths.gz")
LIST_SUFFIXES = (".txt", ".txt.gz")
_MAX_LIST_DEPTH = 3  # a list may name lists (a manifest of manifests), not endlessly


@dataclass
class Inputs:
    paths: list[str]                                                   # canonical, sorted, each once
    duplicates: list[tuple[str, str]] = field(default_factory=list)    # (as listed, the input it repeats)


def is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def is_path_list(item: str) -> bool:
    name = item.rstrip("/").lower()
    return item == "-" or name.endswith(MANIFEST_SUFFIXES + LIST_SUFFIXES)


def canonical(uri: str) -> str:
    """One name per input: local paths resolved (symlinks, `..`, `file://`), s3 keys without doubled slashes."""
    if uri.startswith("s3://"):
        bucket, key = s3.split(uri)
        return f"s3://{bucket}/" + "/".join(p for p in key.split("/") if p)
    if "://" in uri and not uri.startswith("file://"):
        return uri
    return os.path.realpath(local_path(uri))


def _read_list(item: str, manifest_base: str, s3_endpoint_url: str | None) -> list[str]:
    if item == "-":
        data = sys.stdin.buffer.read()
    else:
        with open_source(item, s3_endpoint_url=s3_endpoint_url) as f:
            data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if item.rstrip("/").lower().endswith(MANIFEST_SUFFIXES):
        base = manifest_base.rstrip("/")
    elif item == "-":
        base = os.getcwd()
    else:
        base = item.rsplit("/", 1)[0] if "://" in item and not item.startswith("file://") else \
            os.path.dirname(canonical(item))
    out = []
    for line in data.decode("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line if "://" in line or line.startswith("/") else f"{base}/{line.lstrip('/')}")
    return out


def _list_s3(uri: str, endpoint: str | None) -> list[str]:
    bucket, prefix = s3.split(uri)
    pattern = None
    if any(c in prefix for c in "*?["):  # s3://bucket/dir/*.warc.gz: list the literal part, match the rest
        pattern, prefix = prefix, prefix[:min(prefix.find(c) for c in "*?[" if c in prefix)]
    client = s3.client(bucket, endpoint)
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if is_warc_name(key) and (pattern is None or fnmatch.fnmatchcase(key, pattern)):
                out.append(f"s3://{bucket}/{key}")
    return out


def _expand_local(item: str) -> list[str]:
    path = local_path(item)
    paths = sorted(glob.glob(path)) if any(c in path for c in "*?[") else [path]
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [str(f) for f in Path(p).rglob("*") if f.is_file() and is_warc_name(f.name)]
        else:
            out.append(p)  # a missing file stays in the list: the extract job counts it as failed, with reason
    return out


def _expand(item: str, manifest_base: str, s3_endpoint_url: str | None, depth: int) -> list[str]:
    if is_path_list(item) and depth < _MAX_LIST_DEPTH:
        found = []
        for entry in _read_list(item, manifest_base, s3_endpoint_url):
            found += _expand(entry, manifest_base, s3_endpoint_url, depth + 1)
        return found
    if item.startswith("s3://"):
        return [item] if is_warc_name(item) else _list_s3(item, s3_endpoint_url)
    if item.startswith(("http://", "https://")):
        return [item]
    return _expand_local(item)


def _sample_key(uri: str, seed: int) -> float:
    digest = hashlib.blake2b(f"{seed}\0{uri}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def resolve_inputs(items: list[str], *, limit: int | None = default("input.limit"),
                   sample: float | None = default("input.sample"), seed: int = default("input.seed"),
                   manifest_base: str = default("input.manifest_base"), s3_endpoint_url: str | None = None) -> Inputs:
    """Expand every item, keep each input once (first listing wins the report), then sample and limit. The keyword
    defaults are config/defaults.yaml `input`."""
    seen: dict[str, str] = {}
    duplicates: list[tuple[str, str]] = []
    for item in items:
        for uri in _expand(item, manifest_base, s3_endpoint_url, 0):
            key = canonical(uri)
            if key in seen:
                duplicates.append((uri, key))
            else:
                seen[key] = uri
    result = sorted(seen)
    if sample is not None:
        result = [u for u in result if _sample_key(u, seed) < sample]
    if limit is not None:
        result = result[:limit]
    return Inputs(result, duplicates)
