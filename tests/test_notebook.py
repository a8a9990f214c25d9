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
    # before the image and dedup stages: those sections are empty, the loader yields text only
    assert ns["store_formats"].empty and ns["image_positions"].empty and ns["cluster_sizes"].empty
    assert_loader_section(ns, docs, with_images=False)


def assert_loader_section(ns: dict, docs: list[dict], with_images: bool, store: dict | None = None) -> None:
    """The notebook's loader cells: one interleaved sample (its items are the document's paragraphs and, with a
    store, its stored images, in order), the formatter, and stop/save/resume covering every document once."""
    by_id = {d["general_metadata"]["id"]: d for d in docs}
    example, formatted = ns["example"], ns["formatted"]
    doc = by_id[example["id"]]
    texts = [t for t in example["items"] if isinstance(t, str)]
    images = [i for i in example["items"] if not isinstance(i, str)]
    assert texts == [t for t in doc["texts"] if t is not None]
    assert formatted["text"].split("\n").count("<image>") == len(formatted["images"]) == len(images)
    assert formatted["text"].replace("<image>\n", "").replace("\n<image>", "") == "\n".join(texts)
    if with_images:
        shas = [m["sha256"] for m, u in zip(doc["metadata"], doc["images"]) if u is not None
                and (m or {}).get("sha256") in store]
        assert images and [im.size for im in images] == [(store[s]["width"], store[s]["height"]) for s in shas]
    else:
        assert not images
    taken = [s["id"] for s in ns["taken"]]
    assert 0 < len(taken) < len(docs) and sorted(taken + ns["rest"]) == sorted(by_id)


@pytest.mark.spark
@pytest.mark.slow  # 7 s: executes the notebook (make test runs it)
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


@pytest.mark.spark
@pytest.mark.slow
def test_notebook_on_a_full_run(demo_run, monkeypatch):
    """After `weft run` on the demo's WARCs (images from the WARCs, as `make demo` runs it; the Wikipedia capture in
    flashfrozen brings images, and a URL duplicate): the image and dedup sections agree with the store, the corpus
    and dedup/duplicates, and the loader shows stored images."""
    out = demo_run
    ns = run_notebook(out, monkeypatch)
    docs = read_docs(out / "docs")
    store_rows = read_docs(out / "images" / "store")
    assert ns["latest"] == "corpus" and ns["per_crawl_lang"].documents.sum() == len(docs) > 0
    formats = ns["store_formats"].set_index("format")
    assert formats.images.sum() == len(store_rows) > 0
    for fmt, n in formats.images.items():
        assert n == sum(r["format"] == fmt for r in store_rows)
    metas = [m for d in docs for m in d["metadata"] if m is not None]
    positions = ns["image_positions"].iloc[0]
    assert positions.positions == len(metas) == ns["dup_counts"].positions.sum() > 0
    assert positions.distinct_images == len({m["sha256"] for m in metas if m["sha256"]})
    duplicates = read_docs(out / "dedup" / "duplicates")
    sizes = ns["cluster_sizes"]
    assert len(duplicates) > 0 and not ns["duplicates_by_reason"].empty
    assert ((sizes["size"] - 1) * sizes.clusters).sum() == len(duplicates)
    assert sizes.clusters.sum() == len({d["representative_id"] for d in duplicates})
    assert_loader_section(ns, docs, with_images=True, store={r["sha256"]: r for r in store_rows})


def test_notebook_says_what_to_run_on_an_empty_output(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="run `weft extract"):
        run_notebook(tmp_path, monkeypatch)
