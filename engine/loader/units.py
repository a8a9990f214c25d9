"""Units of work (one Parquet row group each), their canonical order, and their split across ranks and workers."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from engine.io.fs import exists, list_parquet, resolve  # the one URI -> filesystem rule


@dataclass(frozen=True, slots=True)
class Unit:
    """Row group ``row_group`` of ``path`` (a path inside ``fs``); ``rel`` is the path below the dataset root."""

    index: int
    root: int  # index of the root URI it was listed from
    rel: str
    path: str
    row_group: int
    num_rows: int


def parquet_files(uri: str) -> list[str]:
    """Paths (inside ``resolve(uri)``'s filesystem) of the Parquet files under ``uri``, by engine.io.fs.list_parquet's
    rule (sorted; hidden and temporary files and folders skipped); FileNotFoundError when ``uri`` does not exist."""
    files = list_parquet(uri)
    if not files and not exists(uri):
        raise FileNotFoundError(uri)
    return [resolve(f)[1] for f in files]


def as_list(uris: str | Sequence[str]) -> list[str]:
    return [uris] if isinstance(uris, str) else [str(u) for u in uris]


def list_units(uris: str | Sequence[str]) -> tuple[list[Unit], list[pafs.FileSystem], "pa.Schema | None"]:
    """Every row group under ``uris`` (a file, a folder searched recursively, or a list of them), in canonical
    order: root order, then sorted relative path, then row-group index. Returns (units, filesystems per root,
    the Arrow schema of the first file)."""
    uris = as_list(uris)
    units: list[Unit] = []
    filesystems = []
    schema = None
    for r, uri in enumerate(uris):
        fs, root = resolve(uri)
        filesystems.append(fs)
        for path in parquet_files(uri):
            with fs.open_input_file(path) as f:
                pf = pq.ParquetFile(f)
                md = pf.metadata
                if schema is None:
                    schema = pf.schema_arrow
            rel = path[len(root):].strip("/") or path.rsplit("/", 1)[-1]
            for g in range(md.num_row_groups):
                n = md.row_group(g).num_rows
                if n:
                    units.append(Unit(len(units), r, rel, path, g, n))
    return units, filesystems, schema


def fingerprint(units: Iterable[Unit]) -> str:
    """Identifies the unit list; a state saved over other data is refused."""
    h = hashlib.sha1()
    for u in units:
        h.update(f"{u.root}\x00{u.rel}\x00{u.row_group}\x00{u.num_rows}\n".encode())
    return h.hexdigest()


def epoch_order(n_units: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The units of an epoch in the order they are dealt out."""
    if not shuffle:
        return np.arange(n_units)
    return np.random.default_rng([seed, epoch]).permutation(n_units)


def assign(order: Sequence[int], rank: int, world_size: int, worker: int, num_workers: int) -> list[int]:
    """Units of (rank, worker): the i-th unit of ``order`` goes to rank i % world_size, the j-th unit of a rank
    to worker j % num_workers. Disjoint and complete over all (rank, worker)."""
    if not (0 <= rank < world_size and 0 <= worker < num_workers):
        raise ValueError(f"rank {rank}/{world_size}, worker {worker}/{num_workers} out of range")
    mine = list(order)[rank::world_size]
    return mine[worker::num_workers]


def row_order(num_rows: int, seed: int, epoch: int, unit: int, shuffle: bool = True) -> np.ndarray:
    """Rows of a unit in the order they enter the shuffle buffer (independent of the split)."""
    if not shuffle:
        return np.arange(num_rows)
    return np.random.default_rng([seed, epoch, unit, 1]).permutation(num_rows)
