"""Memory bound of extraction (issue 11): one WARC through one ExtractTask must stream, whatever its size.

A small version of `python -m benchmarks.memory`: WARCs generated from the fixtures (benchmarks.warcgen), one
ExtractTask per file in a child Python process (the code a Spark worker runs), its peak RSS read from /proc.
RSS is noisy (allocator, imports, a busy 2-core machine), so the bounds compare against a base measurement on
a tiny WARC with generous slack, and the streaming itself is also checked exactly: documents come out long
before the file has been read, and no read asks for more than a few MB.
"""
from __future__ import annotations

import io
import os
import sys

import pytest

from benchmarks.memory import TARGET_MB, measure
from benchmarks.warcgen import generate, load_pool
from engine.warc.ingest import warc_to_documents
from engine.stats import StageStats

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads RSS from /proc")]

BASE_MB, BIG_MB = 2, 24


@pytest.fixture(scope="module")
def warcs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("memory-bound")
    pool = load_pool()
    paths = {}
    for name, mb in (("base", BASE_MB), ("big", BIG_MB)):
        # CC-MAIN-... in the name: the crawl partition is known from the file name, as in production
        paths[name] = tmp / f"CC-MAIN-2099-01-{name}.warc.gz"
        generate(paths[name], mb, seed=11, pool=pool)
    return paths


def test_generated_warc_is_cc_like(warcs):
    from engine.warc.records import iter_records

    kinds, ids, urls = {}, set(), set()
    for rec in iter_records(str(warcs["base"])):
        assert rec.error is None
        kinds[rec.rec_type] = kinds.get(rec.rec_type, 0) + 1
        ids.add(rec.record_id)
        if rec.rec_type == "response":
            urls.add(rec.url)
            assert rec.length and rec.length < 2**20  # one gzip member per record: exact offsets and lengths
    assert kinds["warcinfo"] == 1
    assert kinds["request"] == kinds["response"] == kinds["metadata"] > 100
    assert len(ids) == sum(kinds.values()) and len(urls) == kinds["response"]  # fresh ids and URLs


class _CountingStream(io.RawIOBase):
    """A non-seekable file wrapper that records how much was read and the largest single read."""

    def __init__(self, path):
        self._f = open(path, "rb")
        self.consumed = self.largest = 0

    def readable(self):
        return True

    def read(self, size=-1):
        data = self._f.read(size)
        self.consumed += len(data)
        self.largest = max(self.largest, len(data))
        return data

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def close(self):
        self._f.close()
        super().close()


def test_documents_stream_out_before_the_file_is_read(warcs):
    size = os.path.getsize(warcs["big"])
    stream = _CountingStream(warcs["big"])
    docs = 0
    for _ in warc_to_documents(stream, "big.warc.gz", StageStats("extract")):
        docs += 1
        if docs == 100:
            break
    assert docs == 100
    assert stream.consumed < size / 5, (stream.consumed, size)  # 100 pages out of thousands, not the whole file
    assert stream.largest <= 4 * 2**20


def test_extract_task_peak_rss_does_not_grow_with_the_file(warcs):
    base = measure(warcs["base"], timeout=300)
    big = measure(warcs["big"], timeout=600)
    for r in (base, big):
        assert not r["files_failed"] and not r["failed"], r
        assert r["docs"] > 0
    assert big["records"] > 8 * base["records"]
    file_mb = big["warc_mb"]  # compressed; the records inside are ~4x that
    growth = big["peak_rss_mb"] - base["peak_rss_mb"]
    # Holding the decompressed file, its documents or its images would add several times file_mb; allocator
    # and import noise stays well under it.
    assert growth < max(1.5 * file_mb, 48), (base, big)
    assert big["peak_rss_mb"] < TARGET_MB
    # no upward trend over the run: the last quarter is not far above the first half
    q = big["rss_by_quarter_mb"]
    assert q[3] <= max(q[:2]) + max(file_mb, 32), q


def test_extract_task_flushes_batches_by_bytes(warcs, tmp_path):
    """Batches are bounded in bytes too, not only in rows: 64 images of 20 MB must not sit in memory at once."""
    import pyarrow.parquet as pq

    from engine.warc.ingest import IngestConfig
    from engine.io.output import ParquetOptions
    from jobs.extract import ExtractTask

    task = ExtractTask(str(tmp_path), IngestConfig(), ParquetOptions(), batch_rows=1000, batch_bytes=60_000)
    stats = task(str(warcs["base"]))
    assert not stats.files_failed and stats.side["warc_images"] > 5
    for table, column in (("warc_images", "content"), ("extract", None)):
        [path] = (tmp_path / table).rglob("*.parquet")
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups > 1, table
        if column:  # each row group stops at the first image that takes it over the budget
            contents = pq.read_table(path, columns=[column]).column(column).to_pylist()
            start = 0
            for i in range(meta.num_row_groups):
                n = meta.row_group(i).num_rows
                group = [len(c) for c in contents[start:start + n]]
                assert sum(group) - group[-1] < 60_000
                start += n
