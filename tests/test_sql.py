"""`weft sql` on a whole pipeline's output (the run of tests/test_report.py): a view per table whose row count
equals what the stage's stats say it wrote, the `stats` and `reasons` tables equal stats/<stage>.json, a query
through the CLI, and Hugging Face `datasets` reading every table with the same row counts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_report import STAGES, pipeline_output

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def out(spark, tmp_path_factory) -> Path:
    return pipeline_output(tmp_path_factory)


def stats_of(out: Path) -> dict[str, dict]:
    return {s: json.loads((out / "stats" / f"{s}.json").read_text()) for s in STAGES}


def counts(con, views) -> dict[str, int]:
    return {v: con.sql(f"select count(*) from {v}").fetchall()[0][0] for v in views}


@pytest.mark.slow
def test_views_match_the_stats(out):
    from jobs.sql import TABLES, connect

    con, found = connect(str(out))
    st = stats_of(out)
    n = counts(con, found)
    assert set(found) == {v for v, rel in TABLES.items() if (out / rel).is_dir()}
    assert n["extracted"] == st["extract"]["kept"] and n["warc_images"] == st["extract"]["side_outputs"]["warc_images"]
    assert n["kept"] == st["filter"]["kept"] and n["rejected"] == st["filter"]["dropped_total"]
    assert n["deduped"] == st["dedup"]["kept"]
    assert n["duplicates"] == sum(v for k, v in st["dedup"]["dropped"].items() if not k.startswith("boilerplate"))
    assert n["documents"] == st["images"]["by"]["documents"]["kept"] == st["degrade"]["records_in"]
    assert n["images"] == st["images"]["side_outputs"]["store_rows"] > 0
    assert n["text"] > 0 and n.get("pairs", 0) == st["degrade"]["by"].get("pairs", {}).get("written", 0)
    # Hive partition columns are there, and filter reasons agree with the stats
    by_reason = dict(con.sql("select general_metadata.filter_reason, count(*) from rejected group by 1").fetchall())
    assert by_reason == st["filter"]["dropped"]
    assert {r[0] for r in con.sql("select distinct crawl from extracted").fetchall()} >= {"CC-MAIN-2020-34"}
    rows = con.sql("select stage, records_in, kept, dropped_total, failed_total from stats order by stage").fetchall()
    assert rows == sorted((s, d["records_in"], d["kept"], d["dropped_total"], d["failed_total"]) for s, d in st.items())
    reasons = con.sql("select stage, kind, reason, n from reasons").fetchall()
    assert sorted(reasons) == sorted((s, kind, r, v) for s, d in st.items() for kind in ("dropped", "failed")
                                     for r, v in d[kind].items())


@pytest.mark.slow
def test_cli_query_and_bad_query(out, capsys):
    from jobs.sql import main

    query = "select stage, kept from stats where stage = 'filter'"
    assert main([str(out), "-c", query, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stage": "filter", "kept": stats_of(out)["filter"]["kept"]}
    assert main([str(out), "-c", "select count(*) from documents", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == str(stats_of(out)["degrade"]["records_in"])
    assert main([str(out), "-c", "select * from no_such_view"]) == 1
    assert "no_such_view" in capsys.readouterr().err


@pytest.mark.slow
def test_huggingface_datasets_reads_every_table(out, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    from jobs.sql import connect

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    con, found = connect(str(out))
    n = counts(con, found)
    for view, files in found.items():
        ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "hf"))
        assert ds.num_rows == n[view], view
        if view in ("documents", "kept", "rejected", "extracted", "deduped"):
            row = ds[0]
            assert len(row["texts"]) == len(row["images"]) == len(row["metadata"]) and row["general_metadata"]["id"]


def test_views_and_report_on_s3(tmp_path):
    """An output on S3 (moto_server): views through pyarrow.fs with the Hive partition columns, and the report
    written next to it. No Spark."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.document import Document, to_batch
    from engine.stats import StageStats
    from jobs.base import write_stats
    from jobs.report import write_report
    from jobs.sql import connect
    from tests.s3server import moto_bucket

    def docs(n: int, lang: str) -> bytes:
        batch = []
        for i in range(n):
            d = Document(id=f"{lang}-{i}", url=f"http://x.test/{lang}/{i}", meta={"crawl_id": "c", "language": lang})
            d.add_text(f"text {i}")
            batch.append(d)
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_batches([to_batch(batch)]), sink)
        return sink.getvalue()

    with moto_bucket("weft-sql") as (_, client):
        for lang, n in (("en", 3), ("de", 2)):
            key = f"out/docs/crawl=c/lang={lang}/part-0.parquet"
            client.put_object(Bucket="weft-sql", Key=key, Body=docs(n, lang))
        write_stats("s3://weft-sql/out", StageStats("images", records_in=5, kept=5))
        con, found = connect("s3://weft-sql/out")
        assert list(found) == ["documents"]
        assert dict(con.sql("select lang, count(*) from documents group by 1").fetchall()) == {"en": 3, "de": 2}
        assert con.sql("select kept from stats").fetchall() == [(5,)]
        uri = write_report("s3://weft-sql/out")
        html = client.get_object(Bucket="weft-sql", Key="out/report.html")["Body"].read().decode()
        assert uri == "s3://weft-sql/out/report.html" and html.count('<article class="doc">') == 3 and 'data-field="kept">5<' in html
