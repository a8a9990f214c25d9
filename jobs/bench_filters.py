"""Parity and speed of weft's text filters against datatrove's, on the same real documents.

    python -m jobs.bench_filters [--repeats 5] [--extract-dir OUT/extract] [--json .bench/filters.json]

Documents: main text extracted with trafilatura from every HTML response in ../shared/data/warc/* (or the
Parquet of a previous `weft extract` with --extract-dir), plus ../shared/data/text/ (cs336 fixtures, dolma CC
documents). Skips cleanly when ../shared/data is absent.

Peer: datatrove's GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter with
their defaults, run in the separate venv .venv-datatrove (python3 -m venv .venv-datatrove &&
.venv-datatrove/bin/pip install datatrove spacy regex), never imported here. Each filter sees a fresh copy of
each text (C4 rewrites text in datatrove). weft's families decide with the default config/filters.yaml rules
for English, the language datatrove's filters assume.

Speed: CPU seconds per pass over all documents, median over repeats, for (a) weft's four families,
(b) datatrove's four filters (in its process), (c) weft's whole FilterStep (language ID + OmniCorpus paragraph
rules + every family + safety). Reported as docs/s per core and the ratio weft/datatrove, next to OmniCorpus's
published 109 docs per CPU-second for its preliminary text filters.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
PEER_VENV = ROOT / ".venv-datatrove"
FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
OMNICORPUS_DOCS_PER_CPU_S = 109.0  # OmniCorpus (arXiv:2406.08418), preliminary text filtering rate

PEER_SCRIPT = r'''
import json, sys, time, statistics
from datatrove.data import Document
from datatrove.pipeline.filters import (GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter,
                                        FineWebQualityFilter)
docs = [json.loads(l) for l in open(sys.argv[1])]
repeats = int(sys.argv[3])
filters = {"gopher_quality": GopherQualityFilter(), "gopher_repetition": GopherRepetitionFilter(),
           "c4": C4QualityFilter(), "fineweb": FineWebQualityFilter()}
def run(f, d):
    try:
        r = f.filter(Document(text=d["text"], id=d["id"]))
    except Exception as e:
        return False, "error:" + type(e).__name__
    if isinstance(r, tuple):
        return bool(r[0]), r[1]
    return bool(r), None
decisions = {d["id"]: {name: run(f, d) for name, f in filters.items()} for d in docs}
times = []
for _ in range(repeats):
    t = time.process_time()
    for d in docs:
        for f in filters.values():
            run(f, d)
    times.append(time.process_time() - t)
json.dump({"decisions": decisions, "cpu_s": times}, open(sys.argv[2], "w"))
'''


def html_documents() -> list[dict]:
    """trafilatura main text of every HTML response in the shared fixture WARCs."""
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    docs = []
    for path in sorted((SHARED / "warc").glob("*/*")):
        if not path.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
            continue
        try:
            with open(path, "rb") as f:
                for rec in ArchiveIterator(f, arc2warc=True):
                    if rec.rec_type != "response" or not rec.http_headers:
                        continue
                    if "html" not in (rec.http_headers.get_header("Content-Type") or ""):
                        continue
                    html = rec.content_stream().read()
                    text = trafilatura.extract(html, include_comments=False) or ""
                    if text.strip():
                        url = rec.rec_headers.get_header("WARC-Target-URI")
                        docs.append({"id": f"{path.name}#{len(docs)}", "url": url, "text": text})
        except Exception as e:  # the fixtures include deliberately broken WARCs: keep what was read
            print(f"  {path.name}: stopped at {type(e).__name__}", file=sys.stderr)
    return docs


def text_documents() -> list[dict]:
    docs = []
    for path in sorted((SHARED / "text").rglob("*.txt")):
        if path.name != "SOURCE.txt":
            docs.append({"id": str(path.relative_to(SHARED)), "url": None, "text": path.read_text(encoding="utf-8")})
    for path in sorted((SHARED / "text").rglob("*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                obj = json.loads(line)
                if isinstance(obj.get("text"), str) and obj["text"].strip():
                    docs.append({"id": f"{path.relative_to(SHARED)}#{i}", "url": None, "text": obj["text"]})
    return docs


def extract_documents(extract_dir: str) -> list[dict]:
    import pyarrow.parquet as pq

    from engine.document import from_batch

    docs = []
    for path in sorted(Path(extract_dir).rglob("*.parquet")):
        for d in from_batch(pq.read_table(path)):
            if d.text.strip():
                docs.append({"id": d.id, "url": d.url, "text": d.text})
    return docs


def weft_family_decisions(texts: list[str], cfg) -> list[dict[str, tuple[bool, str | None]]]:
    from filters import c4, fineweb, gopher
    from filters.text import TextStats

    quality_keys = set(gopher.quality_scores(TextStats("x", "en")))
    out = []
    for text in texts:
        ts = TextStats(text, "en")
        q, r = gopher.quality_scores(ts), gopher.repetition_scores(ts)
        s = {**q, **r, **c4.score(ts), **fineweb.score(ts)}
        rules = cfg.rules_for("en")
        res = {}
        for fam, pred in (("gopher_quality", lambda x: x.score in quality_keys),
                          ("gopher_repetition", lambda x: x.family == "gopher" and x.score not in quality_keys),
                          ("c4", lambda x: x.family == "c4"), ("fineweb", lambda x: x.family == "fineweb")):
            failed = next((x.name for x in rules if pred(x) and x.fails(s.get(x.score))), None)
            res[fam] = (failed is None, failed)
        # Gopher repetition and FineWeb reject empty text outright in datatrove
        if not text:
            res["gopher_repetition"] = res["fineweb"] = (False, "empty")
        out.append(res)
    return out


def time_cpu(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m jobs.bench_filters", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--extract-dir", help="read documents from weft extract Parquet instead of running trafilatura")
    p.add_argument("--json", default=str(ROOT / ".bench" / "filters.json"))
    p.add_argument("--show", type=int, default=20, help="print up to N disagreements")
    args = p.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    peer_python = PEER_VENV / "bin" / "python"
    if not peer_python.exists():
        print(f"skip: {peer_python} not found (python3 -m venv .venv-datatrove && "
              ".venv-datatrove/bin/pip install datatrove spacy regex)")
        return 0

    cache = ROOT / ".bench" / "filter_docs.jsonl"
    if args.extract_dir:
        docs = extract_documents(args.extract_dir) + text_documents()
    elif cache.exists():
        docs = [json.loads(line) for line in cache.open(encoding="utf-8")]
    else:
        docs = html_documents() + text_documents()
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    print(f"{len(docs)} documents, median {statistics.median(len(d['text']) for d in docs):.0f} chars")

    from engine.document import Document
    from filters.pipeline import FilterStep, score_text
    from filters.rules import FilterConfig

    cfg = FilterConfig.load()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "docs.jsonl"), os.path.join(tmp, "peer.json")
        with open(src, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
        subprocess.run([str(peer_python), "-c", PEER_SCRIPT, src, dst, str(args.repeats)], check=True)
        peer = json.loads(Path(dst).read_text())

    texts = [d["text"] for d in docs]
    ours = weft_family_decisions(texts, cfg)

    # -- parity ----------------------------------------------------------------------------------------------
    report: dict = {"documents": len(docs), "parity": {}, "disagreements": []}
    all_agree = 0
    for fam in FAMILIES:
        agree = 0
        for d, o in zip(docs, ours):
            theirs = peer["decisions"][d["id"]][fam]
            if o[fam][0] == theirs[0]:
                agree += 1
            else:
                report["disagreements"].append({"id": d["id"], "family": fam, "weft": o[fam], "datatrove": theirs})
        report["parity"][fam] = agree / len(docs)
    for d, o in zip(docs, ours):
        all_agree += all(o[f][0] == peer["decisions"][d["id"]][f][0] for f in FAMILIES)
    report["parity"]["all_four"] = all_agree / len(docs)
    report["parity"]["combined_keep"] = sum(
        all(o[f][0] for f in FAMILIES) == all(peer["decisions"][d["id"]][f][0] for f in FAMILIES)
        for d, o in zip(docs, ours)) / len(docs)

    # -- speed -----------------------------------------------------------------------------------------------
    def weft_rules():
        for t in texts:
            score_text(t, "en")

    step = FilterStep(cfg)
    step.setup()

    def weft_stage():
        for d in docs:
            doc = Document(id=d["id"], url=d["url"])
            for para in d["text"].split("\n\n"):
                doc.add_text(para)
            step.process(doc)

    rules_t = time_cpu(weft_rules, args.repeats)
    stage_t = time_cpu(weft_stage, args.repeats)
    peer_t = peer["cpu_s"]
    n = len(docs)
    speed = {
        "weft_rules_docs_per_cpu_s": n / statistics.median(rules_t),
        "weft_stage_docs_per_cpu_s": n / statistics.median(stage_t),
        "datatrove_rules_docs_per_cpu_s": n / statistics.median(peer_t),
    }
    speed["ratio_rules_weft_over_datatrove"] = speed["weft_rules_docs_per_cpu_s"] / speed["datatrove_rules_docs_per_cpu_s"]
    speed["ratio_stage_weft_over_datatrove_rules"] = speed["weft_stage_docs_per_cpu_s"] / speed["datatrove_rules_docs_per_cpu_s"]
    speed["ratio_stage_over_omnicorpus_109"] = speed["weft_stage_docs_per_cpu_s"] / OMNICORPUS_DOCS_PER_CPU_S
    report["speed"] = {k: round(v, 2) for k, v in speed.items()}
    report["cpu_s"] = {"weft_rules": rules_t, "weft_stage": stage_t, "datatrove_rules": peer_t}

    print("parity (share of documents with the same keep/drop decision):")
    for k, v in report["parity"].items():
        print(f"  {k:<20} {100 * v:6.2f}%")
    print("speed (docs per CPU-second, median of", args.repeats, "passes):")
    for k, v in report["speed"].items():
        print(f"  {k:<42} {v:>10.2f}")
    for dis in report["disagreements"][: args.show]:
        print(f"  disagree {dis['family']:<18} {dis['id'][:60]:<60} weft={dis['weft']} datatrove={dis['datatrove']}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
