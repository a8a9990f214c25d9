"""`weft images` on real data: the bundled WARCs that carry their pages' images (books.toscrape: a page and its
20 covers; ukwa flashfrozen: Mona Lisa with 22 images) through extract, plus documents whose images are served by
a loopback HTTP server (tests/image_server.py: real files, a 404, an HTML page served as image/jpeg, a path
robots.txt disallows, a repeat inside one document, an image shared by two documents).

Checks: the identity over image positions, per-image metadata filled, each sha256 stored once, a rerun fetches
nothing and writes the same rows (sorted-row hashes), DuckDB reads OUT/docs and OUT/images/store."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.image_server import ImageServer


ROOT = Path(__file__).resolve().parent
WARCS = [ROOT / "data/warc/node-warc/books.toscrape.warc",
         ROOT / "data/warc/ukwa/flashfrozen-jwat-recompressed.warc.gz"]


def _docs(base: str) -> pa.Table:
    from engine.document import Document, to_batch

    def doc(i, *items):
        d = Document(id=f"loopback-{i}", url=f"{base}/page/{i}.html",
                     meta={"crawl_id": "unknown", "language": "en", "fetch_date": None})
        for item in items:
            if item.startswith("/"):
                d.add_image(base + item, alt=f"alt of {item}")
            else:
                d.add_text(item)
        return d

    docs = [
        doc(1, "A peppers picture.", "/img/imagehash/peppers.png", "An astronaut.", "/img/skimage/astronaut.png",
            "/img/skimage/astronaut.png",          # the same image again in one document: duplicate_in_document
            "/missing.png",                         # 404: failed status_4xx
            "/html-as-image",                       # not_an_image
            "/private/skimage/camera.png",          # robots.txt disallows: opted_out
            "The end."),
        doc(2, "/img/skimage/astronaut.png", "Shared with document 1.", "/img/pillow-edge/flower.jpg",
            "/img/imagededup/ukbench00120_gray.jpg"),
        doc(3, "/missing-too.png"),                 # its only image fails: the document ends empty and is dropped
    ]
    return pa.Table.from_batches([to_batch(docs)])


def _sorted_hash(paths: list[Path]) -> str:
    rows = []
    for p in paths:
        for row in pq.read_table(p).to_pylist():
            rows.append(json.dumps(row, sort_keys=True, default=lambda v: v.hex() if isinstance(v, bytes) else str(v)))
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.parquet") if not p.name.startswith("."))


@pytest.fixture(scope="module")
def server():
    srv = ImageServer().start()
    yield srv
    srv.stop()


def test_rewrite_fills_metadata_removes_positions_and_drops_empty_documents():
    """The document rewrite alone (no Spark): kept positions get their metadata, the others are removed, the lists
    stay aligned and a document left with nothing is marked empty."""
    from engine.document import Document, to_batch
    from jobs.images.tasks import Rewrite, decode_outcome, fetch_outcome
    from schemas.omnicorpus import arrow_schema

    a = Document(id="a", url="http://x.test/a")
    a.add_text("one")
    a.add_image("http://x.test/1.jpg", alt="first")
    a.add_image("http://x.test/2.jpg")
    b = Document(id="b", url="http://x.test/b")
    b.add_image("http://x.test/3.jpg")
    table = pa.Table.from_batches([to_batch([a, b])])
    filled = dict(width=300, height=200, bytes=1234, sha256="ab" * 32, p_hash="0" * 16, d_hash="f" * 16,
                  p_hash_dup_count=1, d_hash_dup_count=1, unsafe_prob=0.1, aesthetic_prob=None)
    nothing = {k: None for k in filled}
    decisions = [[{"pos": 1, "keep": True, **filled}, {"pos": 2, "keep": False, **nothing}],
                 [{"pos": 0, "keep": False, **nothing}]]
    table = (table.append_column("crawl", pa.array(["c", "c"])).append_column("lang", pa.array(["en", "en"]))
             .append_column("_decisions", pa.array(decisions))
             .append_column("_doc_drop", pa.array([None, None], pa.string())))
    out = pa.Table.from_batches(list(Rewrite(tuple(arrow_schema().names), True)(table.to_batches())))
    rows = out.to_pylist()
    assert [r["_status"] for r in rows] == ["kept", "empty"]
    first = rows[0]
    assert first["texts"] == ["one", None] and first["images"] == [None, "http://x.test/1.jpg"]
    meta = first["metadata"][1]
    assert meta["width"] == 300 and meta["alt"] == "first" and meta["sha256"] == "ab" * 32
    assert meta["img_url_sha"] == hashlib.sha256(b"http://x.test/1.jpg").hexdigest()
    assert first["general_metadata"]["num_images"] == 1 and first["crawl"] == "c"
    kept_all = pa.Table.from_batches(list(Rewrite(tuple(arrow_schema().names), False)(table.to_batches())))
    assert kept_all.to_pylist()[0]["images"][2] == "http://x.test/2.jpg"  # remove_failed false: position kept
    assert fetch_outcome("opted_out") == ("dropped", "opted_out") and fetch_outcome("dns") == ("failed", "dns")
    assert decode_outcome("too_small") == ("dropped", "validation:too_small")
    assert decode_outcome("truncated") == ("failed", "truncated") and decode_outcome(None) == ("ok", None)


@pytest.mark.spark
@pytest.mark.slow
def test_images_stage_on_warcs_and_loopback(spark, tmp_path, server):
    from jobs import extract
    from jobs.images import ImagesJob

    out = tmp_path / "out"
    assert extract.main(["--input", *map(str, WARCS), "--output", str(out), "--master", "local[2]"]) == 0
    # the input: the extracted WARC pages plus the loopback documents, in the same partitioning
    inp = tmp_path / "in" / "crawl=unknown"
    inp.mkdir(parents=True)
    for f in _files(out / "extract"):
        (inp / f.name).write_bytes(f.read_bytes())
    base = f"http://127.0.0.1:{server.port}"
    pq.write_table(_docs(base), inp / "loopback.parquet")
    argv = ["--input", str(tmp_path / "in"), "--output", str(out), "--master", "local[2]",
            "--set", 'images.policy.allow_networks=["127.0.0.1/32"]',
            "--set", f"images.policy.extra_ports=[{server.port}]",
            "--set", "images.fetch.per_host_rate=0",
            "--set", 'images.job.only_hosts=["127.0.0.1"]']  # the one WARC image not in the WARC is not fetched
    assert ImagesJob().main(argv) == 0
    stats = json.loads((out / "stats/images.json").read_text())
    assert stats["records_in"] == stats["kept"] + stats["dropped_total"] + stats["failed_total"]
    side, by = stats["side_outputs"], stats["by"]
    assert side["from_warc"] >= 29 and side["downloaded"] == 4, side  # 4 distinct loopback images fetched
    assert stats["dropped"]["duplicate_in_document"] == 1
    assert stats["dropped"]["opted_out"] == 1
    assert stats["failed"]["status_4xx"] == 2 and stats["failed"]["not_an_image"] == 1
    assert stats["failed"]["not_fetched"] == 2  # Mona Lisa's own image (not in the WARC, host not allowed)
    assert by["kept_from"]["download"] == 5 and by["kept_from"]["warc"] >= 6
    assert by["documents"]["empty"] == 1 and by["documents"]["in"] == by["documents"]["kept"] + 1

    docs = pa.concat_tables([pq.read_table(p) for p in _files(out / "docs")])
    metas = [m for row in docs.column("metadata").to_pylist() for m in row if m is not None]
    assert len(metas) == stats["kept"]
    filled = [m for m in metas if m["width"] and m["height"] and m["sha256"] and m["p_hash"] and m["d_hash"]]
    assert len(filled) >= 0.8 * len(metas)
    try:
        import nudenet  # noqa: F401
        assert all(m["unsafe_prob"] is not None for m in metas)
    except ImportError:
        pass
    by_id = {r["general_metadata"]["id"]: r for r in docs.to_pylist()}
    d1 = by_id["loopback-1"]
    assert [u.rsplit("/", 1)[-1] if u else None for u in d1["images"]] == [None, "peppers.png", None,
                                                                            "astronaut.png", None]
    assert d1["metadata"][1]["alt"] == "alt of /img/imagehash/peppers.png"
    shared = d1["metadata"][3]
    assert shared["p_hash_dup_count"] == 2 and shared["d_hash_dup_count"] == 2  # astronaut: documents 1 and 2
    for row in by_id.values():  # aligned lists, counts rewritten
        assert len(row["texts"]) == len(row["images"]) == len(row["metadata"])
        assert row["general_metadata"]["num_images"] == sum(u is not None for u in row["images"])

    store = pa.concat_tables([pq.read_table(p) for p in _files(out / "images/store")])
    shas = store.column("sha256").to_pylist()
    assert len(shas) == len(set(shas)) == side["store_rows"]
    assert {m["sha256"] for m in metas} == set(shas)
    assert all(hashlib.sha256(c).hexdigest() == s for c, s in zip(store.column("content").to_pylist(), shas))

    # rerun: nothing fetched again, the same rows
    hits = sum(server.hits.values())
    docs_hash, store_hash = _sorted_hash(_files(out / "docs")), _sorted_hash(_files(out / "images/store"))
    assert ImagesJob().main(argv) == 0
    again = json.loads((out / "stats/images.json").read_text())
    assert sum(server.hits.values()) == hits
    assert again["side_outputs"].get("fetched_now", 0) == 0
    assert again["side_outputs"]["fetched_before"] == 8 == side["fetched_now"]
    assert (again["kept"], again["dropped"], again["failed"]) == (stats["kept"], stats["dropped"], stats["failed"])
    assert _sorted_hash(_files(out / "docs")) == docs_hash
    assert _sorted_hash(_files(out / "images/store")) == store_hash

    import duckdb

    n_docs, n_images = duckdb.sql(
        f"select count(*), sum(len(list_filter(images, lambda u: u is not null))) "
        f"from read_parquet('{out}/docs/**/*.parquet', hive_partitioning=true)").fetchall()[0]
    assert n_docs == len(by_id) and n_images == stats["kept"]
    rows, distinct = duckdb.sql(f"select count(*), count(distinct sha256) "
                                f"from read_parquet('{out}/images/store/*.parquet')").fetchall()[0]
    assert rows == distinct == len(shas)
