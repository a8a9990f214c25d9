"""Atomic writes to S3 through a real moto_server: an aborted, failed or killed writer leaves no object, not even a
partial one, and what close() commits is whole."""
from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.io import s3
from engine.io.output import AtomicParquetWriter, ParquetOptions, write_bytes_atomic
from tests.conftest import ROOT
from tests.s3server import moto_bucket

BUCKET = "weft-atomic"
SCHEMA = pa.schema([("i", pa.int64()), ("blob", pa.binary())])
BIG = ParquetOptions(compression="zstd", row_group_rows=4)


def _table(start: int, rows: int = 6, size: int = 2**20) -> pa.Table:
    """Incompressible rows: 6 MiB per table, so every write pushes a part of the multipart upload."""
    return pa.table({"i": list(range(start, start + rows)), "blob": [os.urandom(size) for _ in range(rows)]},
                    schema=SCHEMA)


@pytest.fixture(scope="module")
def bucket():
    with moto_bucket(BUCKET) as (_, client):
        yield client


@pytest.fixture
def prefix(bucket, request):
    return f"t/{request.node.name}/"


def _keys(client, prefix: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def _uploads(client, prefix: str) -> list[dict]:
    return client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])


def test_abort_after_parts_were_uploaded_leaves_nothing(bucket, prefix):
    writer = AtomicParquetWriter(f"s3://{BUCKET}/{prefix}part.parquet", SCHEMA, BIG, validate=False)
    writer.write(_table(0))
    writer.write(_table(6))
    uploads = _uploads(bucket, prefix)
    assert len(uploads) == 1  # the test is only meaningful if data really went out in parts
    parts = bucket.list_parts(Bucket=BUCKET, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])["Parts"]
    assert len(parts) >= 1
    writer.abort()  # the task failed here, mid-file
    assert _keys(bucket, prefix) == [] and _uploads(bucket, prefix) == []


def test_close_commits_the_whole_file_and_abort_after_close_removes_it(bucket, prefix):
    uri = f"s3://{BUCKET}/{prefix}whole.parquet"
    first, second = _table(0), _table(6)
    writer = AtomicParquetWriter(uri, SCHEMA, BIG, validate=False)
    writer.write(first)
    writer.write(second)
    assert writer.close() == 12
    assert _keys(bucket, prefix) == [f"{prefix}whole.parquet"]  # no directory markers beside it
    fs, path = s3.filesystem(BUCKET), f"{BUCKET}/{prefix}whole.parquet"
    assert pq.read_table(path, filesystem=fs).equals(pa.concat_tables([first, second]))
    writer.abort()  # FileOutputs does this when a sibling file of the same input fails to commit
    assert _keys(bucket, prefix) == []
    empty = AtomicParquetWriter(f"s3://{BUCKET}/{prefix}empty.parquet", SCHEMA, BIG, validate=False)
    empty.close()  # an input with no rows still gets its (zero-row) file, so resume sees it as done
    assert pq.read_table(f"{BUCKET}/{prefix}empty.parquet", filesystem=fs).num_rows == 0


def test_failed_extract_task_leaves_nothing_on_s3(bucket, prefix, monkeypatch):
    from engine.config import load_config
    from jobs import extract
    from tests.test_extract_job import DEMO

    task = extract.make_extract_task(f"s3://{BUCKET}/{prefix}out", load_config())
    task.batch_rows = 3
    ok = task(str(DEMO[0]))  # control: the same task without a fault writes its files
    assert ok.files["done"] == 1 and len(_keys(bucket, f"{prefix}out/extract/")) == 1
    real, calls = extract.to_batch, []

    def fails_on_the_third_batch(docs):
        calls.append(len(docs))
        if len(calls) == 3:
            raise RuntimeError("injected write failure")
        return real(docs)

    monkeypatch.setattr(extract, "to_batch", fails_on_the_third_batch)
    task.output = f"s3://{BUCKET}/{prefix}failed"
    stats = task(str(DEMO[0]))
    assert len(calls) == 3 and stats.files_failed["error:RuntimeError"] == 1 and stats.kept == 0
    stats.check()
    assert _keys(bucket, f"{prefix}failed") == [] and _uploads(bucket, f"{prefix}failed") == []


_KILLED_WRITER = """
import os, signal, sys
from tests.test_s3_atomic import BIG, SCHEMA, _table
from engine.io.output import AtomicParquetWriter
w = AtomicParquetWriter(sys.argv[1], SCHEMA, BIG, validate=False)
w.write(_table(0))
w.write(_table(6))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_writer_leaves_no_object(bucket, prefix):
    uri = f"s3://{BUCKET}/{prefix}killed.parquet"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", _KILLED_WRITER, uri], cwd=ROOT, env=env, timeout=120,
                         capture_output=True, text=True)
    assert run.returncode == -9, run.stderr[-2000:]
    assert _keys(bucket, prefix) == []
    assert len(_uploads(bucket, prefix)) == 1  # its parts are invisible, and swept:
    assert s3.abort_stale_uploads(f"s3://{BUCKET}/{prefix}") == 1
    assert _uploads(bucket, prefix) == []


def test_writes_survive_flaky_storage(bucket, prefix, monkeypatch):
    from tests.flaky_proxy import FlakyProxy

    with FlakyProxy(os.environ["WEFT_S3_ENDPOINT_URL"], seed=3, error_rate=0.3, cut_rate=0.2) as proxy:
        monkeypatch.setenv("WEFT_S3_ENDPOINT_URL", proxy.url)
        table = pa.concat_tables([_table(0), _table(6)])
        writer = AtomicParquetWriter(f"s3://{BUCKET}/{prefix}flaky.parquet", SCHEMA, BIG, validate=False)
        writer.write(table)
        writer.close()
        for i in range(10):
            write_bytes_atomic(f"s3://{BUCKET}/{prefix}small/{i}.json", b'{"i": %d}' % i)
        got = pq.read_table(f"{BUCKET}/{prefix}flaky.parquet", filesystem=s3.filesystem(BUCKET))
    assert proxy.counts["500"] + proxy.counts["503"] >= 3, proxy.counts
    assert got.equals(table)
    assert sorted(_keys(bucket, prefix)) == sorted([f"{prefix}flaky.parquet"] +
                                                   [f"{prefix}small/{i}.json" for i in range(10)])
    assert [bucket.get_object(Bucket=BUCKET, Key=f"{prefix}small/{i}.json")["Body"].read() for i in range(10)] == \
        [b'{"i": %d}' % i for i in range(10)]
