"""Look-ups in the content-addressed image store (`OUT/images/store/`, schema
`schemas.omnicorpus.image_store_schema()`: sha256 -> content, bytes, width, height, format, url).

A task first asks which of the hashes its documents use are in the store (`index`: reads only the sha256 column,
one row group at a time, and remembers file, row group and row of each hit), then fetches rows batch by batch
(`fetch`: reads the row groups holding them, only the columns asked for), so image bytes are held for one batch of
documents at a time, never for a whole input file.
"""
from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.io.fs import resolve

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}


def extension(fmt: str | None) -> str:
    """File extension for a store `format` (WebDataset member suffix, MMC4 image_name)."""
    return EXTENSIONS.get((fmt or "").lower(), (fmt or "bin").lower())


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
        todo = pa.array(sorted(wanted - set(self.where)), pa.string())
        if len(todo):
            for i in range(len(self.files)):
                pf = self._file(i)
                for rg in range(pf.num_row_groups):
                    shas = pf.read_row_group(rg, columns=["sha256"]).column("sha256")
                    hits = pc.indices_nonzero(pc.is_in(shas, value_set=todo)).to_pylist()
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
