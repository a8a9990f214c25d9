"""`weft check` (jobs/check.py) on a real pipeline output of the demo WARCs (passes), and on copies of it broken
one way each (every break must be named, exit 1): a lost Parquet file, stats whose funnel does not add up, a
missing stage, a foreign file in a document table, a torn Parquet footer, an emptied table, and alarms."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jobs.check import check_output, rates

STAGES = ("extract", "filter", "dedup", "images", "degrade")


def weft_check(out: Path, *args: str) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "check", str(out), "--json", *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return proc.returncode, json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def demo_out(demo_run) -> Path:
    return demo_run  # read only; `broken` copies it


@pytest.fixture
def broken(demo_out, tmp_path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(demo_out, copy)
    return copy


def names(report: dict) -> set[str]:
    """'rows: filter/kept: ...' -> 'rows: filter/kept'"""
    return {": ".join(f.split(": ")[:2]) for f in report["failures"]}


@pytest.mark.slow
@pytest.mark.spark
def test_a_real_demo_output_passes_and_each_break_is_named(demo_out, broken):
    code, report = weft_check(demo_out)
    assert code == 0 and report["ok"] and report["failures"] == [], report
    assert list(report["funnel"]) == list(STAGES)
    stats = {s: json.loads((demo_out / "stats" / f"{s}.json").read_text()) for s in STAGES}
    assert report["rows"]["extract"] == stats["extract"]["kept"] > 0
    assert report["rows"]["filter/kept"] == stats["filter"]["kept"] > 0
    assert report["rows"]["docs"] == stats["images"]["by"]["documents"]["kept"] > 0

    # 1. a lost file of filter/kept; 2. dedup stats receiving more than filter kept; 3. degrade stats that do not
    # add up; 4. the images stage missing; 5. a foreign table in dedup/kept; 6. a torn footer in warc_images;
    # 7. views/text emptied
    lost = sorted((broken / "filter" / "kept").rglob("*.parquet"))[0]
    lost_rows = pq.read_metadata(lost).num_rows
    lost.unlink()
    dedup = json.loads((broken / "stats" / "dedup.json").read_text())  # adds up, but more than filter kept
    dedup["records_in"] += 3
    dedup["dropped"]["bogus"] = 3
    (broken / "stats" / "dedup.json").write_text(json.dumps(dedup))
    degrade = json.loads((broken / "stats" / "degrade.json").read_text())  # does not add up
    degrade["kept"] += 1
    (broken / "stats" / "degrade.json").write_text(json.dumps(degrade))
    (broken / "stats" / "images.json").unlink()
    pq.write_table(pa.table({"id": ["x"], "text": ["not a document"]}),
                   broken / "dedup" / "kept" / "foreign.parquet")
    torn = sorted((broken / "warc_images").rglob("*.parquet"))[0]
    torn.write_bytes(torn.read_bytes()[:-100])
    for f in (broken / "views" / "text").rglob("*.parquet"):
        f.unlink()

    code, report = weft_check(broken)
    assert code == 1 and not report["ok"]
    found = names(report)
    assert found == {"rows: filter/kept", "handoff: dedup", "funnel: degrade", "stats: images", "schema: dedup/kept",
                     "rows: dedup/kept", "schema: warc_images", "rows: warc_images", "empty: views/text",
                     "rows: views/text"}, report["failures"]
    kept = stats["filter"]["kept"]
    assert f"rows: filter/kept: {kept - lost_rows} rows but filter stats say kept={kept}" in report["failures"]
    # the break of one stage does not hide the others': extract's own table still checks out
    assert not any(f.startswith(("rows: extract:", "schema: extract:")) for f in report["failures"])

    # alarms: a threshold just under a stage's real rate fails, the real rate itself passes
    s = stats["filter"]
    rate = s["dropped_total"] / s["records_in"]
    assert weft_check(demo_out, "--max-drop-rate", f"filter={rate:.6f}")[0] == 0
    code, report = weft_check(demo_out, "--max-drop-rate", f"filter={rate - 0.001:.6f}")
    assert code == 1 and names(report) == {"drop_rate: filter"}, report
    code, report = weft_check(demo_out, "--max-fail-rate", "0")
    failing = {f"fail_rate: {s}" for s in STAGES if stats[s]["failed_total"]}
    assert names(report) == failing and (code == 1) == bool(failing)


def test_no_output_and_bad_thresholds_are_clear_errors(tmp_path):
    report = check_output(str(tmp_path)).to_dict()
    assert not report["ok"] and report["failures"][0].startswith("stats: ")
    assert rates(["0.5", "filter=0.9"], "--max-drop-rate") == {"*": 0.5, "filter": 0.9}
    with pytest.raises(ValueError, match="unknown stage 'filtre'"):
        rates(["filtre=0.5"], "--max-drop-rate")
    with pytest.raises(ValueError, match="between 0 and 1"):
        rates(["1.5"], "--max-drop-rate")
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", "check", str(tmp_path), "--max-drop-rate", "x=1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown stage 'x'" in proc.stderr
