"""engine.loader: split across ranks x workers, seeded shuffle, exact resume (also with another split), images
from the store, the formatter, packing, and a real torch DataLoader."""
from __future__ import annotations

import hashlib
import itertools
import pickle
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.document import Document, to_batch
from engine.loader import Packer, WeftDataset, format_interleaved, merge_states
from engine.loader.store import ImageStore
from schemas.omnicorpus import image_store_schema

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
IMAGE_FILES = ["skimage/horse.png", "skimage/chessboard_RGB.png", "skimage/text.png", "skimage/page.png",
               "skimage/no_time_for_that_tiny.gif", "skimage/rocket.jpg", "skimage/color.png"]
N_DOCS = 130


def _images():
    out = []
    for name in IMAGE_FILES:
        data = (SHARED / name).read_bytes()
        out.append((hashlib.sha256(data).hexdigest(), data, name))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """docs in 3 files (row groups of 7/9/11 rows, two lang partitions) and a store in 2 files (sorted)."""
    from PIL import Image

    root = tmp_path_factory.mktemp("out")
    images = _images()
    docs = []
    for i in range(N_DOCS):
        d = Document(id=f"doc{i:04d}", url=f"https://example.org/{i}", meta={"language": "en" if i % 3 else "de"})
        d.add_text(f"paragraph one of document {i} " + "word " * (i % 17))
        if i % 2 == 0:
            sha, _, name = images[i % len(images)]
            d.add_image(f"https://img.example.org/{name}", sha256=sha, alt=name)
            d.add_text(f"after the image in {i}")
        if i % 10 == 5:
            d.add_image("https://img.example.org/missing.png", sha256="0" * 64)  # not in the store
        docs.append(d)
    parts = [("crawl=C1/lang=de/part-0.parquet", docs[:40], 7), ("crawl=C1/lang=en/part-0.parquet", docs[40:90], 9),
             ("crawl=C1/lang=en/part-1.parquet", docs[90:], 11)]
    for rel, chunk, rg in parts:
        p = root / "docs" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_batches([to_batch(chunk)]), p, row_group_size=rg)
    (root / "docs" / "crawl=C1" / "lang=en" / ".tmp-x-part-2.parquet").write_bytes(b"partial")  # ignored
    rows = []
    for sha, data, name in sorted(images):
        with Image.open(SHARED / name) as im:
            w, h = im.size
            fmt = im.format.lower()
        rows.append({"sha256": sha, "content": data, "bytes": len(data), "width": w, "height": h, "format": fmt,
                     "url": f"https://img.example.org/{name}"})
    store = root / "images" / "store"
    store.mkdir(parents=True)
    schema = image_store_schema()
    pq.write_table(pa.Table.from_pylist(rows[:4], schema=schema), store / "part-0.parquet", row_group_size=2)
    pq.write_table(pa.Table.from_pylist(rows[4:], schema=schema), store / "part-1.parquet", row_group_size=2)
    return {"docs": str(root / "docs"), "store": str(store), "root": root, "images": images,
            "ids": {d.id for d in docs}}


def ds(corpus, **kw):
    kw.setdefault("store", corpus["store"])
    kw.setdefault("images", "none")
    kw.setdefault("shuffle_buffer", 16)
    return WeftDataset(corpus["docs"], **kw)


def grid(corpus, world, workers, **kw):
    return [ds(corpus, rank=r, world_size=world, worker_id=w, num_workers=workers, **kw)
            for r in range(world) for w in range(workers)]


def ids(samples):
    return [s["id"] for s in samples]


def test_units_and_kind(corpus):
    d = ds(corpus)
    assert d.kind == "documents"
    assert len(d) == N_DOCS
    assert [u.num_rows for u in d.units][:6] == [7, 7, 7, 7, 7, 5]  # canonical: sorted path, row group
    assert len(d.units) == 6 + 6 + 4


def test_ranks_x_workers_see_every_document_once(corpus):
    for epoch in (0, 1):
        seen = Counter()
        for d in grid(corpus, 2, 3, epoch=epoch, seed=7):
            seen.update(ids(d))
        assert set(seen) == corpus["ids"] and set(seen.values()) == {1}


def test_shuffle_deterministic_and_varies(corpus):
    a = ids(ds(corpus, seed=1))
    assert a == ids(ds(corpus, seed=1))
    assert a != ids(ds(corpus, seed=2))
    assert a != ids(ds(corpus, seed=1, epoch=1))
    assert sorted(a) == sorted(ids(ds(corpus, seed=2)))
    plain = ids(ds(corpus, shuffle=False))
    assert plain == sorted(plain)  # canonical order (ids were written in order)
    # one iterator: the pass ends the epoch, the next pass is epoch 1 (a different order, all documents)
    d = ds(corpus, seed=1)
    first, second = ids(d), ids(d)
    assert first == a and second == ids(ds(corpus, seed=1, epoch=1)) and d.epoch == 2


@pytest.mark.parametrize("world,workers", [(2, 3), (2, 2), (1, 4), (1, 1)])
def test_resume_with_another_split_is_exact(corpus, world, workers, tmp_path):
    full = Counter(ids(ds(corpus, seed=3)))
    first = grid(corpus, 2, 3, seed=3)
    got = Counter()
    for k, d in zip((5, 0, 17, 40, 1, 9), first):  # stop each iterator after k samples
        got.update(ids(itertools.islice(iter(d), k)))
    saved = tmp_path / "state.pkl"  # saved and loaded as a training loop would (torch.save pickles it too)
    saved.write_bytes(pickle.dumps(merge_states([d.state_dict() for d in first])))
    state = pickle.loads(saved.read_bytes())
    assert state["epoch"] == 0
    resumed = grid(corpus, world, workers, seed=3)
    for d in resumed:
        d.load_state_dict(state)
        got.update(ids(d))
    assert got == full  # every document once: nothing lost, nothing repeated
    # a resumed run is deterministic too
    again = grid(corpus, world, workers, seed=3)
    for d in again:
        d.load_state_dict(state)
    assert [ids(d) for d in again] == [ids(d) for d in grid_loaded(corpus, world, workers, state)]


def grid_loaded(corpus, world, workers, state):
    out = grid(corpus, world, workers, seed=3)
    for d in out:
        d.load_state_dict(state)
    return out


def test_resume_twice_and_across_the_epoch_end(corpus):
    """Interrupt, resume with another split, interrupt again, resume: still exact; a rank that finished its
    epoch and started the next keeps both in its state."""
    want = Counter(ids(ds(corpus, seed=5)))
    got = Counter()
    a = grid(corpus, 2, 3, seed=5)
    for d in a:
        got.update(ids(itertools.islice(iter(d), 6)))
    s1 = merge_states([d.state_dict() for d in a])
    b = grid(corpus, 1, 2, seed=5)
    for d in b:
        d.load_state_dict(s1)
    got.update(ids(b[0]))  # worker 0 finishes its share: epoch 0 done for it, now in epoch 1
    assert b[0].epoch == 1
    got1 = Counter(ids(itertools.islice(iter(b[0]), 4)))  # and takes 4 samples of epoch 1
    got.update(ids(itertools.islice(iter(b[1]), 3)))
    s2 = merge_states([d.state_dict() for d in b])
    assert s2["epoch"] == 0 and set(s2["epochs"]) == {0, 1}
    c = grid(corpus, 1, 3, seed=5)
    for d in c:
        d.load_state_dict(s2)
        got.update(ids(d))  # the rest of epoch 0
    assert got == want
    for d in c:
        assert d.epoch == 1
        got1.update(ids(d))  # the rest of epoch 1
    assert got1 == want


def test_state_is_small_and_checked(corpus, tmp_path):
    d = ds(corpus, seed=1, shuffle_buffer=8)
    list(itertools.islice(iter(d), 30))
    state = d.state_dict()
    c = state["epochs"][0]
    assert len(c["full"]) == 2 and len(c["partial"]) <= 9  # 16 units -> 2 bytes; partial units bounded by the buffer
    other = tmp_path / "other.parquet"
    pq.write_table(pa.Table.from_batches([to_batch([Document(id="x", texts=["a"], images=[None],
                                                             image_meta=[None])])]), other)
    with pytest.raises(ValueError, match="other data"):
        WeftDataset(str(other), images="none").load_state_dict(state)


def test_images_equal_store_bytes_and_formatter(corpus):
    by_sha = {sha: data for sha, data, _ in corpus["images"]}
    d = ds(corpus, images="bytes", shuffle=False)
    samples = list(d)
    with_images = [s for s in samples if any(isinstance(i, bytes) for i in s["items"])]
    assert len(with_images) == N_DOCS // 2
    for s in with_images:
        n = int(s["id"][3:])
        sha = corpus["images"][n % len(corpus["images"])][0]
        assert s["items"][1] == by_sha[sha]  # text, image, text; the missing image is left out
        assert len(s["items"]) == 3
    s = with_images[0]
    f = format_interleaved(s)
    assert f["text"] == f"{s['items'][0]}\n<image>\n{s['items'][2]}" and f["images"] == [s["items"][1]]
    assert format_interleaved({"items": ["a", b"x", b"y", "b"]}, joiner=" ") == {"text": "a <image> <image> b",
                                                                                   "images": [b"x", b"y"]}
    with pytest.raises(KeyError):
        list(ds(corpus, images="bytes", missing="error", shuffle=False))


def test_pil_images_and_store_lru(corpus):
    from PIL import Image

    d = ds(corpus, images="pil", shuffle=False, store_cache_row_groups=2)
    s = next(x for x in d if len(x["items"]) == 3)
    im = s["items"][1]
    assert isinstance(im, Image.Image) and im.mode == "RGB"
    sha = corpus["images"][int(s["id"][3:]) % len(corpus["images"])][0]
    rec = d.store.get(sha)
    assert im.size == (rec["width"], rec["height"])
    store = ImageStore(corpus["store"], cache_row_groups=1)
    assert store._sorted  # footers' min/max sha256: one row group per lookup
    for sha, data, _ in sorted(corpus["images"]):
        assert store.get(sha)["content"] == data
    assert store.get("f" * 64) is None and store.reads == 4  # each of the 4 row groups read once
    store.get(corpus["images"][0][0])
    reads = store.reads
    store.get(corpus["images"][0][0])
    assert store.reads == reads  # the second lookup comes from the cache


def test_unsorted_store_falls_back_to_an_index(corpus, tmp_path):
    images = corpus["images"]
    rows = [{"sha256": sha, "content": data, "bytes": len(data)} for sha, data, _ in images]
    rows = rows[::2] + rows[1::2]  # not sorted: ranges of row groups overlap
    pq.write_table(pa.Table.from_pylist(rows, schema=image_store_schema()), tmp_path / "s.parquet",
                   row_group_size=2)
    store = ImageStore(str(tmp_path), max_overlap=1)
    assert not store._sorted
    for sha, data, _ in images:
        assert store.get(sha)["content"] == data


def test_transform_and_packing(corpus):
    d = ds(corpus, transform=lambda s: None if s["id"].endswith("7") else {**s, "n": len(s["items"])})
    out = list(d)
    assert len(out) == N_DOCS - 13 and all("n" in s and "__key__" in s for s in out)

    budget = 20
    tok = str.split
    packs = list(ds(corpus, pack=Packer(budget, tokenizer=tok)))
    assert all(0 < p["num_tokens"] <= budget for p in packs)
    assert all(p["num_tokens"] == len(p["tokens"]) for p in packs)
    every = [t for p in packs for t in p["tokens"]]
    plain = list(ds(corpus))
    assert Counter(every) == Counter(t for s in plain for t in "\n\n".join(s["items"]).split())
    assert sum(len(p["__keys__"]) for p in packs) == N_DOCS
    # oversize samples: split keeps every token, truncate cuts, drop leaves them out
    samples = [{"__key__": (0, i), "text": " ".join(["w"] * n)} for i, n in enumerate((3, 25, 4, 50, 2))]
    split = list(Packer(10, sep=["<eos>"])(samples))
    assert all(p["num_tokens"] <= 10 for p in split)
    assert sum(p["num_tokens"] for p in split) == 3 + 25 + 4 + 50 + 2 + 5
    assert sorted(k for p in split for k in p["__keys__"]) == [(0, i) for i in range(5)]
    trunc = list(Packer(10, overflow="truncate")(samples))
    assert all(p["num_tokens"] <= 10 for p in trunc) and sum(p["num_tokens"] for p in trunc) == 3 + 10 + 4 + 10 + 2
    drop = list(Packer(10, overflow="drop")(samples))
    assert sum(p["num_tokens"] for p in drop) == 9 and len([k for p in drop for k in p["__keys__"]]) == 5
    # resume in the middle of packing is exact at the sample level
    d = ds(corpus, seed=2, pack=Packer(budget, tokenizer=tok))
    head = list(itertools.islice(iter(d), 7))
    rest = ds(corpus, seed=2, pack=Packer(budget, tokenizer=tok))
    rest.load_state_dict(d.state_dict())
    keys = [k for p in head + list(rest) for k in p["__keys__"]]
    assert len(keys) == len(set(keys)) == N_DOCS


def test_views(corpus, tmp_path):
    """The pairs view (sha256 + caption, images from the store) and the text view."""
    images = corpus["images"]
    pairs = pa.Table.from_pylist(
        [{"sha256": sha, "caption": f"caption {i}", "doc_id": f"d{i}"} for i, (sha, _, _) in enumerate(images)]
        + [{"sha256": "0" * 64, "caption": "gone", "doc_id": "dx"}]).replace_schema_metadata(
        {"weft.table": "pairs_view"})
    pq.write_table(pairs, tmp_path / "pairs.parquet", row_group_size=3)
    p = WeftDataset(str(tmp_path / "pairs.parquet"), corpus["store"], images="bytes", seed=0)
    assert p.kind == "pairs"
    got = {s["caption"]: s for s in p}
    assert len(got) == len(images)  # the pair without an image is skipped
    for i, (sha, data, _) in enumerate(images):
        assert got[f"caption {i}"]["image"] == data and got[f"caption {i}"]["items"] == [data, f"caption {i}"]
    text = pa.Table.from_pylist([{"text": f"t{i}", "id": str(i)} for i in range(25)]).replace_schema_metadata(
        {"weft.table": "text_view"})
    pq.write_table(text, tmp_path / "text.parquet", row_group_size=4)
    t = WeftDataset(str(tmp_path / "text.parquet"), images="none", shuffle_buffer=4)
    assert t.kind == "text" and sorted(s["text"] for s in t) == sorted(f"t{i}" for i in range(25))


def test_s3(corpus, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from tests.s3server import DUMMY_AWS_ENV, moto_s3

    with moto_s3() as endpoint:
        for k, v in {**DUMMY_AWS_ENV, "WEFT_S3_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(k, v)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="loader")
        root = corpus["root"]
        for p in root.rglob("*.parquet"):
            if not p.name.startswith("."):
                s3.upload_file(str(p), "loader", f"out/{p.relative_to(root).as_posix()}")
        remote = WeftDataset("s3://loader/out/docs", "s3://loader/out/images/store", images="bytes", seed=4,
                             shuffle_buffer=16)
        local = ds(corpus, images="bytes", seed=4)
        want = [(s["id"], s["items"]) for s in local]
        assert [(s["id"], s["items"]) for s in remote] == want
        shipped = pickle.loads(pickle.dumps(remote))  # as a DataLoader worker gets it: filesystems resolved again
        shipped.set_epoch(4)
        assert [(s["id"], s["items"]) for s in shipped] == [(s["id"], s["items"]) for s in ds(corpus, images="bytes", seed=4, epoch=4)]


def _drop_sevens(sample):
    return None if sample["id"].endswith("7") else sample


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize("before,after", [(2, 3), (3, 2)])
def test_torch_dataloader_yields_every_sample_once_and_resumes(corpus, before, after):
    pytest.importorskip("torch", reason="torch is the `loader` extra (pip install -e .[loader])")
    from engine.loader import StatefulLoader

    loader = StatefulLoader(ds(corpus, seed=9, transform=_drop_sevens), num_workers=before)
    seen = Counter(s["id"] for s in loader)
    assert set(seen) == {i for i in corpus["ids"] if not i.endswith("7")} and set(seen.values()) == {1}
    # the epoch is over, samples the transform dropped in the workers included
    assert loader.dataset.epoch == 1 and merge_states([loader.state_dict()])["epoch"] == 1

    # batches; stop mid-epoch (workers have prefetched more than was consumed), resume with another worker count
    loader = StatefulLoader(ds(corpus, seed=9, images="bytes"), num_workers=before, batch_size=4)
    got = Counter()
    for i, batch in enumerate(loader):
        got.update(s["id"] for s in batch)
        if i == 6:
            break
    state = loader.state_dict()
    resumed = StatefulLoader(ds(corpus, seed=9, images="bytes"), num_workers=after, batch_size=4)
    resumed.load_state_dict(state)
    for batch in resumed:
        got.update(s["id"] for s in batch)
    assert set(got) == corpus["ids"] and set(got.values()) == {1}


def test_importing_the_loader_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, engine.loader; assert 'torch' not in sys.modules; print(engine.loader.WeftDataset.__name__)"
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "WeftDataset", run.stderr
