"""Parity and speed of weft's text filters against datatrove's, on the same real documents.

    python -m benchmarks.filters [--repeats 5] [--extract-dir OUT/extract] [--json .bench/filters.json]

Documents: main text extracted with trafilatura from every HTML response in ../shared/data/warc/* (or the
Parquet of a previous `weft extract` with --extract-dir), plus ../shared/data/text/ (cs336 fixtures, dolma CC
documents), without repeated texts. Skips cleanly when ../shared/data is absent.

Peer: datatrove's GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter with
their defaults, run in the separate venv .venv-datatrove (python3 -m venv .venv-datatrove &&
.venv-datatrove/bin/pip install datatrove spacy regex), never imported here. Each filter sees a fresh copy of
each text (C4 rewrites text in datatrove). weft's families decide with the `fineweb` preset's rules of
config/filters.yaml for English, the language datatrove's filters assume. Speed is the stage as configured
(the default preset, `weft`). Good and boilerplate kept per preset: benchmarks/filter_quality.py. Without that venv, only weft's speed is measured (no parity,
no datatrove timings).

Speed: CPU seconds per pass, median over repeats, for (a) weft's four families, (b) datatrove's four filters
(in its own process, which stays up and runs one pass per request), (c) weft's whole FilterStep run as the Spark
task runs it (batches of documents: language ID, OmniCorpus paragraph rules on one paragraph per line, every
family, safety). (c) is measured on all documents and on the documents of <= 50k characters (a few fixture pages
are 100-190k characters of link lists): with an empty token vocabulary (a fresh worker; these passes alternate with
datatrove's, so a drift of the machine's speed moves both sides of the ratio alike, which is also reported as the
median of the per-pair ratios), with the vocabulary warmed on a disjoint half of the documents (even/odd halves,
each measured after warming on the other), warmed first on weft's text of the 311 extraction-benchmark pages and
then the other half (closer to a Spark worker that has seen many pages, though not these), warmed on the same
documents (an upper bound), and without the compiled module (filters/_native.c's loops replaced by their
Python/numpy forms, passes alternating with the compiled ones). Reported as docs/s per core and the ratio
weft/datatrove, next to OmniCorpus's published 109 docs per CPU-second for its preliminary text filters. Also
printed: how often fastText's label on the first `langid.max_chars` characters is the label of the whole text.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
PEER_VENV = ROOT / ".venv-datatrove"
FAMILIES = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
OMNICORPUS_DOCS_PER_CPU_S = 109.0  # OmniCorpus (arXiv:2406.08418), preliminary text filtering rate
TYPICAL_CHARS = 50_000  # a few fixture pages are 100-190k characters of link lists; reported apart as well

PEER_SCRIPT = r'''
import json, sys, time
from datatrove.data import Document
from datatrove.pipeline.filters import (GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter,
                                        FineWebQualityFilter)
docs = [json.loads(l) for l in open(sys.argv[1])]
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
json.dump({d["id"]: {name: run(f, d) for name, f in filters.items()} for d in docs}, open(sys.argv[2], "w"))
subsets = {"all": docs, "typical": [d for d in docs if len(d["text"]) <= int(sys.argv[3])]}
print("ready", flush=True)
for line in sys.stdin:  # one timed pass per request, so the caller can interleave them with its own passes
    t = time.process_time()
    for d in subsets[line.strip()]:
        for f in filters.values():
            run(f, d)
    print(time.process_time() - t, flush=True)
'''


# Early Common Crawl ARC v1 (copycat small-sample-*.arc.gz): whole-file gzip, then "URL IP date mime length"
# lines, each followed by an HTTP response. Neither FastWARC nor warcio reads the dialect, and the lengths are
# not always exact, so records are cut at the next header line.
_CC_ARC_HEADER = re.compile(rb"\n(\S+://\S+) \S+ \d{14} (\S+) \d+\n")


def _cc_arc_pages(path: Path) -> Iterator[tuple[str, bytes, str | None]]:
    data = gzip.open(path).read()
    heads = list(_CC_ARC_HEADER.finditer(data))
    for m, nxt in zip(heads, heads[1:] + [None]):
        if b"html" not in m.group(2):
            continue
        block = data[m.end(): nxt.start() if nxt else len(data)]
        head, _, body = block.partition(b"\r\n\r\n")
        ctype = re.search(rb"(?im)^content-type:(.*)$", head)
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                continue
        yield m.group(1).decode("latin-1"), body, ctype and ctype.group(1).decode("latin-1").strip()


def _warc_pages(path: Path) -> Iterator[tuple[str, bytes, str | None]]:
    from engine.warc.http import sniff_kind
    from engine.warc.errors import WarcOpenError
    from engine.warc.records import iter_records

    try:
        for rec in iter_records(str(path), record_types={"response"}):
            if rec.payload and sniff_kind(rec.content_type, rec.payload) == "html":
                yield rec.url or "", rec.payload, (rec.http_headers or {}).get("content-type")
    except (WarcOpenError, OSError, ValueError) as e:  # a few fixtures are broken on purpose: keep what was read
        print(f"  {path.name}: stopped at {type(e).__name__}", file=sys.stderr)


def html_documents() -> list[dict]:
    """trafilatura main text of every HTML response in the shared fixture WARCs/ARCs (weft's own WARC reader,
    plus the early Common Crawl ARC dialect), without repeated texts (the same WARC ships gzip and lz4)."""
    import trafilatura

    from engine.html.decode import decode_html

    docs, seen = [], set()
    for path in sorted((SHARED / "warc").glob("*/*")):
        if path.name.startswith("small-sample-") and path.name.endswith(".arc.gz"):
            pages = _cc_arc_pages(path)
        elif path.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.lz4")):
            pages = _warc_pages(path)
        else:
            continue
        for url, payload, content_type in pages:
            text = trafilatura.extract(decode_html(payload, content_type)[0], include_comments=False) or ""
            if text.strip() and text not in seen:
                seen.add(text)
                docs.append({"id": f"{path.name}#{len(docs)}", "url": url, "text": text})
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


def extraction_benchmark_texts() -> list[str]:
    """weft's main text of the scrapinghub and Readability benchmark pages (not among the measured documents):
    a larger warm-up for the token vocabulary, closer to a worker that has seen many pages."""
    from engine.html import extract

    root = SHARED / "extraction"
    pages = sorted((root / "scrapinghub-aeb" / "html").glob("*.html.gz"))
    pages += sorted((root / "mozilla-readability" / "pages").glob("*/source.html.gz"))
    texts = []
    for page in pages:
        r = extract(gzip.decompress(page.read_bytes()), "http://fakehost/test/page.html")
        text = "\n".join(t for t in r.texts if t)
        if text:
            texts.append(text)
    return texts


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
    """Each of the four families' own decision (its scores, its English rules), as datatrove's filters decide."""
    from filters.families import GopherRepetition, Prepared, c4_family, fineweb_family, gopher_quality
    from filters.text import TextStats

    families = [gopher_quality(), GopherRepetition(), c4_family(), fineweb_family()]
    assert [f.name for f in families] == list(FAMILIES)
    rules = [(f, f.rules(cfg.rules_for("en"))) for f in families]
    out = []
    for text in texts:
        doc = Prepared(None, "en", 0.0, TextStats(text, "en"))
        res = {}
        for family, own in rules:
            failed = family.check(family.score(doc), own)
            res[family.name] = (failed is None, None if failed is None else failed.name)
        # Gopher repetition and FineWeb reject empty text outright in datatrove
        if not text:
            res["gopher_repetition"] = res["fineweb"] = (False, "empty")
        out.append(res)
    return out


def parity(report: dict, docs: list[dict], ours: list[dict], theirs: dict) -> None:
    """Share of documents where weft's family and datatrove's filter decide alike, and the disagreements."""
    for fam in FAMILIES:
        agree = 0
        for d, o in zip(docs, ours):
            peer = theirs[d["id"]][fam]
            if o[fam][0] == peer[0]:
                agree += 1
            else:
                report["disagreements"].append({"id": d["id"], "family": fam, "weft": o[fam], "datatrove": peer})
        report["parity"][fam] = agree / len(docs)
    report["parity"]["all_four"] = sum(
        all(o[f][0] == theirs[d["id"]][f][0] for f in FAMILIES) for d, o in zip(docs, ours)) / len(docs)
    report["parity"]["combined_keep"] = sum(
        all(o[f][0] for f in FAMILIES) == all(theirs[d["id"]][f][0] for f in FAMILIES)
        for d, o in zip(docs, ours)) / len(docs)


def time_cpu(fn, repeats: int, before=None) -> list[float]:
    times = []
    for _ in range(repeats):
        if before:
            before()
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.filters", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--extract-dir", help="read documents from weft extract Parquet instead of running trafilatura")
    p.add_argument("--json", default=str(ROOT / ".bench" / "filters.json"))
    p.add_argument("--show", type=int, default=20, help="print up to N disagreements")
    args = p.parse_args(argv)
    if not SHARED.exists():
        print(f"skip: {SHARED} not found")
        return 0
    peer_python = PEER_VENV / "bin" / "python"
    has_peer = peer_python.exists()
    if not has_peer:
        print(f"{peer_python} not found (python3 -m venv .venv-datatrove && .venv-datatrove/bin/pip install "
              "datatrove spacy regex): weft's speed only, no parity or datatrove timings")

    cache = ROOT / ".bench" / "filter_docs_v2.jsonl"
    if args.extract_dir:
        docs = extract_documents(args.extract_dir) + text_documents()
    elif cache.exists():
        docs = [json.loads(line) for line in cache.open(encoding="utf-8")]
    else:
        seen: set[str] = set()
        docs = [d for d in html_documents() + text_documents() if not (d["text"] in seen or seen.add(d["text"]))]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    print(f"{len(docs)} documents, median {statistics.median(len(d['text']) for d in docs):.0f} chars")

    from engine.document import Document
    from engine.stats import StageStats
    from filters.families import Prepared, text_families
    from filters.pipeline import FilterStep
    from filters.rules import FilterConfig
    from filters.text import TextStats

    cfg = FilterConfig.load()  # the stage as it runs by default (speed)
    parity_cfg = FilterConfig.load(preset="fineweb")  # datatrove's rules, one for one
    peer_proc = None
    report: dict = {"documents": len(docs), "parity": {}, "disagreements": []}
    texts = [d["text"] for d in docs]
    if has_peer:
        tmp = tempfile.mkdtemp()
        src, dst = os.path.join(tmp, "docs.jsonl"), os.path.join(tmp, "peer.json")
        with open(src, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
        peer_proc = subprocess.Popen([str(peer_python), "-c", PEER_SCRIPT, src, dst, str(TYPICAL_CHARS)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if peer_proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the datatrove process did not start")
        parity(report, docs, weft_family_decisions(texts, parity_cfg), json.loads(Path(dst).read_text()))

    def peer_pass(subset: str) -> float:
        """CPU seconds of one datatrove pass over `subset` ('all' or 'typical'), in its own process."""
        if peer_proc is None:
            return float("nan")
        peer_proc.stdin.write(subset + "\n")
        peer_proc.stdin.flush()
        return float(peer_proc.stdout.readline())

    # -- speed -----------------------------------------------------------------------------------------------
    from filters.text import clear_token_caches as cold  # every pass starts like a fresh worker

    flagged_dir = cfg.resolve(cfg.safety["flagged_words_dir"])
    families = text_families(str(flagged_dir) if flagged_dir else None, int(cfg.safety["flagged_distinct_full"]))

    def weft_rules():  # the text families alone, document by document
        for t in texts:
            doc = Prepared(None, "en", 0.0, TextStats(t, "en"))
            for family in families:
                doc.scores.update(family.score(doc))

    step = FilterStep(cfg)
    step.setup()
    # one paragraph per line, as `weft extract` emits a page's blocks (the paragraph rules run on each)
    paragraphs = [[p for p in d["text"].split("\n")] for d in docs]
    typical = [i for i, d in enumerate(docs) if len(d["text"]) <= TYPICAL_CHARS]

    def weft_stage(indices=range(len(docs))):
        def document(i: int) -> Document:
            doc = Document(id=docs[i]["id"], url=docs[i]["url"])
            for para in paragraphs[i]:
                doc.add_text(para)
            return doc

        for _ in step.run(map(document, indices), StageStats("filter")):  # batches, as the Spark task runs it
            pass

    warm_texts = extraction_benchmark_texts()

    def other_pages():  # weft's own text of the 311 extraction-benchmark pages: web text from other sources
        for i, text in enumerate(warm_texts):
            doc = Document(id=f"warm{i}")
            for para in text.split("\n"):
                doc.add_text(para)
            yield doc

    def disjoint_warm(indices: list[int], more: bool = False) -> list[float]:
        """CPU seconds over both halves of `indices`, each measured after warming the vocabulary on the other
        (and first on the extraction-benchmark pages when `more`)."""
        halves = (indices[0::2], indices[1::2])
        times = []
        for _ in range(args.repeats):
            total = 0.0
            for warm, measured in (halves, halves[::-1]):
                cold()
                if more:
                    for _ in step.run(other_pages(), StageStats("filter")):
                        pass
                weft_stage(warm)
                t = time.process_time()
                weft_stage(measured)
                total += time.process_time() - t
            times.append(total)
        return times

    # The compiled loops (filters/_native.c) against the Python/numpy ones they stand for, interleaved passes on
    # a fresh worker: what a deployment without the compiled module (code shipped as a zip) pays.
    from filters import gopher, omnicorpus, vocab

    def use(impl: tuple) -> None:
        vocab._chunk_ids, vocab._add_plain, gopher._ngram_chars, omnicorpus._spaces_and_upper = impl

    compiled = vocab._chunk_ids, vocab._add_plain, gopher._ngram_chars, omnicorpus._spaces_and_upper
    fallback = (vocab._chunk_ids_py, vocab._add_plain_py, gopher._ngram_chars_py,
                omnicorpus._spaces_and_upper_py)
    lookup_t: dict[str, list[float]] = {"compiled": [], "python": []}
    for _ in range(args.repeats):
        for name, impl in (("compiled", compiled), ("python", fallback)):
            use(impl)
            cold()
            t = time.process_time()
            weft_stage(typical)
            lookup_t[name].append(time.process_time() - t)
    use(compiled)

    def against_peer(weft_pass, subset: str) -> tuple[list[float], list[float]]:
        """weft passes (fresh worker each) and datatrove passes, one after the other: the machine's speed drifts
        (this VM's by a fifth between runs), and a drift then moves both sides of each pair alike."""
        ours, theirs = [], []
        for _ in range(args.repeats):
            cold()
            t = time.process_time()
            weft_pass()
            ours.append(time.process_time() - t)
            theirs.append(peer_pass(subset))
        return ours, theirs

    every = list(range(len(docs)))
    rules_t = time_cpu(weft_rules, args.repeats, cold)
    stage_t, peer_t = against_peer(weft_stage, "all")
    stage_disjoint_t = disjoint_warm(every)
    stage_warm_t = time_cpu(weft_stage, args.repeats)
    typical_t, peer_typical_t = against_peer(lambda: weft_stage(typical), "typical")
    if peer_proc is not None:
        peer_proc.stdin.close()
        peer_proc.wait()
    typical_disjoint_t = disjoint_warm(typical)
    typical_more_t = disjoint_warm(typical, more=True)
    typical_warm_t = time_cpu(lambda: weft_stage(typical), args.repeats, lambda: weft_stage(typical))
    n = len(docs)
    speed = {
        "weft_rules_docs_per_cpu_s": n / statistics.median(rules_t),
        "weft_stage_docs_per_cpu_s": n / statistics.median(stage_t),
        "weft_stage_disjoint_warm_cache_docs_per_cpu_s": n / statistics.median(stage_disjoint_t),
        "weft_stage_same_docs_warm_cache_docs_per_cpu_s": n / statistics.median(stage_warm_t),
        f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_per_cpu_s": len(typical) / statistics.median(typical_t),
        f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_disjoint_warm_per_cpu_s":
            len(typical) / statistics.median(typical_disjoint_t),
        f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_warm_on_311_pages_and_other_half_per_cpu_s":
            len(typical) / statistics.median(typical_more_t),
        f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_same_docs_warm_per_cpu_s":
            len(typical) / statistics.median(typical_warm_t),
        f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_without_compiled_module_per_cpu_s":
            len(typical) / statistics.median(lookup_t["python"]),
        "datatrove_rules_docs_per_cpu_s": n / statistics.median(peer_t),
        f"datatrove_rules_docs_le_{TYPICAL_CHARS}_chars_per_cpu_s":
            len(typical) / statistics.median(peer_typical_t),
    }
    speed["ratio_rules_weft_over_datatrove"] = speed["weft_rules_docs_per_cpu_s"] / speed["datatrove_rules_docs_per_cpu_s"]
    speed["ratio_stage_weft_over_datatrove_rules"] = speed["weft_stage_docs_per_cpu_s"] / speed["datatrove_rules_docs_per_cpu_s"]
    speed[f"ratio_stage_weft_over_datatrove_rules_le_{TYPICAL_CHARS}_chars"] = (
        speed[f"weft_stage_docs_le_{TYPICAL_CHARS}_chars_per_cpu_s"]
        / speed[f"datatrove_rules_docs_le_{TYPICAL_CHARS}_chars_per_cpu_s"])
    speed[f"ratio_stage_weft_over_datatrove_rules_le_{TYPICAL_CHARS}_chars_median_of_pairs"] = statistics.median(
        theirs / ours for ours, theirs in zip(typical_t, peer_typical_t))
    speed["ratio_with_over_without_compiled_module_interleaved"] = (
        statistics.median(lookup_t["python"]) / statistics.median(lookup_t["compiled"]))
    speed["ratio_stage_over_omnicorpus_109"] = speed["weft_stage_docs_per_cpu_s"] / OMNICORPUS_DOCS_PER_CPU_S
    report["speed"] = {k: round(v, 2) for k, v in speed.items() if has_peer or "datatrove" not in k}
    report["cpu_s"] = {"weft_rules": rules_t, "weft_stage": stage_t, "weft_stage_disjoint_warm": stage_disjoint_t,
                       "weft_stage_warm": stage_warm_t,
                       "weft_stage_typical": typical_t, "weft_stage_typical_disjoint_warm": typical_disjoint_t,
                       "weft_stage_typical_warm_311_pages": typical_more_t,
                       "weft_stage_typical_warm": typical_warm_t, "datatrove_rules": peer_t,
                       "datatrove_rules_typical": peer_typical_t}
    report["cpu_s"]["weft_stage_typical_compiled_lookup_interleaved"] = lookup_t["compiled"]
    report["cpu_s"]["weft_stage_typical_python_lookup_interleaved"] = lookup_t["python"]

    # fastText reads the first langid.max_chars characters: how often is that the label of the whole text?
    lid = step.langid
    whole = type(lid)(lid.model_path, max_chars=max(len(t) for t in texts))
    head_labels = [lid.predict(t)[0] for t in texts]
    whole_labels = [whole.predict(t)[0] for t in texts]
    report["langid_first_chars_same_label_as_whole_text"] = {
        "max_chars": lid.max_chars, "same": sum(map(str.__eq__, map(str, head_labels), map(str, whole_labels))),
        "documents": n}
    lengths = sorted(len(d["text"]) for d in docs)
    pct = {q: lengths[min(n - 1, int(q / 100 * n))] for q in (10, 50, 90, 99)}
    report["lengths"] = {"mean": sum(lengths) / n, **{f"p{q}": v for q, v in pct.items()}}
    print(f"lengths (chars): mean {sum(lengths) / n:.0f}, " + ", ".join(f"p{q} {v}" for q, v in pct.items())
          + f"; {len(typical)} documents of <= {TYPICAL_CHARS} chars (mean "
          f"{sum(lengths[:len(typical)]) / max(1, len(typical)):.0f}; the rest are "
          f"{', '.join(str(x) for x in lengths[len(typical):])} chars)")

    if report["parity"]:
        print("parity (share of documents with the same keep/drop decision):")
    for k, v in report["parity"].items():
        print(f"  {k:<20} {100 * v:6.2f}%")
    agree = report["langid_first_chars_same_label_as_whole_text"]
    print(f"language ID on the first {agree['max_chars']} characters: same label as on the whole text for "
          f"{agree['same']} of {agree['documents']} documents")
    print("speed (docs per CPU-second, median of", args.repeats, "passes):")
    for k, v in report["speed"].items():
        print(f"  {k:<56} {v:>10.2f}")
    for dis in report["disagreements"][: args.show]:
        print(f"  disagree {dis['family']:<18} {dis['id'][:60]:<60} weft={dis['weft']} datatrove={dis['datatrove']}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
