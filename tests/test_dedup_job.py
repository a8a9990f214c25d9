"""weft dedup end to end on real documents: cs336 MIT pair, ukwa re-crawl pairs, planted variants, the document
schema (paragraph boilerplate, frequent image URLs, partitions), determinism across partition counts."""
from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.document import Document, to_batch
from benchmarks.dedup_corpus import brute_force_pairs, generate

pytestmark = pytest.mark.spark
DATA = Path(__file__).resolve().parent / "data" / "dedup"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def generic_input(tmp_path_factory):
    rows = []
    for i, name in enumerate(("rails_mit_license.txt", "react_mit_license.txt", "pytorch_license.txt")):
        rows.append({"doc": f"cs336-{name}", "body": (DATA / name).read_text(), "url": None,
                     "ts": T0 + timedelta(days=i)})
    with gzip.open(DATA / "ukwa_recrawl_pairs.jsonl.gz", "rt") as f:
        for line in f:
            r = json.loads(line)  # URLs left out: the pairs must be found from their text
            rows.append({"doc": r["id"], "body": r["text"], "url": None,
                         "ts": datetime.fromisoformat(r["date"].replace("Z", "+00:00"))})
    planted = generate(120, planted=0.4, seed=2).to_pylist()
    fixture_ids = {r["id"] for r in planted if r["source"].startswith("fixture:")}  # already added above
    planted = [r for r in planted if r["id"] not in fixture_ids and r["planted_from"] not in fixture_ids]
    for r in planted:
        rows.append({"doc": r["id"], "body": r["text"], "url": r["url"], "ts": r["date"]})
    rows.append({"doc": "u-old", "body": "an old version of the page " * 5, "url": "http://www.site.org/p?utm_source=x",
                 "ts": T0})
    rows.append({"doc": "u-new", "body": "a completely rewritten page " * 5, "url": "https://site.org/p", "ts": T0 + timedelta(days=9)})
    for i in range(3):  # one domain with a repeated footer line; blank lines are layout and must survive
        words = " ".join(f"topic{i}word{k}" for k in range(30))
        rows.append({"doc": f"blog-{i}", "body": f"{words}\n\nShare this post on social media\n\nend {i}",
                     "url": f"https://blog.example.net/post/{i}", "ts": T0})
    path = tmp_path_factory.mktemp("generic") / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path, rows, planted


def _run(path, out, partitions, extra=()):
    from jobs.dedup import main

    argv = ["--input", str(path), "--output", str(out), "--id-column", "doc", "--text-column", "body",
            "--date-column", "ts", "--url-column", "url", "--partitions", str(partitions), *extra]
    assert main(argv) == 0
    kept = pq.read_table(out / "dedup" / "kept").to_pylist()
    dups = pq.read_table(out / "dedup" / "duplicates").to_pylist()
    return sorted(kept, key=lambda r: r["doc"]), sorted(dups, key=lambda r: r["id"])


@pytest.mark.slow
def test_generic_dedup_finds_real_pairs_keeps_newest_and_is_deterministic(generic_input, tmp_path):
    path, rows, _ = generic_input
    kept, dups = _run(path, tmp_path / "a", 3)
    kept2, dups2 = _run(path, tmp_path / "b", 7)
    assert kept == kept2 and dups == dups2

    stats = json.loads((tmp_path / "a" / "stats" / "dedup.json").read_text())
    assert stats["records_in"] == len(rows) == stats["kept"] + stats["dropped_total"]
    # CPU of the Python side: the workers' signature pass alone is measurable, the driver's is separate
    cpu = stats["by"]["cpu_s"]
    assert cpu["python_workers"] > 0 and stats["cpu_s"] == pytest.approx(cpu["python_workers"] + cpu["python_driver"], abs=0.01)
    by_id = {d["id"]: d for d in dups}
    date = {r["doc"]: r["ts"] for r in rows}
    # MIT licence pair: the older (rails) is a near duplicate of react; the BSD licence is kept.
    assert by_id["cs336-rails_mit_license.txt"]["representative_id"] == "cs336-react_mit_license.txt"
    assert by_id["cs336-rails_mit_license.txt"]["reason"] == "near"
    assert "cs336-pytorch_license.txt" not in by_id
    # every ukwa re-crawl pair ends in one group, represented by the re-crawl (newest) unless the page's text also
    # equals a newer page (site-wide templates such as the empty autocomplete response)
    with gzip.open(DATA / "ukwa_recrawl_pairs.jsonl.gz", "rt") as f:
        ukwa = [json.loads(line) for line in f]
    for first, second in zip(ukwa[::2], ukwa[1::2]):
        rep_second = by_id[second["id"]]["representative_id"] if second["id"] in by_id else second["id"]
        assert by_id[first["id"]]["representative_id"] == rep_second, first["url"]
        if first["relation"] == "identical":
            assert by_id[first["id"]]["reason"] == "exact"
    # URL dedup across scheme, www and tracking parameters keeps the newest fetch
    assert by_id["u-old"]["reason"] == "url" and by_id["u-old"]["representative_id"] == "u-new"
    # representatives are kept and are the newest of their group
    kept_ids = {r["doc"] for r in kept}
    for d in dups:
        assert d["representative_id"] in kept_ids
        assert date[d["representative_id"]] >= date[d["id"]]
    assert set(kept[0].keys()) == {"doc", "body", "url", "ts"}
    # in-domain boilerplate lines are removed, everything else of the text (blank lines included) is kept
    kept_body = {r["doc"]: r["body"] for r in kept}
    for i in range(3):
        assert kept_body[f"blog-{i}"] == " ".join(f"topic{i}word{k}" for k in range(30)) + f"\n\n\nend {i}"
    assert stats["side_outputs"]["paragraphs_removed"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("verify", ["exact", "hybrid"])
def test_near_pairs_against_brute_force(spark, generic_input, verify):
    from jobs.dedup import find_duplicates, read_source

    path, rows, planted = generic_input
    cfg = {"url": {"enabled": False}, "exact": {"enabled": False},
           "near": {"threshold": 0.8, "verify": verify, "uncertain": [0.7, 0.9]}}
    result = find_duplicates(read_source(spark, [str(path)], None, "doc", "body", "ts", "url"), cfg)
    ids = {r["node"]: r["id"] for r in result.nodes.select("node", "id").collect()}
    found = {frozenset((ids[r["a"]], ids[r["b"]])) for r in result.near_edges.collect()}
    texts = [r["body"] or "" for r in rows]
    truth = {frozenset((rows[i]["doc"], rows[j]["doc"])) for i, j in brute_force_pairs(texts, 0.8)}
    assert truth, "the planted corpus must contain pairs above the threshold"
    # exact: no false positives by construction; hybrid: only pairs estimated >= 0.9 skip the exact check, and
    # an estimate from 160 values lies > 3 standard deviations above a true Jaccard below 0.8
    assert found <= truth
    assert len(found) / len(truth) >= 0.9
    assert frozenset(("cs336-rails_mit_license.txt", "cs336-react_mit_license.txt")) in found
    if verify == "hybrid":
        assert 0 < result.side["near_exact_checked_pairs"] < result.side["near_candidate_pairs"]


def test_unknown_verify_mode_fails_before_any_work(spark, generic_input):
    from jobs.dedup import find_duplicates, read_source

    source = read_source(spark, [str(generic_input[0])], None, "doc", "body", "ts", "url")
    with pytest.raises(ValueError, match="verify"):
        find_duplicates(source, {"near": {"verify": "estimate"}})


def _doc(i, domain, texts, images, when):
    d = Document(id=f"doc{i:02d}", url=f"https://{domain}/p{i}")
    for item in texts:
        d.add_text(item)
    for url in images:
        d.add_image(url, alt="a")
    d.meta.update(fetch_date=when, crawl_id="CC-TEST", language="en")
    return d


@pytest.mark.slow
def test_document_schema_paragraphs_images_and_partitions(tmp_path):
    from jobs.dedup import main
    from jobs.validate import main as validate_main

    boiler = "Subscribe to our newsletter for the latest updates"
    docs = []
    for i in range(6):
        body = [f"Unique article number {i} talks about topic {i} in considerable detail with many words {i}" * 3]
        domain = "news.example.com" if i < 4 else "other.org"
        imgs = ["http://cdn.example.com/logo.png?utm_source=a"] + [f"http://img.example.com/{i}.jpg"]
        docs.append(_doc(i, domain, body + [boiler], imgs, T0 + timedelta(hours=i)))
    docs.append(_doc(9, "news.example.com", [boiler], [], T0))  # only boilerplate -> dropped
    # an older exact copy of doc09: doc09 is its representative until boilerplate removal empties doc09
    docs.append(_doc(8, "news.example.com", [boiler], [], T0 - timedelta(days=1)))
    table = pa.Table.from_batches([to_batch(docs)])
    for crawl, part in (("CC-A", table.slice(0, 4)), ("CC-B", table.slice(4))):
        d = tmp_path / "in" / f"crawl={crawl}"
        d.mkdir(parents=True)
        pq.write_table(part, d / "part.parquet")
    out = tmp_path / "out"
    assert main(["--input", str(tmp_path / "in"), "--output", str(out), "--partitions", "2",
                 "--set", "dedup.image_url.max_docs=3", "--set", "dedup.paragraph.min_docs_per_domain=3"]) == 0
    kept = pq.read_table(out / "dedup" / "kept").to_pylist()
    assert {r["crawl"] for r in kept} == {"CC-A", "CC-B"}
    by_id = {r["general_metadata"]["id"]: r for r in kept}
    assert "doc09" not in by_id and "doc08" not in by_id and len(by_id) == 6
    # no dangling representative: doc08's group lost its kept copy, so doc08 is boilerplate, not a duplicate
    dups = pq.read_table(out / "dedup" / "duplicates").to_pylist()
    assert all(d["representative_id"] in by_id for d in dups) and "doc08" not in {d["id"] for d in dups}
    assert validate_main([str(out / "dedup" / "kept")]) == 0
    for doc_id, r in by_id.items():
        assert len(r["texts"]) == len(r["images"]) == len(r["metadata"])
        assert all(u is None or "logo.png" not in u for u in r["images"])  # in 6 documents > 3
        assert sum(u is not None for u in r["images"]) == 1 == r["general_metadata"]["num_images"]
        in_news = r["general_metadata"]["domain"] == "news.example.com"
        assert (boiler in r["texts"]) is (not in_news)  # removed only where the domain repeats it
        assert r["general_metadata"]["minhash_cluster"] == doc_id and r["general_metadata"]["dup_count"] == 1
    stats = json.loads((out / "stats" / "dedup.json").read_text())
    assert stats["dropped"] == {"boilerplate": 1, "boilerplate_copy": 1} and stats["records_in"] == 8
    assert stats["side_outputs"]["image_urls_dropped"] == 6 and stats["side_outputs"]["paragraphs_removed"] == 5


def _exchange_inputs(spark, since: int) -> list[set[str]]:
    """The input columns of every Exchange (shuffle or broadcast) in the SQL executions numbered >= since, from the
    plans that Spark's SQL status store keeps (formatted explain; the final plan of an adaptive query)."""
    executions = spark._jsparkSession.sharedState().statusStore().executionsList()
    found = []
    for i in range(executions.size()):
        execution = executions.apply(i)
        if execution.executionId() < since:
            continue
        for block in execution.physicalPlanDescription().split("\n\n"):
            lines = block.strip().splitlines()
            if lines and re.match(r"\(\d+\) \w*Exchange\b", lines[0]):
                for line in lines[1:]:
                    m = re.match(r"Input \[\d+\]: \[(.*)\]$", line)
                    if m:
                        found.append({re.sub(r"#\d+L?$", "", c.strip()) for c in m.group(1).split(",")})
    return found


def _next_execution(spark) -> int:
    executions = spark._jsparkSession.sharedState().statusStore().executionsList()
    return max((executions.apply(i).executionId() for i in range(executions.size())), default=-1) + 1


def _documents_input(rows, path):
    """The generic fixture's texts as document-schema rows: paragraphs, three domains with a shared footer and logo."""
    docs = []
    for i, r in enumerate(rows):
        paragraphs = [p for p in (r["body"] or "").split("\n\n") if p.strip()] or ["(empty)"]
        domain = f"site{i % 3}.example.org"
        docs.append(_doc(i, domain, paragraphs + [f"Footer of {domain}: contact and privacy policy"],
                         [f"https://{domain}/logo.png", f"https://{domain}/img/{i}.jpg"], r["ts"]))
    pq.write_table(pa.Table.from_batches([to_batch(docs)]), path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("schema", ["generic", "documents"])
def test_no_document_text_crosses_a_shuffle(spark, generic_input, tmp_path, schema):
    """The dedup decisions are joined to the documents by broadcasts: no Exchange of any query of the run carries
    the text column. Above dedup.broadcast_max_rows the shuffle join (crawl scale) gives the same outputs, and its
    text exchange is seen by the same check (so the check can fail)."""
    from jobs.dedup import read_source, run_dedup

    path, rows, _ = generic_input
    if schema == "generic":
        text_col, read = "body", lambda: read_source(spark, [str(path)], None, "doc", "body", "ts", "url")
    else:
        docs_path = _documents_input(rows, tmp_path / "docs.parquet")
        text_col, read = "texts", lambda: read_source(spark, [str(docs_path)])
    outputs, exchanged = {}, {}
    for limit in (2_000_000, 0):
        since = _next_execution(spark)
        out = tmp_path / f"out-{limit}"
        stats = run_dedup(read(), str(out), {"broadcast_max_rows": limit, "image_url": {"max_docs": 3}})
        exchanged[limit] = [cols for cols in _exchange_inputs(spark, since) if text_col in cols]
        outputs[limit] = ([sorted(map(str, t.to_pylist())) for t in (pq.read_table(out / "dedup" / "kept"),
                                                                     pq.read_table(out / "dedup" / "duplicates"))],
                          stats.dropped, {k: v for k, v in stats.side.items() if k != "components_rounds"})
        # below the limit the few verified pairs are labelled on the driver (no rounds), above it by the rounds
        assert (stats.side["components_rounds"] == 0) == (limit > 0)
    assert exchanged[2_000_000] == []
    assert exchanged[0], "the shuffle join must carry the text (else this check sees nothing)"
    assert outputs[2_000_000] == outputs[0]
    kept, dups = outputs[0][0]
    assert kept and dups and outputs[0][2].get("paragraphs_removed", 0) > 0
