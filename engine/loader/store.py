"""Images by sha256 from the content-addressed image store (``OUT/images/store/*.parquet``,
``schemas.omnicorpus.image_store_schema()``).

Lookup: the footers give each store row group's min/max sha256. When the store is sorted or partitioned by hash
(ranges barely overlap) a lookup reads the one row group whose range holds the hash; otherwise the sha256 column
alone is read once into an index (sha256 -> row group, row; about 120 bytes per image). Row groups are read
whole (content included) and the last ``cache_row_groups`` of them kept (an LRU): memory is about
``cache_row_groups`` x the store's row-group size.
"""
from __future__ import annotations

import bisect
import io
from collections import OrderedDict
from typing import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from engine.loader.units import as_list, parquet_files, resolve
from engine.views.store import sha256_ranges

COLUMNS = ("sha256", "content", "width", "height", "format")


class ImageStore:
    def __init__(self, uris: str | Sequence[str], cache_row_groups: int = 4, max_overlap: int = 2):
        self.uris = as_list(uris)
        self.cache_row_groups = max(1, int(cache_row_groups))
        self.max_overlap = max_overlap
        self._groups: list[tuple[int, str, int, str | None, str | None]] = []  # (fs, path, rg, min, max)
        self._fss = []
        for uri in self.uris:
            fs = resolve(uri)[0]
            self._fss.append(fs)
            for path in parquet_files(uri):
                with fs.open_input_file(path) as f:
                    md = pq.ParquetFile(f).metadata
                self._groups += [(len(self._fss) - 1, path, g, lo, hi) for g, lo, hi in sha256_ranges(md)]
        self._index: dict[str, tuple[int, int]] | None = None
        self._sorted = self._ranges_usable()
        if self._sorted:
            self._order = sorted(range(len(self._groups)), key=lambda i: self._groups[i][3])
            self._mins = [self._groups[i][3] for i in self._order]
        self._cache: OrderedDict[int, tuple[dict[str, int], "pa.Table"]] = OrderedDict()
        self.reads = 0  # row groups read (for tests and benchmarks)

    def __getstate__(self):  # ship to DataLoader workers without the cache; they resolve the filesystems again
        d = self.__dict__.copy()
        d["_cache"] = OrderedDict()
        d["_fss"] = None
        return d

    def _fs(self, i: int):
        if self._fss is None:
            self._fss = [resolve(uri)[0] for uri in self.uris]
        return self._fss[i]

    def _ranges_usable(self) -> bool:
        if any(g[3] is None for g in self._groups):
            return False
        # the most ranges any one point falls in: sweep over sorted endpoints
        events = sorted([(g[3], 0) for g in self._groups] + [(g[4], 1) for g in self._groups])
        depth = worst = 0
        for _, kind in events:
            depth += 1 if kind == 0 else -1
            worst = max(worst, depth)
        return worst <= self.max_overlap

    def _candidates(self, sha: str) -> list[int]:
        if self._sorted:
            hi = bisect.bisect_right(self._mins, sha)
            return [i for i in self._order[max(0, hi - self.max_overlap):hi] if self._groups[i][4] >= sha]
        if self._index is None:
            self._index = {}
            for i, (fs, path, g, _, _) in enumerate(self._groups):
                with self._fs(fs).open_input_file(path) as f:
                    col = pq.ParquetFile(f).read_row_group(g, columns=["sha256"]).column(0).to_pylist()
                for r, s in enumerate(col):
                    self._index.setdefault(s, (i, r))
        hit = self._index.get(sha)
        return [] if hit is None else [hit[0]]

    def _group(self, i: int) -> tuple[dict[str, int], "pa.Table"]:
        got = self._cache.get(i)
        if got is not None:
            self._cache.move_to_end(i)
            return got
        fs, path, g, _, _ = self._groups[i]
        with self._fs(fs).open_input_file(path) as f:
            t = pq.ParquetFile(f).read_row_group(g, columns=list(COLUMNS))
        self.reads += 1
        rows = {}
        for r, s in enumerate(t.column("sha256").to_pylist()):
            rows.setdefault(s, r)
        got = (rows, t)
        self._cache[i] = got
        while len(self._cache) > self.cache_row_groups:
            self._cache.popitem(last=False)
        return got

    def get(self, sha256: str) -> dict | None:
        """{"sha256", "content", "width", "height", "format"} or None if the store does not have it."""
        for i in self._candidates(sha256):
            rows, cols = self._group(i)
            r = rows.get(sha256)
            if r is not None:
                return {c: cols.column(c)[r].as_py() for c in COLUMNS}
        return None

    def __contains__(self, sha256: str) -> bool:
        return self.get(sha256) is not None


def decode(content: bytes, mode: str | None = "RGB"):
    """Encoded bytes -> a loaded PIL image, EXIF orientation applied (as the store's width/height), converted to
    ``mode`` unless None."""
    from PIL import Image, ImageOps

    im = Image.open(io.BytesIO(content))
    im.load()
    im = ImageOps.exif_transpose(im)
    if mode and im.mode != mode:
        im = im.convert(mode)
    return im
