"""Look-ups in the content-addressed image store (`OUT/images/store/`, schema
`schemas.omnicorpus.image_store_schema()`: sha256 -> content, bytes, width, height, format, url).

A task first asks which of the hashes its documents use are in the store (`index`: reads only the sha256 column,
one row group at a time, skipping row groups whose footer min/max sha256 (`sha256_ranges`, also what the loader's
store bisects) holds none of them, and remembers file, row group and row of each hit), then fetches rows batch by batch
(`fetch`: reads the row groups holding them, only the columns asked for), so image bytes are held for one batch of
documents at a time, never for a whole input file.
"""
from __future__ import annotations

import bisect
from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.io.fs import resolve

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}


def extension(fmt: str | None) -> str:
    """File extension for a store `format` (WebDataset member suffix, MMC4 image_name)."""
    return EXTENSIONS.get((fmt or "").lower(), (fmt or "bin").lower())


def sha256_ranges(md: pq.FileMetaData) -> list[tuple[int, str | None, str | None]]:
    """(row group, min sha256, max sha256) of each non-empty row group of a store file, from its footer; min and
    max are None where the footer has no statistics."""
    col = [md.schema.column(i).path for i in range(md.num_columns)].index("sha256")
    out = []
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        if rg.num_rows:
            st = rg.column(col).statistics
            out.append((g, *((st.min, st.max) if st is not None and st.has_min_max else (None, None))))
    return out


class ImageStore:
    def __init__(self, files: list[str]):
        self.files = files
        self.where: dict[str, tuple[int, int, int]] = {}  # sha256 -> (file index, row group, row)
        self._open: dict[int, pq.ParquetFile] = {}

    def _file(self, i: int) -> pq.ParquetFile:
        if i not in self._open:
            fs, path = resolve(self.files[i])
            self._open[i] = pq.ParquetFile(fs.open_input_file(path))
        return self._open[i]

    def index(self, wanted: set[str]) -> set[str]:
        """Find `wanted` hashes in the store; returns those present."""
        todo = sorted(wanted - self.where.keys())
        if todo:
            value_set = pa.array(todo, pa.string())
            for i in range(len(self.files)):
                pf = self._file(i)
                for rg, lo, hi in sha256_ranges(pf.metadata):
                    if lo is not None and not any_between(todo, lo, hi):
                        continue
                    shas = pf.read_row_group(rg, columns=["sha256"]).column("sha256")
                    hits = pc.indices_nonzero(pc.is_in(shas, value_set=value_set)).to_pylist()
                    for row in hits:
                        self.where.setdefault(shas[row].as_py(), (i, rg, row))
        return {s for s in wanted if s in self.where}

    def fetch(self, shas: set[str], columns: list[str]) -> dict[str, dict]:
        """Rows (as dicts of `columns`) for hashes already found by index()."""
        groups: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        for s in shas:
            if s in self.where:
                i, rg, row = self.where[s]
                groups[(i, rg)].append((row, s))
        out = {}
        for (i, rg), rows in groups.items():
            table = self._file(i).read_row_group(rg, columns=columns)
            picked = table.take(pa.array([r for r, _ in rows], pa.int64())).to_pylist()
            for (_, s), values in zip(rows, picked):
                out[s] = values
        return out

    def close(self) -> None:
        for pf in self._open.values():
            try:
                pf.close()
            except Exception:
                pass
        self._open.clear()


def any_between(ordered: list[str], lo: str, hi: str) -> bool:
    """Whether the sorted list `ordered` holds a value in [lo, hi]."""
    k = bisect.bisect_left(ordered, lo)
    return k < len(ordered) and ordered[k] <= hi
