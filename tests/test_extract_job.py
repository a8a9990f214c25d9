"""The extract stage on real WARCs: accounting on every fixture, Spark job output, stable ids, resume after a kill,
and S3 in/out through moto_server."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from engine.warc.ingest import IngestConfig, warc_to_documents
from engine.stats import StageStats
from jobs.validate import list_parquet, validate_paths
from tests.conftest import DATA, ROOT

WARC_DIR = DATA / "warc"
ALL_WARCS = sorted(
    p for p in WARC_DIR.rglob("*") if p.is_file() and p.name != "SOURCE.txt" and not p.name.endswith((".txt", ".md",
                                                                                                          ".cdxj", ".tsv"))
)
DEMO = [WARC_DIR / "resiliparse/warcfile.warc.gz", WARC_DIR / "ukwa/flashfrozen-jwat-recompressed.warc.gz",
        WARC_DIR / "node-warc/books.toscrape.warc"]


def _ingest(path: Path) -> tuple[list, StageStats, list]:
    from engine.warc.errors import WarcOpenError

    stats, images = StageStats("extract"), []
    try:
        docs = list(warc_to_documents(str(path), path.name, stats, IngestConfig(), images.append))
    except WarcOpenError as e:
        assert e.reason, "a file that cannot be opened must say why"
        docs = []
        stats.files_failed[e.reason] += 1
    return docs, stats, images


@pytest.mark.parametrize("path", ALL_WARCS, ids=lambda p: str(p.relative_to(WARC_DIR)))
def test_every_fixture_warc_is_fully_accounted_for(path):
    docs, stats, images = _ingest(path)
    stats.check()  # in == kept + dropped + failed
    assert stats.kept == len(docs)
    assert stats.side["warc_images"] == len(images)
    assert len({d.id for d in docs}) == len(docs), "document ids must be unique"
    for d in docs:
        assert len(d.texts) == len(d.images) == len(d.image_meta)
        assert all((t is None) != (u is None) for t, u in zip(d.texts, d.images))
        assert all(u.startswith(("http://", "https://")) for u in d.image_urls)


def test_broken_warcs_are_counted_not_fatal():
    for name in ("resiliparse/clipped.warc.gz", "warcio/example-trunc.warc"):
        _, stats, _ = _ingest(WARC_DIR / name)
        assert stats.failed_total + sum(stats.files_failed.values()) >= 1, name


def test_common_crawl_extract_gets_documents_and_cld2_labels():
    docs, stats, _ = _ingest(WARC_DIR / "resiliparse/warcfile.warc.gz")
    assert stats.records_in == 50 and len(docs) >= 10
    assert all(d.meta["crawl_id"] == "CC-MAIN-2020-34" for d in docs)
    labelled = [d for d in docs if d.meta.get("cc_language")]
    assert len(labelled) >= len(docs) - 2
    assert stats.dropped["record:request"] == 17 and stats.dropped["record:metadata"] == 16


def test_mona_lisa_page_keeps_its_images_in_order_and_the_warc_holds_them():
    docs, _, images = _ingest(WARC_DIR / "ukwa/flashfrozen-jwat-recompressed.warc.gz")
    page = next(d for d in docs if "Mona_Lisa" in d.url)
    assert len(page.image_urls) >= 5
    stored = {i.url for i in images}
    assert len(stored) >= 10
    # images of the page that were captured in the same WARC can be joined by URL
    assert set(page.image_urls) & stored


def _args(inputs, output, **kw):
    ns = argparse.Namespace(input=[str(p) for p in inputs], output=str(output), limit=None, sample=None, seed=0,
                            redo=False)
    for k, v in kw.items():
        setattr(ns, k, v)
    return ns


def _read_ids(out: Path) -> list[str]:
    ids = []
    for f in list_parquet(str(out / "extract")):
        ids += pc.struct_field(pq.read_table(f)["general_metadata"], "id").to_pylist()
    return sorted(ids)


@pytest.mark.spark
def test_extract_job_writes_valid_parquet_with_stable_ids(spark, tmp_path):
    from engine.config import load_config
    from jobs.extract import ExtractJob

    inputs = DEMO + [WARC_DIR / "warcio/example-bad-non-chunked.warc.gz"]
    stats = ExtractJob().run(spark, _args(inputs, tmp_path / "a"), load_config())
    stats.check()
    assert stats.files["inputs"] == 4 and stats.files["processed"] == 4
    files, rows, errors = validate_paths([str(tmp_path / "a" / "extract")])
    assert not errors and rows == stats.kept and files >= 3
    assert (tmp_path / "a" / "extract" / "crawl=CC-MAIN-2020-34").is_dir()
    assert list((tmp_path / "a" / "warc_images").rglob("*.parquet"))
    # same input, fresh output, different parallelism -> the same ids
    again = ExtractJob().run(spark, _args(list(reversed(inputs)), tmp_path / "b"), load_config())
    assert again.kept == stats.kept
    assert _read_ids(tmp_path / "a") == _read_ids(tmp_path / "b")


def _progress_files(out: Path) -> list[Path]:
    d = out / "_progress" / "extract"
    return sorted(d.glob("*.json")) if d.is_dir() else []


@pytest.mark.spark
@pytest.mark.slow
def test_killed_run_resumes_and_produces_the_same_rows(tmp_path):
    inputs = [str(p) for p in ALL_WARCS if p.stat().st_size > 1000][:10]
    cmd = [sys.executable, "-m", "jobs.cli", "extract", "--master", "local[1]", "--input", *inputs]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd + ["--output", str(out)], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not _progress_files(out) and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(_progress_files(out))
    assert 0 < done_before < len(inputs), "the kill should land half way"
    subprocess.run(cmd + ["--output", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
    stats = json.loads((out / "stats" / "extract.json").read_text())
    assert stats["files"]["skipped_done"] == done_before
    clean = tmp_path / "clean"
    subprocess.run(cmd + ["--output", str(clean)], cwd=ROOT, env=env, check=True, capture_output=True)
    assert _read_ids(out) == _read_ids(clean)
    clean_stats = json.loads((clean / "stats" / "extract.json").read_text())
    for key in ("records_in", "kept", "dropped", "failed"):
        assert stats[key] == clean_stats[key]
    assert not [p for p in out.rglob(".tmp-*")], "no temporary files may survive"


@pytest.mark.spark
@pytest.mark.slow
def test_extract_job_streams_from_s3_and_writes_to_s3(tmp_path):
    """Input WARCs in a bucket (listed by prefix), output Parquet in a bucket, through a real moto_server."""
    import boto3
    import pyarrow.fs as pafs

    from tests.s3server import DUMMY_AWS_ENV, moto_s3

    with moto_s3() as endpoint:
        env = {**os.environ, **DUMMY_AWS_ENV, "WEFT_S3_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT)}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="crawl")
        for p in DEMO[:2]:
            s3.upload_file(str(p), "crawl", f"warcs/{p.name}")
        cmd = [sys.executable, "-m", "jobs.cli", "extract", "--master", "local[2]", "--input", "s3://crawl/warcs/",
               "--output", "s3://crawl/out"]
        run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="crawl", Prefix="out/")["Contents"]]
        parquet = [k for k in keys if k.startswith("out/extract/") and k.endswith(".parquet")]
        assert len(parquet) == 2 and "out/stats/extract.json" in keys
        stats = json.loads(s3.get_object(Bucket="crawl", Key="out/stats/extract.json")["Body"].read())
        fs = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", access_key="testing",
                               secret_key="testing", region="us-east-1")
        rows = sum(pq.read_table(f"crawl/{k}", filesystem=fs).num_rows for k in parquet)
        local = sum(len(_ingest(p)[0]) for p in DEMO[:2])
        assert rows == stats["kept"] == local
