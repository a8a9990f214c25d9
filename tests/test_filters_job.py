"""`weft filter` on Spark: kept + rejected Parquet partitioned by crawl and language, stats/filter.json whose
accounting adds up, and a rerun that resumes instead of redoing."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.document import Document, to_batch

DATA = Path(__file__).resolve().parent / "data" / "text"


def _write_extract(out: Path) -> int:
    docs = []
    texts = [(DATA / "cs336" / n).read_text() for n in ("high_quality_wiki_reference.txt", "low_quality_cc.txt")]
    texts += [(DATA / "lingua" / "de.txt").read_text(), ""]
    for i, t in enumerate(texts):
        d = Document(id=f"doc{i}", url=f"https://site{i}.example/p")
        for p in t.split("\n"):
            d.add_text(p)
        d.meta["crawl_id"] = "CC-MAIN-2020-34"
        docs.append(d)
    path = out / "extract" / "crawl=CC-MAIN-2020-34" / "part-0.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(__import__("pyarrow").Table.from_batches([to_batch(docs)]), path)
    return len(docs)


@pytest.mark.spark
def test_filter_job_writes_kept_rejected_and_stats(spark, tmp_path, capsys):
    from jobs.filter import main

    n = _write_extract(tmp_path)
    args = ["--input", str(tmp_path / "extract"), "--output", str(tmp_path), "--master", "local[2]"]
    assert main(args) == 0
    stats = json.loads((tmp_path / "stats" / "filter.json").read_text())
    assert stats["records_in"] == n == stats["kept"] + stats["dropped_total"] + stats["failed_total"]
    kept = list((tmp_path / "filter" / "kept").rglob("*.parquet"))
    rejected = list((tmp_path / "filter" / "rejected").rglob("*.parquet"))
    assert any("lang=en" in str(p) for p in kept) and rejected
    rows = sum(pq.read_metadata(p).num_rows for p in kept + rejected)
    assert rows == n
    gm = pq.read_table(rejected[0]).column("general_metadata").to_pylist()
    assert all(g["filter_reason"] and g["scores"]["gopher_words"] is not None for g in gm)
    assert sum(stats["by"]["kept_by_language"].values()) == stats["kept"]
    # resume: a second run skips the finished file and reports the same totals
    assert main(args) == 0
    again = json.loads((tmp_path / "stats" / "filter.json").read_text())
    assert again["records_in"] == n and again["files"].get("skipped_done") == 1
    # --explain finds one document and prints its rules
    assert main(["--input", str(tmp_path / "extract"), "--explain", "doc1"]) == 0
    assert "decision:" in capsys.readouterr().out
