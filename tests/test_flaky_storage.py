"""Extract and filter on flaky S3: the same WARCs from a bucket, once against moto_server directly and once through
tests/flaky_proxy.py (500 InternalError, 503 SlowDown, bodies cut mid-stream), must give the same rows, the same
stats and the same objects; and an input that always fails is counted as a failed input, not lost or fatal."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT
from tests.flaky_proxy import FlakyProxy
from tests.s3server import DUMMY_AWS_ENV, moto_s3
from tests.test_extract_job import DEMO

BUCKET = "crawl"
POISON = f"s3://{BUCKET}/poison/always-500.warc.gz"  # the proxy answers 500 to every request for it
MISSING = f"s3://{BUCKET}/warcs/missing.warc.gz"      # no such key: 404 in both runs
OUT = f"s3://{BUCKET}/out"
TABLES = ("extract", "warc_images", "filter/kept", "filter/rejected")
TOTALS = ("records_in", "kept", "dropped", "failed", "side_outputs", "by")


def _start(endpoint: str, inputs: list[str]) -> subprocess.Popen:
    env = {**os.environ, **DUMMY_AWS_ENV, "WEFT_S3_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "jobs.cli", "run", "--until", "filter", "--master", "local[2]",
           "--input", *inputs, "--output", OUT]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(run: subprocess.Popen) -> None:
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0, out[-4000:]


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for page in pages for o in page.get("Contents", []))


def _row_hash(table) -> str:
    def plain(v):
        return v.hex() if isinstance(v, bytes) else str(v)

    rows = sorted(json.dumps(r, sort_keys=True, default=plain) for r in table.to_pylist())
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _tables(fs, prefix: str, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Every output Parquet file (relative key) -> (rows, hash of its sorted rows)."""
    out = {}
    for key in keys:
        if key.endswith(".parquet") and key.startswith(TABLES):
            table = pq.read_table(f"{BUCKET}/{prefix}{key}", filesystem=fs)
            out[key] = (table.num_rows, _row_hash(table))
    return out


def _fs(endpoint: str):
    import pyarrow.fs as pafs

    return pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", access_key="testing", secret_key="testing",
                             region="us-east-1")


def _json(client, key: str) -> dict:
    return json.loads(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.mark.spark
@pytest.mark.slow
def test_extract_and_filter_on_flaky_s3_equal_a_clean_run():
    import boto3

    # Two stores, so that both runs write the same URIs (the filter stage names files by its input's URI).
    with moto_s3() as clean_store, moto_s3() as flaky_store:
        clients = {}
        for endpoint in (clean_store, flaky_store):
            clients[endpoint] = client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                                      aws_access_key_id="testing", aws_secret_access_key="testing")
            client.create_bucket(Bucket=BUCKET)
            for p in DEMO:
                client.upload_file(str(p), BUCKET, f"warcs/{p.name}")
        inputs = [f"s3://{BUCKET}/warcs/", MISSING]
        t0 = time.monotonic()
        with FlakyProxy(flaky_store, seed=11, error_rate=0.1, cut_rate=0.1,
                        always_fail=("/" + POISON[len("s3://"):],)) as proxy:
            runs = [_start(clean_store, inputs), _start(proxy.url, inputs + [POISON])]  # side by side
            for run in runs:
                _finish(run)
        counts = dict(proxy.counts)
        print(f"both runs {time.monotonic() - t0:.1f} s, proxy {counts}")

        # the proxy really got in the way: errors of both kinds, cut bodies, and the poisoned key every time
        assert counts["500"] > 0 and counts["503"] > 0 and counts["cut"] > 0, counts
        assert counts["errors:pyarrow"] > 0 and counts["errors:boto3"] > 0, counts  # both client stacks hit
        assert counts["always_fail"] == 6, counts  # RangeStream's first try + 5 retries, not multiplied by boto3's

        clean, flaky = clients[clean_store], clients[flaky_store]
        clean_keys, flaky_keys = _keys(clean, "out/"), _keys(flaky, "out/")
        assert clean_keys == flaky_keys  # no partial, temporary or marker objects left by failed requests
        clean_tables, flaky_tables = (_tables(_fs(store), "out/", clean_keys) for store in (clean_store, flaky_store))
        assert {k.split("/")[0] for k in clean_tables} == {"extract", "warc_images", "filter"}
        assert sum(rows for key, (rows, _) in clean_tables.items() if key.startswith("filter/kept/")) > 0
        assert flaky_tables == clean_tables

        for stage in ("extract", "filter"):
            a, b = _json(clean, f"out/stats/{stage}.json"), _json(flaky, f"out/stats/{stage}.json")
            assert {k: a[k] for k in TOTALS} == {k: b[k] for k in TOTALS}, stage
            assert a["records_in"] > 0
        a, b = _json(clean, "out/stats/extract.json"), _json(flaky, "out/stats/extract.json")
        assert a["files"]["inputs"] == len(DEMO) + 1 and b["files"]["inputs"] == len(DEMO) + 2
        assert a["files_failed"] == {"open:not_found": 1}
        assert b["files_failed"] == {"open:not_found": 1, "open:unavailable": 1}

        failed = _json(flaky, "out/stats/failed_inputs.json")["extract"]["failed"]
        assert {f["input"]: f["reasons"] for f in failed} == {MISSING: {"open:not_found": 1},
                                                               POISON: {"open:unavailable": 1}}
