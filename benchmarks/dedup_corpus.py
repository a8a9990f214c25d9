"""Generate a dedup evaluation corpus from real text, with planted near-duplicates at known Jaccard levels.

Base documents are real: the bundled dedup fixtures (tests/data/dedup), the article bodies of
../shared/data/extraction/scrapinghub-aeb, the CC documents of ../shared/data/text/cc-dolma and the
cs336 fixtures. Larger corpora (benchmarks) add documents assembled from real sentences (the same articles plus
Leipzig web sentences of ../shared/data/langid/lingua), ~8 KB each. A share of the documents gets a variant made
by real edit operations (word substitutions, deletions, insertions, paragraph moves) stopped when the shingle
Jaccard reaches a target drawn from [min_j, 1.0]; the achieved Jaccard is recorded.

    python -m benchmarks.dedup_corpus --docs 100000 --out /tmp/corpus.parquet [--planted 0.2] [--seed 0]

Columns: id, url, date (timestamp), text, source, planted_from (id of the base of a variant), planted_jaccard.
`brute_force_pairs` gives the ground truth (every pair with Jaccard >= t) through a sparse product.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine.dedup.minhash import MinHashParams, exact_jaccard, shingle_sets

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "data" / "dedup"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def real_documents() -> list[tuple[str, str]]:
    """(source, text) of every real document available; the bundled fixtures always, shared/ when present."""
    docs: list[tuple[str, str]] = []
    for path in sorted(FIXTURES.glob("*.txt")):
        if path.name != "SOURCE.txt":
            docs.append((f"fixture:{path.name}", path.read_text()))
    aeb = SHARED / "extraction" / "scrapinghub-aeb" / "ground-truth.json"
    if aeb.exists():
        for key, value in sorted(json.loads(aeb.read_text()).items()):
            docs.append((f"aeb:{key}", value["articleBody"]))
    for path in sorted((SHARED / "text" / "cc-dolma").rglob("*.json*.gz")) if (SHARED / "text").exists() else []:
        if "expected" in path.parts or "attributes" in path.parts:
            continue
        with gzip.open(path, "rt") as f:
            for i, line in enumerate(f):
                text = json.loads(line).get("text")
                if text:
                    docs.append((f"dolma:{path.name}:{i}", text))
    cs336 = SHARED / "text" / "cs336-fixtures"
    for path in sorted(cs336.rglob("*.txt")) if cs336.exists() else []:
        if path.name != "SOURCE.txt":
            docs.append((f"cs336:{path.name}", path.read_text()))
    return [(s, t) for s, t in docs if len(t.split()) >= 20]


def sentence_pool(docs: list[tuple[str, str]]) -> list[str]:
    pool = [s.strip() for _, text in docs for s in text.replace("\n", " ").split(". ") if len(s.split()) >= 5]
    lingua = SHARED / "langid" / "lingua" / "sentences"
    for path in sorted(lingua.glob("*.txt")) if lingua.exists() else []:
        pool.extend(line.strip() for line in path.read_text().splitlines() if len(line.split()) >= 5)
    return pool


def assembled_document(rng: random.Random, pool: list[str], target_bytes: int) -> str:
    paragraphs, size = [], 0
    while size < target_bytes:
        para = ". ".join(rng.choice(pool) for _ in range(rng.randint(3, 7))) + "."
        paragraphs.append(para)
        size += len(para.encode()) + 2
    return "\n\n".join(paragraphs)


def edit_until(text: str, target: float, rng: random.Random, params: MinHashParams, vocab: list[str]) -> tuple[str, float]:
    """Apply random word edits (and an occasional paragraph move) until Jaccard(text, variant) <= target.

    Bisection on the number of edits of one fixed edit script, so the result lands close to the target."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 2 and rng.random() < 0.3:  # move one paragraph: boundaries change, content stays
        paragraphs.insert(rng.randrange(len(paragraphs)), paragraphs.pop(rng.randrange(len(paragraphs))))
    words = [p.split(" ") for p in paragraphs]
    flat = [(i, j) for i, p in enumerate(words) for j in range(len(p))]
    script = [(rng.choice(("sub", "del", "ins")), rng.randrange(len(flat)), rng.choice(vocab)) for _ in range(len(flat))]

    def apply(n_edits: int) -> str:
        out = [list(p) for p in words]
        for op, k, word in sorted(script[:n_edits], key=lambda e: -e[1]):
            i, j = flat[k]
            j = min(j, len(out[i]) - 1)  # an earlier deletion at the same position shortened the paragraph
            if op == "sub":
                out[i][j] = word
            elif op == "del" and len(out[i]) > 1:
                del out[i][j]
            else:
                out[i].insert(j, word)
        return "\n\n".join(" ".join(p) for p in out)

    base = shingle_sets(pa.array([text]), params)[0]
    lo, hi = 0, len(script)
    best = (apply(0), exact_jaccard(base, shingle_sets(pa.array([apply(0)]), params)[0]))
    while lo < hi:
        mid = (lo + hi) // 2
        variant = apply(mid)
        j = exact_jaccard(base, shingle_sets(pa.array([variant]), params)[0])
        if j > target:
            lo = mid + 1
        else:
            hi = mid
            best = (variant, j)
    if best[1] > target:  # not reachable (tiny text): keep the last script length
        variant = apply(len(script))
        best = (variant, exact_jaccard(base, shingle_sets(pa.array([variant]), params)[0]))
    return best


def generate(n_docs: int, planted: float = 0.2, min_j: float = 0.5, seed: int = 0,
             target_bytes: int = 8000, params: MinHashParams = MinHashParams()) -> pa.Table:
    rng = random.Random(seed)
    real = real_documents()
    pool = sentence_pool(real)
    vocab = sorted({w for _, t in real for w in t.split() if w.isalpha()})
    rows: dict[str, list] = {k: [] for k in ("id", "url", "date", "text", "source", "planted_from", "planted_jaccard")}

    def add(text: str, source: str, base: str | None, jac: float | None) -> str:
        n = len(rows["id"])
        doc_id = f"d{n:07d}"
        rows["id"].append(doc_id)
        rows["url"].append(f"https://site{n % 997}.example.org/page/{n}")
        rows["date"].append(EPOCH + timedelta(minutes=rng.randrange(0, 525600)))
        rows["text"].append(text)
        rows["source"].append(source)
        rows["planted_from"].append(base)
        rows["planted_jaccard"].append(jac)
        return doc_id

    n_variants = int(n_docs * planted)
    n_bases = n_docs - n_variants
    bases = []
    for k in range(n_bases):
        if k < len(real):
            source, text = real[k]
        elif pool:
            source, text = "assembled", assembled_document(rng, pool, target_bytes)
        else:
            raise RuntimeError("no text pool: ../shared/data missing and the corpus asks for more than the fixtures")
        bases.append((add(text, source, None, None), text))
    for _ in range(n_variants):
        base_id, text = rng.choice(bases)
        target = rng.uniform(min_j, 1.0)
        variant, jac = edit_until(text, target, rng, params, vocab) if target < 1.0 else (text, 1.0)
        add(variant, "variant", base_id, jac)
    return pa.table({
        "id": pa.array(rows["id"]), "url": pa.array(rows["url"]),
        "date": pa.array(rows["date"], pa.timestamp("us", tz="UTC")), "text": pa.array(rows["text"]),
        "source": pa.array(rows["source"]), "planted_from": pa.array(rows["planted_from"], pa.string()),
        "planted_jaccard": pa.array(rows["planted_jaccard"], pa.float64()),
    })


def brute_force_pairs(texts: list[str], threshold: float, params: MinHashParams = MinHashParams()) -> dict:
    """{(i, j): jaccard} for every pair i < j of documents with shingle Jaccard >= threshold (exact, all pairs)."""
    from scipy import sparse

    sets = shingle_sets(pa.array(texts), params)
    sizes = np.array([s.size for s in sets])
    all_hashes = np.concatenate(sets) if sets else np.zeros(0, np.uint64)
    _, cols = np.unique(all_hashes, return_inverse=True)
    rows = np.repeat(np.arange(len(sets)), sizes)
    x = sparse.csr_matrix((np.ones(rows.size, np.int32), (rows, cols)), shape=(len(sets), cols.max() + 1 if cols.size else 1))
    inter = sparse.triu(x @ x.T, k=1).tocoo()
    union = sizes[inter.row] + sizes[inter.col] - inter.data
    jac = inter.data / np.maximum(union, 1)
    keep = jac >= threshold
    return {(int(i), int(j)): float(v) for i, j, v in zip(inter.row[keep], inter.col[keep], jac[keep])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--planted", type=float, default=0.2, help="share of documents that are edited variants")
    p.add_argument("--min-jaccard", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    table = generate(args.docs, args.planted, args.min_jaccard, args.seed)
    pq.write_table(table, args.out, compression="zstd", row_group_size=10_000)
    print(f"{table.num_rows} documents, {sum(len(t) for t in table.column('text').to_pylist()) / 1e6:.1f} MB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def ukwa_recrawl_rows() -> list[dict]:
    """Text of the HTML pages crawled twice in ../shared/data/warc/ukwa (DERIVED-recrawl-pairs.tsv), both crawls.

    A revisit record (identical payload) gets the text of the first crawl's response, as a WARC reader would."""
    from resiliparse.extract.html2text import extract_plain_text
    from warcio.archiveiterator import ArchiveIterator

    ukwa = SHARED / "warc" / "ukwa"
    pairs = [line.split("\t") for line in (ukwa / "DERIVED-recrawl-pairs.tsv").read_text().splitlines()
             if not line.startswith(("#", "url\t"))]
    wanted = {p[0]: p for p in pairs if p[1] == "text/html"}
    records: dict[str, dict] = {}
    for crawl, name in enumerate(sorted(ukwa.glob("BL-2014032512*.warc.gz")), start=1):
        with open(name, "rb") as f:
            for rec in ArchiveIterator(f):
                rid = rec.rec_headers.get_header("WARC-Record-ID")
                url = rec.rec_headers.get_header("WARC-Target-URI")
                if url not in wanted or rid not in (wanted[url][3], wanted[url][4]):
                    continue
                html = rec.content_stream().read().decode("utf-8", "replace") if rec.rec_type == "response" else None
                records[rid] = {"id": rid, "url": url, "date": rec.rec_headers.get_header("WARC-Date"),
                                "crawl": crawl, "relation": wanted[url][2],
                                "text": extract_plain_text(html, main_content=False) if html else None}
    rows = []
    for url, p in sorted(wanted.items()):
        first, second = records.get(p[3]), records.get(p[4])
        if first is None or second is None:
            continue
        if second["text"] is None:
            second["text"] = first["text"]
        rows += [first, second]
    return rows
