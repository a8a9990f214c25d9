"""The extraction development set (tests/data/extract_dev) and the per-document confidence, for `make bench-extract`.

- Per kind: weft and trafilatura text F1 on the hand-labelled pages of tests/data/extract_dev (forum threads, Q&A,
  Chinese/Japanese articles, docs, listings, products, profiles; see its SOURCE.txt), split into the `dev` part
  that extraction rules were checked on and the `held` part measured only at the end. Scored with the bench's
  shingle metric, tokens per character for Han/kana (CJK_TOKEN: for Latin text the same as `\\w+`).
- Confidence: for every page of every set, weft's `extraction_agreement` (token agreement with resiliparse's
  main-content text, engine.html.agreement) against the page's weft F1: Spearman rank correlation, mean F1 of
  the 10% least-agreeing pages against the rest, and what the union fallback would do (F1 as shipped, F1 with
  the union below 0.5 agreement, share of pages that would take it).
"""
from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "extract_dev"


def load_dev(splits: tuple[str, ...] = ("dev", "held")) -> list[dict]:
    rows = csv.DictReader((DEV / "kinds.tsv").open(encoding="utf-8"), delimiter="\t")
    return [{"id": f"extract_dev/{r['name']}.html.gz", "path": DEV / f"{r['name']}.html.gz", "url": r["url"],
             "kind": r["kind"], "split": r["split"],
             "truth": (DEV / f"{r['name']}.expected.txt").read_text(encoding="utf-8")}
            for r in rows if r["split"] in splits]


def per_kind(pages: list[dict], outputs: dict[str, dict], score: Callable) -> list[dict]:
    """Rows (split, kind, pages, F1 per extractor) plus an 'all' row per split; `score` = (truth, text) -> counts."""
    from benchmarks.metrics import prf
    groups: dict[tuple[str, str], list[dict]] = {}
    for p in pages:
        groups.setdefault((p["split"], p["kind"]), []).append(p)
        groups.setdefault((p["split"], "all"), []).append(p)
    rows = []
    for (split, kind), group in sorted(groups.items(), key=lambda kv: (kv[0][0] != "dev", kv[0][1] == "all", kv[0])):
        row = {"split": split, "kind": kind, "pages": len(group)}
        for name, res in outputs.items():
            f = prf([score(p["truth"], res[p["id"]][0]) for p in group])
            row[name] = f["f1"]
            row[name + "_recall"] = f["recall"]
        rows.append(row)
    return rows


def print_per_kind(rows: list[dict], names: list[str]) -> None:
    head = ("extract_dev split / kind (token F1, R)", "pages", *names)
    table = [head] + [(f"{r['split']:4} {r['kind']}", str(r["pages"]),
                       *(f"{r[n]:.3f} (R {r[n + '_recall']:.2f})" for n in names)) for r in rows]
    _print(table)


def confidence(sets: dict[str, list[dict]], union_below: float = 0.5) -> list[dict]:
    """Per set: agreement vs weft F1 (Spearman), low-agreement pages' F1, and the union fallback's effect."""
    from scipy.stats import spearmanr

    from benchmarks.metrics import prf, shingle_tp_fp_fn
    from engine.html import ExtractConfig, ExtractionRejected, extract
    rows = []
    for name, (pages, token) in sets.items():
        agree, f1s, shipped, union, fallback, shipped_fallback = [], [], [], [], 0, 0
        for p in pages:
            html = p["html"] if "html" in p else gzip.decompress(p["path"].read_bytes())
            try:
                r = extract(html, p["url"])
                u = extract(html, p["url"], config=ExtractConfig(union_below=union_below))
            except ExtractionRejected:
                continue
            c = shingle_tp_fp_fn(p["truth"], "\n".join(t for t in r.texts if t), token)
            cu = shingle_tp_fp_fn(p["truth"], "\n".join(t for t in u.texts if t), token)
            shipped.append(c)
            union.append(cu)
            agree.append(r.agreement if r.agreement is not None else 0.0)
            f1s.append(prf([c])["f1"])
            fallback += u.unioned
            shipped_fallback += r.unioned
        low = sorted(range(len(agree)), key=lambda i: agree[i])[:max(1, len(agree) // 10)]
        rest = [f for i, f in enumerate(f1s) if i not in set(low)]
        rows.append({"set": name, "pages": len(agree), "spearman": float(spearmanr(agree, f1s).statistic),
                     "low10_f1": sum(f1s[i] for i in low) / len(low), "rest_f1": sum(rest) / max(1, len(rest)),
                     "f1_shipped": prf(shipped)["f1"], "f1_union": prf(union)["f1"],
                     "fallback_share": fallback / max(1, len(agree)),
                     "shipped_fallback_share": shipped_fallback / max(1, len(agree))})
    return rows


def print_confidence(rows: list[dict], union_below: float) -> None:
    head = ("confidence (extraction_agreement)", "pages", "Spearman vs F1", "F1 10% least agreeing / rest",
            "F1 shipped (fallback taken)", f"F1 union<{union_below:g}", "pages taking union")
    table = [head] + [(r["set"], str(r["pages"]), f"{r['spearman']:.3f}", f"{r['low10_f1']:.3f} / {r['rest_f1']:.3f}",
                       f"{r['f1_shipped']:.4f} ({r['shipped_fallback_share']:.1%})", f"{r['f1_union']:.4f}",
                       f"{r['fallback_share']:.1%}")
                      for r in rows]
    _print(table)


def _print(table: list[tuple]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    print()
    for k, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))
