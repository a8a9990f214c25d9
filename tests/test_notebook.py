"""notebooks/explore_corpus.ipynb runs top to bottom (its code cells exec'd in order, no Jupyter) on output the
extract stage, then the filter stage, write from bundled WARCs; its frames agree with the Parquet they summarise
and its image-text pairing matches an independent pass over the aligned lists."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import DATA, ROOT

NOTEBOOK = ROOT / "notebooks" / "explore_corpus.ipynb"
# Common Crawl pages in several languages, and a shop page with 20 images between short texts
WARCS = [DATA / "warc/resiliparse/warcfile.warc.gz", DATA / "warc/node-warc/books.toscrape.warc"]


def run_notebook(out: Path, monkeypatch) -> dict:
    monkeypatch.setenv("WEFT_OUT", str(out))
    namespace: dict = {"__name__": "__main__"}
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{NOTEBOOK.name}[{i}]", "exec"), namespace)
    return namespace


def read_docs(root: Path) -> list[dict]:
    return [row for f in sorted(root.rglob("*.parquet")) for row in pq.read_table(f).to_pylist()]


def expected_pairs(docs: list[dict]) -> set[tuple]:
    """Each image with the closer of the nearest paragraphs before/after it (ties: after), 1-based positions."""
    pairs = set()
    for doc in docs:
        paragraphs = [i for i, t in enumerate(doc["texts"]) if t is not None]
        for i, image in enumerate(doc["images"]):
            if image is None:
                continue
            before = max((p for p in paragraphs if p < i), default=None)
            after = min((p for p in paragraphs if p > i), default=None)
            if before is None and after is None:
                continue
            nearest = after if before is None or (after is not None and after - i <= i - before) else before
            pairs.add((doc["general_metadata"]["id"], i + 1, image, doc["texts"][nearest]))
    return pairs


@pytest.fixture(scope="module")
def extract_out(spark, tmp_path_factory) -> Path:
    from jobs.extract import main

    out = tmp_path_factory.mktemp("notebook") / "out"
    assert main(["--input", *map(str, WARCS), "--output", str(out), "--master", "local[2]"]) == 0
    return out


@pytest.mark.spark
def test_notebook_runs_on_extract_output(extract_out, monkeypatch, capsys):
    ns = run_notebook(extract_out, monkeypatch)
    docs = read_docs(extract_out / "extract")
    stats = json.loads((extract_out / "stats" / "extract.json").read_text())
    assert ns["latest"] == "extract" and len(docs) == stats["kept"] > 0
    assert ns["per_crawl_lang"].documents.sum() == len(docs)
    assert {"CC-MAIN-2020-34", "unknown"} <= set(ns["per_crawl_lang"].crawl)
    assert ns["images_per_doc"].documents.sum() == len(docs)
    assert ns["image_summary"].max_images[0] == max(len([u for u in d["images"] if u]) for d in docs)
    assert ns["score_summary"].empty and "no filter scores yet" in capsys.readouterr().out
    assert ns["funnel"].stage.tolist() == ["extract"] and ns["funnel"].balanced.all()
    assert ns["funnel"].kept[0] == stats["kept"] and not ns["top_reasons"].empty
    assert 0 < len(ns["sample"]) <= 3 and len(ns["text_only"]) > 0
    by_id = {d["general_metadata"]["id"]: d for d in docs}
    for row in ns["text_only"].itertuples():
        assert row.text == "\n\n".join(t for t in by_id[row.id]["texts"] if t is not None)
    assert not ns["pairs"].empty
    got = set(ns["con"].sql("select id, pos, image, text from image_text_pairs").fetchall())
    assert got == expected_pairs(docs)
    assert any(p[1] > 1 for p in got), "the shop page has images after text: the before side is exercised"


@pytest.mark.spark
def test_notebook_uses_filter_output_and_its_scores(extract_out, tmp_path, monkeypatch):
    from jobs.filter import main

    out = tmp_path / "out"
    shutil.copytree(extract_out, out)
    assert main(["--input", str(out / "extract"), "--output", str(out), "--master", "local[2]"]) == 0
    ns = run_notebook(out, monkeypatch)
    kept = read_docs(out / "filter" / "kept")
    assert ns["latest"] == "filter_kept" and ns["per_crawl_lang"].documents.sum() == len(kept) > 0
    assert set(ns["per_crawl_lang"].language_source) == {"weft"}
    scores = ns["score_summary"]
    assert {"kept", "rejected"} == set(scores.side) and "gopher_words" in set(scores.score)
    assert (scores.p10 <= scores.p50).all() and (scores.p50 <= scores.p90).all()
    funnel = ns["funnel"].set_index("stage")
    assert list(funnel.index) == ["extract", "filter"] and funnel.balanced.all()
    assert funnel.loc["filter", "in"] == funnel.loc["extract", "kept"]
    assert ns["duplicates_by_reason"].empty


def test_notebook_says_what_to_run_on_an_empty_output(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="run `weft extract"):
        run_notebook(tmp_path, monkeypatch)
