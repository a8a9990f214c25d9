"""Degrade views and exports (engine/views, jobs/degrade.py): pure functions without Spark, then the job once."""
from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import random
import shutil
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.document import Document, to_batch
from engine.stats import StageStats
from engine.views.captions import bound, caption_document, mmc4_assign
from engine.views.exports import document_pairs, mmc4_record
from engine.views.settings import ExportConfig, PairsConfig, TextConfig
from engine.views.shards import ShardSeries, merge_manifests
from engine.views.text import document_text, text_row
from schemas.omnicorpus import arrow_schema, image_store_schema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
IMAGE_FILES = [
    "imagededup/base_images/ukbench00120.jpg", "imagededup/base_images/ukbench01380.jpg",
    "imagededup/base_images/ukbench08976.jpg", "imagededup/formats_images/ukbench09380.png",
    "imagededup/formats_images/ukbench09380.webp", "imagededup/formats_images/giphy.gif",
    "pillow-edge/flower.jpg", "pillow-edge/hopper.png", "pillow-edge/flower2.webp", "pillow-edge/hopper.gif",
]
WORDS = ("the river city museum opened a new hall of paintings and sculptures where visitors walked slowly "
         "through light and shadow while guides explained every corner of the old building").split()


def real_images() -> list[dict]:
    """The store rows of the real test images: sha256, content, bytes, width, height, format, url."""
    from PIL import Image

    out = []
    for rel in IMAGE_FILES:
        data = (SHARED / rel).read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            w, h, fmt = im.width, im.height, im.format.lower()
        out.append({"sha256": hashlib.sha256(data).hexdigest(), "content": data, "bytes": len(data), "width": w,
                    "height": h, "format": fmt, "url": f"https://img.example/{Path(rel).name}"})
    return out


def write_store(path: Path, rows: list[dict]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=image_store_schema()), path / "part-00000.parquet",
                   row_group_size=4)


def make_docs(n: int, images: list[dict], seed: int = 0, missing: str = "0" * 64) -> list[Document]:
    """n documents of real-ish text with images at random positions: most in the store, some not (sha `missing`),
    some without alt text, some with clip_sim."""
    rng = random.Random(seed)
    docs = []
    for k in range(n):
        d = Document(id=f"doc{seed}-{k:05d}", url=f"https://site{k % 7}.example/page/{k}",
                     meta={"crawl_id": "CC-MAIN-2024-22", "language": "en" if k % 3 else "de",
                           "fetch_date": datetime(2024, 5, 1, tzinfo=timezone.utc), "title": f"page {k}"},
                     scores={"gopher_words": float(k)})
        for _ in range(rng.randint(0 if k % 11 == 0 else 1, 6)):
            if rng.random() < 0.35:
                img = rng.choice(images)
                sha = missing if rng.random() < 0.1 else img["sha256"]
                d.add_image(img["url"] + f"?d={k}", sha256=sha, alt=rng.choice(["", "a photo of the hall", None]),
                            clip_sim=rng.choice([None, round(rng.uniform(0.1, 0.4), 3)]),
                            unsafe_prob=0.01, width=img["width"], height=img["height"])
            else:
                d.add_text(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60))).capitalize() + ".")
        docs.append(d)
    return docs


def write_docs(path: Path, docs: list[Document]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_batches([to_batch(docs)], schema=arrow_schema()), path)


def rows_of(docs: list[Document]) -> list[dict]:
    return to_batch(docs).to_pylist()


# -- pure functions ---------------------------------------------------------------------------------------------
def test_text_view_keeps_every_paragraph_in_order():
    docs = make_docs(40, real_images())
    for doc, row in zip(docs, rows_of(docs)):
        text, chars = document_text(row["texts"], row["images"], TextConfig())
        assert text == "\n\n".join(doc.paragraphs) and chars == sum(map(len, doc.paragraphs))
        placed, _ = document_text(row["texts"], row["images"], TextConfig(image_placeholder="<image>"))
        assert placed.split("\n\n") == ["<image>" if t is None else t for t in doc.texts]
        view = text_row(row, TextConfig())
        assert (view is None) == (not doc.paragraphs)
        if view:
            assert view["id"] == doc.id and view["url"] == doc.url and view["language"] == doc.meta["language"]
            assert view["metadata"]["scores"]["gopher_words"] == doc.scores["gopher_words"]


def test_bound_cuts_at_sentence_or_word_ends():
    text = "First sentence here. Second one is longer than the first. Third."
    assert bound(text, 100) == text
    assert bound(text, 40) == "First sentence here."
    assert bound(text, 40, keep="end") == "one is longer than the first. Third."  # the word cut keeps more
    assert bound(text, 50, keep="end") == "Second one is longer than the first. Third."
    assert bound("word " * 20, 23) == "word word word word"


def test_caption_strategies():
    texts = [None, "Caption line under the photo.", "Body paragraph one.", None, "x", "Closing words here."]
    images = ["u0", None, None, "u3", None, None]
    metas = [{"alt": "  alt   text  ", "clip_sim": 0.3}, None, None, {"alt": "", "clip_sim": 0.2}, None, None]
    alt = PairsConfig(strategy="alt", fallback=[])
    assert {p: c.text for p, c in caption_document(texts, images, metas, [0, 3], alt).items()} == {0: "alt text"}
    near = PairsConfig(strategy="nearest", fallback=[])
    got = caption_document(texts, images, metas, [0, 3], near)
    assert got[0].text_position == 1 and got[3].text_position == 2  # "x" after it is shorter than min_caption_chars
    before = PairsConfig(strategy="nearest", fallback=[], prefer="before")
    both = ["Paragraph before it.", None, "Paragraph after it."]
    assert caption_document(both, [None, "u", None], [None, {}, None], [1], near)[1].text_position == 2
    assert caption_document(both, [None, "u", None], [None, {}, None], [1], before)[1].text_position == 0
    far = PairsConfig(strategy="nearest", fallback=[], max_distance=1)
    gap = ["Paragraph two positions away.", "x", None]
    assert caption_document(gap, [None, None, "u"], [None, None, {}], [2], far) == {}
    assert caption_document(gap, [None, None, "u"], [None, None, {}], [2], near)[2].text_position == 0


def test_mmc4_matching_is_one_to_one_and_falls_back():
    cfg = PairsConfig(strategy="mmc4", fallback=["nearest"])
    texts = ["Only paragraph of the page.", None, None]
    images = [None, "a", "b"]
    # both images want paragraph 0; the one with the higher clip_sim gets it, the other falls back to nearest
    counts = Counter()
    got = caption_document(texts, images, [None, {"clip_sim": 0.1}, {"clip_sim": 0.3}], [1, 2], cfg, counts)
    assert got[2].source == "mmc4" and got[1].source == "nearest"
    assert counts["mmc4_unmatched"] == 1 and counts["mmc4_proxy_matrix_docs"] == 1
    # no clip_sim anywhere: no similarity to match on -> the fallback, counted
    counts = Counter()
    got = caption_document(texts, images, [None, {}, {}], [1, 2], cfg, counts)
    assert {c.source for c in got.values()} == {"nearest"} and counts["mmc4_no_similarity"] == 2
    # a real image x paragraph matrix is used as given (optimal, not greedy: greedy would give 0->0, then 1->1)
    texts = ["Paragraph A text.", "Paragraph B text.", None, None]
    assigned = mmc4_assign(texts, [2, 3], [None, None], cfg, matrix=[[0.9, 0.8], [0.85, 0.1]], paragraphs=[0, 1])
    assert assigned == {2: 1, 3: 0}


def test_pairs_reference_only_stored_images_and_reconcile():
    images = real_images()
    store = {r["sha256"]: r for r in images}
    docs = rows_of(make_docs(60, images, seed=1))
    for strategy in ("alt", "nearest", "mmc4"):
        counts = Counter()
        pairs = [p for d in docs for p in document_pairs(d, store, PairsConfig(strategy=strategy), counts)]
        assert pairs and all(p["sha256"] in store for p in pairs)
        assert counts["dropped:not_in_store"] > 0
        assert counts["images_in"] == counts["written"] + counts["dropped:not_in_store"] + counts["dropped:no_caption"]
        assert counts["written"] == len(pairs) == sum(v for k, v in counts.items() if k.startswith("caption:"))


def test_mmc4_record_fields():
    images = real_images()
    store = {r["sha256"]: r for r in images}
    counts = Counter()
    for d in rows_of(make_docs(30, images, seed=2)):
        rec = mmc4_record(d, store, PairsConfig(), counts)
        if rec is None:
            assert not any(t is not None for t in d["texts"])
            continue
        assert rec["text_list"] == [t for t in d["texts"] if t is not None]
        for info in rec["image_info"]:
            assert set(info) >= {"image_name", "raw_url", "matched_text_index", "matched_sim"}
            assert 0 <= info["matched_text_index"] < len(rec["text_list"])
            assert info["image_name"].split(".")[0] in store and info["raw_url"] in d["images"]
    assert counts["images_in"] == counts["images_written"] + sum(
        v for k, v in counts.items() if k.startswith("images_dropped:"))


def test_sample_keys_are_ids_or_their_hash():
    from engine.views.exports import sample_key

    assert sample_key("0a1b" * 10) == "0a1b" * 10 and sample_key("doc-1_x", 7) == "doc-1_x_7"
    odd = ["a.b", "a/b", "", "é", "x" * 201]  # a dot or slash would split or nest the member names
    keys = [sample_key(i) for i in odd]
    assert all(k.startswith("h") and len(k) == 41 for k in keys) and len(set(keys)) == len(odd)
    assert keys == [sample_key(i) for i in odd] and sample_key("a.b", 3) == keys[0] + "_3"


def test_shards_roll_checksum_and_abort(tmp_path):
    cfg = ExportConfig(shard_samples=2, shard_bytes=0)
    s = ShardSeries(str(tmp_path / "wds"), "in", "tar", cfg)
    for k in range(5):
        s.add_tar_sample(f"{k:09d}", [("txt", b"x" * k), ("json", b"{}")])
    assert not [p for p in (tmp_path / "wds").glob("*.tar") if not p.name.startswith(".")]  # none before commit
    shards = s.commit()
    assert [sh["samples"] for sh in shards] == [2, 2, 1]
    for sh in shards:
        assert hashlib.sha256((tmp_path / "wds" / sh["name"]).read_bytes()).hexdigest() == sh["sha256"]
    m = merge_manifests(str(tmp_path / "wds"), "test")
    assert m["samples"] == 5 and m["shards"] == 3
    redo = ShardSeries(str(tmp_path / "wds"), "in", "tar", ExportConfig(shard_samples=10, shard_bytes=0))
    redo.add_tar_sample("000000000", [("txt", b"y")])
    redo.commit()  # fewer shards than the previous run of this input: the stale ones go
    assert sorted(p.name for p in (tmp_path / "wds").glob("[!.]*.tar")) == ["in-00000.tar"]
    aborted = ShardSeries(str(tmp_path / "gone"), "in", "jsonl", ExportConfig(shard_samples=1))
    for k in range(3):
        aborted.add_line({"k": k})
    aborted.abort()
    assert not [p for p in (tmp_path / "gone").rglob("*") if p.is_file()]


# -- the job ------------------------------------------------------------------------------------------------------
def build_out(root: Path) -> tuple[list[Document], list[dict]]:
    """OUT/docs/crawl=<id>/lang=<l>/*.parquet and OUT/images/store/ as the image stage writes them."""
    images = real_images()
    docs = make_docs(80, images, seed=3)
    for lang in ("en", "de"):
        part = [d for d in docs if d.meta["language"] == lang]
        write_docs(root / "docs" / "crawl=CC-MAIN-2024-22" / f"lang={lang}" / "part-0.parquet", part)
    write_store(root / "images" / "store", images[:-2])  # two images never made it into the store
    return docs, images[:-2]


def read_wds(pattern: str) -> list[dict]:
    import webdataset as wds

    urls = sorted(glob.glob(pattern))
    return list(wds.WebDataset(urls, shardshuffle=False, empty_check=False))


@pytest.mark.spark
def test_degrade_job_round_trips(spark, tmp_path, capsys):
    from jobs.degrade import main

    out = tmp_path / "out"
    docs, stored = build_out(out)
    store = {r["sha256"]: r for r in stored}
    by_id = {d.id: d for d in docs}
    args = ["--input", str(out / "docs"), "--store", str(out / "images" / "store"), "--output", str(out),
            "--to", "text,pairs,webdataset,mmc4", "--set", "degrade.export.shard_samples=25"]
    assert main(args) == 0

    stats = json.loads((out / "stats" / "degrade.json").read_text())
    assert stats["records_in"] == len(docs) == stats["kept"] + stats["dropped_total"]
    n_images = sum(len(d.image_urls) for d in docs)
    by = stats["by"]
    assert by["pairs"]["images_in"] == by["webdataset_interleaved"]["images_in"] == n_images
    assert by["pairs"]["images_in"] == by["pairs"]["written"] + by["pairs"].get("dropped:not_in_store", 0) + \
        by["pairs"].get("dropped:no_caption", 0)
    assert by["text"]["in"] == len(docs) and by["text"]["written"] == sum(bool(d.paragraphs) for d in docs)

    # text view: every character of every kept paragraph, in order
    text = pq.read_table(out / "views" / "text").to_pylist()
    assert len(text) == by["text"]["written"]
    for row in text:
        assert row["text"] == "\n\n".join(by_id[row["id"]].paragraphs)

    # pairs view: only stored images; the WebDataset pair samples equal its rows
    pairs = pq.read_table(out / "views" / "pairs").to_pylist()
    assert len(pairs) == by["pairs"]["written"] and all(p["sha256"] in store for p in pairs)
    # (two input files, several shards each: keys must not restart per file)
    samples = read_wds(str(out / "exports" / "webdataset" / "pairs" / "*.tar"))
    assert len(samples) == len(pairs) and len({s["__key__"] for s in samples}) == len(samples)
    assert len({s["__url__"] for s in samples}) >= 4
    # the key: document id and image position; the row without the Hive partition columns the read added
    want = {f"{p['doc_id']}_{p['position']}": {k: v for k, v in p.items() if k not in ("crawl", "lang")}
            for p in pairs}
    assert {s["__key__"] for s in samples} == set(want)
    for s in samples:
        meta = json.loads(s["json"])
        row = want[s["__key__"]]
        assert meta.pop("key") == s["__key__"] and set(meta) == set(row)
        for k, v in row.items():  # every column of the view's row (float32 in Parquet, float in JSON)
            assert meta[k] == (pytest.approx(v, rel=1e-6) if isinstance(v, float) else v), k
        assert s["txt"].decode() == row["caption"]
        img = next(v for k, v in s.items() if k in ("jpg", "png", "webp", "gif"))
        assert img == store[row["sha256"]]["content"]

    # interleaved: one sample per document, aligned lists and image members as in the source
    samples = read_wds(str(out / "exports" / "webdataset" / "interleaved" / "*.tar"))
    assert sorted(s["__key__"] for s in samples) == sorted(by_id)  # one sample per document, keyed by its id
    source = {r["general_metadata"]["id"]: r for r in rows_of(docs)}
    for s in samples:
        rec = json.loads(s["json"])
        d, row = by_id[rec["id"]], source[rec["id"]]
        assert rec["id"] == s["__key__"] and rec["texts"] == d.texts and rec["images"] == d.images
        gm = row["general_metadata"]
        assert [rec[k] for k in ("url", "language", "crawl_id", "title")] == [gm[k] for k in
                                                                                ("url", "language", "crawl_id", "title")]
        assert rec["metadata"] == [None if m is None else {k: v for k, v in m.items() if v is not None}
                                   for m in row["metadata"]]
        for i, name in enumerate(rec["image_members"]):
            sha = (d.image_meta[i] or {}).get("sha256")
            if d.images[i] is None or sha not in store:
                assert name is None
            else:
                assert s[name] == store[sha]["content"]

    # Megatron-Energon groups tar members into samples with this expression (flavors/webdataset/config.py):
    # every member of a sample must give the sample's key, and the part names image_members uses
    import re
    import tarfile

    split_name = re.compile(r"^((?:.*/|)[^.]+)[.]([^/]*)$")
    for tar in sorted((out / "exports" / "webdataset" / "interleaved").glob("[!.]*.tar")):
        with tarfile.open(tar) as t:
            parts = [split_name.match(m.name).groups() for m in t.getmembers()]
        by_key: dict[str, set] = {}
        for k, part in parts:
            by_key.setdefault(k, set()).add(part)
        for s in samples:
            if s["__url__"] == str(tar):
                rec = json.loads(s["json"])
                assert by_key[s["__key__"]] == {"json", *(n for n in rec["image_members"] if n)}

    # manifests: counts and per-shard checksums
    for export, n in (("webdataset/pairs", len(pairs)), ("webdataset/interleaved", len(docs))):
        m = json.loads((out / "exports" / export / "manifest.json").read_text())
        assert m["samples"] == n and m["shards"] == len(m["files"]) >= 2
        for f in m["files"]:
            assert hashlib.sha256((out / "exports" / export / f["name"]).read_bytes()).hexdigest() == f["sha256"]

    # MMC4 JSONL
    lines = [json.loads(line) for p in sorted((out / "exports" / "mmc4").glob("*.jsonl.gz"))
             for line in gzip.open(p, "rt")]
    assert len(lines) == by["mmc4"]["written"] == sum(bool(d.paragraphs) for d in docs)
    for rec in lines:
        assert rec["text_list"] == by_id[rec["doc_id"]].paragraphs
        assert all(i["image_name"].split(".")[0] in store for i in rec["image_info"])

    # Hugging Face datasets reads the docs and the views as they are
    import datasets

    cache = str(tmp_path / "hf")
    loaded = {name: datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache)
              for name, files in (("docs", f"{out}/docs/**/*.parquet"), ("text", f"{out}/views/text/**/*.parquet"),
                                  ("pairs", f"{out}/views/pairs/**/*.parquet"))}
    assert sorted(loaded["docs"]["general_metadata"], key=lambda g: g["id"])[0]["id"] == min(by_id)
    assert sorted(g["id"] for g in loaded["docs"]["general_metadata"]) == sorted(by_id)
    assert loaded["docs"][0]["texts"] is not None and "metadata" in loaded["docs"].column_names
    assert sorted(zip(loaded["text"]["id"], loaded["text"]["text"])) == sorted((r["id"], r["text"]) for r in text)
    cols = ("doc_id", "position", "sha256", "caption", "caption_source")
    assert sorted(zip(*(loaded["pairs"][c] for c in cols))) == sorted(tuple(p[c] for c in cols) for p in pairs)

    # resume: a rerun skips both files and reports the same counts; JSONL views on request
    assert main(args) == 0
    again = json.loads((out / "stats" / "degrade.json").read_text())
    assert again["files"]["skipped_done"] == 2 and again["by"] == stats["by"]


def test_jsonl_views_from_the_task_alone(tmp_path):
    """The per-file task without Spark: JSONL views (what datatrove's JsonlReader and load_dataset("json") read)."""
    from engine.config import defaults
    from engine.io.output import ParquetOptions
    from engine.io.fs import list_parquet
    from jobs.degrade import DegradeTask

    docs, stored = build_out(tmp_path / "out")
    task = DegradeTask(str(tmp_path / "j"), list_parquet(str(tmp_path / "out" / "images" / "store")),
                       ("text", "pairs"), "jsonl", defaults()["degrade"], ParquetOptions(), 16)
    stats = StageStats("degrade")
    for path in sorted((tmp_path / "out" / "docs").rglob("*.parquet")):
        stats += task(str(path))
    stats.check()
    rows = [json.loads(line) for p in (tmp_path / "j" / "views" / "text").rglob("*.jsonl.gz")
            for line in gzip.open(p, "rt")]
    assert sorted(r["id"] for r in rows) == sorted(d.id for d in docs if d.paragraphs)
    assert all(r["text"] == "\n\n".join(d.paragraphs) for d in docs for r in rows if r["id"] == d.id)
    pairs = [json.loads(line) for p in (tmp_path / "j" / "views" / "pairs").rglob("*.jsonl.gz")
             for line in gzip.open(p, "rt")]
    assert len(pairs) == stats.by["pairs"]["written"] and {p["sha256"] for p in pairs} <= {r["sha256"] for r in stored}


def write_clip_sims(path: Path, docs: list[Document], seed: int = 0) -> dict:
    """OUT/images/clip_sims as the image stage writes it (one row per image position: the cosine with the nearest
    paragraph on each side), in two files sorted by doc_id with small row groups; returns {(doc id, position):
    {paragraph position: cosine}}."""
    rng = random.Random(seed)
    rows, sims = [], {}
    for d in docs:
        for p, u in enumerate(d.images):
            if u is None:
                continue
            near = [j for j in (max((j for j in range(p) if d.texts[j]), default=None),
                                 min((j for j in range(p + 1, len(d.texts)) if d.texts[j]), default=None))
                    if j is not None]
            cos = [round(rng.uniform(-0.1, 0.45), 4) for _ in near]
            sims[(d.id, p)] = dict(zip(near, cos))
            rows.append({"doc_id": d.id, "position": p, "sha256": d.image_meta[p]["sha256"],
                         "clip_sim": max(cos, default=None), "alt_sim": None, "text_positions": near,
                         "text_sims": cos})
    schema = pa.schema([("doc_id", pa.string()), ("position", pa.int32()), ("sha256", pa.string()),
                        ("clip_sim", pa.float32()), ("alt_sim", pa.float32()),
                        ("text_positions", pa.list_(pa.int32())), ("text_sims", pa.list_(pa.float32()))])
    path.mkdir(parents=True)
    for k in range(2):
        part = sorted((r for r in rows if int(hashlib.sha1(r["doc_id"].encode()).hexdigest(), 16) % 2 == k),
                      key=lambda r: (r["doc_id"], r["position"]))
        pq.write_table(pa.Table.from_pylist(part, schema=schema), path / f"part-{k:05d}.parquet", row_group_size=16)
    return sims


def best_matching(edges: dict[int, dict[int, float]]) -> tuple[int, float]:
    """(pairs, total similarity) of the best one-to-one matching of images to paragraphs by brute force: most
    pairs first (linear_sum_assignment with a large cost for no edge), then the greatest total."""
    best = (0, 0.0)
    images = sorted(edges)

    def go(i, used, n, total):
        nonlocal best
        if i == len(images):
            best = max(best, (n, round(total, 4)))
            return
        go(i + 1, used, n, total)
        for j, s in edges[images[i]].items():
            if j not in used:
                go(i + 1, used | {j}, n + 1, total + s)

    go(0, frozenset(), 0, 0.0)
    return best


def test_mmc4_matches_on_the_image_stages_per_paragraph_similarities(tmp_path):
    """With OUT/images/clip_sims, MMC4's matching uses the real image x paragraph cosines (optimal, checked by
    brute force) and matched_sim is the matched pair's cosine; a row whose sha256 is not the document's image at
    that position is not used."""
    from engine.config import defaults
    from engine.io.output import ParquetOptions
    from engine.io.fs import list_parquet
    from jobs.degrade import DegradeTask

    out = tmp_path / "out"
    docs, stored = build_out(out)
    sims = write_clip_sims(out / "images" / "clip_sims", docs)
    store = {r["sha256"] for r in stored}
    cfg = defaults()["degrade"]
    cfg = {**cfg, "pairs": {**cfg["pairs"], "max_distance": 100}}  # the table's candidates alone bound the edges
    task = DegradeTask(str(tmp_path / "j"), list_parquet(str(out / "images" / "store")), ("mmc4",), "parquet", cfg,
                       ParquetOptions(), 16, (), list_parquet(str(out / "images" / "clip_sims")))
    stats = StageStats("degrade")
    for path in sorted((out / "docs").rglob("*.parquet")):
        stats += task(str(path))
    stats.check()
    by = stats.by["mmc4"]
    assert by["mmc4_similarity_docs"] > 0 and by.get("mmc4_proxy_matrix_docs", 0) == 0
    records = [json.loads(line) for p in (tmp_path / "j" / "exports" / "mmc4").glob("*.jsonl.gz")
               for line in gzip.open(p, "rt")]
    by_id = {d.id: d for d in docs}
    checked = 0
    for rec in records:
        d = by_id[rec["doc_id"]]
        paragraph_at = [j for j, t in enumerate(d.texts) if t is not None]
        stored_pos = [p for p, u in enumerate(d.images) if u is not None and d.image_meta[p]["sha256"] in store]
        edges = {p: {j: s for j, s in sims[(d.id, p)].items() if len(d.texts[j]) >= 5} for p in stored_pos}
        matched = {}
        for info in rec["image_info"]:
            p = info["position"]
            assert d.images[p] == info["raw_url"] and p in stored_pos
            j = paragraph_at[info["matched_text_index"]]
            if info["match_source"] == "mmc4":
                assert info["matched_sim_source"] == "clip_sims"
                assert info["matched_sim"] == pytest.approx(sims[(d.id, p)][j], abs=1e-6)
                matched[p] = info["matched_sim"]
            else:
                assert info["matched_sim_source"] == "clip_sim"
        n, total = best_matching(edges)
        assert (len(matched), round(sum(matched.values()), 4)) == pytest.approx((n, total), abs=2e-4)
        checked += bool(n)
    assert checked > 10

    # a row for another image at that position (another input's coordinates) is not used: the proxy runs
    moved = tmp_path / "moved"
    shutil.copytree(out / "images" / "clip_sims", moved)
    for f in moved.glob("*.parquet"):
        t = pq.read_table(f)
        pq.write_table(t.set_column(2, "sha256", pa.array(["f" * 64] * t.num_rows, pa.string())), f)
    task = DegradeTask(str(tmp_path / "k"), task.store_files, ("mmc4",), "parquet", cfg, ParquetOptions(), 16, (),
                       list_parquet(str(moved)))
    stats = StageStats("degrade")
    for path in sorted((out / "docs").rglob("*.parquet")):
        stats += task(str(path))
    by = stats.by["mmc4"]
    assert by["mmc4_sims_mismatch"] > 0 and by.get("mmc4_similarity_docs", 0) == 0 and by["mmc4_proxy_matrix_docs"]
