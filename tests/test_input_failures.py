"""Messy inputs at the stage boundaries: overlapping lists, path lists, failed inputs, exit codes, retries.

Each test runs `weft run` in-process on real fixture WARCs and a few hostile files, then reads what a user sees:
the exit code, the printed funnel, stats/*.json and stats/failed_inputs.json."""
from __future__ import annotations

import io
import json
import os
import shutil
import sys

import pyarrow.dataset as ds
import pytest

from engine.stats import StageStats
from jobs import run
from jobs.base import EXIT_ALL_INPUTS_FAILED, EXIT_INPUT_ERRORS
from tests.conftest import DATA

CC = DATA / "warc" / "resiliparse" / "warcfile.warc.gz"  # 16 Common Crawl pages
SMALL = DATA / "warc" / "ukwa" / "transfer_compression_gzip.warc.gz"
CLIPPED = DATA / "warc" / "resiliparse" / "clipped.warc.gz"  # a truncated record: the file itself succeeds


def _stats(out, stage: str) -> StageStats:
    return StageStats.from_dict(json.loads((out / "stats" / f"{stage}.json").read_text()))


def _failed(out) -> dict:
    return json.loads((out / "stats" / "failed_inputs.json").read_text())


def _ids(path) -> list[str]:
    return ds.dataset(str(path), format="parquet", partitioning="hive").to_table(
        columns=["general_metadata"]).column("general_metadata").combine_chunks().field("id").to_pylist()


@pytest.fixture()
def messy(tmp_path):
    """A folder of inputs the way they arrive: a copy of one WARC under another name, a symlink to it, a file that
    is not a WARC, a path that does not exist, a WARC with a truncated record; and a .txt list naming them all,
    one of them twice."""
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(CC, d / "a.warc.gz")
    shutil.copy(CC, d / "copy-of-a.warc.gz")
    os.symlink(d / "a.warc.gz", d / "link-to-a.warc.gz")
    (d / "junk.warc.gz").write_bytes(os.urandom(4096))
    shutil.copy(CLIPPED, d / "clipped.warc.gz")
    names = ["a.warc.gz", "copy-of-a.warc.gz", "link-to-a.warc.gz", "junk.warc.gz", "clipped.warc.gz",
             "missing.warc.gz", str(d / "a.warc.gz")]
    (d / "inputs.txt").write_text("# one path per line\n" + "\n".join(names) + "\n")
    return d


@pytest.mark.slow
def test_overlapping_and_failed_inputs_finish_and_are_reported(spark, messy, tmp_path, capsys):
    out = tmp_path / "out"
    assert run.main(["--input", str(messy / "inputs.txt"), "--output", str(out),
                     "--set", "images.job.download=false"]) == 0  # WARC images only: no packet leaves 127.0.0.1
    printed = capsys.readouterr().out

    for stage in run.STAGES:
        _stats(out, stage).check()  # in = kept + dropped + failed in every stage
    extract, dedup = _stats(out, "extract"), _stats(out, "dedup")
    # The list names 7 entries for 5 distinct existing-or-missing files: the symlink and the absolute repeat of
    # a.warc.gz are processed once; the copy under another name is a different file and is read.
    assert extract.files["inputs"] == 5 and extract.files["repeated_inputs"] == 2
    report = _failed(out)
    failed = {os.path.basename(f["input"]): f["reasons"] for f in report["extract"]["failed"]}
    assert failed == {"junk.warc.gz": {"open:not_a_warc": 1}, "missing.warc.gz": {"open:not_found": 1}}
    assert sorted(os.path.basename(r["input"]) for r in report["extract"]["repeated"]) == ["a.warc.gz",
                                                                                          "link-to-a.warc.gz"]
    assert report["filter"]["failed"] == []
    # The copy's captures reach dedup twice (same URL, date and digest: same id) and are counted, not fatal.
    kept_in_filter = _stats(out, "filter").kept
    assert dedup.records_in == kept_in_filter and dedup.dropped["same_capture"] > 0
    ids = _ids(out / "dedup" / "kept")
    assert len(ids) == len(set(ids)) == dedup.kept
    # The user sees the failed inputs with their reasons in the funnel at the end.
    funnel = printed[printed.rindex("funnel:"):]
    assert "junk.warc.gz: open:not_a_warc" in funnel and "missing.warc.gz: open:not_found" in funnel
    assert "same_capture" in funnel


def test_rerun_retries_exactly_the_failed_inputs(spark, messy, tmp_path):
    out = tmp_path / "out"
    argv = ["--input", str(messy / "inputs.txt"), "--output", str(out), "--until", "extract"]
    assert run.main(argv) == 0
    first = _stats(out, "extract")
    shutil.copy(SMALL, messy / "missing.warc.gz")  # the missing input arrives
    assert run.main(argv) == 0
    second = _stats(out, "extract")
    second.check()
    assert second.files["skipped_done"] == 3  # only junk and missing were processed again
    assert [os.path.basename(f["input"]) for f in _failed(out)["extract"]["failed"]] == ["junk.warc.gz"]
    assert second.kept > first.kept  # the new input's documents were added, nothing counted twice
    assert second.records_in - first.records_in == second.kept - first.kept + (
        second.dropped_total - first.dropped_total) + (second.failed_total - first.failed_total)


def test_when_every_input_fails_the_run_stops_with_the_reasons(spark, tmp_path, capsys):
    (tmp_path / "junk.warc").write_bytes(b"GET / HTTP/1.1\r\n\r\n" * 50)
    (tmp_path / "list.txt").write_text("junk.warc\nnope.warc.gz\n")
    out = tmp_path / "out"
    code = run.main(["--input", str(tmp_path / "list.txt"), "--output", str(out)])
    printed = capsys.readouterr().out
    assert code == EXIT_ALL_INPUTS_FAILED
    assert "every input failed" in printed and "stopped after extract" in printed
    assert "junk.warc: open:not_a_warc" in printed and "nope.warc.gz: open:not_found" in printed
    assert not (out / "stats" / "filter.json").exists()  # nothing downstream ran on nothing
    assert len(_failed(out)["extract"]["failed"]) == 2


def test_strict_schedulers_can_fail_on_any_input_error(spark, tmp_path, monkeypatch):
    (tmp_path / "junk.warc.gz").write_bytes(b"\x1f\x8b" + os.urandom(500))
    # the list arrives on standard input, one path per line, relative to the working directory
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"junk.warc.gz\n{SMALL}\n".encode())))
    out = tmp_path / "out"
    code = run.main(["--input", "-", "--output", str(out), "--fail-on-input-errors"])
    assert code == EXIT_INPUT_ERRORS
    extract = _stats(out, "extract")
    assert extract.files["inputs"] == 2 and extract.kept > 0  # the good input was processed and kept
    assert not (out / "stats" / "filter.json").exists()
