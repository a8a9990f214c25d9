"""weft dedup without Spark's Parquet I/O (jobs/dedup/files.py): s3:// output through moto_server, and the same
rows whichever path (Spark's reader/writer or pyarrow in the tasks) reads and writes a local directory."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from engine.document import Document, to_batch
from tests.conftest import DATA, ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]  # a minute or more each
WARCS = [DATA / "warc/resiliparse/warcfile.warc.gz", DATA / "warc/ukwa/flashfrozen-jwat-recompressed.warc.gz",
         DATA / "warc/node-warc/books.toscrape.warc"]
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def rows_hash(table: pa.Table) -> tuple[int, str]:
    rows = sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def table_hash(path, filesystem=None) -> tuple[int, str]:
    return rows_hash(ds.dataset(str(path), format="parquet", partitioning="hive", filesystem=filesystem).to_table())


def _docs_input(root: Path) -> Path:
    """Document-schema input in two hive partitions: exact and near copies, boilerplate, a shared logo URL."""
    boiler = "Subscribe to our newsletter for the latest updates"
    docs = []
    for i in range(10):
        d = Document(id=f"doc{i:02d}", url=f"https://{'news.example.com' if i < 6 else 'other.org'}/p{i % 7}")
        words = " ".join(f"w{(i % 4) * 100 + k}" for k in range(60))  # i and i+4 share their text
        d.add_text(words + (" extra" if i == 9 else ""))
        d.add_text(boiler)
        d.add_image("http://cdn.example.com/logo.png", alt="a")
        d.add_image(f"http://img.example.com/{i}.jpg", alt="b")
        d.meta.update(fetch_date=T0 + timedelta(hours=i), crawl_id="CC-TEST", language="en")
        docs.append(d)
    table = pa.Table.from_batches([to_batch(docs)])
    for crawl, part in (("CC-A", table.slice(0, 5)), ("CC-B", table.slice(5))):
        (root / f"crawl={crawl}").mkdir(parents=True)
        pq.write_table(part, root / f"crawl={crawl}" / "part.parquet")
    return root


def _generic_input(root: Path) -> Path:
    from benchmarks.dedup_corpus import generate

    rows = [{"doc": r["id"], "body": r["text"], "url": r["url"], "ts": r["date"]}
            for r in generate(80, planted=0.4, seed=3).to_pylist()]
    root.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "in.parquet")
    return root


def _dedup(args: list[str]) -> dict:
    from jobs.dedup import main

    out = Path(args[args.index("--output") + 1])
    assert main(args) == 0
    return json.loads((out / "stats" / "dedup.json").read_text())


def _same_stats(a: dict, b: dict) -> None:
    for key in ("records_in", "kept", "dropped", "side_outputs"):
        assert a[key] == b[key], key


def test_spark_and_arrow_io_write_the_same_rows(spark, tmp_path):
    docs = _docs_input(tmp_path / "docs")
    generic = _generic_input(tmp_path / "generic")
    sets = ["--set", "dedup.image_url.max_docs=3", "--set", "dedup.paragraph.min_docs_per_domain=3"]
    for name, inp, extra in (("docs", docs, sets),
                             ("generic", generic, ["--id-column", "doc", "--text-column", "body", "--date-column",
                                                   "ts", "--url-column", "url"])):
        hashes, stats = {}, {}
        for io in ("spark", "arrow"):
            out = tmp_path / f"{name}-{io}"
            stats[io] = _dedup(["--input", str(inp), "--output", str(out), "--partitions", "3", "--io", io, *extra])
            hashes[io] = {t: table_hash(out / "dedup" / t) for t in ("kept", "duplicates")}
        assert hashes["spark"] == hashes["arrow"], name
        _same_stats(stats["spark"], stats["arrow"])
        assert hashes["arrow"]["duplicates"][0] > 0 and stats["arrow"]["dropped_total"] > 0, name
    # document schema: the hive partitions come through, files are valid documents, deterministic part names
    kept = tmp_path / "docs-arrow" / "dedup" / "kept"
    crawls = {r["crawl"] for r in ds.dataset(str(kept), partitioning="hive").to_table(columns=["crawl"]).to_pylist()}
    assert sorted(p.name for p in kept.iterdir()) == ["_SUCCESS", *sorted(f"crawl={c}" for c in crawls)]
    from jobs.validate import validate_paths

    assert validate_paths([str(kept)])[2] == []
    # a rerun with fewer partitions overwrites the same names and leaves no stale part of the earlier run
    before = table_hash(kept)
    _dedup(["--input", str(docs), "--output", str(tmp_path / "docs-arrow"), "--partitions", "1", "--io", "arrow",
            *sets])
    files = {p for p in kept.rglob("*.parquet")}
    # the part names follow the input's partitions now (text is never shuffled): compare content, not names
    assert table_hash(kept) == before
    assert all(p.name == "part-00000.parquet" for p in files) and (kept / "_SUCCESS").exists()
    assert not [p for p in kept.rglob("*") if p.name.startswith(".")]


def test_weft_run_with_s3_output_matches_local_dedup(spark, tmp_path):
    """`weft run --until dedup` with WARCs in a bucket and --output s3://: extract, filter and dedup complete; the
    dedup output equals a local dedup (Spark's own reader/writer) of the same filter/kept."""
    import boto3
    import pyarrow.fs as pafs

    from tests.s3server import DUMMY_AWS_ENV, moto_s3

    with moto_s3() as endpoint:
        env = {**os.environ, **DUMMY_AWS_ENV, "WEFT_S3_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT)}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="bucket")
        for p in WARCS:
            s3.upload_file(str(p), "bucket", f"warcs/{p.name}")
        s3.upload_file(str(WARCS[0]), "bucket", "warcs/copy-of-warcfile.warc.gz")  # same captures: same_capture
        cmd = [sys.executable, "-m", "jobs.cli", "run", "--master", "local[2]", "--input", "s3://bucket/warcs/",
               "--output", "s3://bucket/out", "--until", "dedup"]
        run = subprocess.run(cmd, cwd=ROOT, env={**env, "WEFT_SHUFFLE_PARTITIONS": "4"}, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bucket", Prefix="out/")
                for o in page.get("Contents", [])]
        assert "out/dedup/kept/_SUCCESS" in keys and "out/dedup/duplicates/_SUCCESS" in keys
        assert not [k for k in keys if k.endswith("/")], "no directory markers"
        stats = {stage: json.loads(s3.get_object(Bucket="bucket", Key=f"out/stats/{stage}.json")["Body"].read())
                 for stage in ("extract", "filter", "dedup")}
        fs = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", access_key="testing",
                               secret_key="testing", region="us-east-1")
        s3_hashes = {t: table_hash(f"bucket/out/dedup/{t}", fs) for t in ("kept", "duplicates")}
        # the same filter/kept, deduped locally by Spark's own reader and writer
        local_in = tmp_path / "kept"
        for k in keys:
            if k.startswith("out/filter/kept/") and k.endswith(".parquet"):
                target = local_in / k[len("out/filter/kept/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file("bucket", k, str(target))
    local = _dedup(["--input", str(local_in), "--output", str(tmp_path / "local"), "--io", "spark"])
    assert {t: table_hash(tmp_path / "local" / "dedup" / t) for t in ("kept", "duplicates")} == s3_hashes
    _same_stats(stats["dedup"], local)
    for s in stats.values():
        assert s["records_in"] == s["kept"] + s["dropped_total"] + s["failed_total"], s["stage"]
    assert stats["dedup"]["records_in"] == stats["filter"]["kept"]
    assert stats["dedup"]["dropped"].get("same_capture", 0) > 0
    assert s3_hashes["kept"][0] == stats["dedup"]["kept"] > 0
    shutil.rmtree(tmp_path / "local")
